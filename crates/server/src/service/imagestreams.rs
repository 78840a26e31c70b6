//! ImageStream create/get/list/update/patch/delete and the status subresource (spec §4), each a
//! sequence of calls into `tagplane-core` around a compare-and-swap store write.

use serde_json::Value;
use tagplane_api::image::ImageStream;
use tagplane_api::validation::{FieldError, validate_image_stream, validate_image_stream_update};
use tagplane_core::generation::{
    prepare_for_create, prepare_for_status_update, prepare_for_update,
};
use tagplane_core::repository::decorate;
use tagplane_core::resolution::{nest_tag_errors, resolve_changed_tags};
use tagplane_store::{ListOptions, Revision};

use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, TypedList};

const GROUP: &str = tagplane_api::meta::IMAGE_GROUP;
const RESOURCE: &str = "imagestreams";
/// Attempts of a read-modify-write before answering 500 ServerTimeout.
const MAX_ATTEMPTS: usize = 10;

/// Which part of the stream a write may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamPart {
    /// `imagestreams` itself: spec and metadata (§4.2).
    Main,
    /// `imagestreams/{name}/status` (§4.4).
    Status,
    /// The internal path of server-side writers (imports, istag/itag writes): spec and status
    /// are written together; spec generations follow §4.2 and tag resolution runs (§10.5).
    Internal,
}

fn name_of(s: &ImageStream) -> &str {
    s.metadata.name.as_deref().unwrap_or("")
}

/// Whether `new` equals the stored `old` apart from fields the server computes on every read.
fn unchanged(
    old: &ImageStream,
    new: &ImageStream,
    hosts: &tagplane_core::repository::RegistryHostnames,
) -> bool {
    let mut a = old.clone();
    let mut b = new.clone();
    for s in [&mut a, &mut b] {
        s.metadata.resource_version = None;
        s.metadata.managed_fields = None;
        decorate(s, hosts);
    }
    a == b
}

/// Check that the body names the object of the URL (Kubernetes' 400s).
pub fn check_identity(
    meta: &tagplane_api::meta::ObjectMeta,
    ns: Option<&str>,
    name: Option<&str>,
) -> ApiResult<()> {
    if let (Some(url), Some(body)) = (name, meta.name.as_deref())
        && url != body
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body}) does not match the name on the URL ({url})"
        )));
    }
    if let (Some(url), Some(body)) = (ns, meta.namespace.as_deref())
        && !body.is_empty()
        && url != body
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// Label and field selectors of an imagestreams list or watch (field labels of spec §1).
#[derive(Clone, Debug, Default)]
pub struct StreamSelector {
    labels: tagplane_api::selector::LabelSelector,
    fields: tagplane_api::selector::FieldSelector,
    hosts: tagplane_core::repository::RegistryHostnames,
}

/// The field labels image streams can be selected by.
pub const STREAM_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.dockerImageRepository",
    "status.dockerImageRepository",
];

impl StreamSelector {
    /// Whether `stream` is selected.
    pub fn matches(&self, stream: &ImageStream) -> bool {
        if !self.labels.matches_opt(stream.metadata.labels.as_ref()) {
            return false;
        }
        self.fields.matches(|field| match field {
            "metadata.name" => stream.metadata.name.clone(),
            "metadata.namespace" => stream.metadata.namespace.clone(),
            "spec.dockerImageRepository" => Some(stream.spec.docker_image_repository.clone()),
            "status.dockerImageRepository" => Some(
                tagplane_core::repository::docker_image_repository(stream, &self.hosts),
            ),
            _ => None,
        })
    }
}

