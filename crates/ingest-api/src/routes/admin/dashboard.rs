//! The dashboard pages: `GET /admin` (sign-in form, or the dashboard once signed in), `POST /admin/login`,
//! `POST /admin/logout`, the two buttons (`POST /admin/actions/send-digests`, `POST /admin/actions/generate-report`,
//! CSRF-protected) and downloads of local report files (`GET /admin/reports/{id}/{csv|html}`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use pathfinder_core::db::{QueryError, RowExt};
use serde::Deserialize;

use super::session;
use crate::error::ApiError;
use crate::routes::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
}

#[derive(Deserialize)]
pub struct Flash {
    done: Option<String>,
}

fn token(state: &AppState) -> Result<&str, ApiError> {
    state.admin_token.as_deref().ok_or(ApiError::NotFound)
}

fn page(state: &AppState, name: &str, context: &tera::Context) -> Result<HttpResponse, ApiError> {
    let html = state.pages.render(name, context).map_err(|error| {
        tracing::error!(error = %error, page = name, "cannot render an admin page");
        ApiError::DatabaseUnavailable { retry_after_secs: state.retry_after_secs }
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_string())).finish()
}

/// The dashboard (HTML): the sign-in form, or once signed in the operator's view.
#[utoipa::path(operation_id = "dashboard", tag = "dashboard",
    params(("done" = Option<String>, Query, description = "What the last button did (digests, report)")),
    responses((status = 200, description = "Sign-in form or dashboard", content_type = "text/html"),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody)))]
#[get("/admin")]
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, ApiError> {
    let token = token(&state)?;
    if !session::signed_in(&request, token) {
        return page(&state, "admin-login.html", &tera::Context::new());
    }
    let client = state.client().await?;
    let data = super::dashboard_data::load(&**client, state.tz)
        .await
        .map_err(|error| ApiError::from_query(&error, "dashboard query", state.retry_after_secs))?;
    let mut context = tera::Context::new();
    context.insert("d", &data);
    context.insert("csrf", &session::csrf_token(token));
    let message = match flash.done.as_deref() {
        Some("digests") => Some("Digests queued: digest-sender is building and delivering them."),
        Some("report") => Some("Month-to-date report queued: report-builder is writing it."),
        _ => None,
    };
    context.insert("flash", &message);
    page(&state, "admin-dashboard.html", &context)
}

/// Dashboard sign-in with the admin token (form); sets the session cookie.
#[utoipa::path(operation_id = "dashboardLogin", tag = "dashboard",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "token=<ADMIN_TOKEN>"),
    responses((status = 303, description = "Signed in; back to /admin"),
              (status = 401, description = "Wrong token: the form again", content_type = "text/html"),
              (status = 415, description = "Not a form (application/x-www-form-urlencoded)", body = crate::openapi::ErrorBody),
              (status = 422, description = "The form lacks its token field", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody)))]
#[post("/admin/login")]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let token = token(&state)?;
    if !session::token_matches(&form.token, token) {
        tracing::warn!("dashboard sign-in with a wrong token");
        let mut context = tera::Context::new();
        context.insert("error", "That is not the admin token.");
        let mut response = page(&state, "admin-login.html", &context)?;
        *response.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
        return Ok(response);
    }
    let secure = request.connection_info().scheme() == "https";
    let mut response = see_other("/admin");
    response.add_cookie(&session::session_cookie(token, secure)).map_err(|_| ApiError::Unauthorized)?;
    Ok(response)
}

/// Dashboard sign-out; clears the session cookie.
#[utoipa::path(operation_id = "dashboardLogout", tag = "dashboard",
    responses((status = 303, description = "Signed out"),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody)))]
#[post("/admin/logout")]
pub async fn logout(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    token(&state)?;
    let mut response = see_other("/admin");
    response.add_cookie(&session::cleared_cookie()).map_err(|_| ApiError::Unauthorized)?;
    Ok(response)
}

