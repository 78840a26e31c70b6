//! ImageStreamTag (§5) and ImageTag (§6) REST semantics over the stream they live in, plus the
//! internal stream update path (spec and status written together) those virtual resources and
//! imports use (ISE internal REST, §4.2 without the status reset).

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tagplane_api::image::{Image, ImageStream, ImageStreamTag, ImageTag};
use tagplane_api::meta::{List, ListMeta, ObjectMeta, Status};
use tagplane_api::selector::{FieldSelector, LabelSelector, SelectorError};
use tagplane_api::validation::{
    FieldError, validate_image_stream_tag, validate_image_stream_tag_update, validate_image_tag,
    validate_image_tag_update,
};
use tagplane_core::layers::delete_tag;
use tagplane_core::repository::decorate;
use tagplane_core::views::{self, ViewError, parse_image_stream_tag_name, parse_image_tag_name};
use tagplane_store::ListOptions;

use super::imagestreams::{STREAM_FIELDS, StreamSelector, check_identity};
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};

const GROUP: &str = tagplane_api::meta::IMAGE_GROUP;
/// Resource name of ImageStreamTags.
pub const ISTAGS: &str = "imagestreamtags";
/// Resource name of ImageTags.
pub const ITAGS: &str = "imagetags";
/// Attempts of create and delete before answering 500 ServerTimeout (§5.4, §5.6).
const MAX_ATTEMPTS: usize = 10;
/// Pauses between the attempts of a blind ImageStreamTag PUT: client-go's `DefaultBackoff`
/// (4 steps from 10 ms, factor 5), after which the last conflict is returned (§5.5).
const BLIND_UPDATE_BACKOFF: [Duration; 3] = [
    Duration::from_millis(10),
    Duration::from_millis(50),
    Duration::from_millis(250),
];

/// A function from an object's current JSON to its patched JSON.
pub type PatchFn = dyn Fn(Value) -> ApiResult<Value> + Send + Sync;

/// The new state of an object in an update: a full replacement (PUT) or a patch of the current
/// object (PATCH).
pub enum ObjectUpdate<'a, T> {
    /// PUT: the request body.
    Replace(T),
    /// PATCH: applied to the current object.
    Patch(&'a PatchFn),
}

impl<T> std::fmt::Debug for ObjectUpdate<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectUpdate::Replace(_) => f.write_str("Replace(..)"),
            ObjectUpdate::Patch(_) => f.write_str("Patch(..)"),
        }
    }
}

impl<T: Serialize + DeserializeOwned + Clone> ObjectUpdate<'_, T> {
    /// Whether this is a PATCH.
    pub fn is_patch(&self) -> bool {
        matches!(self, ObjectUpdate::Patch(_))
    }

    /// The new object given the current one (`kind` names it in decoding errors).
    pub fn apply(&self, current: &T, kind: &str) -> ApiResult<T> {
        match self {
            ObjectUpdate::Replace(t) => Ok(t.clone()),
            ObjectUpdate::Patch(patch) => {
                let value = serde_json::to_value(current).map_err(ApiError::internal)?;
                let name = value["metadata"]["name"].as_str().unwrap_or("").to_owned();
                decode_patched(patch(value)?, &name, kind)
            }
        }
    }
}

