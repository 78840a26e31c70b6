//! Validation of image objects (spec §3), producing Kubernetes field errors and 422 `Status` bodies.
//!
//! Every check returns a list of [`FieldError`]s with the path, type and the exact message the
//! spec quotes; [`invalid_status`] renders them as the `Status` the server answers with.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::Secret;

use crate::image::{
    ANNOTATION_INSECURE_REPOSITORY, IMPORT_MODE_LEGACY, IMPORT_MODE_PRESERVE_ORIGINAL, Image,
    ImageSignature, ImageStream, ImageStreamImport, ImageStreamMapping, ImageStreamTag, ImageTag,
    KIND_DOCKER_IMAGE, KIND_IMAGE_STREAM_IMAGE, KIND_IMAGE_STREAM_TAG, REFERENCE_POLICY_LOCAL,
    REFERENCE_POLICY_SOURCE, TagReference,
};
use crate::meta::{ObjectMeta, Status, StatusCause, StatusDetails};
use crate::reference::ImageReference;

/// The pattern image stream names must match (spec §3.1).
pub const IMAGE_STREAM_NAME_PATTERN: &str = "[a-z0-9]+(?:[._-][a-z0-9]+)*";
/// Longest `namespace/name` of a stream (distribution's `NameTotalLengthMax`).
pub const REPOSITORY_NAME_MAX: usize = 255;

/// The kind of a field error, as Kubernetes' `field.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// A required value is missing (`Required value`).
    Required,
    /// A value is malformed (`Invalid value`).
    Invalid,
    /// A value is not allowed (`Forbidden`).
    Forbidden,
    /// A value is not one of the supported ones (`Unsupported value`).
    NotSupported,
    /// A value is too long (`Too long`).
    TooLong,
    /// A referenced object does not exist (`Not found`).
    NotFound,
    /// A value appears twice (`Duplicate value`).
    Duplicate,
    /// Something failed inside the server (`Internal error`).
    Internal,
}

impl ErrorType {
    /// The human text Kubernetes prints for the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::TooLong => "Too long",
            ErrorType::NotFound => "Not found",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Internal => "Internal error",
        }
    }

    /// The `reason` of the `StatusCause` (`FieldValueInvalid`, ...).
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Internal => "InternalError",
        }
    }
}

/// The offending value of a field error, printed the way Go's `field.Error` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadValue {
    /// No value is printed.
    Omitted,
    /// A string, printed quoted.
    Str(String),
    /// A number or other literal, printed as is (`0x0`, `5`, `true`).
    Literal(String),
}

/// One field error: a path, a type, the bad value and a detail message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Kind of error.
    pub type_: ErrorType,
    /// Field path such as `spec.tags[latest].from.name`; may be empty.
    pub field: String,
    /// The rejected value.
    pub bad_value: BadValue,
    /// Explanation.
    pub detail: String,
}

impl FieldError {
    /// A field error of any type.
    pub fn new(
        type_: ErrorType,
        field: impl Into<String>,
        bad_value: BadValue,
        detail: &str,
    ) -> Self {
        FieldError {
            type_,
            field: field.into(),
            bad_value,
            detail: detail.to_owned(),
        }
    }

    /// `Required value: <detail>`.
    pub fn required(field: impl Into<String>, detail: &str) -> Self {
        Self::new(ErrorType::Required, field, BadValue::Omitted, detail)
    }

    /// `Invalid value: "<value>": <detail>`.
    pub fn invalid(field: impl Into<String>, value: &str, detail: &str) -> Self {
        Self::new(
            ErrorType::Invalid,
            field,
            BadValue::Str(value.to_owned()),
            detail,
        )
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        Self::new(ErrorType::Forbidden, field, BadValue::Omitted, detail)
    }

    /// `Not found: "<value>"`.
    pub fn not_found(field: impl Into<String>, value: &str) -> Self {
        Self::new(
            ErrorType::NotFound,
            field,
            BadValue::Str(value.to_owned()),
            "",
        )
    }

    /// `Internal error: <detail>`.
    pub fn internal(field: impl Into<String>, detail: &str) -> Self {
        Self::new(ErrorType::Internal, field, BadValue::Omitted, detail)
    }

    /// The message without the field path (`Invalid value: "x": detail`), used in causes.
    pub fn body(&self) -> String {
        let mut s = self.type_.as_str().to_owned();
        let shows_value = !matches!(
            self.type_,
            ErrorType::Required | ErrorType::Forbidden | ErrorType::TooLong | ErrorType::Internal
        );
        if shows_value {
            match &self.bad_value {
                BadValue::Omitted => {}
                BadValue::Str(v) => {
                    s.push_str(": ");
                    s.push_str(&go_quote(v));
                }
                BadValue::Literal(v) => {
                    s.push_str(": ");
                    s.push_str(v);
                }
            }
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.body())
        } else {
            write!(f, "{}: {}", self.field, self.body())
        }
    }
}

