//! Fuzz target for image reference parsing: never panics, and `exact()` output parses back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagplane_api::reference::{ImageReference, is_valid_digest, parse_digest};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_digest(input);
    let Ok(r) = ImageReference::parse(input) else {
        return;
    };

    // Whatever was parsed, the derived forms must be computable without panicking.
    let defaulted = r.docker_client_defaults();
    let _ = defaulted.exact();
    let _ = r.most_specific().exact();
    let _ = r.minimal().daemon_minimal().as_v2().to_string();
    let _ = r.repository_name();
    let _ = r.registry_host_port(false);
    let _ = r.registry_host_port(true);
    assert!(r.equal_defaults(&r));
    assert!(
        r.id.is_empty() || is_valid_digest(&r.id),
        "parsed ID must be a digest: {r:?}"
    );

    // Round trip: `exact()` re-parses to the same value, except that it prints only the ID
    // when both ID and tag are set, and "registry only" values (no name) print as
    // `registry/`, which is not parseable.
    if !r.name.is_empty() {
        let mut expected = r.clone();
        if !expected.id.is_empty() {
            expected.tag.clear();
        }
        let printed = r.exact();
        assert_eq!(
            ImageReference::parse(&printed),
            Ok(expected),
            "input {input:?} printed as {printed:?}"
        );
    }
});
