//! `tagplane policy add-role-to-user|add-role-to-group|remove-role-from-user|remove-role-from-group`
//! (spec §A12): RoleBindings in the current namespace.

use serde_json::{Value, json};

use crate::client::{Client, resource_path};
use crate::error::{CliError, go_quote};

const RBAC: &str = "rbac.authorization.k8s.io";

/// Arguments of `policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// The policy subcommand.
    #[command(subcommand)]
    pub sub: PolicySub,
}

/// `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicySub {
    /// Add a role to users or service accounts for the current project.
    AddRoleToUser(RoleArgs),
    /// Add a role to groups for the current project.
    AddRoleToGroup(RoleArgs),
    /// Remove a role from users for the current project.
    RemoveRoleFromUser(RoleArgs),
    /// Remove a role from groups for the current project.
    RemoveRoleFromGroup(RoleArgs),
}

/// Arguments shared by the policy subcommands.
#[derive(Debug, clap::Args)]
pub struct RoleArgs {
    /// ROLE SUBJECT [SUBJECT...]
    pub args: Vec<String>,
    /// Name of the rolebinding to modify or create.
    #[arg(long)]
    pub rolebinding_name: Option<String>,
    /// The namespace where the role is located (a local Role instead of a ClusterRole).
    #[arg(long)]
    pub role_namespace: Option<String>,
    /// Service accounts (`-z NAME`) to add, in the current namespace.
    #[arg(short = 'z', long)]
    pub serviceaccount: Vec<String>,
    /// Only print what would change (`client` or `server`).
    #[arg(long, num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: Option<String>,
}

/// Who a subject argument names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    User,
    Group,
}

/// A binding subject as RBAC stores it.
fn subject(kind: Target, name: &str) -> Value {
    match kind {
        Target::Group => json!({"kind": "Group", "apiGroup": RBAC, "name": name}),
        Target::User => match name
            .strip_prefix("system:serviceaccount:")
            .and_then(|r| r.split_once(':'))
        {
            Some((ns, sa)) => json!({"kind": "ServiceAccount", "name": sa, "namespace": ns}),
            None => json!({"kind": "User", "apiGroup": RBAC, "name": name}),
        },
    }
}

fn same_subject(a: &Value, b: &Value) -> bool {
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    f(a, "kind") == f(b, "kind")
        && f(a, "name") == f(b, "name")
        && (f(a, "kind") != "ServiceAccount" || f(a, "namespace") == f(b, "namespace"))
}

