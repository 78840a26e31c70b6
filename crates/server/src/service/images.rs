//! Images (§9.1–9.2), ImageSignatures (§9.3), ImageStreamImage (§7) and the
//! `imagestreams/{name}/layers` view (§12.1).

use std::collections::HashMap;

use tagplane_api::image::{
    Image, ImageSignature, ImageStream, ImageStreamImage, ImageStreamLayers,
};
use tagplane_api::meta::{List, Status, StatusDetails};
use tagplane_api::validation::{
    BadValue, ErrorType, FieldError, validate_image, validate_image_signature,
};
use tagplane_core::images::{
    SignatureError, add_signature, prepare_image_for_create, prepare_image_for_update,
    prepare_signature_for_create, remove_signature, split_signature_name, stored_signature,
};
use tagplane_core::layers::image_stream_layers;
use tagplane_core::views::{
    self, match_stream_image, parse_image_stream_image_name, stream_image_digests,
};
use tagplane_store::{ListOptions, Revision};

use super::imagestreams::check_identity;
use super::tags::{META_FIELDS, MetaSelector, ObjectUpdate, success_status};
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, TypedList};

const GROUP: &str = tagplane_api::meta::IMAGE_GROUP;
const IMAGES: &str = "images";
/// Resource name upstream uses in signature errors.
const SIGNATURES: &str = "imageSignatures";
/// Attempts of a retried read-modify-write of an Image.
const MAX_ATTEMPTS: usize = 10;

fn image_name(i: &Image) -> &str {
    i.metadata.name.as_deref().unwrap_or("")
}

fn invalid(kind: &str, name: &str, errs: &[FieldError]) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(GROUP, kind, name, errs))
    }
}

fn require_resource_version(kind: &str, name: &str, rv: Option<&str>) -> ApiResult<Revision> {
    match Objects::parse_rv(rv)? {
        Some(r) => Ok(r),
        None => {
            let e = FieldError::new(
                ErrorType::Invalid,
                "metadata.resourceVersion",
                BadValue::Literal("0x0".into()),
                "must be specified for an update",
            );
            Err(ApiError::invalid(GROUP, kind, name, &[e]))
        }
    }
}

fn signature_error(e: SignatureError, name: &str) -> ApiError {
    match e {
        SignatureError::AlreadyExists => ApiError::already_exists(GROUP, SIGNATURES, name),
        SignatureError::NotFound => ApiError::not_found(GROUP, SIGNATURES, name),
    }
}

fn modified(resource: &str, name: &str) -> ApiError {
    ApiError::conflict(
        GROUP,
        resource,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
    )
}

/// `Status{Success}` naming a deleted object, as Kubernetes answers deletes.
pub fn deleted_status(group: &str, resource: &str, name: &str, uid: Option<String>) -> Status {
    let mut s = success_status(None);
    s.details = Some(StatusDetails {
        name: Some(name.to_owned()),
        group: Some(group.to_owned()),
        kind: Some(resource.to_owned()),
        uid,
        ..Default::default()
    });
    s
}

impl Service {
    /// Image create strategy (core [`prepare_image_for_create`], §9.1); metadata errors are
    /// logged, not returned.
    fn prepare_image_for_create(&self, image: &mut Image) {
        if let Some(e) = prepare_image_for_create(image, self.objects.clock.now().0) {
            tracing::warn!(image = image_name(image), error = %e, "unable to update image metadata");
        }
    }

    /// Image update strategy (core [`prepare_image_for_update`], §9.2).
    fn prepare_image_for_update(&self, new: &mut Image, old: &Image) {
        if let Some(e) = prepare_image_for_update(new, old, self.objects.clock.now().0) {
            tracing::warn!(image = image_name(new), error = %e, "unable to update image metadata");
        }
    }

    /// POST `images` (§9.1).
    pub async fn create_image(&self, mut image: Image, opts: WriteOptions) -> ApiResult<Image> {
        check_identity(&image.metadata, None, None)?;
        self.prepare_image_for_create(&mut image);
        let name = image_name(&image).to_owned();
        invalid("Image", &name, &validate_image(&image))?;
        if opts.dry_run {
            if self.objects.try_get::<Image>(None, &name).await?.is_some() {
                return Err(ApiError::already_exists(GROUP, IMAGES, &name));
            }
            return Ok(image);
        }
        self.objects.create(image).await
    }

