//! The admin API (`/admin/...`), behind `Authorization: Bearer $ADMIN_TOKEN`.

pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod dashboard_data;
pub mod digest_requests;
pub mod endpoints;
pub mod generate_reports;
pub mod members;
pub mod outbound_deliveries;
pub mod overview;
pub mod recent_detections;
pub mod send_digests;
pub mod session;
pub mod stats;

/// Records an admin action in the audit log (after the action committed). A failure to record is logged, not
/// returned: the action itself already happened.
pub async fn record_action(state: &crate::routes::AppState, actor: &str, kind: &str, details: &serde_json::Value) {
    let recorded = async {
        let client = state.pool.get().await.map_err(|e| e.to_string())?;
        pathfinder_core::privacy::audit::append(&**client, kind, actor, None, details).await.map_err(|e| e.to_string())
    }
    .await;
    if let Err(error) = recorded {
        tracing::error!(error = %error, kind, "admin: the action could not be recorded in the audit log");
    }
}