/// Quote a string the way Go's `%q` does for printable text.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Join field errors as Go's aggregate does: one error alone, several as `[a, b]`.
pub fn aggregate_message(errors: &[FieldError]) -> String {
    match errors {
        [one] => one.to_string(),
        many => {
            let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// The 422 `Status` for `errors` on object `name` of `kind` in `group`
/// (`ImageStream.image.openshift.io "x" is invalid: ...`).
pub fn invalid_status(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Status {
    let qualified = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    let causes = errors
        .iter()
        .map(|e| StatusCause {
            field: Some(e.field.clone()),
            message: Some(e.body()),
            reason: Some(e.type_.cause_reason().to_owned()),
        })
        .collect();
    Status {
        code: Some(422),
        details: Some(StatusDetails {
            causes: Some(causes),
            group: Some(group.to_owned()),
            kind: Some(kind.to_owned()),
            name: Some(name.to_owned()),
            ..Default::default()
        }),
        message: Some(format!(
            "{qualified} {} is invalid: {}",
            go_quote(name),
            aggregate_message(errors)
        )),
        metadata: Default::default(),
        reason: Some("Invalid".to_owned()),
        status: Some("Failure".to_owned()),
    }
}

/// Kubernetes path-segment rules for names (`ValidatePathSegmentName`): no `.`, `..`, `/`, `%`.
pub fn path_segment_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name == "." || name == ".." {
        errs.push(format!("may not be '{name}'"));
        return errs;
    }
    for forbidden in ["/", "%"] {
        if name.contains(forbidden) {
            errs.push(format!("may not contain '{forbidden}'"));
        }
    }
    errs
}

/// Whether `name` matches the image stream name pattern (spec §3.1), anchored.
pub fn is_valid_image_stream_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut prev_sep = true; // forbids a leading separator
    for &c in b {
        if alnum(c) {
            prev_sep = false;
        } else if matches!(c, b'.' | b'_' | b'-') {
            if prev_sep {
                return false;
            }
            prev_sep = true;
        } else {
            return false;
        }
    }
    !prev_sep
}

/// Whether `name` is a DNS-1123 label (namespace names).
pub fn is_dns1123_label(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

const DNS1123_LABEL_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Validate a namespace name; errors use `field` as path.
pub fn validate_namespace_name(field: &str, ns: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if ns.len() > 63 {
        errs.push(FieldError::invalid(
            field,
            ns,
            "must be no more than 63 characters",
        ));
    }
    if !is_dns1123_label(ns) {
        errs.push(FieldError::invalid(field, ns, DNS1123_LABEL_MESSAGE));
    }
    errs
}

/// How object names are checked by [`validate_object_meta`].
#[derive(Clone, Copy, Debug)]
pub enum NameRule {
    /// Kubernetes path-segment rules only.
    PathSegment,
    /// Path-segment rules plus the image stream pattern (spec §3.1).
    ImageStream,
}

/// Metadata checks shared by all objects: name present and valid, namespace present and valid
/// for namespaced kinds (and absent for cluster-scoped ones).
pub fn validate_object_meta(
    meta: &ObjectMeta,
    namespaced: bool,
    rule: NameRule,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = meta.name.as_deref().unwrap_or("");
    if name.is_empty() {
        if meta.generate_name.as_deref().unwrap_or("").is_empty() {
            errs.push(FieldError::required(
                "metadata.name",
                "name or generateName is required",
            ));
        }
    } else {
        for msg in path_segment_name_errors(name) {
            errs.push(FieldError::invalid("metadata.name", name, &msg));
        }
        if let NameRule::ImageStream = rule
            && !is_valid_image_stream_name(name)
        {
            let detail = format!("must match {}", go_quote(IMAGE_STREAM_NAME_PATTERN));
            errs.push(FieldError::invalid("metadata.name", name, &detail));
        }
    }
    let ns = meta.namespace.as_deref().unwrap_or("");
    if namespaced {
        if ns.is_empty() {
            errs.push(FieldError::required("metadata.namespace", ""));
        } else {
            errs.extend(validate_namespace_name("metadata.namespace", ns));
        }
    } else if !ns.is_empty() {
        errs.push(FieldError::forbidden(
            "metadata.namespace",
            "not allowed on this type",
        ));
    }
    errs
}

/// Which transports an allow-list check admits (spec §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TLS only: a missing port means 443.
    Secure,
    /// Plain HTTP: a missing port means 80.
    Insecure,
    /// Either: a missing port matches entries on 80, 443 or `*`.
    Any,
}

/// One allowed-registries entry: a host glob with an optional port, and whether it is insecure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedRegistry {
    /// Host glob (`*` and `?`), optionally with `:port` (port may be `*`).
    pub domain_name: String,
    /// Entry admits plain HTTP (a missing port then means 80).
    pub insecure: bool,
}

/// The `allowedRegistriesForImport` policy (spec §3.6). `None` entries means everything is allowed.
#[derive(Clone, Debug, Default)]
pub struct RegistryAllowList {
    /// The configured entries; `None` = no list configured = allow all.
    pub entries: Option<Vec<AllowedRegistry>>,
    /// The integrated registry's hostname, always allowed.
    pub internal_hostname: Option<String>,
}

impl RegistryAllowList {
    /// A policy that admits every registry.
    pub fn allow_all() -> Self {
        RegistryAllowList::default()
    }

    fn entry_host_port(e: &AllowedRegistry) -> (String, String) {
        let (host, port) = split_host_port(&e.domain_name);
        let port = match port {
            Some(p) => p.to_owned(),
            None if e.insecure => "80".to_owned(),
            None => "443".to_owned(),
        };
        (host.to_owned(), port)
    }

    /// Check a registry host (`host` or `host:port`) against the policy.
    ///
    /// The error text is `registry "<host>" not allowed by whitelist: "<h:p>", ...`
    /// (at most five entries listed) or `... not allowed by empty whitelist`.
    pub fn admit_hostname(&self, hostname: &str, transport: Transport) -> Result<(), String> {
        let Some(entries) = &self.entries else {
            return Ok(());
        };
        if let Some(internal) = &self.internal_hostname
            && !internal.is_empty()
            && internal == hostname
        {
            return Ok(());
        }
        let (host, port) = split_host_port(hostname);
        let ports: Vec<&str> = match (port, transport) {
            (Some(p), _) => vec![p],
            (None, Transport::Secure) => vec!["443"],
            (None, Transport::Insecure) => vec!["80"],
            (None, Transport::Any) => vec!["443", "80"],
        };
        let mut hosts = vec![host.to_owned()];
        if crate::reference::is_registry_docker_hub(host) {
            hosts = ["docker.io", "index.docker.io", "registry-1.docker.io"]
                .map(str::to_owned)
                .to_vec();
        }
        for e in entries {
            let (eh, ep) = Self::entry_host_port(e);
            let host_ok = hosts
                .iter()
                .any(|h| glob_match(&eh.to_ascii_lowercase(), &h.to_ascii_lowercase()));
            let port_ok = ep == "*" || ports.contains(&ep.as_str());
            if host_ok && port_ok {
                return Ok(());
            }
        }
        if entries.is_empty() {
            return Err(format!(
                "registry {} not allowed by empty whitelist",
                go_quote(hostname)
            ));
        }
        let listed: Vec<String> = entries
            .iter()
            .take(5)
            .map(|e| {
                let (h, p) = Self::entry_host_port(e);
                go_quote(&format!("{h}:{p}"))
            })
            .collect();
        let mut msg = listed.join(", ");
        if entries.len() > 5 {
            msg.push_str(&format!(", and {} more ...", entries.len() - 5));
        }
        Err(format!(
            "registry {} not allowed by whitelist: {msg}",
            go_quote(hostname)
        ))
    }

    /// Check a pull spec; an unparseable spec or a spec without registry uses Docker Hub.
    pub fn admit_reference(
        &self,
        reference: &ImageReference,
        transport: Transport,
    ) -> Result<(), String> {
        let registry = reference.docker_client_defaults().registry;
        self.admit_hostname(&registry, transport)
    }
}

/// Split `host:port` (with `[v6]:port` support); the port is `None` when absent.
pub fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[')
        && let Some(end) = rest.find(']')
    {
        let host = &s[..end + 2];
        let port = rest[end + 1..].strip_prefix(':');
        return (host, port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (s, None),
    }
}

/// Shell-style glob match supporting `*` and `?` (no character classes).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Whether the stream is insecure as a whole (annotation `openshift.io/image.insecureRepository`).
pub fn stream_is_insecure(stream: &ImageStream) -> bool {
    stream
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_INSECURE_REPOSITORY))
        .is_some_and(|v| v == "true")
}

/// Validate one spec tag (`ValidateImageStreamTagReference`, spec §3.3).
pub fn validate_tag_reference(
    path: &str,
    tag: &TagReference,
    stream_insecure: bool,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(from) = &tag.from {
        if from.name.is_empty() {
            errs.push(FieldError::required(format!("{path}.from.name"), ""));
        }
        match from.kind.as_str() {
            KIND_DOCKER_IMAGE => {
                if !from.name.is_empty() {
                    match ImageReference::parse(&from.name) {
                        Err(e) => errs.push(FieldError::invalid(
                            format!("{path}.from.name"),
                            &from.name,
                            &e.to_string(),
                        )),
                        Ok(r) => {
                            let transport = if tag.import_policy.insecure || stream_insecure {
                                Transport::Any
                            } else {
                                Transport::Secure
                            };
                            if let Err(msg) = allow.admit_reference(&r, transport) {
                                errs.push(FieldError::forbidden(format!("{path}.from.name"), &msg));
                            }
                        }
                    }
                }
            }
            KIND_IMAGE_STREAM_TAG | KIND_IMAGE_STREAM_IMAGE => {
                if tag.import_policy.scheduled {
                    errs.push(FieldError::invalid(
                        format!("{path}.importPolicy.scheduled"),
                        "true",
                        "only tags pointing to Docker repositories may be scheduled for background import",
                    ));
                    if let Some(e) = errs.last_mut() {
                        e.bad_value = BadValue::Literal("true".to_owned());
                    }
                }
            }
            _ => errs.push(FieldError::required(
                format!("{path}.from.kind"),
                "valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'",
            )),
        }
    }
    let rp = tag.reference_policy.type_.as_str();
    if rp != REFERENCE_POLICY_SOURCE && rp != REFERENCE_POLICY_LOCAL {
        errs.push(FieldError::invalid(
            format!("{path}.referencePolicy.type"),
            rp,
            "valid values are \"Source\", \"Local\"",
        ));
    }
    errs.extend(validate_import_mode(
        &format!("{path}.importPolicy.importMode"),
        &tag.import_policy.import_mode,
    ));
    errs
}

