//! Builders shared by the unit tests of this crate.

use tagplane_api::image::{ImageStream, TagEvent, TagReference};
use tagplane_api::meta::{ObjectMeta, ObjectReference, Time, Timestamp};

/// A time `secs` seconds after the epoch.
pub fn at(secs: i64) -> Time {
    Time(Timestamp::from_second(secs).expect("valid timestamp"))
}

/// An empty stream `ns/name` with generation 1.
pub fn stream(ns: &str, name: &str) -> ImageStream {
    ImageStream {
        metadata: ObjectMeta {
            namespace: Some(ns.into()),
            name: Some(name.into()),
            generation: Some(1),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A spec tag `name` pointing at `from` of `kind`, generation unset.
pub fn spec_tag(name: &str, kind: &str, from: &str) -> TagReference {
    TagReference {
        name: name.into(),
        from: Some(ObjectReference::new(kind, from)),
        ..Default::default()
    }
}

/// A tag event created at `secs`.
pub fn event_at(reference: &str, image: &str, generation: i64, secs: i64) -> TagEvent {
    TagEvent {
        created: Some(at(secs)),
        docker_image_reference: reference.into(),
        image: image.into(),
        generation,
        platforms: vec![],
    }
}
