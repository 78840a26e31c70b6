//! Printers: YAML/JSON/name output, Table printing and kubectl's JSONPath subset.
