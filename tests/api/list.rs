use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::collections::HashSet;

use crate::helpers::{COLLECTION, TestApp, error_of, spawn_app};

/// Creates `count` devices concurrently, `make(i)` giving each body.
async fn create_many(app: &TestApp, count: usize, make: impl Fn(usize) -> Json) {
    let bodies: Vec<Json> = (0..count).map(make).collect();
    for chunk in bodies.chunks(50) {
        let created =
            futures_util::future::join_all(chunk.iter().map(|b| app.create("v1.0", b))).await;
        let statuses: Vec<StatusCode> = created.iter().map(|r| r.status()).collect();
        assert!(
            statuses.iter().all(|s| *s == StatusCode::CREATED),
            "{statuses:?}"
        );
    }
}

async fn get_json(app: &TestApp, url: &str) -> Json {
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}

fn serials(page: &Json) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `@odata.nextLink` from `first`, returning every page.
async fn walk(app: &TestApp, first: &str) -> Vec<Json> {
    let mut pages = vec![get_json(app, first).await];
    while let Some(next) = pages.last().unwrap()["@odata.nextLink"]
        .as_str()
        .map(str::to_owned)
    {
        pages.push(get_json(app, &next).await);
    }
    pages
}

#[tokio::test]
async fn a_collection_has_graphs_shape_under_both_roots() {
    let app = spawn_app().await;
    create_many(&app, 3, |i| json!({"serialNumber": format!("SN-{i}")})).await;
    for version in ["v1.0", "beta"] {
        let response = app
            .client
            .get(app.collection_url(version))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json;odata.metadata=minimal")
        );
        let page: Json = response.json().await.unwrap();
        assert_eq!(
            page["@odata.context"],
            app.url(&format!("{version}/$metadata#{COLLECTION}"))
                .as_str()
        );
        assert_eq!(page["value"].as_array().unwrap().len(), 3);
        assert!(page.get("@odata.nextLink").is_none() && page.get("@odata.count").is_none());
        let device = &page["value"][0];
        assert!(device.get("@odata.type").is_none() && device.get("@odata.context").is_none());
        assert_eq!(
            device.get("deviceFriendlyName").is_some(),
            version == "beta"
        );
        assert!(device.get("deviceAccountPassword").is_none());
    }
}

#[tokio::test]
async fn count_is_the_total_not_the_page_and_the_count_segment_is_plain_text() {
    let app = spawn_app().await;
    create_many(&app, 7, |i| json!({"serialNumber": format!("SN-{i}")})).await;
    let page = get_json(
        &app,
        &format!("{}?$top=2&$count=true", app.collection_url("v1.0")),
    )
    .await;
    assert_eq!(page["@odata.count"], 7);
    assert_eq!(page["value"].as_array().unwrap().len(), 2);

    let response = app.get(&format!("beta/{COLLECTION}/$count")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.unwrap(), "7");
    let response = app.get(&format!("v1.0/{COLLECTION}/%24count?$top=1")).await;
    error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn select_returns_only_the_named_properties() {
    let app = spawn_app().await;
    let created = app
        .create_ok("v1.0", &json!({"serialNumber": "SN-SEL", "model": "M"}))
        .await;
    let page = get_json(
        &app,
        &format!("{}?$select=model,serialNumber", app.collection_url("v1.0")),
    )
    .await;
    assert_eq!(
        page["@odata.context"],
        app.url(&format!("v1.0/$metadata#{COLLECTION}(model,serialNumber)"))
            .as_str()
    );
    assert_eq!(
        page["value"][0],
        json!({"model": "M", "serialNumber": "SN-SEL"})
    );

    let id = created["id"].as_str().unwrap();
    let item = get_json(
        &app,
        &app.url(&format!(
            "v1.0/{COLLECTION}/{id}?$select=id,enrollmentState"
        )),
    )
    .await;
    assert_eq!(
        item,
        json!({
            "@odata.context": app.url(&format!("v1.0/$metadata#{COLLECTION}(id,enrollmentState)/$entity")),
            "id": id,
            "enrollmentState": "notContacted",
        })
    );
    for bad in ["$select=nope", "$select=deviceAccountPassword", "$select="] {
        let response = app
            .client
            .get(format!("{}?{bad}", app.collection_url("beta")))
            .send()
            .await
            .unwrap();
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
}

#[tokio::test]
async fn orderby_sorts_on_several_keys_with_nulls_first() {
    let app = spawn_app().await;
    for (serial, group) in [
        ("A", Some("g2")),
        ("B", Some("g1")),
        ("C", None),
        ("D", Some("g2")),
    ] {
        app.create_ok("v1.0", &json!({"serialNumber": serial, "groupTag": group}))
            .await;
    }
    let url = format!(
        "{}?$orderby=groupTag%20desc,serialNumber%20desc",
        app.collection_url("v1.0")
    );
    assert_eq!(serials(&get_json(&app, &url).await), ["D", "A", "B", "C"]);
    let url = format!(
        "{}?$orderby=groupTag,serialNumber desc",
        app.collection_url("v1.0")
    );
    assert_eq!(serials(&get_json(&app, &url).await), ["C", "B", "D", "A"]);
}

#[tokio::test]
async fn skip_skips_and_next_links_carry_the_options() {
    let app = spawn_app().await;
    create_many(&app, 5, |i| json!({"serialNumber": format!("SN-{i}")})).await;
    let url = format!(
        "{}?$orderby=serialNumber&$skip=1&$top=2&$count=true",
        app.collection_url("beta")
    );
    let pages = walk(&app, &url).await;
    let seen: Vec<String> = pages.iter().flat_map(serials).collect();
    assert_eq!(seen, ["SN-1", "SN-2", "SN-3", "SN-4"]);
    let next = pages[0]["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&app.url(&format!(
            "beta/{COLLECTION}?$orderby=serialNumber&$top=2&$count=true&$skiptoken="
        ))),
        "{next}"
    );
    assert!(pages.iter().all(|p| p["@odata.count"] == 5));

    // Beta takes the options without `$`.
    let page = get_json(
        &app,
        &format!(
            "{}?top=1&orderby=serialNumber%20desc",
            app.collection_url("beta")
        ),
    )
    .await;
    assert_eq!(serials(&page), ["SN-4"]);
}

