//! `DELETE /admin/members/{userId}[?source=S][&optOut=true]`: erases the member from every table in one transaction
//! (see `pathfinder_core::privacy::erasure`) and answers 200 with counts only, per source. Without `source` the id
//! is erased on every source. With `optOut=true` the member's later webhooks are ignored and store nothing.

use actix_web::delete;
use actix_web::{HttpRequest, HttpResponse, web};
use pathfinder_core::member::Source;
use pathfinder_core::privacy::{Erasure, forget_member};

use super::auth::require_admin;
use crate::error::ApiError;
use crate::routes::AppState;

/// The longest member id accepted (ids are platform user ids: short).
pub const MAX_USER_ID_CHARS: usize = 256;

/// `DELETE /admin/members/{userId}` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"status": "erased", "removed": {"events": 3, "dedupeKeys": 3, "seniorStates": 1, "detections": 2,
                          "unsentDigestEntries": 1, "emptiedDigestsDeleted": 0, "sentDigestEntries": 1,
                          "reportsToRebuild": 1, "optedOut": false, "membersFound": 1,
                          "sources": [{"source": "community", "found": true, "events": 3, "dedupeKeys": 3,
                                       "seniorStates": 1, "detections": 2},
                                      {"source": "discourse", "found": false, "events": 0, "dedupeKeys": 0,
                                       "seniorStates": 0, "detections": 0}],
                          "auditSeq": 42}}))]
pub struct Erased {
    /// Always `erased`.
    pub status: &'static str,
    /// What was removed: counts only, never the member's data.
    pub removed: pathfinder_core::privacy::Erasure,
}

#[utoipa::path(operation_id = "adminForgetMember", tag = "admin", security(("admin_token" = [])),
    params(("userId" = String, Path, description = "The member's id on the community platform", max_length = 256),
           ("source" = Option<String>, Query, description = "Erase on this source only (community or discourse); default: every source"),
           ("optOut" = Option<bool>, Query, description = "Also add the member to the opt-out list (default false)")),
    responses((status = 200, description = "Erased (counts only)", body = Erased),
              (status = 401, description = "Missing or wrong token", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody),
              (status = 422, description = "Empty or overlong userId, bad source or optOut, or an unknown parameter", body = crate::openapi::ErrorBody),
              (status = 503, description = "Database unavailable", body = crate::openapi::ErrorBody)))]
#[delete("/admin/members/{userId}")]
pub async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&request, state.admin_token.as_deref())?;
    let user_id = path.into_inner();
    if user_id.trim().is_empty() || user_id.chars().count() > MAX_USER_ID_CHARS || user_id.contains('\0') {
        return Err(ApiError::InvalidField(format!("userId must be 1 to {MAX_USER_ID_CHARS} characters")));
    }
    let (source, opt_out) = parse_query(request.query_string())?;
    let erased = erase(&state, &user_id, source, opt_out).await?;
    Ok(HttpResponse::Ok().json(Erased { status: "erased", removed: erased }))
}

async fn erase(state: &AppState, user_id: &str, source: Option<Source>, opt_out: bool) -> Result<Erasure, ApiError> {
    let unavailable = ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs };
    let mut client = state.pool.get().await.map_err(|_| unavailable.clone())?;
    let result = async {
        let tx = client.transaction().await?;
        let erased = forget_member(&tx, user_id, source, opt_out, &state.admin_label).await?;
        tx.commit().await?;
        Ok::<_, tokio_postgres::Error>(erased)
    }
    .await;
    match result {
        Ok(erased) => {
            tracing::info!(
                audit_seq = erased.audit_seq,
                detections = erased.detections,
                members_found = erased.members_found,
                opt_out,
                "admin: member erased"
            );
            Ok(erased)
        }
        Err(error) => {
            tracing::error!(error = %error, "admin: erasure failed (nothing was removed)");
            Err(unavailable)
        }
    }
}

/// `source` names a source, `optOut` is `true` or `false`; anything else (or an unknown parameter) is a 422 naming it.
fn parse_query(query: &str) -> Result<(Option<Source>, bool), ApiError> {
    let mut opt_out = false;
    let mut source = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (key, value) {
            ("optOut", "true") => opt_out = true,
            ("optOut", "false") => opt_out = false,
            ("optOut", _) => return Err(ApiError::InvalidField("optOut must be true or false".into())),
            ("source", name) => {
                source = Some(
                    Source::parse(name)
                        .ok_or_else(|| ApiError::InvalidField("source must be community or discourse".into()))?,
                );
            }
            _ => return Err(ApiError::InvalidField(format!("unknown parameter {key:?}"))),
        }
    }
    Ok((source, opt_out))
}
