//! ImageStreamMapping create (§8): how a pushed image lands in a stream's status.

use tagplane_api::image::{ImageStream, ImageStreamMapping};
use tagplane_api::meta::Status;
use tagplane_api::validation::validate_image_stream_mapping;
use tagplane_core::mapping::{apply_mapping, mapping_head_unchanged, prepare_mapping};
use tagplane_core::repository::decorate;

use super::imagestreams::{StreamPart, check_identity};
use super::tags::success_status;
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};

const GROUP: &str = tagplane_api::meta::IMAGE_GROUP;
/// The requested resource, named in the 404 the integrated registry relies on (§8.3).
pub const MAPPINGS: &str = "imagestreammappings";

impl Service {
    /// POST `imagestreammappings` (§8): create the Image (AlreadyExists is fine), add the tag
    /// event through the status path, retrying conflicts while the tag's head is unchanged.
    /// Answers `Status{status: Success, code: 201}`.
    pub async fn create_image_stream_mapping(
        &self,
        ns: &str,
        mut mapping: ImageStreamMapping,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        check_identity(&mapping.metadata, Some(ns), None)?;
        mapping.metadata.namespace = Some(ns.to_owned());
        prepare_mapping(&mut mapping, &self.config.hosts);
        let name = mapping.metadata.name.clone().unwrap_or_default();
        let errs = validate_image_stream_mapping(&mapping);
        if !errs.is_empty() {
            return Err(ApiError::invalid(GROUP, "ImageStreamMapping", &name, &errs));
        }
        let not_found = || ApiError::not_found(GROUP, MAPPINGS, &name);
        if self
            .objects
            .try_get::<ImageStream>(Some(ns), &name)
            .await?
            .is_none()
        {
            return Err(not_found());
        }
        let existed = self.ensure_image(mapping.image.clone(), opts).await?;
        if opts.dry_run {
            return Ok(success_status(Some(201)));
        }
        let tag = mapping.tag.clone();
        let hosts = self.config.hosts.clone();
        let clock = self.objects.clock.clone();
        let mut previous: Option<ImageStream> = None;
        let result = self
            .modify_stream(ns, &name, StreamPart::Status, |current| {
                if let Some(prev) = &previous {
                    // A conflict happened: retry only if nobody moved this tag meanwhile.
                    let had_head = prev.status.tag(&tag).and_then(|t| t.newest()).is_some();
                    if had_head && !mapping_head_unchanged(prev, current, &tag) {
                        return Err(ApiError::conflict(
                            GROUP,
                            "imagestreams",
                            &name,
                            "the object has been modified; please apply your changes to the latest version and try again",
                        ));
                    }
                }
                previous = Some(current.clone());
                let mut stream = current.clone();
                decorate(&mut stream, &hosts);
                let now = clock.now();
                if apply_mapping(&mut stream, &mapping, existed, &now) {
                    Ok(Some(stream))
                } else {
                    Ok(None)
                }
            })
            .await;
        match result {
            Ok(_) => Ok(success_status(Some(201))),
            Err(e) if e.reason() == "NotFound" => Err(not_found()),
            Err(e) => Err(e),
        }
    }
}