impl Service {
    /// Parse `labelSelector` and `fieldSelector` for image streams (400 on bad syntax or an
    /// unsupported field label).
    pub fn stream_selector(
        &self,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<StreamSelector> {
        let bad = |e: tagplane_api::selector::SelectorError| ApiError::bad_request(e.to_string());
        let labels =
            tagplane_api::selector::LabelSelector::parse(labels.unwrap_or("")).map_err(bad)?;
        let fields =
            tagplane_api::selector::FieldSelector::parse(fields.unwrap_or("")).map_err(bad)?;
        fields.check_fields(STREAM_FIELDS).map_err(bad)?;
        Ok(StreamSelector {
            labels,
            fields,
            hosts: self.config.hosts.clone(),
        })
    }

    /// Decode-time defaults of a stream (§2.1): spec tags without an import mode get the
    /// server-wide default.
    pub fn default_stream(&self, stream: &mut ImageStream) {
        for tag in &mut stream.spec.tags {
            if tag.import_policy.import_mode.is_empty() {
                tag.import_policy.import_mode = self.config.default_import_mode.clone();
            }
        }
    }

    fn invalid(name: &str, errs: &[FieldError]) -> ApiError {
        ApiError::invalid(GROUP, "ImageStream", name, errs)
    }

    /// Run tag resolution (§4.5, §4.7) and validation (§3) for a create or update; errors as a
    /// 422 with resolution errors nested (§4.11).
    pub(crate) async fn resolve_and_validate(
        &self,
        stream: &mut ImageStream,
        old: Option<&ImageStream>,
    ) -> ApiResult<()> {
        let sources = self.prefetch_sources(stream).await?;
        let now = self.objects.clock.now();
        let tag_errs = resolve_changed_tags(stream, old, &sources, &self.config.hosts, &now);
        let mut errs: Vec<FieldError> = nest_tag_errors(name_of(stream), &tag_errs)
            .into_iter()
            .collect();
        errs.extend(match old {
            None => validate_image_stream(stream, &self.config.allow),
            Some(o) => validate_image_stream_update(stream, o, &self.config.allow),
        });
        errs.extend(self.verify_tag_sources(stream, old).await?);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Self::invalid(name_of(stream), &errs))
        }
    }

    /// POST `imagestreams` (§4.1).
    pub async fn create_stream(
        &self,
        ns: &str,
        mut stream: ImageStream,
        opts: WriteOptions,
    ) -> ApiResult<ImageStream> {
        check_identity(&stream.metadata, Some(ns), None)?;
        stream.metadata.namespace = Some(ns.to_owned());
        self.require_namespace(ns).await?;
        self.default_stream(&mut stream);
        prepare_for_create(&mut stream, &self.config.hosts);
        self.resolve_and_validate(&mut stream, None).await?;
        stream
            .status
            .tags
            .retain(|t| !t.events().is_empty() || !t.conditions.is_empty());
        if opts.dry_run {
            if self
                .objects
                .try_get::<ImageStream>(Some(ns), name_of(&stream))
                .await?
                .is_some()
            {
                return Err(ApiError::already_exists(GROUP, RESOURCE, name_of(&stream)));
            }
            return Ok(stream);
        }
        let mut created = self.objects.create(stream).await?;
        decorate(&mut created, &self.config.hosts);
        Ok(created)
    }

    /// GET `imagestreams/{name}`; repository fields recomputed (§4.8).
    pub async fn get_stream(&self, ns: &str, name: &str) -> ApiResult<ImageStream> {
        let mut s: ImageStream = self.objects.get(Some(ns), name).await?;
        decorate(&mut s, &self.config.hosts);
        Ok(s)
    }

    /// LIST `imagestreams` (one namespace or all).
    pub async fn list_streams(
        &self,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<TypedList<ImageStream>> {
        let mut list = self.objects.list::<ImageStream>(ns, opts).await?;
        for s in &mut list.items {
            decorate(s, &self.config.hosts);
        }
        Ok(list)
    }

    /// Write `new` over `old` through the update path of `part` (§4.2 or §4.4), with CAS on
    /// `old`'s revision.
    pub(crate) async fn write_stream(
        &self,
        old: &ImageStream,
        mut new: ImageStream,
        part: StreamPart,
        opts: WriteOptions,
    ) -> ApiResult<ImageStream> {
        // Identity and server-owned metadata come from storage.
        new.metadata.uid = old.metadata.uid.clone();
        new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
        new.metadata.namespace = old.metadata.namespace.clone();
        new.metadata.name = old.metadata.name.clone();
        self.default_stream(&mut new);
        match part {
            StreamPart::Main => {
                prepare_for_update(&mut new, old, &self.config.hosts);
                self.resolve_and_validate(&mut new, Some(old)).await?;
            }
            StreamPart::Internal => {
                tagplane_core::generation::prepare_spec_for_update(&mut new, old);
                decorate(&mut new, &self.config.hosts);
                self.resolve_and_validate(&mut new, Some(old)).await?;
            }
            StreamPart::Status => {
                new.metadata.generation = old.metadata.generation;
                new.metadata.labels = old.metadata.labels.clone();
                new.metadata.annotations = old.metadata.annotations.clone();
                new.spec.lookup_policy = old.spec.lookup_policy.clone();
                prepare_for_status_update(&mut new, old, &self.config.hosts);
                let errs = validate_image_stream_update(&new, old, &self.config.allow);
                if !errs.is_empty() {
                    return Err(Self::invalid(name_of(&new), &errs));
                }
            }
        }
        if opts.dry_run {
            return Ok(new);
        }
        // Like Kubernetes' generic store, an update that changes nothing is not written: the
        // resourceVersion stays and watchers see no event.
        if unchanged(old, &new, &self.config.hosts) {
            let mut same = old.clone();
            decorate(&mut same, &self.config.hosts);
            return Ok(same);
        }
        let expected = Objects::parse_rv(old.metadata.resource_version.as_deref())?;
        let mut written = self.objects.update(new, expected).await?;
        decorate(&mut written, &self.config.hosts);
        Ok(written)
    }

    /// PUT `imagestreams/{name}` or its status: `resourceVersion` is required (§4.2) and must
    /// match (409 otherwise).
    pub async fn replace_stream(
        &self,
        ns: &str,
        name: &str,
        new: ImageStream,
        part: StreamPart,
        opts: WriteOptions,
    ) -> ApiResult<ImageStream> {
        check_identity(&new.metadata, Some(ns), Some(name))?;
        let Some(rv) = Objects::parse_rv(new.metadata.resource_version.as_deref())? else {
            let e = FieldError::new(
                tagplane_api::validation::ErrorType::Invalid,
                "metadata.resourceVersion",
                tagplane_api::validation::BadValue::Literal("0x0".into()),
                "must be specified for an update",
            );
            return Err(Self::invalid(name, &[e]));
        };
        let old: ImageStream = self.objects.get(Some(ns), name).await?;
        if Objects::parse_rv(old.metadata.resource_version.as_deref())? != Some(rv) {
            return Err(ApiError::conflict(
                GROUP,
                RESOURCE,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        self.write_stream(&old, new, part, opts).await
    }

    /// PATCH `imagestreams/{name}` or its status: `patch` maps the current object's JSON to the
    /// patched JSON; retried on conflict.
    pub async fn patch_stream(
        &self,
        ns: &str,
        name: &str,
        part: StreamPart,
        opts: WriteOptions,
        patch: &(dyn Fn(Value) -> ApiResult<Value> + Send + Sync),
    ) -> ApiResult<ImageStream> {
        for _ in 0..MAX_ATTEMPTS {
            let old: ImageStream = self.objects.get(Some(ns), name).await?;
            let current = serde_json::to_value(&old).map_err(ApiError::internal)?;
            let patched = patch(current)?;
            let new: ImageStream = super::tags::decode_patched(patched, name, "ImageStream")?;
            check_identity(&new.metadata, Some(ns), Some(name))?;
            if let Some(rv) = Objects::parse_rv(new.metadata.resource_version.as_deref())?
                && Some(rv) != Objects::parse_rv(old.metadata.resource_version.as_deref())?
            {
                return Err(ApiError::conflict(
                    GROUP,
                    RESOURCE,
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
            match self.write_stream(&old, new, part, opts).await {
                Err(e) if e.reason() == "Conflict" => continue,
                other => return other,
            }
        }
        Err(ApiError::server_timeout("patch", RESOURCE))
    }

    /// Read-modify-write of a stream by a server component (importer, mapping, istag writes),
    /// retried on conflict. `f` returns `None` to leave the stream unchanged.
    pub async fn modify_stream<F>(
        &self,
        ns: &str,
        name: &str,
        part: StreamPart,
        mut f: F,
    ) -> ApiResult<ImageStream>
    where
        F: FnMut(&ImageStream) -> ApiResult<Option<ImageStream>> + Send,
    {
        for _ in 0..MAX_ATTEMPTS {
            let old: ImageStream = self.objects.get(Some(ns), name).await?;
            let Some(new) = f(&old)? else {
                let mut old = old;
                decorate(&mut old, &self.config.hosts);
                return Ok(old);
            };
            match self
                .write_stream(&old, new, part, WriteOptions::default())
                .await
            {
                Err(e) if e.reason() == "Conflict" => continue,
                other => return other,
            }
        }
        Err(ApiError::server_timeout("update", RESOURCE))
    }

    /// DELETE `imagestreams/{name}` with optional resourceVersion/UID preconditions (§4.12).
    pub async fn delete_stream(
        &self,
        ns: &str,
        name: &str,
        rv: Option<Revision>,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<ImageStream> {
        if opts.dry_run {
            return self.get_stream(ns, name).await;
        }
        let mut s: ImageStream = self.objects.delete(Some(ns), name, rv, uid).await?;
        decorate(&mut s, &self.config.hosts);
        Ok(s)
    }
}
