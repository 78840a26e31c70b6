//! Handlers of `project.openshift.io/v1` `projects` (list/get, filtered by what the caller may
//! read; delete) and `projectrequests` (create), with the Table `oc get projects` prints.

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tagplane_api::meta::{ObjectMeta, Time};

use super::prelude::*;
use super::table::{Column, TableRow};
use crate::service::projects::{DISPLAY_NAME, Project, ProjectRequest};

const PREFIX: &str = "/apis/project.openshift.io/v1";

/// Routes of projects and project requests.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{PREFIX}/projects"), get(list))
        .route(
            &format!("{PREFIX}/projects/{{name}}"),
            get(get_one).delete(remove),
        )
        .route(&format!("{PREFIX}/projectrequests"), post(create))
}

async fn list(State(st): State<AppState>, headers: HeaderMap) -> Response {
    match st.service.list_projects().await {
        Ok(list) if super::table::wants_table(&headers) => {
            super::table::response(&super::table::table(
                &list.items,
                Some(&list.metadata),
                &st.service.objects.clock.now(),
            ))
        }
        other => respond(StatusCode::OK, other),
    }
}

async fn get_one(
    State(st): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_project(&name).await;
    object_response(&st, &headers, result)
}

async fn remove(State(st): State<AppState>, Path(name): Path<String>) -> Response {
    respond(StatusCode::OK, st.service.delete_project(&name).await)
}

async fn create(State(st): State<AppState>, w: WriteRequest) -> Response {
    w.write(StatusCode::CREATED, |opts, r: ProjectRequest| {
        st.service.request_project(r, opts)
    })
    .await
}

impl TableRow for Project {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string("Display Name", "The display name of the project."),
            Column::string("Status", "The status of the project."),
        ]
    }

    fn cells(&self, _now: &Time) -> Vec<Value> {
        let display = self
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DISPLAY_NAME))
            .cloned()
            .unwrap_or_default();
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(display),
            json!(self.status.phase),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}