fn validate_import_mode(path: &str, mode: &str) -> Vec<FieldError> {
    if mode.is_empty() || mode == IMPORT_MODE_LEGACY || mode == IMPORT_MODE_PRESERVE_ORIGINAL {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            path,
            mode,
            "invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'",
        )]
    }
}

/// Validate an image stream on create (spec §3.1, §3.3, §3.4).
pub fn validate_image_stream(stream: &ImageStream, allow: &RegistryAllowList) -> Vec<FieldError> {
    validate_image_stream_inner(stream, allow, None)
}

/// Validate an image stream update: pull specs present in `old` are grandfathered into the
/// allow-list (`ValidateImageStreamUpdateWithWhitelister`, spec §3.4).
pub fn validate_image_stream_update(
    stream: &ImageStream,
    old: &ImageStream,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    validate_image_stream_inner(stream, allow, Some(old))
}

fn validate_image_stream_inner(
    stream: &ImageStream,
    allow: &RegistryAllowList,
    old: Option<&ImageStream>,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&stream.metadata, true, NameRule::ImageStream);
    let ns = stream.metadata.namespace.as_deref().unwrap_or("");
    let name = stream.metadata.name.as_deref().unwrap_or("");
    if ns.len() + 1 + name.len() > REPOSITORY_NAME_MAX {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            "'namespace/name' cannot be longer than 255 characters",
        ));
    }
    let known = |spec: &str| old.is_some_and(|o| pull_specs_of(o).iter().any(|s| s == spec));
    let insecure = stream_is_insecure(stream);
    let repo = &stream.spec.docker_image_repository;
    if !repo.is_empty() {
        let path = "spec.dockerImageRepository";
        match ImageReference::parse(repo) {
            Err(e) => errs.push(FieldError::invalid(path, repo, &e.to_string())),
            Ok(r) => {
                if !r.tag.is_empty() {
                    errs.push(FieldError::invalid(
                        path,
                        repo,
                        "the repository name may not contain a tag",
                    ));
                }
                if !r.id.is_empty() {
                    errs.push(FieldError::invalid(
                        path,
                        repo,
                        "the repository name may not contain an ID",
                    ));
                }
                let transport = if insecure {
                    Transport::Any
                } else {
                    Transport::Secure
                };
                if !known(repo)
                    && let Err(msg) = allow.admit_reference(&r, transport)
                {
                    errs.push(FieldError::forbidden(path, &msg));
                }
            }
        }
    }
    for tag in &stream.spec.tags {
        let path = format!("spec.tags[{}]", tag.name);
        let grandfathered = tag
            .from
            .as_ref()
            .is_some_and(|f| f.kind == KIND_DOCKER_IMAGE && known(&f.name));
        let effective = if grandfathered {
            &RegistryAllowList::allow_all()
        } else {
            allow
        };
        errs.extend(validate_tag_reference(&path, tag, insecure, effective));
    }
    for status_tag in &stream.status.tags {
        let spec_insecure = stream
            .spec
            .tag(&status_tag.tag)
            .is_some_and(|t| t.import_policy.insecure);
        let transport = if insecure || spec_insecure {
            Transport::Any
        } else {
            Transport::Secure
        };
        for (i, item) in status_tag.events().iter().enumerate() {
            let path = format!(
                "status.tags[{}].items[{i}].dockerImageReference",
                status_tag.tag
            );
            if item.docker_image_reference.is_empty() {
                errs.push(FieldError::required(path, ""));
                continue;
            }
            match ImageReference::parse(&item.docker_image_reference) {
                Err(e) => errs.push(FieldError::invalid(
                    path,
                    &item.docker_image_reference,
                    &e.to_string(),
                )),
                Ok(r) => {
                    if !known(&item.docker_image_reference)
                        && let Err(msg) = allow.admit_reference(&r, transport)
                    {
                        errs.push(FieldError::forbidden(path, &msg));
                    }
                }
            }
        }
    }
    errs
}

/// Every DockerImage pull spec an existing stream already carries (spec and status).
fn pull_specs_of(stream: &ImageStream) -> Vec<String> {
    let mut specs = Vec::new();
    if !stream.spec.docker_image_repository.is_empty() {
        specs.push(stream.spec.docker_image_repository.clone());
    }
    for t in &stream.spec.tags {
        if let Some(f) = &t.from
            && f.kind == KIND_DOCKER_IMAGE
        {
            specs.push(f.name.clone());
        }
    }
    for t in &stream.status.tags {
        specs.extend(t.events().iter().map(|e| e.docker_image_reference.clone()));
    }
    specs
}

/// Whether `s` has the shape `algorithm:hex{32,}` (OCI digest grammar, spec §3.5).
pub fn is_digest_shaped(s: &str) -> bool {
    let Some((algo, hex)) = s.split_once(':') else {
        return false;
    };
    let algo_ok = !algo.is_empty()
        && algo.split(['-', '_', '+', '.']).all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric())
        });
    algo_ok && hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Whether `s` looks like an RFC 6838 media type `type/subtype`.
fn is_media_type_shaped(s: &str) -> bool {
    let restricted = |p: &str| {
        !p.is_empty()
            && p.len() <= 127
            && p.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match s.split_once('/') {
        Some((t, sub)) => restricted(t) && restricted(sub),
        None => false,
    }
}

/// Validate an Image (spec §3.5).
pub fn validate_image(image: &Image) -> Vec<FieldError> {
    validate_image_at("", image)
}

fn validate_image_at(prefix: &str, image: &Image) -> Vec<FieldError> {
    let mut errs: Vec<FieldError> =
        validate_object_meta(&image.metadata, false, NameRule::PathSegment)
            .into_iter()
            .map(|mut e| {
                e.field = format!("{prefix}{}", e.field);
                e
            })
            .collect();
    let path = format!("{prefix}dockerImageReference");
    if image.docker_image_reference.is_empty() {
        errs.push(FieldError::required(path, ""));
    } else if let Err(e) = ImageReference::parse(&image.docker_image_reference) {
        errs.push(FieldError::invalid(
            path,
            &image.docker_image_reference,
            &e.to_string(),
        ));
    }
    for (i, sig) in image.signatures.iter().enumerate() {
        errs.extend(validate_image_signature_at(
            &format!("{prefix}signatures[{i}]."),
            sig,
        ));
    }
    if !image.docker_image_manifests.is_empty() {
        for (i, m) in image.docker_image_manifests.iter().enumerate() {
            let p = format!("{prefix}dockerImageManifests[{i}]");
            if !is_digest_shaped(&m.digest) {
                errs.push(FieldError::invalid(
                    format!("{p}.digest"),
                    &m.digest,
                    "digest does not conform with OCI image specification",
                ));
            }
            if !is_media_type_shaped(&m.media_type) {
                errs.push(FieldError::invalid(
                    format!("{p}.mediaType"),
                    &m.media_type,
                    "media type does not conform to RFC6838",
                ));
            }
            if m.architecture.is_empty() {
                errs.push(FieldError::required(format!("{p}.architecture"), ""));
            }
            if m.os.is_empty() {
                errs.push(FieldError::required(format!("{p}.os"), ""));
            }
            if m.manifest_size < 0 {
                errs.push(FieldError::new(
                    ErrorType::Invalid,
                    format!("{p}.manifestSize"),
                    BadValue::Literal(m.manifest_size.to_string()),
                    "manifest size cannot be negative",
                ));
            }
        }
        if !image.docker_image_layers.is_empty() {
            errs.push(FieldError::invalid(
                format!("{prefix}dockerImageLayers"),
                "",
                "dockerImageLayers should not be set when dockerImageManifests is set",
            ));
            if let Some(e) = errs.last_mut() {
                e.bad_value = BadValue::Omitted;
            }
        }
    }
    errs
}

/// Validate an ImageSignature on create (spec §3.5).
pub fn validate_image_signature(sig: &ImageSignature) -> Vec<FieldError> {
    validate_image_signature_at("", sig)
}

fn validate_image_signature_at(prefix: &str, sig: &ImageSignature) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = sig.metadata.name.as_deref().unwrap_or("");
    let name_path = format!("{prefix}metadata.name");
    if name.is_empty() {
        errs.push(FieldError::required(name_path, ""));
    } else {
        match name.split_once('@') {
            Some((img, sig_name))
                if !img.is_empty() && !sig_name.is_empty() && !sig_name.contains('@') =>
            {
                for msg in path_segment_name_errors(name) {
                    errs.push(FieldError::invalid(name_path.clone(), name, &msg));
                }
            }
            _ => errs.push(FieldError::invalid(
                name_path,
                name,
                "name must be of format <imageName>@<signatureName>",
            )),
        }
    }
    if sig.metadata.labels.as_ref().is_some_and(|l| !l.is_empty()) {
        errs.push(FieldError::forbidden(
            format!("{prefix}metadata.labels"),
            "signature labels cannot be set",
        ));
    }
    if sig
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| !a.is_empty())
    {
        errs.push(FieldError::forbidden(
            format!("{prefix}metadata.annotations"),
            "signature annotations cannot be set",
        ));
    }
    if sig.type_.is_empty() {
        errs.push(FieldError::required(format!("{prefix}type"), ""));
    }
    if sig.content.0.is_empty() {
        errs.push(FieldError::required(format!("{prefix}content"), ""));
    }
    let known = |t: &str| sig.conditions.iter().any(|c| c.type_ == t);
    let trusted = known("Trusted");
    if trusted != known("ForImage") {
        errs.push(FieldError::invalid(
            format!("{prefix}conditions"),
            "",
            "Trusted and ForImage conditions must be set together",
        ));
        if let Some(e) = errs.last_mut() {
            e.bad_value = BadValue::Omitted;
        }
    }
    if !trusted {
        let parsed = !sig.image_identity.is_empty()
            || !sig.signed_claims.is_empty()
            || sig.created.is_some()
            || sig.issued_by.is_some()
            || sig.issued_to.is_some();
        if parsed {
            errs.push(FieldError::forbidden(
                prefix.trim_end_matches('.'),
                "signature parsed fields must be empty unless the signature is trusted",
            ));
        }
    }
    errs
}