#[tokio::test]
async fn paging_a_filtered_ordered_list_sees_every_row_exactly_once() {
    let app = spawn_app().await;
    create_many(&app, 2_500, |i| {
        json!({
            "serialNumber": format!("{}-{i:05}", if i % 5 == 0 { "OTHER" } else { "WALK" }),
            // Few distinct names: the sort key ties a lot, so the id tie-breaker matters.
            "displayName": format!("name-{}", i % 7),
        })
    })
    .await;
    let url = format!(
        "{}?$top=1000&$filter=startswith(serialNumber,%27walk%27)&$orderby=displayName%20desc&$count=true",
        app.collection_url("v1.0")
    );
    let pages = walk(&app, &url).await;
    assert_eq!(pages.len(), 2);
    let seen: Vec<String> = pages.iter().flat_map(serials).collect();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 2_000);
    assert_eq!(unique.len(), 2_000);
    assert!(seen.iter().all(|s| s.starts_with("WALK")));
    assert_eq!(pages[0]["@odata.count"], 2_000);
    let names: Vec<&str> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .map(|d| d["displayName"].as_str().unwrap())
        .collect();
    assert!(
        names.windows(2).all(|w| w[0] >= w[1]),
        "sorted by displayName desc"
    );
}

#[tokio::test]
async fn paging_stays_exact_while_rows_are_inserted() {
    let app = spawn_app().await;
    create_many(
        &app,
        1_000,
        |i| json!({"serialNumber": format!("OLD-{i:04}")}),
    )
    .await;

    let writer = async {
        for i in 0..300 {
            app.create_ok("v1.0", &json!({"serialNumber": format!("NEW-{i:04}")}))
                .await;
        }
    };
    let first = format!(
        "{}?$top=50&$orderby=serialNumber%20desc",
        app.collection_url("v1.0")
    );
    let reader = walk(&app, &first);
    let ((), pages) = tokio::join!(writer, reader);

    let seen: Vec<String> = pages.iter().flat_map(serials).collect();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row is seen twice");
    let old: Vec<&String> = seen.iter().filter(|s| s.starts_with("OLD")).collect();
    assert_eq!(
        old.len(),
        1_000,
        "every row that existed throughout is seen"
    );
}

#[tokio::test]
async fn unsupported_and_malformed_options_are_400s_that_name_the_option() {
    let app = spawn_app().await;
    for (query, needle) in [
        ("$top=0", "$top"),
        ("$top=1001", "$top"),
        ("$skip=-3", "$skip"),
        ("$count=maybe", "$count"),
        ("$orderby=nope", "$orderby"),
        ("$search=%22abc%22", "$search"),
        ("$expand=foo", "$expand"),
        ("$format=xml", "$format"),
        ("$skiptoken=abc", "$skiptoken"),
        ("$top=1&$top=2", "$top"),
    ] {
        let response = app
            .client
            .get(format!("{}?{query}", app.collection_url("v1.0")))
            .send()
            .await
            .unwrap();
        let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
}
