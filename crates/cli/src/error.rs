//! Client-side errors and how they are printed: the `error: …`, `Error from server (Reason): …`
//! and 422 layouts of kubectl's `CheckErr` (spec §1). Every failure exits with code 1.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;

/// A failure of a client command.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments: `error: <message>` then `See '<command> -h' for help and examples`.
    Usage {
        /// What is wrong.
        message: String,
        /// The full command path, e.g. `tagplane get`.
        command: String,
    },
    /// A plain error, printed as `error: <msg>` (the prefix is added only when missing).
    Message(String),
    /// A text printed exactly as given (kubectl's connection errors have no `error:` prefix).
    Raw(String),
    /// An API `Status` from the server.
    Api(Box<Status>),
    /// Several errors, printed one after the other (a list of one prints just that error).
    Many(Vec<CliError>),
    /// Nothing more to print; exit with this code (e.g. `auth can-i` answering `no`).
    Exit(u8),
}

impl CliError {
    /// A usage error for `command` (the full command path such as `tagplane get`).
    pub fn usage(command: &str, message: impl Into<String>) -> CliError {
        CliError::Usage {
            message: message.into(),
            command: command.to_owned(),
        }
    }

    /// A plain error message.
    pub fn msg(message: impl Into<String>) -> CliError {
        CliError::Message(message.into())
    }

    /// Prefix the message with `context` (kubectl's `error when creating "FILE": …`).
    pub fn context(self, context: &str) -> CliError {
        match self {
            CliError::Api(mut s) => {
                s.message = Some(format!("{context}: {}", s.message.unwrap_or_default()));
                CliError::Api(s)
            }
            CliError::Message(m) => CliError::Message(format!("{context}: {m}")),
            other => other,
        }
    }

    /// The HTTP code when this is a server `Status`.
    pub fn code(&self) -> Option<i32> {
        match self {
            CliError::Api(s) => s.code,
            _ => None,
        }
    }

    /// The `reason` when this is a server `Status`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            CliError::Api(s) => s.reason.as_deref(),
            _ => None,
        }
    }

    /// Whether the server answered NotFound (404).
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404) || self.reason() == Some("NotFound")
    }

    /// Whether the server answered AlreadyExists / 409 Conflict.
    pub fn is_conflict(&self) -> bool {
        self.code() == Some(409)
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Exit(c) => *c,
            _ => 1,
        }
    }

    /// The text written to stderr (always ends with a newline unless empty).
    pub fn render(&self) -> String {
        let mut text = match self {
            CliError::Usage { message, command } => format!(
                "{}\nSee '{command} -h' for help and examples",
                with_prefix(message)
            ),
            CliError::Message(m) => with_prefix(m),
            CliError::Raw(m) => m.clone(),
            CliError::Api(status) => render_status(status),
            CliError::Many(errors) => errors.iter().map(CliError::render).collect::<String>(),
            CliError::Exit(_) => String::new(),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }

    /// Print the error to stderr the way kubectl does.
    pub fn print(&self) {
        eprint!("{}", self.render());
    }
}

fn with_prefix(message: &str) -> String {
    if message.starts_with("error: ") {
        message.to_owned()
    } else {
        format!("error: {message}")
    }
}

/// kubectl's rendering of a `Status`: the invalid (422) layout, the Unauthorized hint, or
/// `Error from server (<Reason>): <message>`.
fn render_status(status: &Status) -> String {
    let reason = status.reason.as_deref().unwrap_or("");
    let message = status.message.as_deref().unwrap_or("");
    if reason == "Invalid" || (reason.is_empty() && status.code == Some(422)) {
        let Some(details) = &status.details else {
            return if message.is_empty() {
                "The request is invalid".to_owned()
            } else {
                format!("The request is invalid: {message}")
            };
        };
        let kind = details.kind.as_deref().unwrap_or("");
        let name = details.name.as_deref().unwrap_or("");
        let causes = details.causes.as_deref().unwrap_or(&[]);
        let mut head = "The request is invalid".to_owned();
        if !kind.is_empty() || !name.is_empty() {
            head = format!("The {kind} {} is invalid", go_quote(name));
        } else if !message.is_empty() && causes.is_empty() {
            head.push_str(": ");
            head.push_str(message);
        }
        let mut seen = Vec::<String>::new();
        for c in causes {
            let line = format!(
                "{}: {}",
                c.field.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            );
            if !seen.contains(&line) {
                seen.push(line);
            }
        }
        return match seen.len() {
            0 => head,
            1 => format!("{head}: {}", seen[0]),
            _ => {
                let mut out = format!("{head}: \n");
                for s in &seen {
                    out.push_str(&format!("* {s}\n"));
                }
                out
            }
        };
    }
    if reason == "Unauthorized" {
        return format!("error: You must be logged in to the server ({message})");
    }
    if reason.is_empty() {
        format!("Error from server: {message}")
    } else {
        format!("Error from server ({reason}): {message}")
    }
}

/// Go's `%q` for the plain strings the CLI prints (names, subjects).
pub use tagplane_api::validation::go_quote;

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for CliError {}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Message(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Message(e.to_string())
    }
}

impl From<serde_saphyr::Error> for CliError {
    fn from(e: serde_saphyr::Error) -> Self {
        CliError::Message(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    fn invalid(causes: &[(&str, &str)]) -> CliError {
        CliError::Api(Box::new(Status {
            code: Some(422),
            reason: Some("Invalid".into()),
            message: Some("whatever".into()),
            details: Some(StatusDetails {
                kind: Some("ImageStream".into()),
                name: Some("x".into()),
                causes: Some(
                    causes
                        .iter()
                        .map(|(f, m)| StatusCause {
                            field: Some((*f).into()),
                            message: Some((*m).into()),
                            reason: None,
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    #[test]
    fn layouts() {
        assert_eq!(CliError::msg("boom").render(), "error: boom\n");
        assert_eq!(CliError::msg("error: boom").render(), "error: boom\n");
        assert_eq!(
            CliError::usage("tagplane get", "bad").render(),
            "error: bad\nSee 'tagplane get -h' for help and examples\n"
        );
        assert_eq!(
            invalid(&[("spec.tags[0].name", "Required value")]).render(),
            "The ImageStream \"x\" is invalid: spec.tags[0].name: Required value\n"
        );
        assert_eq!(
            invalid(&[("a", "b"), ("c", "d"), ("a", "b")]).render(),
            "The ImageStream \"x\" is invalid: \n* a: b\n* c: d\n"
        );
        let nf = CliError::Api(Box::new(Status {
            code: Some(404),
            reason: Some("NotFound".into()),
            message: Some("imagestreams.image.openshift.io \"foo\" not found".into()),
            ..Default::default()
        }));
        assert_eq!(
            nf.render(),
            "Error from server (NotFound): imagestreams.image.openshift.io \"foo\" not found\n"
        );
        assert!(nf.is_not_found());
        assert_eq!(CliError::Exit(1).render(), "");
    }
}