/// Decode the result of patching the object called `name` as a `kind`. As Kubernetes does, the
/// result must be a JSON object (serde would otherwise read an array as a struct of defaults)
/// that still carries the name: a patch that removes or empties `metadata.name` is a 400
/// `the name of the object () does not match the name on the URL (<name>)`.
pub fn decode_patched<T: DeserializeOwned + serde::Serialize>(
    patched: Value,
    name: &str,
    kind: &str,
) -> ApiResult<T> {
    let found = match &patched {
        Value::Object(_) => None,
        Value::Array(_) => Some("an array"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("null"),
    };
    if let Some(found) = found {
        return Err(ApiError::bad_request(format!(
            "the patched object is not a valid {kind}: expected a JSON object, found {found}"
        )));
    }
    let patched_name = &patched["metadata"]["name"];
    if !name.is_empty() && (patched_name.is_null() || patched_name.as_str() == Some("")) {
        return Err(ApiError::bad_request(format!(
            "the name of the object () does not match the name on the URL ({name})"
        )));
    }
    let original = patched.clone();
    let typed: T = serde_json::from_value(patched).map_err(|e| {
        ApiError::bad_request(format!("the patched object is not a valid {kind}: {e}"))
    })?;
    if let Ok(decoded) = serde_json::to_value(&typed)
        && let Some(e) = crate::objects::shape_error(&original, &decoded, "")
    {
        return Err(ApiError::bad_request(format!(
            "the patched object is not a valid {kind}: {e}"
        )));
    }
    Ok(typed)
}

/// Label and field selectors over object metadata (`metadata.name`, `metadata.namespace`, and
/// kind-specific fields answered by the caller), as list and watch requests carry them.
#[derive(Clone, Debug, Default)]
pub struct MetaSelector {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl MetaSelector {
    /// Parse `labelSelector` and `fieldSelector`; 400 on bad syntax or a field not in `allowed`.
    pub fn parse(labels: Option<&str>, fields: Option<&str>, allowed: &[&str]) -> ApiResult<Self> {
        let bad = |e: SelectorError| ApiError::bad_request(e.to_string());
        let labels = LabelSelector::parse(labels.unwrap_or("")).map_err(bad)?;
        let fields = FieldSelector::parse(fields.unwrap_or("")).map_err(bad)?;
        fields.check_fields(allowed).map_err(bad)?;
        Ok(MetaSelector { labels, fields })
    }

    /// Whether an object with `meta` (and other fields answered by `field`) is selected.
    pub fn matches(&self, meta: &ObjectMeta, field: impl Fn(&str) -> Option<String>) -> bool {
        self.labels.matches_opt(meta.labels.as_ref())
            && self.fields.matches(|f| match f {
                "metadata.name" => meta.name.clone(),
                "metadata.namespace" => meta.namespace.clone(),
                other => field(other),
            })
    }
}

/// The field labels of objects selected by metadata only.
pub const META_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];

/// A `Status` with `status: Success` (answer of deletes and mappings).
pub fn success_status(code: Option<i32>) -> Status {
    Status {
        status: Some("Success".into()),
        code,
        ..Default::default()
    }
}

fn view_error(e: ViewError, resource: &str, name: &str) -> ApiError {
    match e {
        ViewError::BadRequest(m) => ApiError::bad_request(m),
        ViewError::NotFound => ApiError::not_found(GROUP, resource, name),
    }
}

fn is_retryable_write(e: &ApiError) -> bool {
    matches!(e.reason(), "Conflict" | "AlreadyExists")
}

fn new_stream(ns: &str, name: &str) -> ImageStream {
    ImageStream {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(ns.to_owned()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn invalid(kind: &str, name: &str, errs: &[FieldError]) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(GROUP, kind, name, errs))
    }
}

/// One attempt of an update: the result, or the error and whether it may be retried.
type Attempt<T> = Result<(T, bool), (ApiError, bool)>;

/// Run `once` until it succeeds, fails for good, or has retried a retryable Conflict once per
/// entry of `pauses` (sleeping that long first); the last conflict is then returned, or a
/// ServerTimeout when there was none.
async fn retry_conflicts<T, F, Fut>(
    pauses: &[Duration],
    resource: &str,
    mut once: F,
) -> ApiResult<(T, bool)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut last = None;
    for attempt in 0..=pauses.len() {
        if attempt > 0 && !pauses[attempt - 1].is_zero() {
            tokio::time::sleep(pauses[attempt - 1]).await;
        }
        match once().await {
            Ok(done) => return Ok(done),
            Err((e, true)) if e.reason() == "Conflict" => last = Some(e),
            Err((e, _)) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::server_timeout("update", resource)))
}

