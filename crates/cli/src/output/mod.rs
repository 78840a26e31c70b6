//! Printers: YAML/JSON/name output, Table printing and kubectl's JSONPath subset.

pub mod jsonpath;
pub mod printer;
