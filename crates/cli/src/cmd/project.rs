//! `tagplane project [NAME]`, `tagplane projects`, `tagplane new-project NAME` (oc's wording),
//! over `project.openshift.io/v1` projects and projectrequests.

use serde_json::{Value, json};

use crate::client::kubeconfig::{self, Context};
use crate::client::{Client, ClientFlags, resource_path};
use crate::cmd::login::{cluster_nickname, context_nickname, write_path};
use crate::error::CliError;

const PROJECTS: &str = "/apis/project.openshift.io/v1/projects";
const PROJECT_REQUESTS: &str = "/apis/project.openshift.io/v1/projectrequests";
/// Above this many projects `login` does not list them.
const SUPPRESS_THRESHOLD: usize = 50;

/// Arguments of `project`.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// The project to switch to.
    pub name: Option<String>,
    /// Print only the project name.
    #[arg(short = 'q', long)]
    pub short: bool,
}

/// Arguments of `projects`.
#[derive(Debug, clap::Args)]
pub struct ProjectsArgs {
    /// Print only the project names.
    #[arg(short = 'q', long)]
    pub short: bool,
}

/// Arguments of `new-project`.
#[derive(Debug, clap::Args)]
pub struct NewProjectArgs {
    /// The project name.
    pub name: String,
    /// Project display name.
    #[arg(long)]
    pub display_name: Option<String>,
    /// Project description.
    #[arg(long)]
    pub description: Option<String>,
    /// Do not switch to the new project.
    #[arg(long)]
    pub skip_config_write: bool,
}

