//! Pulling through mirrors (spec §11.2): the pull sources that
//! `tagplane_core::registries::RegistrySources` chose for a reference are tried in order, the
//! first success wins, and the failures are reported as OpenShift does — exactly one failed
//! source gives its own error, several give an aggregate (an InternalError).

use std::future::Future;

use tagplane_api::reference::ImageReference;
use tagplane_core::registries::{PullSource, PullSources};

use crate::client::RegistryClient;
use crate::error::DistributionError;
use crate::fetch::{FetchOptions, FetchedImage, fetch_image, pull_spec};
use crate::keyring::Keyring;

/// Run `attempt` on (a copy of) each source in order until one succeeds (spec §11.2). A blocked registry
/// without usable mirrors fails with [`DistributionError::Blocked`] before anything is sent.
pub async fn first_success<T, F, Fut>(
    sources: &PullSources,
    mut attempt: F,
) -> Result<T, DistributionError>
where
    F: FnMut(PullSource) -> Fut,
    Fut: Future<Output = Result<T, DistributionError>>,
{
    let list = match sources {
        PullSources::Blocked { registry } => {
            return Err(DistributionError::Blocked {
                registry: registry.clone(),
            });
        }
        PullSources::Try(list) => list,
    };
    let mut errors: Vec<(String, DistributionError)> = Vec::new();
    for source in list {
        match attempt(source.clone()).await {
            Ok(v) => {
                if !errors.is_empty() {
                    tracing::debug!(
                        source = %source.reference.exact(),
                        failed = errors.len(),
                        "pulled after earlier sources failed"
                    );
                }
                return Ok(v);
            }
            Err(e) => {
                tracing::debug!(source = %source.reference.exact(), mirror = source.mirror, error = %e, "pull source failed");
                errors.push((source.reference.exact(), e));
            }
        }
    }
    if errors.len() == 1 {
        return Err(errors
            .pop()
            .map(|(_, e)| e)
            .unwrap_or(DistributionError::AllSourcesFailed(Vec::new())));
    }
    Err(DistributionError::AllSourcesFailed(
        errors
            .into_iter()
            .map(|(source, e)| format!("{source}: {e}"))
            .collect(),
    ))
}

/// Name the images of a result fetched from `source` after `reference` (spec §10.5: the
/// stream records the reference as the user wrote it, also when a mirror served it).
pub fn respell(fetched: &mut FetchedImage, reference: &ImageReference) {
    let rename = |image: &mut tagplane_api::image::Image| {
        if let Some(digest) = image.metadata.name.clone() {
            image.docker_image_reference = pull_spec(reference, &digest);
        }
    };
    rename(&mut fetched.image);
    fetched.manifests.iter_mut().for_each(rename);
}

/// [`fetch_image`] through `sources` (mirrors first, spec §11.2), each with its own
/// credential from the keyring and its own insecure flag; the images are named after
/// `reference`.
pub async fn fetch_image_from(
    client: &RegistryClient,
    keyring: &Keyring,
    reference: &ImageReference,
    sources: &PullSources,
    options: &FetchOptions,
) -> Result<FetchedImage, DistributionError> {
    let mut fetched = first_success(sources, |source| {
        let options = FetchOptions {
            insecure: source.insecure,
            ..options.clone()
        };
        async move { fetch_image(client, keyring, &source.reference, &options).await }
    })
    .await?;
    respell(&mut fetched, reference);
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(s: &str) -> PullSource {
        PullSource {
            reference: ImageReference::parse(s).unwrap(),
            mirror: false,
            insecure: false,
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn not_found(what: &str) -> DistributionError {
        DistributionError::NotFound {
            detail: what.to_owned(),
        }
    }

    /// §11.2: the first success wins and later sources are not tried.
    #[test]
    fn s11_2_first_success_wins() {
        let sources = PullSources::Try(vec![
            source("m1.local/a/b"),
            source("m2.local/a/b"),
            source("q.io/a/b"),
        ]);
        let mut tried = Vec::new();
        let got = block_on(first_success(&sources, |s| {
            tried.push(s.reference.exact());
            let ok = s.reference.registry == "m2.local";
            async move { if ok { Ok(7) } else { Err(not_found("x")) } }
        }));
        assert_eq!(got, Ok(7));
        assert_eq!(tried, ["m1.local/a/b", "m2.local/a/b"]);
    }

    /// §11.2: exactly one failed source gives its own error; several give an aggregate, which
    /// §11.6 maps to InternalError.
    #[test]
    fn s11_2_failures_single_or_aggregate() {
        let one = PullSources::Try(vec![source("q.io/a/b")]);
        let got: Result<(), _> = block_on(first_success(&one, |_| async {
            Err(not_found("manifest unknown"))
        }));
        assert_eq!(got, Err(not_found("manifest unknown")));

        let two = PullSources::Try(vec![source("m1/a/b"), source("q.io/a/b")]);
        let got: Result<(), _> = block_on(first_success(&two, |_| async {
            Err(not_found("manifest unknown"))
        }));
        let err = got.unwrap_err();
        assert_eq!(
            err.to_string(),
            "[m1/a/b: not found: manifest unknown, q.io/a/b: not found: manifest unknown]"
        );
        let (reason, code, message) = err.to_status("q.io/a/b:latest");
        assert_eq!((reason, code), ("InternalError", 500));
        assert_eq!(
            message,
            "Internal error occurred: q.io/a/b:latest: [m1/a/b: not found: manifest unknown, \
             q.io/a/b: not found: manifest unknown]"
        );
    }

    /// §11.2: a blocked registry fails without calling anything.
    #[test]
    fn s11_2_blocked_fails_without_attempts() {
        let blocked = PullSources::Blocked {
            registry: "quay.io".to_owned(),
        };
        let mut calls = 0;
        let got: Result<(), _> = block_on(first_success(&blocked, |_| {
            calls += 1;
            async { Ok(()) }
        }));
        assert_eq!(calls, 0);
        let (reason, code, message) = got.unwrap_err().to_status("quay.io/a/b:v1");
        assert_eq!((reason, code), ("Forbidden", 403));
        assert_eq!(message, "forbidden: registry quay.io blocked");
    }
}
