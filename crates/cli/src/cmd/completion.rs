//! `tagplane completion bash|zsh|fish`: shell completion scripts from clap_complete.

use crate::error::CliError;

/// Arguments of `completion`.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh or fish.
    pub shell: String,
}

/// Print the completion script for the shell.
pub fn run(args: CompletionArgs, mut command: clap::Command) -> Result<(), CliError> {
    let shell = match args.shell.as_str() {
        "bash" => clap_complete::Shell::Bash,
        "zsh" => clap_complete::Shell::Zsh,
        "fish" => clap_complete::Shell::Fish,
        other => {
            return Err(CliError::usage(
                "tagplane completion",
                format!("Unsupported shell type \"{other}\"."),
            ));
        }
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "tagplane", &mut script);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