/// Validate an ImageSignature update: type and content are immutable (spec §3.5).
pub fn validate_image_signature_update(
    new: &ImageSignature,
    old: &ImageSignature,
) -> Vec<FieldError> {
    let mut errs = validate_image_signature(new);
    if new.type_ != old.type_ {
        errs.push(FieldError::invalid(
            "type",
            &new.type_,
            "field is immutable",
        ));
    }
    if new.content != old.content {
        errs.push(FieldError::invalid("content", "", "field is immutable"));
        if let Some(e) = errs.last_mut() {
            e.bad_value = BadValue::Omitted;
        }
    }
    errs
}

/// Validate an ImageStreamMapping (spec §3.1, §8).
pub fn validate_image_stream_mapping(m: &ImageStreamMapping) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&m.metadata, true, NameRule::PathSegment);
    if m.tag.is_empty() {
        errs.push(FieldError::required("tag", ""));
    }
    errs.extend(validate_image_at("image.", &m.image));
    errs
}

/// Validate an ImageStreamImport (spec §3.7); the allow-list check is separate (§3.6, §10.1).
pub fn validate_image_stream_import(isi: &ImageStreamImport) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&isi.metadata, true, NameRule::ImageStream);
    if let Some(repo) = &isi.spec.repository {
        let p = "spec.repository.from";
        if repo.from.kind != KIND_DOCKER_IMAGE {
            errs.push(FieldError::invalid(
                format!("{p}.kind"),
                &repo.from.kind,
                "only DockerImage is supported",
            ));
        }
        if repo.from.name.is_empty() {
            errs.push(FieldError::required(
                format!("{p}.name"),
                "container image references require a name",
            ));
        } else {
            match ImageReference::parse(&repo.from.name) {
                Err(e) => errs.push(FieldError::invalid(
                    format!("{p}.name"),
                    &repo.from.name,
                    &e.to_string(),
                )),
                Ok(r) if !r.tag.is_empty() || !r.id.is_empty() => errs.push(FieldError::invalid(
                    format!("{p}.name"),
                    &repo.from.name,
                    "you must specify an image repository, not a tag or ID",
                )),
                Ok(_) => {}
            }
        }
        errs.extend(validate_import_mode(
            "spec.repository.importPolicy.importMode",
            &repo.import_policy.import_mode,
        ));
    }
    for (i, spec) in isi.spec.images.iter().enumerate() {
        let p = format!("spec.images[{i}]");
        if spec.from.kind != KIND_DOCKER_IMAGE {
            errs.push(FieldError::invalid(
                format!("{p}.from.kind"),
                &spec.from.kind,
                "only DockerImage is supported",
            ));
        } else if spec.from.name.is_empty() {
            errs.push(FieldError::required(format!("{p}.from.name"), ""));
        } else if spec.from.name != "*"
            && let Err(e) = ImageReference::parse(&spec.from.name)
        {
            errs.push(FieldError::invalid(
                format!("{p}.from.name"),
                &spec.from.name,
                &e.to_string(),
            ));
        }
        if let Some(to) = &spec.to
            && to.name.is_empty()
        {
            errs.push(FieldError::required(
                format!("{p}.to.name"),
                "the name of the target tag must be specified",
            ));
        }
        errs.extend(validate_import_mode(
            &format!("{p}.importPolicy.importMode"),
            &spec.import_policy.import_mode,
        ));
    }
    if isi.spec.images.is_empty() && isi.spec.repository.is_none() {
        errs.push(FieldError::invalid(
            "spec.images",
            "",
            "you must specify at least one image or a repository import",
        ));
        if let Some(e) = errs.last_mut() {
            e.bad_value = BadValue::Literal("[]".to_owned());
        }
    }
    errs
}

/// The allowed-registries check of an ImageStreamImport (spec §3.6, §10.1.2): for every
/// `spec.images[i].from.name` and a DockerImage `spec.repository.from.name`, the registry
/// (`host:port`, with the port defaulted from the entry's `importPolicy.insecure`: 80 when
/// insecure, else 443; Docker Hub contacted as `registry-1.docker.io`) must be admitted by
/// `allow`. Each refusal is a Forbidden field error `importing images from registry
/// "<host:port>" is forbidden: <why>`. Names that do not parse (including the legacy `*`) are
/// left to [`validate_image_stream_import`], which runs first.
pub fn validate_import_allowed(
    isi: &ImageStreamImport,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut check = |path: String, name: &str, insecure: bool| {
        let Ok(r) = ImageReference::parse(name) else {
            return;
        };
        let (host, port) = r.registry_host_port(insecure);
        let hostname = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        if let Err(why) = allow.admit_hostname(&hostname, Transport::Secure) {
            let detail = format!(
                "importing images from registry {} is forbidden: {why}",
                go_quote(&hostname)
            );
            errs.push(FieldError::forbidden(path, &detail));
        }
    };
    if let Some(repo) = &isi.spec.repository
        && repo.from.kind == KIND_DOCKER_IMAGE
    {
        check(
            "spec.repository.from.name".into(),
            &repo.from.name,
            repo.import_policy.insecure,
        );
    }
    for (i, img) in isi.spec.images.iter().enumerate() {
        check(
            format!("spec.images[{i}].from.name"),
            &img.from.name,
            img.import_policy.insecure,
        );
    }
    errs
}