impl Service {
    /// The stream `ns/name` with computed fields, or 404 naming the *requested* resource and the
    /// stream (K8S `qualifiedResourceFromContext`, §5.2).
    pub async fn stream_as(&self, ns: &str, name: &str, resource: &str) -> ApiResult<ImageStream> {
        match self.objects.try_get::<ImageStream>(Some(ns), name).await? {
            Some(mut s) => {
                decorate(&mut s, &self.config.hosts);
                Ok(s)
            }
            None => Err(ApiError::not_found(GROUP, resource, name)),
        }
    }

    /// Every stream of a namespace (or of all namespaces) that `selector` selects, all pages,
    /// with computed fields.
    pub async fn all_streams(
        &self,
        ns: Option<&str>,
        selector: &StreamSelector,
    ) -> ApiResult<(Vec<ImageStream>, ListMeta)> {
        let mut opts = ListOptions::default();
        let mut items = Vec::new();
        let mut meta = ListMeta::default();
        loop {
            let page = self.list_streams(ns, &opts).await?;
            if meta.resource_version.is_none() {
                meta.resource_version = page.meta.resource_version.clone();
            }
            items.extend(page.items.into_iter().filter(|s| selector.matches(s)));
            match page.meta.continue_ {
                Some(c) => {
                    opts = ListOptions {
                        continue_token: Some(c),
                        ..Default::default()
                    }
                }
                None => break,
            }
        }
        Ok((items, meta))
    }

    /// The Image of the newest event of `tag`, if the event names one and the Image exists.
    pub async fn tag_image(&self, stream: &ImageStream, tag: &str) -> ApiResult<Option<Image>> {
        match views::image_tag_image_name(stream, tag) {
            Some(digest) => self.objects.try_get::<Image>(None, digest).await,
            None => Ok(None),
        }
    }

    /// Write `new` over `old` through the internal update path (spec and status together).
    pub async fn update_stream_internal(
        &self,
        old: &ImageStream,
        new: ImageStream,
        opts: WriteOptions,
    ) -> ApiResult<ImageStream> {
        self.write_stream(
            old,
            new,
            crate::service::imagestreams::StreamPart::Internal,
            opts,
        )
        .await
    }

    // ---------------------------------------------------------------- ImageStreamTag (§5)

    /// The ImageStreamTag answered by create and update (§5.4, §5.5): the view of core
    /// [`views::image_stream_tag_or_empty`] over the tag's Image, read when there is one.
    async fn istag_response(&self, stream: &ImageStream, tag: &str) -> ApiResult<ImageStreamTag> {
        let image = self.tag_image(stream, tag).await?;
        Ok(views::image_stream_tag_or_empty(stream, tag, image))
    }

    /// GET `imagestreamtags/{stream:tag}` (§5.1–5.2).
    pub async fn get_image_stream_tag(&self, ns: &str, name: &str) -> ApiResult<ImageStreamTag> {
        let (stream_name, tag) =
            parse_image_stream_tag_name(name).map_err(|e| view_error(e, ISTAGS, name))?;
        let stream = self.stream_as(ns, stream_name, ISTAGS).await?;
        let event =
            views::image_stream_tag_event(&stream, tag).map_err(|e| view_error(e, ISTAGS, name))?;
        let Some(image) = self.objects.try_get::<Image>(None, &event.image).await? else {
            return Err(ApiError::not_found(GROUP, ISTAGS, name));
        };
        views::image_stream_tag(&stream, tag, image).map_err(|e| view_error(e, ISTAGS, name))
    }

