//! Dashboard sign-in: the admin token is entered once in a form; the answer sets a cookie holding an HMAC of a fixed
//! label keyed by the token (HttpOnly, SameSite=Strict, Path=/admin). Forms that change something carry a second
//! HMAC (the CSRF token) and must come from this origin. Both derive from ADMIN_TOKEN: stateless, compared in
//! constant time, and invalid as soon as the token is rotated.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "pf_admin";

fn derive(token: &str, label: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(token.as_bytes()).unwrap_or_else(|_| unreachable_key());
    mac.update(label.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[allow(clippy::panic)]
fn unreachable_key() -> Hmac<Sha256> {
    panic!("HMAC-SHA256 accepts keys of any length")
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The cookie a correct sign-in sets.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, derive(token, "pathfinder-admin-session"))
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// A cookie that removes the session.
pub fn cleared_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(COOKIE, "").path("/admin").http_only(true).same_site(SameSite::Strict).finish();
    cookie.make_removal();
    cookie
}

/// Whether the request carries a valid session cookie.
pub fn signed_in(request: &HttpRequest, token: &str) -> bool {
    request.cookie(COOKIE).is_some_and(|c| same(c.value(), &derive(token, "pathfinder-admin-session")))
}

/// The CSRF token forms carry.
pub fn csrf_token(token: &str) -> String {
    derive(token, "pathfinder-admin-csrf")
}

/// A state-changing form is accepted only with the right CSRF token and, when the browser says where it comes from,
/// from this very origin.
pub fn form_allowed(request: &HttpRequest, token: &str, csrf: &str) -> bool {
    let origin_ok = match request.headers().get("origin").and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = request.connection_info().host().to_string();
            origin.ends_with(&format!("//{host}"))
        }
    };
    origin_ok && same(csrf, &csrf_token(token))
}

/// Whether the token someone typed is the admin token.
pub fn token_matches(typed: &str, token: &str) -> bool {
    let typed = derive(typed.trim(), "compare");
    same(&typed, &derive(token, "compare"))
}