/// Validate an ImageStreamTag on create (spec §3.8).
pub fn validate_image_stream_tag(
    ist: &ImageStreamTag,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&ist.metadata, true, NameRule::PathSegment);
    if let Some(tag) = &ist.tag {
        errs.extend(validate_tag_reference("tag", tag, false, allow));
        if let Some(ann) = &tag.annotations {
            let meta = ist.metadata.annotations.clone().unwrap_or_default();
            if *ann != meta {
                errs.push(FieldError::invalid(
                    "tag.annotations",
                    "",
                    "tag annotations must not be provided or must be equal to the object meta annotations",
                ));
                if let Some(e) = errs.last_mut() {
                    e.bad_value = BadValue::Omitted;
                }
            }
        }
    }
    errs
}

/// Validate an ImageStreamTag update: only `tag` and `metadata.annotations` may change (spec §3.8).
pub fn validate_image_stream_tag_update(
    new: &ImageStreamTag,
    old: &ImageStreamTag,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    let mut errs = validate_image_stream_tag(new, allow);
    let strip = |t: &ImageStreamTag| {
        let mut t = t.clone();
        t.tag = None;
        t.metadata.annotations = None;
        t.metadata.resource_version = None;
        t.metadata.managed_fields = None;
        t.lookup_policy = Default::default();
        t.generation = 0;
        t.conditions.clear();
        t.image = Image::default();
        t
    };
    if strip(new) != strip(old) {
        errs.push(FieldError::forbidden(
            "metadata",
            "may not update fields other than metadata.annotations",
        ));
    }
    errs
}

/// Validate an ImageTag on create (spec §3.8): `spec` required and named after the tag.
pub fn validate_image_tag(itag: &ImageTag, allow: &RegistryAllowList) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&itag.metadata, true, NameRule::PathSegment);
    match &itag.spec {
        None => errs.push(FieldError::required(
            "spec",
            "spec is a required field during creation",
        )),
        Some(spec) => errs.extend(validate_image_tag_spec(itag, spec, allow)),
    }
    errs
}

fn validate_image_tag_spec(
    itag: &ImageTag,
    spec: &TagReference,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    let mut errs = validate_tag_reference("spec", spec, false, allow);
    let name = itag.metadata.name.as_deref().unwrap_or("");
    let tag = name.split_once(':').map(|(_, t)| t).unwrap_or("");
    if spec.name != tag {
        errs.push(FieldError::invalid(
            "spec.name",
            &spec.name,
            "must match image tag name",
        ));
    }
    errs
}

/// Validate an ImageTag update: metadata and status may not change (spec §3.8).
pub fn validate_image_tag_update(
    new: &ImageTag,
    old: &ImageTag,
    allow: &RegistryAllowList,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&new.metadata, true, NameRule::PathSegment);
    if let Some(spec) = &new.spec {
        errs.extend(validate_image_tag_spec(new, spec, allow));
    }
    let mut a = new.metadata.clone();
    let mut b = old.metadata.clone();
    for m in [&mut a, &mut b] {
        m.resource_version = None;
        m.managed_fields = None;
    }
    if a != b || new.status != old.status {
        errs.push(FieldError::forbidden(
            "metadata",
            "may not update fields other than spec",
        ));
    }
    errs
}

// ------------------------------------------------------------------------- Secrets (§11.5)

/// Type of a secret holding a `~/.docker/config.json`.
pub const SECRET_TYPE_DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
/// Type of a secret holding a legacy `~/.dockercfg`.
pub const SECRET_TYPE_DOCKERCFG: &str = "kubernetes.io/dockercfg";
/// Type of a secret without a convention (the default).
pub const SECRET_TYPE_OPAQUE: &str = "Opaque";
/// Data key of [`SECRET_TYPE_DOCKER_CONFIG_JSON`].
pub const DOCKER_CONFIG_JSON_KEY: &str = ".dockerconfigjson";
/// Data key of [`SECRET_TYPE_DOCKERCFG`].
pub const DOCKERCFG_KEY: &str = ".dockercfg";
/// Largest total size of a secret's data (Kubernetes' `MaxSecretSize`).
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;
/// What is printed instead of a secret value in field errors.
const REDACTED: &str = "<secret contents redacted>";

const DNS1123_SUBDOMAIN_MESSAGE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const CONFIG_KEY_MESSAGE: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// Whether `s` is a DNS-1123 subdomain (secret names).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Kubernetes' `IsConfigMapKey` messages for a data key.
fn config_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_owned());
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        errs.push(CONFIG_KEY_MESSAGE.to_owned());
    }
    if key == "." {
        errs.push("must not be '.'".to_owned());
    } else if key == ".." {
        errs.push("must not be '..'".to_owned());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_owned());
    }
    errs
}

/// A secret's type; unset means `Opaque`.
pub fn secret_type(secret: &Secret) -> &str {
    secret.type_.as_deref().unwrap_or(SECRET_TYPE_OPAQUE)
}

/// Validate a secret (Kubernetes `ValidateSecret`): name (DNS-1123 subdomain), namespace, data
/// keys, total size (`data: Too long: must have at most 1048576 bytes`), and for the docker
/// config types (§11.5) the required key (`data[.dockerconfigjson]: Required value`) whose
/// content must unmarshal as a JSON object the way Go's `encoding/json` does into a
/// `map[string]interface{}` (`data[.dockercfg]: Invalid value: "<secret contents redacted>":
/// invalid character 'h' looking for beginning of value`). No further shape (such as an `auths`
/// object) is required, as in Kubernetes. Secret content never appears in an error.
pub fn validate_secret(secret: &Secret) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = secret.metadata.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if !is_dns1123_subdomain(name) {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            DNS1123_SUBDOMAIN_MESSAGE,
        ));
    } else {
        for m in path_segment_name_errors(name) {
            errs.push(FieldError::invalid("metadata.name", name, &m));
        }
    }
    let ns = secret.metadata.namespace.as_deref().unwrap_or("");
    errs.extend(validate_namespace_name("metadata.namespace", ns));
    let empty = BTreeMap::new();
    let data = secret.data.as_ref().unwrap_or(&empty);
    let mut total = 0usize;
    for (key, value) in data {
        for m in config_key_errors(key) {
            errs.push(FieldError::invalid(format!("data[{key}]"), key, &m));
        }
        total = total.saturating_add(value.0.len());
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::new(
            ErrorType::TooLong,
            "data",
            BadValue::Omitted,
            &format!("must have at most {MAX_SECRET_SIZE} bytes"),
        ));
    }
    let docker_key = match secret_type(secret) {
        SECRET_TYPE_DOCKER_CONFIG_JSON => Some(DOCKER_CONFIG_JSON_KEY),
        SECRET_TYPE_DOCKERCFG => Some(DOCKERCFG_KEY),
        _ => None,
    };
    if let Some(key) = docker_key {
        let path = format!("data[{key}]");
        match data.get(key) {
            None => errs.push(FieldError::required(path, "")),
            Some(bytes) => {
                if let Some(message) = go_json_object_error(&bytes.0) {
                    // Go's messages name characters and positions only, never the content.
                    errs.push(FieldError::invalid(path, REDACTED, &message));
                }
            }
        }
    }
    errs
}

