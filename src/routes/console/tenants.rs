//! The way in: the tenant picker, and signing in and out with the control token.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::session::SessionKey;
use super::{
    Chrome, Console, Failure, NoFields, Posted, ROOT, door, html_response, origin_named,
    render_failure, see_other, session_cookie_header, set_cookie,
};
use crate::store::Store;

/// The most tenants the picker lists.
const MAX_TENANTS: i64 = 200;

#[derive(Template)]
#[template(path = "tenants.html")]
struct Picker {
    chrome: Chrome,
    tenants: Vec<String>,
}

/// `/console/`: the tenants that hold data; straight to the one when there is one.
pub async fn picker(console: Console, store: web::Data<Store>) -> Result<HttpResponse, Failure> {
    let tenants = store.tenants_with_data(MAX_TENANTS).await?;
    if let [tenant] = tenants.as_slice() {
        return Ok(console.redirect(&format!("{ROOT}/tenants/{}/", tenant.0)));
    }
    console.page(&Picker {
        chrome: console.chrome(None, "tenants"),
        tenants: tenants.iter().map(|t| t.0.to_string()).collect(),
    })
}

#[derive(Deserialize)]
pub struct OpenTenant {
    id: String,
}

/// `/console/tenant?id=...`: the picker's form for a tenant it does not list.
pub async fn open(_: Console, query: web::Query<OpenTenant>) -> Result<HttpResponse, Failure> {
    let id = Uuid::parse_str(query.id.trim())
        .map_err(|_| Failure::not_found(format!("'{}' is not a tenant id (a GUID).", query.id)))?;
    Ok(see_other(&format!("{ROOT}/tenants/{id}/")))
}

#[derive(Template)]
#[template(path = "login.html")]
struct SignIn<'a> {
    problem: Option<&'a str>,
}

/// The sign-in form; without a control token there is nothing to sign in with.
pub async fn sign_in_form(req: HttpRequest) -> Result<HttpResponse, Failure> {
    let control = door(&req)?;
    if control.token.is_none() {
        return Ok(see_other(&format!("{ROOT}/")));
    }
    let html = SignIn { problem: None }.render().map_err(render_failure)?;
    Ok(html_response(StatusCode::OK, html))
}

#[derive(Deserialize)]
pub struct Token {
    token: String,
}

/// Takes the control token once and keeps a session in a cookie instead.
pub async fn sign_in(req: HttpRequest, form: web::Form<Token>) -> Result<HttpResponse, Failure> {
    let control = door(&req)?;
    origin_named(&req)?;
    let presented = format!("Bearer {}", form.token.trim());
    if control.token.is_none() || !control.admits(Some(&presented)) {
        let problem = match control.token {
            None => "The console has no control token to sign in with.",
            Some(_) => "That is not the control token (--control-token).",
        };
        let html = SignIn {
            problem: Some(problem),
        }
        .render()
        .map_err(render_failure)?;
        return Ok(html_response(StatusCode::UNAUTHORIZED, html));
    }
    let key = SessionKey::new(control.token.as_deref());
    let (_, cookie) = key.issue(Utc::now().timestamp());
    let mut response = see_other(&format!("{ROOT}/"));
    let https = req.connection_info().scheme() == "https";
    set_cookie(&mut response, &session_cookie_header(&cookie, https, false));
    Ok(response)
}

/// Ends the session: its cookie is cleared.
pub async fn sign_out(posted: Posted<NoFields>) -> Result<HttpResponse, Failure> {
    let mut response = see_other(&format!("{ROOT}/login"));
    set_cookie(
        &mut response,
        &session_cookie_header("", posted.console.https, true),
    );
    Ok(response)
}
