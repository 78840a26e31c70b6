//! `tagplane whoami` (SelfSubjectReview), `-t`, `--show-server`, `--show-context` (spec §A11).

use serde_json::{Value, json};

use crate::client::{Client, ClientFlags};
use crate::error::CliError;
use crate::output::printer::{self, OutputFormat};

/// The SelfSubjectReview path.
pub const SSR_PATH: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

/// Arguments of `whoami`.
#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    /// Print the token the current session is using.
    #[arg(short = 't', long)]
    pub show_token: bool,
    /// Print the current user context name.
    #[arg(short = 'c', long)]
    pub show_context: bool,
    /// Print the current server's REST API URL.
    #[arg(long)]
    pub show_server: bool,
    /// Print the web console URL (not served; kept for compatibility).
    #[arg(long)]
    pub show_console: bool,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Ask the server who the client is: the SelfSubjectReview.
pub async fn self_subject_review(client: &Client) -> Result<Value, CliError> {
    client
        .post(
            SSR_PATH,
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}),
        )
        .await
}

/// The user name the server sees for the client.
pub async fn username(client: &Client) -> Result<String, CliError> {
    let review = self_subject_review(client).await?;
    review
        .pointer("/status/userInfo/username")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            CliError::msg("the server did not say who you are (no status.userInfo.username)")
        })
}

/// Run `whoami`.
pub async fn run(flags: &ClientFlags, args: WhoamiArgs) -> Result<(), CliError> {
    let shows = args.show_token || args.show_context || args.show_server || args.show_console;
    if args.output.is_some() && shows {
        return Err(CliError::msg(
            "--output cannot be used with --show-token, --show-context, --show-server, or --show-console",
        ));
    }
    let format = OutputFormat::parse(args.output.as_deref(), "tagplane whoami", false)?;
    let client = Client::from_flags(flags)?;
    if shows {
        if args.show_token {
            match client.token() {
                Some(t) if !t.is_empty() => println!("{t}"),
                _ => {
                    return Err(CliError::msg(
                        "no token is currently in use for this session",
                    ));
                }
            }
        }
        if args.show_context {
            println!("{}", client.context_name());
        }
        if args.show_server {
            println!("{}", client.server());
        }
        if args.show_console {
            return Err(CliError::msg(
                "unable to find the console URL: tagplane serves no web console",
            ));
        }
        return Ok(());
    }
    let review = self_subject_review(&client).await?;
    if format.prints_objects() {
        print!("{}", printer::print_objects(&format, vec![review], true)?);
        return Ok(());
    }
    match review
        .pointer("/status/userInfo/username")
        .and_then(Value::as_str)
    {
        Some(u) => {
            println!("{u}");
            Ok(())
        }
        None => Err(CliError::msg(
            "the server did not say who you are (no status.userInfo.username)",
        )),
    }
}