/// Go's `%q` of one string, or of a `[]string` (`["a" "b"]`).
fn quote_list(items: &[String]) -> String {
    if items.len() == 1 {
        go_quote(&items[0])
    } else {
        format!(
            "[{}]",
            items
                .iter()
                .map(|s| go_quote(s))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

/// Run `policy`.
pub async fn run(client: &Client, args: PolicyArgs) -> Result<(), CliError> {
    let (a, target, add) = match args.sub {
        PolicySub::AddRoleToUser(a) => (a, Target::User, true),
        PolicySub::AddRoleToGroup(a) => (a, Target::Group, true),
        PolicySub::RemoveRoleFromUser(a) => (a, Target::User, false),
        PolicySub::RemoveRoleFromGroup(a) => (a, Target::Group, false),
    };
    let what = if target == Target::User {
        "user"
    } else {
        "group"
    };
    if target == Target::User {
        if a.args.is_empty() {
            return Err(CliError::msg("you must specify a role"));
        }
        if a.args.len() < 2 && a.serviceaccount.is_empty() {
            return Err(CliError::msg(
                "you must specify at least one user or service account",
            ));
        }
    } else if a.args.len() < 2 {
        return Err(CliError::msg(format!(
            "you must specify at least two arguments: <role> <{what}> [{what}]..."
        )));
    }
    let dry_run = match a.dry_run.as_deref() {
        None | Some("none") => "",
        Some("client") => " (dry run)",
        Some("server") => " (server dry run)",
        Some(other) => {
            return Err(CliError::msg(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )));
        }
    };
    let ns = client.namespace().to_owned();
    let role = a.args[0].clone();
    let names: Vec<String> = a.args[1..].to_vec();
    let mut subjects: Vec<Value> = names.iter().map(|n| subject(target, n)).collect();
    let mut printed: Vec<String> = names.clone();
    for sa in &a.serviceaccount {
        subjects.push(json!({"kind": "ServiceAccount", "name": sa, "namespace": ns}));
        printed.push(format!("{ns}/{sa}"));
    }
    let (role_kind, role_display) = match &a.role_namespace {
        Some(_) => ("Role", "role.rbac.authorization.k8s.io"),
        None => ("ClusterRole", "clusterrole.rbac.authorization.k8s.io"),
    };
    let role_ns = a.role_namespace.clone().unwrap_or_default();
    if !role_ns.is_empty() && role_ns != ns {
        return Err(CliError::msg(format!(
            "role namespace \"{role_ns}\" must be the same as the binding namespace \"{ns}\""
        )));
    }
    let bindings_path = resource_path(RBAC, "rolebindings", Some(&ns), None);
    let list = client.get(&bindings_path).await?;
    let items: Vec<Value> = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let matches_role = |b: &Value| {
        b.pointer("/roleRef/kind").and_then(Value::as_str) == Some(role_kind)
            && b.pointer("/roleRef/name").and_then(Value::as_str) == Some(role.as_str())
    };
    let name_of = |b: &Value| {
        b.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let query: &[(&str, &str)] = if dry_run == " (server dry run)" {
        &[("dryRun", "All")]
    } else {
        &[]
    };
    let write = |method: reqwest::Method, path: String, body: Option<Value>| async move {
        if dry_run == " (dry run)" {
            return Ok(Value::Null);
        }
        client
            .request(
                method,
                &path,
                query,
                body.as_ref().map(|_| "application/json"),
                body.map(|b| b.to_string().into_bytes()),
            )
            .await
    };

    if add {
        // Warn when the role does not exist (Forbidden and other errors stay quiet).
        let role_path = match &a.role_namespace {
            Some(rns) => resource_path(RBAC, "roles", Some(rns), Some(&role)),
            None => resource_path(RBAC, "clusterroles", None, Some(&role)),
        };
        if let Err(e) = client.get(&role_path).await
            && e.is_not_found()
        {
            eprintln!("Warning: role '{role}' not found");
        }
        let existing: Option<Value> = match &a.rolebinding_name {
            Some(n) => match items.iter().find(|b| name_of(b) == *n) {
                Some(b) if !matches_role(b) => {
                    return Err(CliError::msg(format!(
                        "rolebinding {n} found for role {}, not {role}",
                        b.pointer("/roleRef/name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    )));
                }
                Some(b) => Some(b.clone()),
                None => None,
            },
            None => {
                let candidates: Vec<&Value> = items.iter().filter(|b| matches_role(b)).collect();
                candidates
                    .iter()
                    .find(|b| {
                        let have = b
                            .get("subjects")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        subjects
                            .iter()
                            .all(|s| have.iter().any(|h| same_subject(h, s)))
                    })
                    .or_else(|| candidates.first())
                    .map(|b| (*b).clone())
            }
        };
        match existing {
            Some(mut b) => {
                let mut have = b
                    .get("subjects")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let before = have.len();
                for s in &subjects {
                    if !have.iter().any(|h| same_subject(h, s)) {
                        have.push(s.clone());
                    }
                }
                if have.len() != before {
                    b["subjects"] = Value::Array(have);
                    let path = resource_path(RBAC, "rolebindings", Some(&ns), Some(&name_of(&b)));
                    write(reqwest::Method::PUT, path, Some(b)).await?;
                }
            }
            None => {
                let name = match &a.rolebinding_name {
                    Some(n) => n.clone(),
                    None => {
                        let taken: Vec<String> = items.iter().map(name_of).collect();
                        let mut candidate = role.clone();
                        let mut i = 0;
                        while taken.contains(&candidate) && i < 100 {
                            candidate = format!("{role}-{i}");
                            i += 1;
                        }
                        if taken.contains(&candidate) {
                            return Err(CliError::msg(format!(
                                "unable to find a unique name for a rolebinding of role {role}"
                            )));
                        }
                        candidate
                    }
                };
                let binding = json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": name, "namespace": ns},
                    "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role},
                    "subjects": subjects,
                });
                write(reqwest::Method::POST, bindings_path.clone(), Some(binding)).await?;
            }
        }
        println!(
            "{role_display}/{role} added: {}{dry_run}",
            quote_list(&printed)
        );
        return Ok(());
    }

    // Remove: from every binding of the role (or the named one).
    let mut found = false;
    for b in items.iter().filter(|b| matches_role(b)) {
        if let Some(n) = &a.rolebinding_name
            && name_of(b) != *n
        {
            continue;
        }
        let have = b
            .get("subjects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let kept: Vec<Value> = have
            .iter()
            .filter(|h| !subjects.iter().any(|s| same_subject(h, s)))
            .cloned()
            .collect();
        if kept.len() == have.len() {
            continue;
        }
        found = true;
        let path = resource_path(RBAC, "rolebindings", Some(&ns), Some(&name_of(b)));
        if kept.is_empty() {
            write(reqwest::Method::DELETE, path, None).await?;
        } else {
            let mut nb = b.clone();
            nb["subjects"] = Value::Array(kept);
            write(reqwest::Method::PUT, path, Some(nb)).await?;
        }
    }
    if !found {
        return Err(CliError::msg(format!(
            "unable to find target {}",
            format_args!("[{}]", printed.join(" "))
        )));
    }
    println!(
        "{role_display}/{role} removed: {}{dry_run}",
        quote_list(&printed)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_quotes() {
        assert_eq!(
            subject(Target::User, "system:serviceaccount:a:b"),
            json!({"kind": "ServiceAccount", "name": "b", "namespace": "a"})
        );
        assert_eq!(subject(Target::Group, "g")["kind"], "Group");
        assert_eq!(quote_list(&["a".into()]), "\"a\"");
        assert_eq!(quote_list(&["a".into(), "b".into()]), "[\"a\" \"b\"]");
    }
}
