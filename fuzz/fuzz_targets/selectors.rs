//! Fuzz target for label and field selector parsing: never panics, and printing round-trips.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use tagplane_api::selector::{FieldSelector, LabelSelector};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(sel) = LabelSelector::parse(input) {
        // The canonical form parses back to the same selector.
        let printed = sel.to_string();
        assert_eq!(
            LabelSelector::parse(&printed).as_ref(),
            Ok(&sel),
            "label selector {input:?} printed as {printed:?}"
        );
        let labels: BTreeMap<String, String> = sel
            .requirements()
            .iter()
            .map(|r| {
                (
                    r.key().to_owned(),
                    r.values().first().cloned().unwrap_or_default(),
                )
            })
            .collect();
        let _ = sel.matches(&labels);
        let _ = sel.matches_opt(None);
    }

    if let Ok(sel) = FieldSelector::parse(input) {
        let printed = sel.to_string();
        let again = FieldSelector::parse(&printed);
        // A field name may itself end in `!` or hold `=`, which no printed form can express;
        // only check the round trip where the fields are plain.
        if sel
            .terms()
            .iter()
            .all(|t| !t.field.contains(['!', '=', ',', '\\']))
        {
            assert_eq!(
                again.as_ref(),
                Ok(&sel),
                "field selector {input:?} printed as {printed:?}"
            );
        }
        let _ = sel.matches(|f| Some(f.to_owned()));
        let _ = sel.check_fields(&["metadata.name", "metadata.namespace"]);
    }
});