/// Signed in, right CSRF token, same origin: else 401 (no session) or 403 (forged form).
fn check_form(request: &HttpRequest, state: &AppState, form: &ActionForm) -> Result<(), ApiError> {
    let token = token(state)?;
    if !session::signed_in(request, token) {
        return Err(ApiError::Unauthorized);
    }
    if !session::form_allowed(request, token, &form.csrf) {
        tracing::warn!("dashboard form refused: CSRF token or origin wrong");
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// The dashboard's "Send digests now" button (form with the CSRF token).
#[utoipa::path(operation_id = "dashboardSendDigests", tag = "dashboard",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "csrf=<token from the page>"),
    responses((status = 303, description = "Digests queued; back to /admin"),
              (status = 401, description = "Not signed in", body = crate::openapi::ErrorBody),
              (status = 403, description = "Wrong CSRF token or another origin", body = crate::openapi::ErrorBody),
              (status = 415, description = "Not a form (application/x-www-form-urlencoded)", body = crate::openapi::ErrorBody),
              (status = 422, description = "The form lacks its csrf field", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody)))]
#[post("/admin/actions/send-digests")]
pub async fn send_digests(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, ApiError> {
    check_form(&request, &state, &form)?;
    super::send_digests::queue_digests(&state, &format!("{} (dashboard)", state.admin_label)).await?;
    Ok(see_other("/admin?done=digests"))
}

/// The dashboard's "Build report now" button (form with the CSRF token).
#[utoipa::path(operation_id = "dashboardGenerateReport", tag = "dashboard",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "csrf=<token from the page>"),
    responses((status = 303, description = "Report queued; back to /admin"),
              (status = 401, description = "Not signed in", body = crate::openapi::ErrorBody),
              (status = 403, description = "Wrong CSRF token or another origin", body = crate::openapi::ErrorBody),
              (status = 415, description = "Not a form (application/x-www-form-urlencoded)", body = crate::openapi::ErrorBody),
              (status = 422, description = "The form lacks its csrf field", body = crate::openapi::ErrorBody),
              (status = 404, description = "No ADMIN_TOKEN configured", body = crate::openapi::ErrorBody)))]
#[post("/admin/actions/generate-report")]
pub async fn generate_report(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, ApiError> {
    check_form(&request, &state, &form)?;
    super::generate_reports::queue_report(&state, &format!("{} (dashboard)", state.admin_label)).await?;
    Ok(see_other("/admin?done=report"))
}

/// A ready report's local file, only from inside REPORTS_DIR.
/// A ready report's local file (session cookie or bearer token).
#[utoipa::path(operation_id = "dashboardReportFile", tag = "dashboard",
    security(("admin_token" = [])),
    params(("id" = i64, Path, description = "The report's id"), ("kind" = String, Path, description = "csv or html")),
    responses((status = 200, description = "The file", content_type = "text/html"),
              (status = 401, description = "Not signed in", body = crate::openapi::ErrorBody),
              (status = 404, description = "No such ready local report", body = crate::openapi::ErrorBody)))]
#[get("/admin/reports/{id}/{kind}")]
pub async fn report_file(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let token = token(&state)?;
    if !session::signed_in(&request, token) && super::auth::require_admin(&request, Some(token)).is_err() {
        return Err(ApiError::Unauthorized);
    }
    let (id, kind) = path.into_inner();
    let column = match kind.as_str() {
        "csv" => "csv_uri",
        "html" => "html_uri",
        _ => return Err(ApiError::NotFound),
    };
    let client = state.client().await?;
    let read = async {
        let query = format!("SELECT {column} AS uri FROM reports WHERE id = $1 AND status = 'ready'");
        match client.query_opt(&query, &[&id]).await? {
            Some(row) => Ok::<_, QueryError>(row.column::<Option<String>>("uri")?),
            None => Ok(None),
        }
    };
    let uri = read.await.map_err(|error| ApiError::from_query(&error, "report file lookup", state.retry_after_secs))?;
    let file = uri.as_deref().and_then(|u| u.strip_prefix("file://")).ok_or(ApiError::NotFound)?;
    let root = std::fs::canonicalize(&state.reports_dir).map_err(|_| ApiError::NotFound)?;
    let file = std::fs::canonicalize(file).map_err(|_| ApiError::NotFound)?;
    if !file.starts_with(&root) {
        return Err(ApiError::NotFound);
    }
    let body = std::fs::read(&file).map_err(|_| ApiError::NotFound)?;
    let content_type = if kind == "csv" { "text/csv; charset=utf-8" } else { "text/html; charset=utf-8" };
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("inline; filename=\"{name}\"")))
        .body(body))
}