    /// Create an Image for a mapping or an import; `Ok(true)` when it already existed (the
    /// existing Image is not updated, §8.4, §10.5).
    pub async fn ensure_image(&self, image: Image, opts: WriteOptions) -> ApiResult<bool> {
        match self.create_image(image, opts).await {
            Ok(_) => Ok(false),
            Err(e) if e.reason() == "AlreadyExists" => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// GET `images/{name}`.
    pub async fn get_image(&self, name: &str) -> ApiResult<Image> {
        self.objects.get(None, name).await
    }

    /// Selectors of an images list or watch (metadata fields only).
    pub fn image_selector(
        &self,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<MetaSelector> {
        MetaSelector::parse(labels, fields, META_FIELDS)
    }

    /// LIST `images` (one page) with selectors applied.
    pub async fn list_images(
        &self,
        opts: &ListOptions,
        selector: &MetaSelector,
    ) -> ApiResult<TypedList<Image>> {
        let mut list = self.objects.list::<Image>(None, opts).await?;
        list.items
            .retain(|i| selector.matches(&i.metadata, |_| None));
        Ok(list)
    }

    /// Write `new` over `old` through the update strategy (§9.2) with compare-and-swap.
    async fn write_image(
        &self,
        old: &Image,
        mut new: Image,
        opts: WriteOptions,
    ) -> ApiResult<Image> {
        self.prepare_image_for_update(&mut new, old);
        invalid("Image", image_name(old), &validate_image(&new))?;
        if opts.dry_run {
            return Ok(new);
        }
        let expected = Objects::parse_rv(old.metadata.resource_version.as_deref())?;
        self.objects.update(new, expected).await
    }

    /// PUT/PATCH `images/{name}` (§9.2): PUT needs a matching resourceVersion; PATCH is
    /// retried on conflict.
    pub async fn update_image(
        &self,
        name: &str,
        update: ObjectUpdate<'_, Image>,
        opts: WriteOptions,
    ) -> ApiResult<Image> {
        let attempts = if update.is_patch() { MAX_ATTEMPTS } else { 1 };
        for _ in 0..attempts {
            let old: Image = self.objects.get(None, name).await?;
            let new = update.apply(&old, "Image")?;
            check_identity(&new.metadata, None, Some(name))?;
            let requested = match &update {
                ObjectUpdate::Replace(_) => Some(require_resource_version(
                    "Image",
                    name,
                    new.metadata.resource_version.as_deref(),
                )?),
                ObjectUpdate::Patch(_) => {
                    Objects::parse_rv(new.metadata.resource_version.as_deref())?
                }
            };
            if let Some(rv) = requested
                && Some(rv) != Objects::parse_rv(old.metadata.resource_version.as_deref())?
            {
                return Err(modified(IMAGES, name));
            }
            match self.write_image(&old, new, opts).await {
                Err(e) if e.reason() == "Conflict" && update.is_patch() => continue,
                other => return other,
            }
        }
        Err(ApiError::server_timeout("patch", IMAGES))
    }

    /// DELETE `images/{name}` with optional preconditions; images are cluster-scoped and never
    /// garbage collected (§9.2).
    pub async fn delete_image(
        &self,
        name: &str,
        rv: Option<Revision>,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let deleted: Image = if opts.dry_run {
            self.objects.get(None, name).await?
        } else {
            self.objects.delete(None, name, rv, uid).await?
        };
        Ok(deleted_status(GROUP, IMAGES, name, deleted.metadata.uid))
    }

    // ------------------------------------------------------------- ImageSignature (§9.3)

    /// POST `imagesignatures` (§9.3): server-parsed fields and conditions cleared; 409 when a
    /// signature with the same name or the same type and content exists; returns the stored
    /// signature.
    pub async fn create_image_signature(
        &self,
        mut sig: ImageSignature,
        opts: WriteOptions,
    ) -> ApiResult<ImageSignature> {
        check_identity(&sig.metadata, None, None)?;
        prepare_signature_for_create(&mut sig);
        let name = sig.metadata.name.clone().unwrap_or_default();
        invalid("ImageSignature", &name, &validate_image_signature(&sig))?;
        let Some((image_name, _)) = split_signature_name(&name) else {
            return Err(ApiError::bad_request(format!(
                "expected exactly one @ in the image signature name {}",
                tagplane_api::validation::go_quote(&name)
            )));
        };
        for _ in 0..MAX_ATTEMPTS {
            let old: Image = self.objects.get(None, image_name).await?;
            let mut new = old.clone();
            add_signature(&mut new, sig.clone()).map_err(|e| signature_error(e, &name))?;
            match self.write_image(&old, new, opts).await {
                Ok(stored) => {
                    return stored_signature(&stored, &name)
                        .ok_or_else(|| ApiError::internal("failed to store given signature"));
                }
                Err(e) if e.reason() == "Conflict" => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::server_timeout("create", "imagesignatures"))
    }

    /// DELETE `imagesignatures/{image@signature}` (§9.3).
    pub async fn delete_image_signature(
        &self,
        name: &str,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let Some((image_name, _)) = split_signature_name(name) else {
            return Err(ApiError::bad_request(
                "ImageSignatures must be accessed with <imageName>@<signatureName>",
            ));
        };
        for _ in 0..MAX_ATTEMPTS {
            let old: Image = self.objects.get(None, image_name).await?;
            let mut new = old.clone();
            remove_signature(&mut new, name).map_err(|e| signature_error(e, name))?;
            match self.write_image(&old, new, opts).await {
                Ok(_) => return Ok(success_status(None)),
                Err(e) if e.reason() == "Conflict" => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::server_timeout("delete", "imagesignatures"))
    }

    // ---------------------------------------------- ImageStreamImage (§7) and layers (§12.1)

    /// Every Image a stream's history references, plus the children of manifest lists
    /// (recursively); missing Images are left out.
    pub async fn stream_images(&self, stream: &ImageStream) -> ApiResult<HashMap<String, Image>> {
        let mut found: HashMap<String, Image> = HashMap::new();
        let mut missing: Vec<String> = Vec::new();
        let mut pending = stream_image_digests(stream);
        while let Some(digest) = pending.pop() {
            if found.contains_key(&digest) || missing.contains(&digest) {
                continue;
            }
            match self.objects.try_get::<Image>(None, &digest).await? {
                Some(image) => {
                    pending.extend(
                        image
                            .docker_image_manifests
                            .iter()
                            .map(|m| m.digest.clone()),
                    );
                    found.insert(digest, image);
                }
                None => missing.push(digest),
            }
        }
        Ok(found)
    }

    /// GET `imagestreams/{name}/layers` (§12.1).
    pub async fn get_image_stream_layers(
        &self,
        ns: &str,
        name: &str,
    ) -> ApiResult<ImageStreamLayers> {
        let stream = self.stream_as(ns, name, "imagestreams").await?;
        let images = self.stream_images(&stream).await?;
        Ok(image_stream_layers(&stream, &|d: &str| {
            images.get(d).cloned()
        }))
    }

    /// GET `imagestreamimages/{stream@id}` (§7): the id is matched as a digest prefix against
    /// the stream's layers index (history plus manifest-list children).
    pub async fn get_image_stream_image(
        &self,
        ns: &str,
        name: &str,
    ) -> ApiResult<ImageStreamImage> {
        let (stream_name, id) = parse_image_stream_image_name(name).map_err(|e| match e {
            views::ViewError::BadRequest(m) => ApiError::bad_request(m),
            views::ViewError::NotFound => ApiError::not_found(GROUP, "imagestreamimages", name),
        })?;
        let stream = self.stream_as(ns, stream_name, "imagestreamimages").await?;
        let images = self.stream_images(&stream).await?;
        let layers = image_stream_layers(&stream, &|d: &str| images.get(d).cloned());
        let candidates: Vec<String> = layers.images.keys().cloned().collect();
        let Some(digest) = match_stream_image(&candidates, id) else {
            // Upstream names the singular resource in this error.
            return Err(ApiError::not_found(GROUP, "imagestreamimage", name));
        };
        let Some(image) = images.get(digest).cloned() else {
            return Err(ApiError::not_found(GROUP, "imagestreamimages", digest));
        };
        let mut view = views::image_stream_image(&stream, name, image);
        view.metadata.namespace = Some(ns.to_owned());
        Ok(view)
    }
}

/// An `ImageList`.
pub fn image_list(list: TypedList<Image>) -> List<Image> {
    List::new(list.items, list.meta)
}
