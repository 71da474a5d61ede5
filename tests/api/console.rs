//! The web console (`--console`) over HTTP: off by default; refused without the control token where
//! the control plane is; the sign-in and its cookie; a cross-site post refused (another Origin, no
//! Origin, a missing or foreign CSRF token); every page rendering a staged tenant (an imported
//! device in a dynamic group targeted by a profile, synced, enrolled); a device found by search;
//! and the actions (simulated enrollment, sync, reset) through their confirmation forms.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

use crate::helpers::{
    KIOSK_RULE, PROFILES, TestApp, body_of, create_group, fresh_database, http_client_builder,
    send, serve_args, spawn_app_with,
};
use crate::imports::{HASH, import_one, processed};
use autopilot_registry::startup::Application;

const TENANT: &str = "00000000-0000-0000-0000-000000000000";
const TOKEN: &str = "console-test-control-token";
pub const SERIAL: &str = "CONSOLE-0001";

/// The service with the console and the control plane on, imports processed at once.
pub async fn console_app(extra: &[&str]) -> TestApp {
    let base = ["--console", "--control", "--import-delay", "0"];
    spawn_app_with(&fresh_database().await, &[&base[..], extra].concat()).await
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn origin(app: &TestApp) -> String {
    format!("http://{}", app.address)
}

/// The tenant's device imported with group tag Kiosk, in the dynamic group of Kiosks, targeted by
/// the Kiosk profile and settled (through the control plane, with `control_token` when it takes
/// one): what the README's tour leaves behind. Its id.
pub async fn staged_device(app: &TestApp, control_token: Option<&str>) -> String {
    let group = create_group(app, "Kiosks", Some(KIOSK_RULE)).await;
    let profile = body_of(
        send(
            app,
            Method::POST,
            PROFILES,
            Some(
                json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                        "displayName": "Kiosk profile"}),
            ),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group});
    body_of(
        send(
            app,
            Method::POST,
            &format!("{PROFILES}/{profile}/assignments"),
            Some(json!({"target": target})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let record = import_one(
        app,
        "beta",
        json!({"serialNumber": SERIAL, "groupTag": "Kiosk", "hardwareIdentifier": HASH}),
    )
    .await;
    let record = processed(app, "beta", record["id"].as_str().unwrap()).await;
    assert_eq!(
        record["state"]["deviceImportStatus"], "complete",
        "{record}"
    );
    let mut settle = app
        .client
        .post(app.url(&format!("_control/tenants/{TENANT}/imports/settle")));
    if let Some(token) = control_token {
        settle = settle.bearer_auth(token);
    }
    let settled = settle.send().await.unwrap();
    assert_eq!(settled.status(), StatusCode::OK);
    let devices: Json = body_of(
        send(
            app,
            Method::GET,
            &format!(
                "beta/deviceManagement/windowsAutopilotDeviceIdentities?$filter=serialNumber eq '{SERIAL}'"
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    devices["value"][0]["id"].as_str().unwrap().to_owned()
}

/// GETs a console page with `cookie`; its status and body.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut request = browser().get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The `name=value` of the session cookie a response sets, checked for its attributes.
fn session_cookie(response: &reqwest::Response) -> String {
    let set = response
        .headers()
        .get(SET_COOKIE)
        .expect("a session cookie is set")
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(attribute), "{set}");
    }
    set.split(';').next().unwrap().to_owned()
}

/// The CSRF token of the forms of a page.
fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .expect("the page has a form with a CSRF token")
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A form's fields.
type Form<'a> = &'a [(&'a str, &'a str)];

/// POSTs a console form with this cookie and Origin.
async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
    form: Form<'_>,
) -> reqwest::Response {
    let mut request = browser()
        .post(app.url(path))
        .header(COOKIE, cookie)
        .form(form);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

/// Signs in with the control token; the session cookie.
async fn sign_in(app: &TestApp) -> String {
    let response = browser()
        .post(app.url("console/login"))
        .header("origin", origin(app))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    session_cookie(&response)
}

#[tokio::test]
async fn the_console_is_off_unless_asked_for() {
    let app = spawn_app_with(&fresh_database().await, &["--control"]).await;
    let (status, body) = page(&app, "console/", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("--console"), "{body}");
}

#[tokio::test]
async fn the_console_needs_the_control_token_where_the_control_plane_does() {
    let database = fresh_database().await;
    let without_token = [
        vec![
            "--console",
            "--auth",
            "jwt",
            "--jwt-secret",
            "a-secret-of-at-least-32-bytes-long!!",
        ],
        vec![
            "--console",
            "--bind",
            "0.0.0.0:0",
            "--allow-anonymous-remote",
        ],
    ];
    for options in without_token {
        let refused = Application::build(&serve_args(&database, &options))
            .await
            .err()
            .unwrap_or_else(|| panic!("{options:?} starts without a control token"));
        let message = refused.to_string();
        assert!(message.contains("the web console (--console)"), "{message}");
    }

    let app = console_app(&["--control-token", TOKEN]).await;
    for path in [
        "console/".to_owned(),
        format!("console/tenants/{TENANT}/"),
        format!("console/tenants/{TENANT}/devices"),
    ] {
        let response = browser().get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[LOCATION], "/console/login", "{path}");
        // A cookie that was not issued with the token is no session either.
        let (status, _) = page(&app, &path, Some("autopilot_console=forged.9999999999.00")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
    }
    let (status, form) = page(&app, "console/login", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"name="token""#), "{form}");
    let wrong = browser()
        .post(app.url("console/login"))
        .header("origin", origin(&app))
        .form(&[("token", "not-the-control-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let cookie = sign_in(&app).await;
    let (status, body) = page(&app, &format!("console/tenants/{TENANT}/"), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Overview"), "{body}");
    // Signing out clears the cookie.
    let (_, overview) = page(&app, &format!("console/tenants/{TENANT}/"), Some(&cookie)).await;
    let out = post(
        &app,
        "console/logout",
        &cookie,
        Some(&origin(&app)),
        &[("csrf", &csrf_of(&overview))],
    )
    .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared = out.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn a_cross_site_post_is_refused() {
    let app = console_app(&["--control-token", TOKEN, "--sync-cooldown", "0"]).await;
    let cookie = sign_in(&app).await;
    let sync = format!("console/tenants/{TENANT}/sync");
    let (status, confirm) = page(&app, &sync, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&confirm);
    let ours = origin(&app);
    let refused: [(Option<&str>, Form); 5] = [
        (Some("http://attacker.example"), &[("csrf", &csrf)]),
        (Some("null"), &[("csrf", &csrf)]),
        (None, &[("csrf", &csrf)]),
        (Some(&ours), &[]),
        (Some(&ours), &[("csrf", "00")]),
    ];
    for (from, form) in refused {
        let response = post(&app, &sync, &cookie, from, form).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{from:?} {form:?}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("<html"), "an HTML page: {body}");
    }
    let settings = "beta/deviceManagement/windowsAutopilotSettings";
    let untouched: Json = body_of(
        send(&app, Method::GET, settings, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        untouched["lastManualSyncTriggerDateTime"], "0001-01-01T00:00:00Z",
        "{untouched}"
    );
    // Another session's token is refused too.
    let other = sign_in(&app).await;
    let (_, others_page) = page(&app, &sync, Some(&other)).await;
    let response = post(
        &app,
        &sync,
        &cookie,
        Some(&ours),
        &[("csrf", &csrf_of(&others_page))],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = post(&app, &sync, &cookie, Some(&ours), &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()[LOCATION]
            .to_str()
            .unwrap()
            .ends_with("notice=sync-started")
    );
    let synced: Json = body_of(
        send(&app, Method::GET, settings, None).await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(
        synced["lastManualSyncTriggerDateTime"], "0001-01-01T00:00:00Z",
        "{synced}"
    );
}

#[tokio::test]
async fn every_page_shows_the_staged_tenant() {
    let app = console_app(&[]).await;
    let device = staged_device(&app, None).await;
    // Without a control token (loopback, --auth none), a first visit gets its session.
    let first = browser()
        .get(app.url(&format!("console/tenants/{TENANT}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let cookie = session_cookie(&first);
    let overview = first.text().await.unwrap();
    for shown in [
        "Devices by enrollment state",
        "notContacted",
        "Kiosk profile",
        "Autopilot sync",
    ] {
        assert!(overview.contains(shown), "{shown}: {overview}");
    }
    // The only tenant with data: the picker leads to it.
    let picker = browser()
        .get(app.url("console/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(picker.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        picker.headers()[LOCATION],
        format!("/console/tenants/{TENANT}/")
    );

    let base = format!("console/tenants/{TENANT}");
    let (profile, group) = {
        let (_, profiles) = page(&app, &format!("{base}/profiles"), Some(&cookie)).await;
        let (_, groups) = page(&app, &format!("{base}/groups"), Some(&cookie)).await;
        let id_after = |html: &str, marker: &str| {
            let start = html.find(marker).expect(marker) + marker.len();
            html[start..].split('"').next().unwrap().to_owned()
        };
        (
            id_after(&profiles, "href=\"profiles/"),
            id_after(&groups, "href=\"groups/"),
        )
    };
    let (_, esps) = page(
        &app,
        &format!("{base}/enrollment-configurations"),
        Some(&cookie),
    )
    .await;
    let marker = "href=\"enrollment-configurations/";
    let esp = esps[esps.find(marker).expect("a configuration") + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let pages: [(String, &[&str]); 10] = [
        (format!("{base}/devices"), &[SERIAL, "1 devices match"]),
        (
            format!(
                "{base}/devices?q=console-00&state=notContacted&tag=Kiosk&sort=displayName&order=desc"
            ),
            &[SERIAL],
        ),
        (
            format!("{base}/devices/{device}"),
            &[
                "Kiosk profile",
                "chosen: the oldest assignment",
                "its rule takes it",
                "Kiosks",
                "All users and all devices",
                "The device has not enrolled",
            ],
        ),
        (format!("{base}/imports"), &["complete: 1"]),
        (
            format!("{base}/profiles/{profile}"),
            &["group Kiosks", "1 devices targeted"],
        ),
        (
            format!("{base}/groups/{group}"),
            &["deployment profile Kiosk profile", "[OrderID]:Kiosk"],
        ),
        (
            format!("{base}/enrollment-configurations"),
            &["All users and all devices"],
        ),
        (
            format!("{base}/enrollment-configurations/{esp}"),
            &["Properties"],
        ),
        (
            format!("{base}/traffic"),
            &["Fault rules", "windowsAutopilotDeviceIdentities"],
        ),
        (format!("{base}/reset"), &["Reset the tenant"]),
    ];
    for (path, shown) in pages {
        let (status, body) = page(&app, &path, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        for text in shown {
            assert!(body.contains(text), "{path} lacks {text}: {body}");
        }
    }
    // A search that matches nothing, and a device or tenant that is not there.
    let (_, none) = page(
        &app,
        &format!("{base}/devices?q=nothing-like-it"),
        Some(&cookie),
    )
    .await;
    assert!(
        none.contains("0 devices match") && !none.contains(SERIAL),
        "{none}"
    );
    for missing in [
        format!("{base}/devices/{}", uuid::Uuid::new_v4()),
        format!("{base}/devices/not-a-guid"),
        "console/tenants/not-a-guid/".to_owned(),
        format!("{base}/devices?state=nonsense"),
    ] {
        let (status, body) = page(&app, &missing, Some(&cookie)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
    }
    let (status, _) = page(&app, &format!("{base}/devices?after=zz"), Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The assets: htmx for a year, the stylesheet.
    let htmx = browser()
        .get(app.url("console/assets/htmx-2.0.11.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.status(), StatusCode::OK);
    assert!(
        htmx.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let (status, _) = page(&app, "console/assets/console.css", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_devices_list_pages_through_the_tenant() {
    let app = console_app(&[]).await;
    let seeded = send(
        &app,
        Method::POST,
        &format!("_control/tenants/{TENANT}/seed"),
        Some(json!({"devices": 120, "serialPrefix": "PAGE-"})),
    )
    .await;
    assert_eq!(seeded.status(), StatusCode::CREATED);
    let mut path = format!("console/tenants/{TENANT}/devices?q=page-&sort=serialNumber");
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (status, body) = page(&app, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body.split("\">PAGE-")
                .skip(1)
                .map(|rest| format!("PAGE-{}", rest.split('<').next().unwrap())),
        );
        let Some(start) = body
            .find("rel=\"next\"")
            .and_then(|end| body[..end].rfind("href=\""))
        else {
            break;
        };
        // The page writes `&` as HTML does.
        let next = body[start + 6..]
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&");
        path = next.trim_start_matches('/').to_owned();
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 120, "every device once: {seen:?}");
    assert_eq!(seen, sorted, "in serial number order");
}

#[tokio::test]
async fn a_simulated_enrollment_and_a_reset_go_through_their_forms() {
    let app = console_app(&[]).await;
    let device = staged_device(&app, None).await;
    let base = format!("console/tenants/{TENANT}");
    let first = browser()
        .get(app.url(&format!("{base}/devices/{device}/enroll")))
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&first);
    let csrf = csrf_of(&first.text().await.unwrap());
    let ours = origin(&app);
    let enrolled = post(
        &app,
        &format!("{base}/devices/{device}/enroll"),
        &cookie,
        Some(&ours),
        &[
            ("csrf", &csrf),
            ("outcome", "success"),
            ("phase", ""),
            ("user_principal_name", "ada@example.com"),
        ],
    )
    .await;
    assert_eq!(enrolled.status(), StatusCode::SEE_OTHER);
    let (status, body) = page(
        &app,
        &format!("{base}/devices/{device}?enrolled=1"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "The simulated enrollment ran",
        "<strong>success</strong>",
        "device setup",
        "enrolled",
    ] {
        assert!(body.contains(shown), "{shown}: {body}");
    }
    let managed: Json = body_of(
        send(
            &app,
            Method::GET,
            "beta/deviceManagement/managedDevices",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(managed["value"][0]["serialNumber"], SERIAL, "{managed}");
    // A refused enrollment is an HTML page naming why.
    let refused = post(
        &app,
        &format!("{base}/devices/{device}/enroll"),
        &cookie,
        Some(&ours),
        &[("csrf", &csrf), ("outcome", "sideways")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let reset = post(
        &app,
        &format!("{base}/reset"),
        &cookie,
        Some(&ours),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    let (_, list) = page(&app, &format!("{base}/devices"), Some(&cookie)).await;
    assert!(list.contains("0 devices match"), "{list}");
}
