//! The dashboard over HTTP: sign-in sets an HttpOnly, SameSite=Strict cookie; the page shows what the database holds;
//! the buttons need the session, the CSRF token and this origin.

use crate::helpers::{seed, spawn_app_with};

const TOKEN: &str = "dashboard-token-0123456789";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Signs in; returns the session cookie's `name=value`.
async fn sign_in(base: &str) -> String {
    let response =
        no_redirects().post(format!("{base}/admin/login")).form(&[("token", TOKEN)]).send().await.expect("login");
    assert_eq!(response.status(), 303);
    let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a cookie").to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/admin"),
        "{cookie}"
    );
    cookie.split(';').next().expect("name=value").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_see_the_data_and_queue_digests_with_the_csrf_token() {
    let app = spawn_app_with(&[("ADMIN_TOKEN", TOKEN)]).await;
    let http = no_redirects();
    let login_page = http.get(format!("{}/admin", app.address)).send().await.expect("page");
    assert_eq!(login_page.status(), 200);
    assert!(login_page.text().await.expect("html").contains("Admin token"), "signed out: the sign-in form");

    let wrong =
        http.post(format!("{}/admin/login", app.address)).form(&[("token", "nope")]).send().await.expect("login");
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    app.post_community(&seed("dash-1", "Job Title", Some("Chief Revenue Officer"))).await;
    app.sql(
        "INSERT INTO outbound_endpoints (url, event_types, secret, status, disabled_at, disabled_reason)
         VALUES ('https://crm.example.com/hook', ARRAY['detection.created'], 'whsec_ZGFzaGJvYXJk', 'enabled', NULL, NULL),
                ('https://old.example.com/hook', ARRAY['digest.sent'], 'whsec_ZGFzaGJvYXJk', 'disabled', now(),
                 'no delivery succeeded for 5 days');
         INSERT INTO detections (event_id, user_id, username, title, seniority, kind, rule, rules_version)
         VALUES (1, 'dash-1', 'grace', 'Chief Revenue Officer', 'c_suite', 'new', 'chief-officer', 'v1');
         INSERT INTO reports (month, kind, status, period_start, period_end, attempts, last_error)
         VALUES ('2026-10-01', 'month_to_date', 'failed', '2026-10-01', '2026-10-15', 5, 'cannot write 2026-10');",
    )
    .await;
    let cookie = sign_in(&app.address).await;
    let page = http.get(format!("{}/admin", app.address)).header("cookie", &cookie).send().await.expect("dashboard");
    assert_eq!(page.status(), 200);
    let csp = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains("Chief Revenue Officer") && html.contains("grace"), "the detection is on the page");
    assert!(html.contains("<span class=\"error\">cannot write 2026-10</span>"), "a failed report shows its error");
    assert!(!html.contains("<script"), "no script");
    assert!(
        html.contains("https://crm.example.com/hook</td><td>enabled</td><td>1</td>"),
        "one delivery waiting: {html}"
    );
    assert!(html.contains("<span class=\"error\">no delivery succeeded for 5 days</span>"), "why it is disabled");
    assert!(!html.contains("whsec_"), "never a secret");
    let csrf =
        html.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("csrf").to_string();

    // A forged form (no or wrong CSRF token, or another origin) changes nothing.
    for (token, origin) in [("", None), ("forged", None), (csrf.as_str(), Some("https://evil.example"))] {
        let mut request = http
            .post(format!("{}/admin/actions/send-digests", app.address))
            .header("cookie", &cookie)
            .form(&[("csrf", token)]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        assert_eq!(request.send().await.expect("post").status(), 403, "{token:?} {origin:?}");
    }
    let without_session = http
        .post(format!("{}/admin/actions/send-digests", app.address))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .expect("post");
    assert_eq!(without_session.status(), 401);
    assert_eq!(app.count_rows("digest_requests").await, 0, "refused forms queue nothing");

    let pressed = http
        .post(format!("{}/admin/actions/send-digests", app.address))
        .header("cookie", &cookie)
        .header("origin", &app.address)
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .expect("post");
    assert_eq!(pressed.status(), 303);
    assert_eq!(pressed.headers().get("location").and_then(|v| v.to_str().ok()), Some("/admin?done=digests"));
    let after =
        http.get(format!("{}/admin?done=digests", app.address)).header("cookie", &cookie).send().await.expect("page");
    let html = after.text().await.expect("html");
    assert!(html.contains("Digests queued"), "the flash says so");
    assert!(html.contains("<td>admin (dashboard)</td><td>pending</td>"), "the run is listed, pending: {html}");
    let queued = app
        .db
        .connect()
        .await
        .query("SELECT status, requested_by FROM digest_requests", &[])
        .await
        .expect("digest requests");
    let queued: Vec<(String, String)> = queued.iter().map(|r| (r.get("status"), r.get("requested_by"))).collect();
    assert_eq!(queued, vec![("pending".to_string(), "admin (dashboard)".to_string())], "one run for digest-sender");

    let out =
        http.post(format!("{}/admin/logout", app.address)).header("cookie", &cookie).send().await.expect("logout");
    assert!(out.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").contains("pf_admin=;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_does_not_exist_without_a_token() {
    let app = crate::helpers::spawn_app().await;
    assert_eq!(app.get("/admin").await.status(), 404);
}