/// Validate a secret update (Kubernetes `ValidateSecretUpdate`): the new secret as on create,
/// `type` immutable, and `data`/`immutable` frozen once `immutable: true` was stored.
pub fn validate_secret_update(new: &Secret, old: &Secret) -> Vec<FieldError> {
    let mut errs = validate_secret(new);
    if secret_type(new) != secret_type(old) {
        errs.push(FieldError::invalid(
            "type",
            secret_type(new),
            "field is immutable",
        ));
    }
    if old.immutable == Some(true) {
        if new.immutable != Some(true) {
            errs.push(FieldError::forbidden(
                "immutable",
                "field is immutable when `immutable` is set",
            ));
        }
        if new.data != old.data {
            errs.push(FieldError::forbidden(
                "data",
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errs
}

/// Go's `encoding/json` nesting limit (`maxNestingDepth`).
const GO_JSON_MAX_DEPTH: usize = 10_000;

/// What Go's `json.Unmarshal(bytes, &map[string]interface{}{})` reports for `bytes`, or `None`
/// when it succeeds (a JSON object, or `null`).
///
/// Go first checks the whole input with its scanner (syntax errors such as `invalid character
/// 'x' looking for beginning of value`, `unexpected end of JSON input`, `exceeded max depth`),
/// then reports a top-level value of the wrong type (`json: cannot unmarshal array into Go
/// value of type map[string]interface {}`). The scanner here follows Go's state machine byte by
/// byte, iteratively (no recursion, so any nesting is safe). Like Go, invalid UTF-8 inside
/// strings is accepted.
pub fn go_json_object_error(bytes: &[u8]) -> Option<String> {
    if let Err(e) = go_json_check_valid(bytes) {
        return Some(e);
    }
    let first = bytes
        .iter()
        .copied()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))?;
    let value = match first {
        b'{' | b'n' => return None,
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "bool",
        _ => "number",
    };
    Some(format!(
        "json: cannot unmarshal {value} into Go value of type map[string]interface {{}}"
    ))
}

/// Go's `quoteChar`: a byte, read as the code point of the same value, quoted the way
/// `strconv.Quote` does but with single quotes (`'x'`, `'\''`, `'"'`, `'\n'`, `'\x00'`,
/// `'\u0080'`).
fn go_quote_char(c: u8) -> String {
    let inner = match c {
        b'\'' => "\\'".to_owned(),
        b'"' => "\"".to_owned(),
        b'\\' => "\\\\".to_owned(),
        0x07 => "\\a".to_owned(),
        0x08 => "\\b".to_owned(),
        0x0c => "\\f".to_owned(),
        b'\n' => "\\n".to_owned(),
        b'\r' => "\\r".to_owned(),
        b'\t' => "\\t".to_owned(),
        0x0b => "\\v".to_owned(),
        0..0x20 | 0x7f => format!("\\x{c:02x}"),
        // C1 controls, no-break space and soft hyphen are not printable in Go.
        0x80..=0xa0 | 0xad => format!("\\u{c:04x}"),
        _ => char::from(c).to_string(),
    };
    format!("'{inner}'")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GoScan {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside a literal: the rest still expected, and the literal's name.
    Literal(&'static [u8], &'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GoParse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

/// Go's `checkValid`: the scanner over all of `data`, then end of input.
fn go_json_check_valid(data: &[u8]) -> Result<(), String> {
    let mut state = GoScan::BeginValue;
    let mut stack: Vec<GoParse> = Vec::new();
    for &c in data {
        state = go_json_step(state, &mut stack, c)?;
    }
    // Go's `eof`: a value that ends at the end of input is completed by a space.
    if state == GoScan::EndTop {
        return Ok(());
    }
    match go_json_step(state, &mut stack, b' ')? {
        GoScan::EndTop => Ok(()),
        _ => Err("unexpected end of JSON input".to_owned()),
    }
}

fn go_json_step(state: GoScan, stack: &mut Vec<GoParse>, c: u8) -> Result<GoScan, String> {
    let space = matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let err = |context: &str| Err(format!("invalid character {} {context}", go_quote_char(c)));
    let push = |stack: &mut Vec<GoParse>, p: GoParse, next: GoScan| {
        stack.push(p);
        if stack.len() > GO_JSON_MAX_DEPTH {
            Err("exceeded max depth".to_owned())
        } else {
            Ok(next)
        }
    };
    match state {
        GoScan::BeginValueOrEmpty if space => Ok(state),
        GoScan::BeginValueOrEmpty if c == b']' => go_json_step(GoScan::EndValue, stack, c),
        GoScan::BeginValueOrEmpty => go_json_step(GoScan::BeginValue, stack, c),
        GoScan::BeginValue => match c {
            _ if space => Ok(state),
            b'{' => push(stack, GoParse::ObjectKey, GoScan::BeginStringOrEmpty),
            b'[' => push(stack, GoParse::ArrayValue, GoScan::BeginValueOrEmpty),
            b'"' => Ok(GoScan::InString),
            b'-' => Ok(GoScan::Neg),
            b'0' => Ok(GoScan::Zero),
            b'1'..=b'9' => Ok(GoScan::One),
            b't' => Ok(GoScan::Literal(b"rue", "true")),
            b'f' => Ok(GoScan::Literal(b"alse", "false")),
            b'n' => Ok(GoScan::Literal(b"ull", "null")),
            _ => err("looking for beginning of value"),
        },
        GoScan::BeginStringOrEmpty if space => Ok(state),
        GoScan::BeginStringOrEmpty if c == b'}' => {
            if let Some(top) = stack.last_mut() {
                *top = GoParse::ObjectValue;
            }
            go_json_step(GoScan::EndValue, stack, c)
        }
        GoScan::BeginStringOrEmpty => go_json_step(GoScan::BeginString, stack, c),
        GoScan::BeginString => match c {
            _ if space => Ok(state),
            b'"' => Ok(GoScan::InString),
            _ => err("looking for beginning of object key string"),
        },
        GoScan::EndValue => {
            let Some(top) = stack.last().copied() else {
                return go_json_step(GoScan::EndTop, stack, c);
            };
            if space {
                return Ok(state);
            }
            match (top, c) {
                (GoParse::ObjectKey, b':') => {
                    if let Some(t) = stack.last_mut() {
                        *t = GoParse::ObjectValue;
                    }
                    Ok(GoScan::BeginValue)
                }
                (GoParse::ObjectKey, _) => err("after object key"),
                (GoParse::ObjectValue, b',') => {
                    if let Some(t) = stack.last_mut() {
                        *t = GoParse::ObjectKey;
                    }
                    Ok(GoScan::BeginString)
                }
                (GoParse::ObjectValue, b'}') | (GoParse::ArrayValue, b']') => {
                    stack.pop();
                    Ok(if stack.is_empty() {
                        GoScan::EndTop
                    } else {
                        GoScan::EndValue
                    })
                }
                (GoParse::ObjectValue, _) => err("after object key:value pair"),
                (GoParse::ArrayValue, b',') => Ok(GoScan::BeginValue),
                (GoParse::ArrayValue, _) => err("after array element"),
            }
        }
        GoScan::EndTop if space => Ok(state),
        GoScan::EndTop => err("after top-level value"),
        GoScan::InString => match c {
            b'"' => Ok(GoScan::EndValue),
            b'\\' => Ok(GoScan::InStringEsc),
            0..0x20 => err("in string literal"),
            _ => Ok(state),
        },
        GoScan::InStringEsc => match c {
            b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => Ok(GoScan::InString),
            b'u' => Ok(GoScan::InStringEscU(0)),
            _ => err("in string escape code"),
        },
        GoScan::InStringEscU(n) => {
            if !c.is_ascii_hexdigit() {
                err("in \\u hexadecimal character escape")
            } else if n == 3 {
                Ok(GoScan::InString)
            } else {
                Ok(GoScan::InStringEscU(n + 1))
            }
        }
        GoScan::Neg => match c {
            b'0' => Ok(GoScan::Zero),
            b'1'..=b'9' => Ok(GoScan::One),
            _ => err("in numeric literal"),
        },
        GoScan::One if c.is_ascii_digit() => Ok(state),
        GoScan::One | GoScan::Zero => match c {
            b'.' => Ok(GoScan::Dot),
            b'e' | b'E' => Ok(GoScan::E),
            _ => go_json_step(GoScan::EndValue, stack, c),
        },
        GoScan::Dot if c.is_ascii_digit() => Ok(GoScan::Dot0),
        GoScan::Dot => err("after decimal point in numeric literal"),
        GoScan::Dot0 => match c {
            b'0'..=b'9' => Ok(state),
            b'e' | b'E' => Ok(GoScan::E),
            _ => go_json_step(GoScan::EndValue, stack, c),
        },
        GoScan::E if c == b'+' || c == b'-' => Ok(GoScan::ESign),
        GoScan::E | GoScan::ESign if c.is_ascii_digit() => Ok(GoScan::E0),
        GoScan::E | GoScan::ESign => err("in exponent of numeric literal"),
        GoScan::E0 if c.is_ascii_digit() => Ok(state),
        GoScan::E0 => go_json_step(GoScan::EndValue, stack, c),
        GoScan::Literal(rest, name) => {
            if c != rest[0] {
                return err(&format!(
                    "in literal {name} (expecting {})",
                    go_quote_char(rest[0])
                ));
            }
            Ok(if rest.len() == 1 {
                GoScan::EndValue
            } else {
                GoScan::Literal(&rest[1..], name)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ImageImportSpec, RepositoryImportSpec};
    use crate::meta::ObjectReference;
    use k8s_openapi::ByteString;

    fn allow(entries: &[(&str, bool)]) -> RegistryAllowList {
        RegistryAllowList {
            entries: Some(
                entries
                    .iter()
                    .map(|(d, i)| AllowedRegistry {
                        domain_name: (*d).to_owned(),
                        insecure: *i,
                    })
                    .collect(),
            ),
            internal_hostname: Some("registry.local:5000".into()),
        }
    }

    fn isi(images: &[(&str, bool)], repository: Option<(&str, &str, bool)>) -> ImageStreamImport {
        let mut isi = ImageStreamImport::default();
        isi.metadata.name = Some("app".into());
        isi.metadata.namespace = Some("ns".into());
        for (name, insecure) in images {
            let mut spec = ImageImportSpec {
                from: ObjectReference::new(KIND_DOCKER_IMAGE, name),
                ..Default::default()
            };
            spec.import_policy.insecure = *insecure;
            isi.spec.images.push(spec);
        }
        if let Some((kind, name, insecure)) = repository {
            let mut repo = RepositoryImportSpec {
                from: ObjectReference::new(kind, name),
                ..Default::default()
            };
            repo.import_policy.insecure = insecure;
            isi.spec.repository = Some(repo);
        }
        isi
    }

    /// §3.6: refusals are Forbidden field errors on `spec.images[i].from.name` and
    /// `spec.repository.from.name`, with the wrapped allow-list message naming `host:port`.
    #[test]
    fn s3_6_import_allow_list_messages() {
        let list = allow(&[("quay.io", false)]);
        let req = isi(
            &[("quay.io/a/b:1", false), ("ghcr.io/a/b:1", false)],
            Some((KIND_DOCKER_IMAGE, "example.com:5000/a/b", false)),
        );
        let errs = validate_import_allowed(&req, &list);
        let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "spec.repository.from.name: Forbidden: importing images from registry \"example.com:5000\" is forbidden: registry \"example.com:5000\" not allowed by whitelist: \"quay.io:443\"",
                "spec.images[1].from.name: Forbidden: importing images from registry \"ghcr.io:443\" is forbidden: registry \"ghcr.io:443\" not allowed by whitelist: \"quay.io:443\"",
            ]
        );
        assert!(errs.iter().all(|e| e.type_ == ErrorType::Forbidden));
        assert!(validate_import_allowed(&req, &RegistryAllowList::allow_all()).is_empty());
    }

    /// §3.6: the port comes from the entry's own `insecure` (80 vs 443); Docker Hub is
    /// contacted as `registry-1.docker.io` and admitted by a `docker.io` entry; the internal
    /// registry is always allowed; an empty list refuses everything else.
    #[test]
    fn s3_6_import_allow_list_ports_and_aliases() {
        let list = allow(&[("docker.io", false), ("plain.example.com", true)]);
        assert!(validate_import_allowed(&isi(&[("busybox", false)], None), &list).is_empty());
        assert!(
            validate_import_allowed(
                &isi(&[("registry.local:5000/ns/app:1", false)], None),
                &list
            )
            .is_empty()
        );
        assert!(
            validate_import_allowed(&isi(&[("plain.example.com/a:1", true)], None), &list)
                .is_empty(),
            "insecure import defaults to port 80, which the insecure entry admits"
        );
        let errs = validate_import_allowed(&isi(&[("plain.example.com/a:1", false)], None), &list);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].detail.starts_with(
                "importing images from registry \"plain.example.com:443\" is forbidden"
            ),
            "{}",
            errs[0]
        );
        let empty = RegistryAllowList {
            entries: Some(vec![]),
            internal_hostname: None,
        };
        let errs = validate_import_allowed(&isi(&[("quay.io/a:1", false)], None), &empty);
        assert_eq!(
            errs[0].detail,
            "importing images from registry \"quay.io:443\" is forbidden: registry \"quay.io:443\" not allowed by empty whitelist"
        );
    }

    /// §3.6 / §3.7: unparseable names (and the legacy `*`) and non-DockerImage repositories
    /// are left to `validate_image_stream_import`.
    #[test]
    fn s3_6_import_allow_list_skips_invalid() {
        let list = allow(&[]);
        let req = isi(
            &[("*", false), ("Not A Ref!", false)],
            Some(("ImageStreamTag", "quay.io/a", false)),
        );
        assert!(validate_import_allowed(&req, &list).is_empty());
    }

    fn secret(type_: &str, data: &[(&str, &[u8])]) -> Secret {
        let mut s = Secret::default();
        s.metadata.name = Some("pull".into());
        s.metadata.namespace = Some("ns".into());
        s.type_ = Some(type_.into());
        s.data = Some(
            data.iter()
                .map(|(k, v)| ((*k).to_owned(), ByteString(v.to_vec())))
                .collect(),
        );
        s
    }

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    /// §11.5 (Kubernetes `ValidateSecret`): docker config secrets need their key, holding what
    /// Go unmarshals into a map; messages are Kubernetes' and never show the content.
    #[test]
    fn s11_5_docker_config_secrets() {
        let ok = |t: &str, k: &str, v: &[u8]| validate_secret(&secret(t, &[(k, v)]));
        let json = SECRET_TYPE_DOCKER_CONFIG_JSON;
        let cfg = SECRET_TYPE_DOCKERCFG;
        assert!(
            ok(
                json,
                DOCKER_CONFIG_JSON_KEY,
                br#"{"auths":{"quay.io":{"auth":"dTpw"}}}"#
            )
            .is_empty()
        );
        assert!(ok(cfg, DOCKERCFG_KEY, br#"{"quay.io":{"auth":"dTpw"}}"#).is_empty());
        // Kubernetes asks for a JSON object only: no `auths`, and `null` unmarshals fine.
        assert!(ok(json, DOCKER_CONFIG_JSON_KEY, b"{}").is_empty());
        assert!(ok(json, DOCKER_CONFIG_JSON_KEY, b" null ").is_empty());
        assert_eq!(
            messages(&ok(json, "other", b"{}")),
            ["data[.dockerconfigjson]: Required value"]
        );
        assert_eq!(
            messages(&ok(cfg, DOCKER_CONFIG_JSON_KEY, b"{}")),
            ["data[.dockercfg]: Required value"]
        );
        assert_eq!(
            messages(&ok(cfg, DOCKERCFG_KEY, b"hunter2")),
            [
                "data[.dockercfg]: Invalid value: \"<secret contents redacted>\": invalid character 'h' looking for beginning of value"
            ]
        );
        assert_eq!(
            messages(&ok(json, DOCKER_CONFIG_JSON_KEY, b"[1,2]")),
            [
                "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}"
            ]
        );
        assert_eq!(
            messages(&ok(json, DOCKER_CONFIG_JSON_KEY, b"")),
            [
                "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": unexpected end of JSON input"
            ]
        );
        // Other types carry no such rule.
        assert!(ok("Opaque", "x", b"not json").is_empty());
        let e = ok(json, DOCKER_CONFIG_JSON_KEY, b"{\"auths\": s3cr3t}");
        assert!(!messages(&e)[0].contains("s3cr3t"), "{e:?}");
    }

    /// Kubernetes `ValidateSecret`: name, namespace, keys and total size.
    #[test]
    fn secret_meta_keys_and_size() {
        let mut s = secret("Opaque", &[("bad/key", b"x"), ("..dots", b"y")]);
        s.metadata.name = Some("Upper".into());
        s.metadata.namespace = None;
        let shown = messages(&validate_secret(&s));
        assert!(
            shown[0].starts_with(
                "metadata.name: Invalid value: \"Upper\": a lowercase RFC 1123 subdomain"
            ),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("metadata.namespace: Invalid value: \"\""),
            "{shown:?}"
        );
        assert!(
            shown.contains(
                &"data[..dots]: Invalid value: \"..dots\": must not start with '..'".to_owned()
            ),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|m| m
                    .starts_with("data[bad/key]: Invalid value: \"bad/key\": a valid config key")),
            "{shown:?}"
        );
        let mut unnamed = secret("Opaque", &[]);
        unnamed.metadata.name = None;
        assert_eq!(
            messages(&validate_secret(&unnamed)),
            ["metadata.name: Required value: name or generateName is required"]
        );
        let big = vec![b'x'; MAX_SECRET_SIZE / 2 + 1];
        let s = secret("Opaque", &[("a", &big), ("b", &big)]);
        assert_eq!(
            messages(&validate_secret(&s)),
            ["data: Too long: must have at most 1048576 bytes"]
        );
        let fits = vec![b'x'; MAX_SECRET_SIZE];
        assert!(validate_secret(&secret("Opaque", &[("a", &fits)])).is_empty());
    }

    /// Kubernetes `ValidateSecretUpdate`: type immutable; data frozen once immutable.
    #[test]
    fn secret_update_rules() {
        let old = secret(SECRET_TYPE_DOCKERCFG, &[(DOCKERCFG_KEY, b"{}")]);
        let mut new = old.clone();
        new.type_ = Some("Opaque".into());
        assert_eq!(
            messages(&validate_secret_update(&new, &old)),
            ["type: Invalid value: \"Opaque\": field is immutable"]
        );
        let mut frozen = old.clone();
        frozen.immutable = Some(true);
        let mut new = frozen.clone();
        new.immutable = None;
        new.data = Some([(DOCKERCFG_KEY.to_owned(), ByteString(b"{\"a\":{}}".to_vec()))].into());
        assert_eq!(
            messages(&validate_secret_update(&new, &frozen)),
            [
                "immutable: Forbidden: field is immutable when `immutable` is set",
                "data: Forbidden: field is immutable when `immutable` is set",
            ]
        );
        assert!(validate_secret_update(&frozen, &frozen).is_empty());
        let mut untyped = old.clone();
        untyped.type_ = None;
        let mut opaque = old.clone();
        opaque.type_ = Some("Opaque".into());
        opaque.data = None;
        untyped.data = None;
        assert!(
            validate_secret_update(&opaque, &untyped).is_empty(),
            "unset type is Opaque"
        );
    }

    /// Go's `json.Unmarshal` into `map[string]interface{}`: scanner messages, type errors,
    /// nesting limit.
    #[test]
    fn go_json_messages() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"{}", None),
            (
                b"{\"a\":[1,2.5e-3,true,false,null,{\"b\":\"\\u00e9\\n\"}]}",
                None,
            ),
            (b"\t{ \"a\" : 1 }\r\n", None),
            (b"null", None),
            (b"{\"a\":\"\xff\xfe\"}", None),
            (b"", Some("unexpected end of JSON input")),
            (b"   ", Some("unexpected end of JSON input")),
            (b"{", Some("unexpected end of JSON input")),
            (b"{\"a\":", Some("unexpected end of JSON input")),
            (b"{\"a\"", Some("unexpected end of JSON input")),
            (b"\"abc", Some("unexpected end of JSON input")),
            (b"-", Some("invalid character ' ' in numeric literal")),
            (
                b"tru",
                Some("invalid character ' ' in literal true (expecting 'e')"),
            ),
            (
                b"nul",
                Some("invalid character ' ' in literal null (expecting 'l')"),
            ),
            (
                b"fals",
                Some("invalid character ' ' in literal false (expecting 'e')"),
            ),
            (
                b"nope",
                Some("invalid character 'o' in literal null (expecting 'u')"),
            ),
            (
                b"hunter2",
                Some("invalid character 'h' looking for beginning of value"),
            ),
            (
                b"{a}",
                Some("invalid character 'a' looking for beginning of object key string"),
            ),
            (b"{\"a\" 1}", Some("invalid character '1' after object key")),
            (
                b"{\"a\":1 \"b\"}",
                Some("invalid character '\"' after object key:value pair"),
            ),
            (b"[1 2]", Some("invalid character '2' after array element")),
            (b"{} x", Some("invalid character 'x' after top-level value")),
            (b"{}}", Some("invalid character '}' after top-level value")),
            (
                b"{\"a\":01}",
                Some("invalid character '1' after object key:value pair"),
            ),
            (
                b"{\"a\":1.}",
                Some("invalid character '}' after decimal point in numeric literal"),
            ),
            (
                b"{\"a\":1e}",
                Some("invalid character '}' in exponent of numeric literal"),
            ),
            (
                b"{\"a\":-x}",
                Some("invalid character 'x' in numeric literal"),
            ),
            (
                b"{\"a\":\"\\x\"}",
                Some("invalid character 'x' in string escape code"),
            ),
            (
                b"{\"a\":\"\\u12g4\"}",
                Some("invalid character 'g' in \\u hexadecimal character escape"),
            ),
            (
                b"{\"a\":\"\n\"}",
                Some("invalid character '\\n' in string literal"),
            ),
            (
                b"{\"a\":\"\x00\"}",
                Some("invalid character '\\x00' in string literal"),
            ),
            (
                b"\xff",
                Some("invalid character '\u{ff}' looking for beginning of value"),
            ),
            (
                b"\x85",
                Some("invalid character '\\u0085' looking for beginning of value"),
            ),
            (
                b"'",
                Some("invalid character '\\'' looking for beginning of value"),
            ),
            (
                b"[]",
                Some("json: cannot unmarshal array into Go value of type map[string]interface {}"),
            ),
            (
                b" 12.5",
                Some("json: cannot unmarshal number into Go value of type map[string]interface {}"),
            ),
            (
                b"-0",
                Some("json: cannot unmarshal number into Go value of type map[string]interface {}"),
            ),
            (
                b"\"s\"",
                Some("json: cannot unmarshal string into Go value of type map[string]interface {}"),
            ),
            (
                b"true",
                Some("json: cannot unmarshal bool into Go value of type map[string]interface {}"),
            ),
            // syntax is checked over the whole input before the type
            (
                b"[1,]",
                Some("invalid character ']' looking for beginning of value"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                go_json_object_error(input).as_deref(),
                *want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        // Go's nesting limit is 10000; checked iteratively, so any depth is safe.
        let nested = |depth: usize| {
            let mut v = "[".repeat(depth).into_bytes();
            v.extend("]".repeat(depth).into_bytes());
            v
        };
        assert_eq!(
            go_json_object_error(&nested(GO_JSON_MAX_DEPTH)).as_deref(),
            Some("json: cannot unmarshal array into Go value of type map[string]interface {}")
        );
        assert_eq!(
            go_json_object_error(&nested(GO_JSON_MAX_DEPTH + 1)).as_deref(),
            Some("exceeded max depth")
        );
        assert_eq!(
            go_json_object_error(&nested(1_000_000)).as_deref(),
            Some("exceeded max depth")
        );
        let mut deep_object = b"{\"a\":".repeat(5000);
        deep_object.extend(b"1");
        deep_object.extend(b"}".repeat(5000));
        assert_eq!(go_json_object_error(&deep_object), None);
    }
}