/// The names (sorted) and display names of the projects the caller may see.
async fn list_projects(client: &Client) -> Result<Vec<(String, String)>, CliError> {
    let list = client.get(PROJECTS).await?;
    let mut out: Vec<(String, String)> = list
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            let name = p.pointer("/metadata/name")?.as_str()?.to_owned();
            let display = p
                .pointer("/metadata/annotations/openshift.io~1display-name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            Some((name, display))
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// After a login: print oc's project summary and return the project to use.
pub async fn report_projects_after_login(
    client: &Client,
    wanted: &str,
) -> Result<String, CliError> {
    let projects = match list_projects(client).await {
        Ok(p) => p,
        Err(e) if e.is_not_found() => {
            // A server without the project API: keep the namespace.
            println!("Using project \"{wanted}\".");
            return Ok(wanted.to_owned());
        }
        Err(e) => return Err(e),
    };
    let names: Vec<&str> = projects.iter().map(|(n, _)| n.as_str()).collect();
    match names.len() {
        0 => {
            print!(
                "You don't have any projects. You can try to create a new project, by running\n\n    tagplane new-project <projectname>\n\n"
            );
            Ok(wanted.to_owned())
        }
        1 => {
            println!("You have one project on this server: \"{}\"\n", names[0]);
            println!("Using project \"{}\".", names[0]);
            Ok(names[0].to_owned())
        }
        n => {
            let chosen = if names.contains(&wanted) {
                wanted
            } else if names.contains(&"default") {
                "default"
            } else {
                names[0]
            };
            if n > SUPPRESS_THRESHOLD {
                println!(
                    "You have access to {n} projects, the list has been suppressed. You can list all projects with 'tagplane projects'\n"
                );
            } else {
                println!(
                    "You have access to the following projects and can switch between them with 'tagplane project <projectname>':\n"
                );
                for p in &names {
                    if *p == chosen {
                        println!("  * {p}");
                    } else {
                        println!("    {p}");
                    }
                }
                println!();
            }
            println!("Using project \"{chosen}\".");
            Ok(chosen.to_owned())
        }
    }
}

/// Whether the project (or, on a server without the project API, the namespace) exists.
async fn project_exists(client: &Client, name: &str) -> Result<bool, CliError> {
    match client.get(&format!("{PROJECTS}/{name}")).await {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => {
            let api_missing = matches!(&e, CliError::Api(s) if s.details.is_none());
            if !api_missing {
                return Ok(false);
            }
            match client
                .get(&resource_path("", "namespaces", None, Some(name)))
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.is_not_found() => Ok(false),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Make `namespace` the namespace of the current session (oc's context naming).
fn switch_namespace(flags: &ClientFlags, client: &Client, namespace: &str) -> Result<(), CliError> {
    let path = write_path(flags);
    let mut cfg = kubeconfig::load_for_write(&path)?;
    let merged = client.config();
    let current = merged
        .context(client.context_name())
        .cloned()
        .unwrap_or_default();
    // Entries that only live in another file of KUBECONFIG are copied into the first one.
    if cfg.cluster(&current.cluster).is_none()
        && let Some(c) = merged.cluster(&current.cluster)
    {
        cfg.set_cluster(&current.cluster, c.clone());
    }
    if cfg.user(&current.user).is_none()
        && let Some(u) = merged.user(&current.user)
    {
        cfg.set_user(&current.user, u.clone());
    }
    let cluster_nick = if current.cluster.is_empty() {
        cluster_nickname(client.server())
    } else {
        current.cluster.clone()
    };
    let user_part = current.user.split('/').next().unwrap_or("").to_owned();
    let name = if current.user.contains('/') {
        context_nickname(namespace, &cluster_nick, &user_part)
    } else {
        // A kubeconfig not written by login: keep its context and change the namespace.
        client.context_name().to_owned()
    };
    cfg.set_context(
        &name,
        Context {
            cluster: current.cluster.clone(),
            user: current.user.clone(),
            namespace: Some(namespace.to_owned()),
            extra: current.extra.clone(),
        },
    );
    cfg.current_context = name;
    kubeconfig::save(&path, &cfg)
}

/// Run `project`.
pub async fn run_project(flags: &ClientFlags, args: ProjectArgs) -> Result<(), CliError> {
    let client = Client::from_flags(flags)?;
    let server = client.server().to_owned();
    let Some(name) = args.name else {
        let ns = client.namespace().to_owned();
        if args.short {
            println!("{ns}");
            return Ok(());
        }
        if !project_exists(&client, &ns).await? {
            return Err(CliError::msg(format!(
                "the project \"{ns}\" specified in your config does not exist."
            )));
        }
        println!("Using project \"{ns}\" on server \"{server}\".");
        return Ok(());
    };
    if !project_exists(&client, &name).await? {
        return Err(CliError::msg(format!(
            "A project named \"{name}\" does not exist on \"{server}\"."
        )));
    }
    let before = client.namespace().to_owned();
    switch_namespace(flags, &client, &name)?;
    if args.short {
        println!("{name}");
    } else if before == name {
        println!("Already on project \"{name}\" on server \"{server}\".");
    } else {
        println!("Now using project \"{name}\" on server \"{server}\".");
    }
    Ok(())
}

/// Run `projects`.
pub async fn run_projects(client: &Client, args: ProjectsArgs) -> Result<(), CliError> {
    let projects = list_projects(client).await?;
    let current = client.namespace();
    let server = client.server();
    if args.short {
        for (p, _) in &projects {
            println!("{p}");
        }
        return Ok(());
    }
    match projects.len() {
        0 => println!(
            "You are not a member of any projects. You can request a project to be created with the 'new-project' command."
        ),
        1 => {
            let (p, _) = &projects[0];
            println!("You have one project on this server: \"{p}\".\n");
            println!("Using project \"{current}\" on server \"{server}\".");
        }
        _ => {
            println!(
                "You have access to the following projects and can switch between them with 'tagplane project <projectname>':\n"
            );
            for (p, display) in &projects {
                let marker = if p == current { "  * " } else { "    " };
                if display.is_empty() {
                    println!("{marker}{p}");
                } else {
                    println!("{marker}{p} - {display}");
                }
            }
            println!();
            if projects.iter().any(|(p, _)| p == current) {
                println!("Using project \"{current}\" on server \"{server}\".");
            }
        }
    }
    Ok(())
}

/// Run `new-project`.
pub async fn run_new_project(flags: &ClientFlags, args: NewProjectArgs) -> Result<(), CliError> {
    let client = Client::from_flags(flags)?;
    let body = json!({
        "apiVersion": "project.openshift.io/v1",
        "kind": "ProjectRequest",
        "metadata": {"name": args.name},
        "displayName": args.display_name.clone().unwrap_or_default(),
        "description": args.description.clone().unwrap_or_default(),
    });
    client.post(PROJECT_REQUESTS, &body).await?;
    let server = client.server().to_owned();
    if args.skip_config_write {
        println!("Created project \"{}\" on server \"{server}\".", args.name);
    } else {
        switch_namespace(flags, &client, &args.name)?;
        println!(
            "Now using project \"{}\" on server \"{server}\".",
            args.name
        );
    }
    print!(
        "\nYou can add image streams to this project with the 'tag' and 'import-image' commands. For example, try:\n\n    tagplane import-image python --from=docker.io/library/python:3.12 --confirm\n\nto import an image from a registry. Or create one from a file:\n\n    tagplane create -f imagestream.yaml\n\n"
    );
    Ok(())
}
