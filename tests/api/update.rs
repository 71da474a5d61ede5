use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::helpers::{COLLECTION, TestApp, error_of, send, spawn_app};

async fn device(app: &TestApp, version: &str, id: &str) -> Json {
    let response = app.get(&format!("{version}/{COLLECTION}/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn no_content(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.headers().contains_key("request-id"));
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn patch_changes_only_what_is_sent_and_moves_updated_at() {
    let app = spawn_app().await;
    let created = app
        .create_ok(
            "v1.0",
            &json!({"serialNumber": "SN-P", "model": "M1", "displayName": "D"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let updated_before: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM device_identities")
            .fetch_one(&app.db().await)
            .await
            .unwrap();

    for version in ["v1.0", "beta"] {
        let body = json!({"model": format!("M-{version}"), "displayName": null, "id": "ignored"});
        no_content(
            send(
                &app,
                reqwest::Method::PATCH,
                &format!("{version}/{COLLECTION}/{id}"),
                Some(body),
            )
            .await,
        )
        .await;
        let after = device(&app, version, id).await;
        assert_eq!(after["model"], format!("M-{version}"));
        assert_eq!(after["displayName"], Json::Null);
        assert_eq!(after["serialNumber"], "SN-P");
        assert_eq!(after["id"], id);
    }
    let updated_after: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM device_identities")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert!(updated_after > updated_before);
}

#[tokio::test]
async fn patch_keeps_the_create_rules() {
    let app = spawn_app().await;
    let first = app
        .create_ok("v1.0", &json!({"serialNumber": "SN-1", "model": "keep"}))
        .await;
    app.create_ok("v1.0", &json!({"serialNumber": "SN-2"}))
        .await;
    let path = format!("v1.0/{COLLECTION}/{}", first["id"].as_str().unwrap());

    let conflict = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"serialNumber": "sn-2"})),
    )
    .await;
    error_of(conflict, StatusCode::CONFLICT, "Conflict").await;
    for body in [
        json!({"serialNumber": ""}),
        json!({"serialNumber": null}),
        json!({"model": "changed", "enrollmentState": "Enrolled"}),
        json!({"model": "changed", "deviceFriendlyName": "beta only"}),
        json!({"model": 5}),
    ] {
        let response = send(&app, reqwest::Method::PATCH, &path, Some(body.clone())).await;
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    let after = device(&app, "v1.0", first["id"].as_str().unwrap()).await;
    assert_eq!(
        (after["serialNumber"].as_str(), after["model"].as_str()),
        (Some("SN-1"), Some("keep"))
    );

    let unknown = format!("v1.0/{COLLECTION}/9b2f8a0e-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &unknown,
        Some(json!({"model": "x"})),
    )
    .await;
    error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn delete_removes_the_device_once() {
    let app = spawn_app().await;
    let created = app
        .create_ok("beta", &json!({"serialNumber": "SN-D"}))
        .await;
    let path = format!("beta/{COLLECTION}('{}')", created["id"].as_str().unwrap());
    no_content(send(&app, reqwest::Method::DELETE, &path, None).await).await;
    error_of(
        app.get(&path).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let again = send(&app, reqwest::Method::DELETE, &path, None).await;
    error_of(again, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert_eq!(app.device_rows().await, 0);
}

#[tokio::test]
async fn user_actions_take_effect_under_both_roots() {
    let app = spawn_app().await;
    for version in ["v1.0", "beta"] {
        let created = app
            .create_ok(
                version,
                &json!({"serialNumber": format!("SN-{version}"), "groupTag": "G"}),
            )
            .await;
        let id = created["id"].as_str().unwrap();
        let item = format!("{version}/{COLLECTION}/{id}");

        let body = json!({"userPrincipalName": "ada@contoso.com", "addressableUserName": "Ada"});
        no_content(
            send(
                &app,
                reqwest::Method::POST,
                &format!("{item}/assignUserToDevice"),
                Some(body),
            )
            .await,
        )
        .await;
        let after = device(&app, version, id).await;
        assert_eq!(
            (
                after["userPrincipalName"].as_str(),
                after["addressableUserName"].as_str()
            ),
            (Some("ada@contoso.com"), Some("Ada"))
        );

        no_content(
            send(
                &app,
                reqwest::Method::POST,
                &format!("{item}/microsoft.graph.unassignUserFromDevice"),
                None,
            )
            .await,
        )
        .await;
        let after = device(&app, version, id).await;
        assert_eq!(
            (&after["userPrincipalName"], &after["addressableUserName"]),
            (&Json::Null, &Json::Null)
        );

        let body = json!({"displayName": "Kiosk 7", "groupTag": "Lobby"});
        no_content(
            send(
                &app,
                reqwest::Method::POST,
                &format!("{item}/UpdateDeviceProperties"),
                Some(body),
            )
            .await,
        )
        .await;
        let after = device(&app, version, id).await;
        assert_eq!(
            (after["displayName"].as_str(), after["groupTag"].as_str()),
            (Some("Kiosk 7"), Some("Lobby"))
        );
        assert_eq!(after["serialNumber"], created["serialNumber"]);
    }
}

#[tokio::test]
async fn beta_actions_take_effect_and_are_unknown_segments_on_v1() {
    let app = spawn_app().await;
    let created = app
        .create_ok("beta", &json!({"serialNumber": "SN-B"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let item = format!("beta/{COLLECTION}/{id}");

    no_content(
        send(
            &app,
            reqwest::Method::POST,
            &format!("{item}/allowNextEnrollment"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        device(&app, "beta", id).await["userlessEnrollmentStatus"],
        "allowed"
    );

    let body = json!({"userPrincipalName": "room@contoso.com", "addressableUserName": "Room", "resourceAccountName": "Room 12"});
    no_content(
        send(
            &app,
            reqwest::Method::POST,
            &format!("{item}/assignResourceAccountToDevice"),
            Some(body),
        )
        .await,
    )
    .await;
    let after = device(&app, "beta", id).await;
    assert_eq!(
        (
            after["userPrincipalName"].as_str(),
            after["resourceName"].as_str()
        ),
        (Some("room@contoso.com"), Some("Room 12"))
    );

    no_content(
        send(
            &app,
            reqwest::Method::POST,
            &format!("{item}/unassignResourceAccountFromDevice"),
            None,
        )
        .await,
    )
    .await;
    let after = device(&app, "beta", id).await;
    assert_eq!(
        (&after["userPrincipalName"], &after["resourceName"]),
        (&Json::Null, &Json::Null)
    );

    let body = json!({"deviceFriendlyName": "Hub", "deviceAccountPassword": "pa55"});
    no_content(
        send(
            &app,
            reqwest::Method::POST,
            &format!("{item}/updateDeviceProperties"),
            Some(body),
        )
        .await,
    )
    .await;
    let after = device(&app, "beta", id).await;
    assert_eq!(after["deviceFriendlyName"], "Hub");
    assert!(!after.to_string().contains("pa55"));

    for action in [
        "allowNextEnrollment",
        "assignResourceAccountToDevice",
        "unassignResourceAccountFromDevice",
    ] {
        let response = send(
            &app,
            reqwest::Method::POST,
            &format!("v1.0/{COLLECTION}/{id}/{action}"),
            Some(json!({})),
        )
        .await;
        let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert_eq!(
            body["error"]["message"],
            format!("Resource not found for the segment '{action}'.")
        );
    }
}

#[tokio::test]
async fn actions_refuse_bad_bodies_and_unknown_devices() {
    let app = spawn_app().await;
    let created = app
        .create_ok("v1.0", &json!({"serialNumber": "SN-A", "groupTag": "keep"}))
        .await;
    let item = format!("v1.0/{COLLECTION}/{}", created["id"].as_str().unwrap());
    for (action, body) in [
        ("assignUserToDevice", json!({})),
        ("assignUserToDevice", json!({"userPrincipalName": 7})),
        ("assignUserToDevice", json!(["a"])),
        (
            "updateDeviceProperties",
            json!({"groupTag": "x", "serialNumber": "x"}),
        ),
        (
            "updateDeviceProperties",
            json!({"deviceFriendlyName": "beta only"}),
        ),
    ] {
        let response = send(
            &app,
            reqwest::Method::POST,
            &format!("{item}/{action}"),
            Some(body),
        )
        .await;
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    assert_eq!(
        device(&app, "v1.0", created["id"].as_str().unwrap()).await["groupTag"],
        "keep"
    );

    let unknown =
        format!("v1.0/{COLLECTION}/9b2f8a0e-3c4d-4e5f-8a9b-0c1d2e3f4a5b/unassignUserFromDevice");
    error_of(
        send(&app, reqwest::Method::POST, &unknown, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let response = send(
        &app,
        reqwest::Method::GET,
        &format!("{item}/assignUserToDevice"),
        None,
    )
    .await;
    error_of(
        response,
        StatusCode::BAD_REQUEST,
        "No method match route template",
    )
    .await;
}