    /// LIST `imagestreamtags` (§5.3): the selectors pick streams first (so `metadata.name=s:t`
    /// selects nothing), then entries; one entry per status tag with an image.
    pub async fn list_image_stream_tags(
        &self,
        ns: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<List<ImageStreamTag>> {
        let streams = self.stream_selector(labels, fields)?;
        let entries = MetaSelector::parse(labels, fields, STREAM_FIELDS)?;
        let (items, meta) = self.all_streams(ns, &streams).await?;
        let items = items
            .iter()
            .flat_map(views::image_stream_tag_list_entries)
            .filter(|i| entries.matches(&i.metadata, |_| None))
            .collect();
        Ok(List::new(items, meta))
    }

    /// POST `imagestreamtags` (§5.4): adds the spec tag, creating the stream if needed; 409 when
    /// the spec tag exists; retried on write conflicts, then 500 ServerTimeout.
    pub async fn create_image_stream_tag(
        &self,
        ns: &str,
        mut ist: ImageStreamTag,
        opts: WriteOptions,
    ) -> ApiResult<ImageStreamTag> {
        check_identity(&ist.metadata, Some(ns), None)?;
        ist.metadata.namespace = Some(ns.to_owned());
        let name = ist.metadata.name.clone().unwrap_or_default();
        let (stream_name, tag) =
            parse_image_stream_tag_name(&name).map_err(|e| view_error(e, ISTAGS, &name))?;
        // Strategy: the spec tag is named after the object; conditions and image are ignored.
        if let Some(t) = &mut ist.tag {
            t.name = tag.to_owned();
        }
        ist.conditions.clear();
        ist.image = Image::default();
        invalid(
            "ImageStreamTag",
            &name,
            &validate_image_stream_tag(&ist, &self.config.allow),
        )?;
        self.require_namespace(ns).await?;
        for _ in 0..MAX_ATTEMPTS {
            let existing = self
                .objects
                .try_get::<ImageStream>(Some(ns), stream_name)
                .await?;
            let written = match existing {
                Some(old) => {
                    if old.spec.tag(tag).is_some() {
                        // Upstream names the singular resource here.
                        return Err(ApiError::already_exists(GROUP, "imagestreamtag", &name));
                    }
                    let mut new = old.clone();
                    // metadata.annotations are ignored on create: only tag.annotations count.
                    if let Some(t) = &ist.tag {
                        new.spec.set_tag(t.clone());
                    }
                    self.update_stream_internal(&old, new, opts).await
                }
                None => {
                    let mut new = new_stream(ns, stream_name);
                    if let Some(t) = &ist.tag {
                        new.spec.set_tag(t.clone());
                    }
                    self.create_stream(ns, new, opts).await
                }
            };
            match written {
                Ok(stream) => return self.istag_response(&stream, tag).await,
                Err(e) if is_retryable_write(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::server_timeout("create", ISTAGS))
    }

    /// PUT/PATCH `imagestreamtags/{stream:tag}` (§5.5). Returns the istag and whether the spec
    /// tag was created (201) rather than updated (200).
    pub async fn update_image_stream_tag(
        &self,
        ns: &str,
        name: &str,
        update: ObjectUpdate<'_, ImageStreamTag>,
        opts: WriteOptions,
    ) -> ApiResult<(ImageStreamTag, bool)> {
        let (stream_name, tag) =
            parse_image_stream_tag_name(name).map_err(|e| view_error(e, ISTAGS, name))?;
        self.require_namespace(ns).await?;
        // Patches retry immediately; a blind PUT backs off like client-go (§5.5).
        let pauses: &[Duration] = if update.is_patch() {
            &[Duration::ZERO; MAX_ATTEMPTS - 1]
        } else {
            &BLIND_UPDATE_BACKOFF
        };
        retry_conflicts(pauses, ISTAGS, || {
            self.update_istag_once(ns, name, stream_name, tag, &update, opts)
        })
        .await
    }

    async fn update_istag_once(
        &self,
        ns: &str,
        name: &str,
        stream_name: &str,
        tag: &str,
        update: &ObjectUpdate<'_, ImageStreamTag>,
        opts: WriteOptions,
    ) -> Attempt<ImageStreamTag> {
        let fail = |e: ApiError| (e, false);
        let original = self
            .objects
            .try_get::<ImageStream>(Some(ns), stream_name)
            .await
            .map_err(fail)?;
        let create = original.is_none();
        let stored = original.unwrap_or_else(|| new_stream(ns, stream_name));
        let mut shown = stored.clone();
        decorate(&mut shown, &self.config.hosts);
        // The synthetic "old" istag (§5.5) does not read the Image.
        let old = views::image_stream_tag_or_empty(&shown, tag, None);
        let mut new = update.apply(&old, "ImageStreamTag").map_err(fail)?;
        check_identity(&new.metadata, Some(ns), Some(name)).map_err(fail)?;
        // Type metadata comes from the request path, as a decoder would set it.
        new.api_version = old.api_version.clone();
        new.kind = old.kind.clone();
        new.metadata.name = Some(name.to_owned());
        new.metadata.namespace = Some(ns.to_owned());
        new.metadata.managed_fields = None;

        let stream_rv = stored.metadata.resource_version.clone().unwrap_or_default();
        let requested = new.metadata.resource_version.clone().unwrap_or_default();
        let can_retry = if requested.is_empty() {
            // Blind PUT: allowed, the stream's version is used and conflicts are retried.
            new.metadata.resource_version = stored.metadata.resource_version.clone();
            true
        } else if create {
            return Err(fail(ApiError::not_found(GROUP, ISTAGS, name)));
        } else if requested != stream_rv {
            let why = format!("another caller has updated the resource version to {stream_rv}");
            return Err(fail(ApiError::conflict(GROUP, ISTAGS, name, &why)));
        } else {
            update.is_patch()
                && old.metadata.resource_version.as_deref() == Some(requested.as_str())
        };

        // Old clients send no labels: default them from the stream (label changes are refused).
        if stored
            .metadata
            .labels
            .as_ref()
            .is_some_and(|l| !l.is_empty())
            && new.metadata.labels.as_ref().is_none_or(|l| l.is_empty())
        {
            new.metadata.labels = stored.metadata.labels.clone();
        }

        if create {
            if let Some(t) = &mut new.tag
                && t.name.is_empty()
            {
                t.name = tag.to_owned();
            }
            new.conditions.clear();
            new.image = Image::default();
            invalid(
                "ImageStreamTag",
                name,
                &validate_image_stream_tag(&new, &self.config.allow),
            )
            .map_err(fail)?;
        } else {
            if new.metadata.uid.as_deref().unwrap_or("").is_empty() {
                new.metadata.uid = old.metadata.uid.clone();
            }
            if old.metadata.creation_timestamp.is_some() {
                new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
            }
            new.metadata.generation = old.metadata.generation;
            if let Some(t) = &mut new.tag {
                t.annotations = new.metadata.annotations.clone();
            }
            new.conditions = old.conditions.clone();
            new.image = old.image.clone();
            let errs = validate_image_stream_tag_update(&new, &old, &self.config.allow);
            invalid("ImageStreamTag", name, &errs).map_err(fail)?;
        }

        let existed = stored.spec.tag(tag).is_some();
        let mut tag_ref = match (new.tag.clone(), stored.spec.tag(tag)) {
            (Some(t), _) => t,
            (None, Some(t)) => t.clone(),
            (None, None) => {
                return Err(fail(ApiError::bad_request(format!(
                    "imagestreamtag {tag} is not a spec tag in imagestream {ns}/{stream_name}, cannot be updated"
                ))));
            }
        };
        tag_ref.name = tag.to_owned();
        tag_ref.annotations = new.metadata.annotations.clone();
        let mut target = stored.clone();
        target.spec.set_tag(tag_ref);
        let written = if create {
            self.create_stream(ns, target, opts).await
        } else {
            self.update_stream_internal(&stored, target, opts).await
        };
        let written = written.map_err(|e| (e, can_retry && !create))?;
        let ist = self.istag_response(&written, tag).await.map_err(fail)?;
        Ok((ist, !existed))
    }

    /// DELETE `imagestreamtags/{stream:tag}` (§5.6).
    pub async fn delete_image_stream_tag(
        &self,
        ns: &str,
        name: &str,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let (stream_name, tag) =
            parse_image_stream_tag_name(name).map_err(|e| view_error(e, ISTAGS, name))?;
        self.delete_tag_of(ns, name, stream_name, tag, ISTAGS, uid, opts)
            .await
    }

    /// Remove spec and status of a tag (§5.6, §6): 404 when neither exists, UID precondition,
    /// retried on conflict, then 500 ServerTimeout.
    #[allow(clippy::too_many_arguments)]
    async fn delete_tag_of(
        &self,
        ns: &str,
        name: &str,
        stream_name: &str,
        tag: &str,
        resource: &str,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(old) = self
                .objects
                .try_get::<ImageStream>(Some(ns), stream_name)
                .await?
            else {
                return Err(ApiError::not_found(GROUP, resource, stream_name));
            };
            if let Some(uid) = uid
                && old.metadata.uid.as_deref() != Some(uid)
            {
                return Err(ApiError::conflict(
                    GROUP,
                    resource,
                    name,
                    "the UID precondition was not met",
                ));
            }
            let mut new = old.clone();
            if !delete_tag(&mut new, tag) {
                return Err(ApiError::not_found(GROUP, resource, name));
            }
            match self.update_stream_internal(&old, new, opts).await {
                Ok(_) => return Ok(success_status(None)),
                Err(e) if e.reason() == "Conflict" => continue,
                Err(e) if e.reason() == "NotFound" => return Ok(success_status(None)),
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::server_timeout("delete", resource))
    }

    // ---------------------------------------------------------------------- ImageTag (§6)

    async fn itag_response(&self, stream: &ImageStream, tag: &str) -> ApiResult<ImageTag> {
        let image = self.tag_image(stream, tag).await?;
        Ok(views::image_tag_or_empty(stream, tag, image))
    }

    /// GET `imagetags/{stream:tag}` (§6): the tag in spec or status; image when it exists.
    pub async fn get_image_tag(&self, ns: &str, name: &str) -> ApiResult<ImageTag> {
        let (stream_name, tag) =
            parse_image_tag_name(name).map_err(|e| view_error(e, ITAGS, name))?;
        let stream = self.stream_as(ns, stream_name, ITAGS).await?;
        let image = self.tag_image(&stream, tag).await?;
        views::image_tag(&stream, tag, image).map_err(|e| view_error(e, ITAGS, name))
    }

    /// LIST `imagetags` (§6): every spec or status tag of every selected stream, by stream then
    /// tag; the selectors apply to streams, then to entries.
    pub async fn list_image_tags(
        &self,
        ns: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<List<ImageTag>> {
        let streams = self.stream_selector(labels, fields)?;
        let entries = MetaSelector::parse(labels, fields, STREAM_FIELDS)?;
        let (items, meta) = self.all_streams(ns, &streams).await?;
        let items = items
            .iter()
            .flat_map(views::image_tag_list_entries)
            .filter(|i| entries.matches(&i.metadata, |_| None))
            .collect();
        Ok(List::new(items, meta))
    }

    /// POST `imagetags` (§6): `spec` required; creates the stream when missing; 409 when the
    /// spec tag exists; retried on write conflicts, then 500 ServerTimeout.
    pub async fn create_image_tag(
        &self,
        ns: &str,
        mut itag: ImageTag,
        opts: WriteOptions,
    ) -> ApiResult<ImageTag> {
        check_identity(&itag.metadata, Some(ns), None)?;
        itag.metadata.namespace = Some(ns.to_owned());
        let name = itag.metadata.name.clone().unwrap_or_default();
        let (stream_name, tag) =
            parse_image_tag_name(&name).map_err(|e| view_error(e, ITAGS, &name))?;
        if let Some(spec) = &mut itag.spec
            && spec.name.is_empty()
        {
            spec.name = tag.to_owned();
        }
        itag.status = None;
        itag.image = None;
        invalid(
            "ImageTag",
            &name,
            &validate_image_tag(&itag, &self.config.allow),
        )?;
        self.require_namespace(ns).await?;
        for _ in 0..MAX_ATTEMPTS {
            let existing = self
                .objects
                .try_get::<ImageStream>(Some(ns), stream_name)
                .await?;
            let written = match existing {
                Some(old) => {
                    if old.spec.tag(tag).is_some() {
                        return Err(ApiError::already_exists(GROUP, ITAGS, &name));
                    }
                    let mut new = old.clone();
                    if let Some(spec) = &itag.spec {
                        new.spec.set_tag(spec.clone());
                    }
                    self.update_stream_internal(&old, new, opts).await
                }
                None => {
                    let mut new = new_stream(ns, stream_name);
                    if let Some(spec) = &itag.spec {
                        new.spec.set_tag(spec.clone());
                    }
                    self.create_stream(ns, new, opts).await
                }
            };
            match written {
                Ok(stream) => return self.itag_response(&stream, tag).await,
                Err(e) if is_retryable_write(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::server_timeout("create", ITAGS))
    }

    /// PUT/PATCH `imagetags/{stream:tag}` (§6): blind PUT allowed without retries, RV mismatch
    /// 409, `spec: null` removes the spec tag (status stays). Returns whether the spec tag is new.
    pub async fn update_image_tag(
        &self,
        ns: &str,
        name: &str,
        update: ObjectUpdate<'_, ImageTag>,
        opts: WriteOptions,
    ) -> ApiResult<(ImageTag, bool)> {
        let (stream_name, tag) =
            parse_image_tag_name(name).map_err(|e| view_error(e, ITAGS, name))?;
        self.require_namespace(ns).await?;
        // Patches retry immediately; a blind PUT is tried once (§6).
        let pauses: &[Duration] = if update.is_patch() {
            &[Duration::ZERO; MAX_ATTEMPTS - 1]
        } else {
            &[]
        };
        retry_conflicts(pauses, ITAGS, || {
            self.update_itag_once(ns, name, stream_name, tag, &update, opts)
        })
        .await
    }

    async fn update_itag_once(
        &self,
        ns: &str,
        name: &str,
        stream_name: &str,
        tag: &str,
        update: &ObjectUpdate<'_, ImageTag>,
        opts: WriteOptions,
    ) -> Attempt<ImageTag> {
        let fail = |e: ApiError| (e, false);
        let original = self
            .objects
            .try_get::<ImageStream>(Some(ns), stream_name)
            .await
            .map_err(fail)?;
        let create = original.is_none();
        let stored = original.unwrap_or_else(|| new_stream(ns, stream_name));
        let mut shown = stored.clone();
        decorate(&mut shown, &self.config.hosts);
        let old = views::image_tag_or_empty(&shown, tag, None);
        let mut new = update.apply(&old, "ImageTag").map_err(fail)?;
        check_identity(&new.metadata, Some(ns), Some(name)).map_err(fail)?;
        new.api_version = old.api_version.clone();
        new.kind = old.kind.clone();
        new.metadata.name = Some(name.to_owned());
        new.metadata.namespace = Some(ns.to_owned());
        new.metadata.managed_fields = None;

        let stream_rv = stored.metadata.resource_version.clone().unwrap_or_default();
        let requested = new.metadata.resource_version.clone().unwrap_or_default();
        // Blind PUT is allowed ("I want this tag to equal this, no matter what"), without retries.
        let can_retry = update.is_patch();
        if requested.is_empty() {
            new.metadata.resource_version = stored.metadata.resource_version.clone();
        } else if create {
            return Err(fail(ApiError::not_found(GROUP, ITAGS, name)));
        } else if requested != stream_rv {
            let why = format!("another caller has updated the resource version to {stream_rv}");
            return Err(fail(ApiError::conflict(GROUP, ITAGS, name, &why)));
        }

        if create {
            if let Some(spec) = &mut new.spec
                && spec.name.is_empty()
            {
                spec.name = tag.to_owned();
            }
            new.status = None;
            new.image = None;
            invalid(
                "ImageTag",
                name,
                &validate_image_tag(&new, &self.config.allow),
            )
            .map_err(fail)?;
        } else {
            if new.metadata.uid.as_deref().unwrap_or("").is_empty() {
                new.metadata.uid = old.metadata.uid.clone();
            }
            if old.metadata.creation_timestamp.is_some() {
                new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
            }
            new.metadata.generation = old.metadata.generation;
            new.image = old.image.clone();
            let errs = validate_image_tag_update(&new, &old, &self.config.allow);
            invalid("ImageTag", name, &errs).map_err(fail)?;
        }

        let existed = stored.spec.tag(tag).is_some();
        let mut target = stored.clone();
        match new.spec.clone() {
            Some(mut spec) => {
                spec.name = tag.to_owned();
                target.spec.set_tag(spec);
            }
            None => {
                target.spec.remove_tag(tag);
            }
        }
        let written = if create {
            self.create_stream(ns, target, opts).await
        } else {
            self.update_stream_internal(&stored, target, opts).await
        };
        let written = written.map_err(|e| (e, can_retry && !create))?;
        let itag = self.itag_response(&written, tag).await.map_err(fail)?;
        Ok((itag, !existed))
    }

    /// DELETE `imagetags/{stream:tag}` (§6): as istag DELETE.
    pub async fn delete_image_tag(
        &self,
        ns: &str,
        name: &str,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let (stream_name, tag) =
            parse_image_tag_name(name).map_err(|e| view_error(e, ITAGS, name))?;
        self.delete_tag_of(ns, name, stream_name, tag, ITAGS, uid, opts)
            .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A patch result that is not an object, or that lost the object's name, is a 400 (serde
    /// alone would read `[]` as an object of defaults, which for an ImageTag means "remove the
    /// spec tag").
    #[test]
    fn patched_objects_must_be_named_objects() {
        for bad in [
            json!([]),
            json!([{}]),
            json!(5),
            json!("x"),
            json!(null),
            json!(true),
        ] {
            let e = decode_patched::<ImageTag>(bad.clone(), "app:latest", "ImageTag").unwrap_err();
            assert_eq!(e.status.code, Some(400), "{bad}");
            assert!(
                e.status.message.as_deref().unwrap().starts_with(
                    "the patched object is not a valid ImageTag: expected a JSON object"
                ),
                "{e:?}"
            );
        }
        for unnamed in [
            json!({}),
            json!({"metadata": {}}),
            json!({"metadata": {"name": ""}}),
        ] {
            let e = decode_patched::<ImageTag>(unnamed, "app:latest", "ImageTag").unwrap_err();
            assert_eq!(
                e.status.message.as_deref(),
                Some("the name of the object () does not match the name on the URL (app:latest)")
            );
        }
        let ok: ImageTag = decode_patched(
            json!({"metadata": {"name": "app:latest"}}),
            "app:latest",
            "ImageTag",
        )
        .unwrap();
        assert_eq!(ok.metadata.name.as_deref(), Some("app:latest"));
        let typed = decode_patched::<ImageTag>(
            json!({"metadata": {"name": "app:latest"}, "spec": "x"}),
            "app:latest",
            "ImageTag",
        )
        .unwrap_err();
        assert!(
            typed
                .status
                .message
                .as_deref()
                .unwrap()
                .starts_with("the patched object is not a valid ImageTag: invalid type")
        );
    }
}
