//! The service on a real Citus cluster (issue 24): `migrate` past the X.509 v1 certificate Citus
//! makes, the recipe of docs/citus.md (read from the page, so the page and what runs cannot drift)
//! with no unsafe setting, then two instances on the coordinator in four tenants, two on each
//! worker: creates and reads, OData and paging, `$batch`, imports with every outcome, a tenant's
//! failing import batch that holds back no other tenant's, a dynamic group taking devices to
//! `assignedUnkownSyncState`, a sync, throttling, the control plane (seed, reset, export,
//! import-state), and each tenant's rows on one worker. It prints the figures docs/citus.md
//! quotes.
//!
//! Needs AUTOPILOT_CITUS_URL, the coordinator of a fresh cluster:
//! `AUTOPILOT_CITUS_URL=$(scripts/citus-cluster start /var/tmp/citus | tail -n 1)`. Ignored under
//! plain `cargo test`; scripts/test starts a cluster and runs it. Run without the variable, it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

use crate::auth::{SECRET, WRITE, claims, hs256};
use crate::child::required_env;
use crate::control::{CONTROL_TOKEN, control, export, graph, populate};
use crate::helpers::{COLLECTION, TestApp, body_of, send_as, spawn_app_with};
use crate::imports::{HASH, IMPORTED};
use crate::postgres_tls::{assert_refused_plainly, migrate};

/// The page whose first `sql` block is the recipe.
const RECIPE_PAGE: &str = "docs/citus.md";
const PROFILES: &str = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const DEVICES: &str = "beta/deviceManagement/windowsAutopilotDeviceIdentities";
const SETTINGS: &str = "beta/deviceManagement/windowsAutopilotSettings";
/// How long background work may take to show on the cluster.
const SETTLES_WITHIN: Duration = Duration::from_secs(60);

/// Both instances: tokens verified, the control plane on, imports processed at once, assignments
/// settled a second after they are worked out.
const SERVE: [&str; 10] = [
    "--auth",
    "jwt",
    "--jwt-secret",
    SECRET,
    "--control",
    "--control-token",
    CONTROL_TOKEN,
    "--import-delay",
    "0",
    "--assignment-delay=1",
];

/// The recipe: the first ```sql block of [`RECIPE_PAGE`], as the page shows it.
fn recipe() -> String {
    let page = std::fs::read_to_string(RECIPE_PAGE).expect("docs/citus.md");
    let (_, rest) = page
        .split_once("```sql\n")
        .expect("docs/citus.md has a sql block");
    let (block, _) = rest.split_once("```").expect("the sql block ends");
    block.to_owned()
}

#[tokio::test]
#[ignore = "needs a Citus cluster: AUTOPILOT_CITUS_URL from scripts/citus-cluster (scripts/test starts one)"]
async fn the_service_runs_on_a_citus_cluster() {
    let url = required_env(
        "AUTOPILOT_CITUS_URL",
        "AUTOPILOT_CITUS_URL=$(scripts/citus-cluster start /var/tmp/citus | tail -n 1)",
    );
    let mut coordinator = PgConnection::connect(&format!("{url}?sslmode=disable"))
        .await
        .expect("the coordinator answers");
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut coordinator)
        .await
        .unwrap();
    assert_eq!(ssl, "on", "CREATE EXTENSION citus turns TLS on");

    // Citus's certificate is X.509 v1: refused plainly under require, passed by under prefer.
    assert_refused_plainly(&migrate(&format!("{url}?sslmode=require")).await, "require");
    let migrated = migrate(&url).await;
    assert!(migrated.succeeded(), "migrate: {}", migrated.stderr);

    sqlx::raw_sql(AssertSqlSafe(recipe()))
        .execute(&mut coordinator)
        .await
        .expect("the recipe of docs/citus.md runs on the migrated coordinator");
    check_layout(&mut coordinator).await;

    let workers = workers(&mut coordinator).await;
    let tenants = tenants_on_every_worker(&mut coordinator, &workers, 2).await;
    let a = spawn_app_with(&url, &SERVE).await;
    let b = spawn_app_with(&url, &SERVE).await;

    for (i, &tenant) in tenants.iter().enumerate() {
        creates_and_reads(&a, &b, tenant, i).await;
    }
    batch(&b, tenants[1]).await;
    imports_with_every_outcome(&a, &b, tenants[0], tenants[1]).await;
    a_failing_tenant_waits_alone(&mut coordinator, &a, &b, tenants[2], tenants[3]).await;
    dynamic_group_to_assigned(&a, &b, tenants[2]).await;
    sync(&b, tenants[3]).await;
    control_plane(&a, &b, tenants[3]).await;
    throttling(&url, tenants[0]).await;
    // Wrong client secrets are counted in a reference table, shared by both instances.
    crate::token_endpoint::wrong_secrets_lock_out_on_both(&a, &b, &url).await;
    rows_sit_on_their_tenants_worker(&mut coordinator, &workers, &tenants).await;
    figures(&a, &b, tenants[1]).await;
    a.stop().await;
    b.stop().await;
}

/// Every table with a `tenant_id` is distributed (or a reference table), none has a trigger of its
/// own, and nothing unsafe is on.
async fn check_layout(coordinator: &mut PgConnection) {
    let local: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped \
         WHERE c.relkind = 'r' \
           AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)",
    )
    .fetch_all(&mut *coordinator)
    .await
    .unwrap();
    assert!(local.is_empty(), "not distributed: {local:?}");
    let triggers: Vec<String> = sqlx::query_scalar(
        "SELECT t.tgname::text FROM pg_trigger t \
         JOIN pg_dist_partition p ON p.logicalrelid = t.tgrelid \
         WHERE NOT t.tgisinternal AND t.tgname::text NOT LIKE 'truncate_trigger%'",
    )
    .fetch_all(&mut *coordinator)
    .await
    .unwrap();
    assert!(
        triggers.is_empty(),
        "triggers on distributed tables: {triggers:?}"
    );
    let unsafe_triggers: String = sqlx::query_scalar("SHOW citus.enable_unsafe_triggers")
        .fetch_one(&mut *coordinator)
        .await
        .unwrap();
    assert_eq!(unsafe_triggers, "off");
}

/// The workers' ports, by node group.
async fn workers(coordinator: &mut PgConnection) -> BTreeMap<i32, i32> {
    let rows: Vec<(i32, i32)> = sqlx::query_as(
        "SELECT groupid, nodeport FROM pg_dist_node WHERE shouldhaveshards AND noderole = 'primary'",
    )
    .fetch_all(coordinator)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "two workers: {rows:?}");
    rows.into_iter().collect()
}

/// The node group holding `tenant`'s shard of `table`.
async fn group_of(coordinator: &mut PgConnection, table: &str, tenant: Uuid) -> (i64, i32) {
    sqlx::query_as(
        "SELECT p.shardid, p.groupid FROM pg_dist_placement p \
         WHERE p.shardid = get_shard_id_for_distribution_column($1::regclass, $2::uuid)",
    )
    .bind(table)
    .bind(tenant)
    .fetch_one(coordinator)
    .await
    .unwrap()
}

/// `per_worker` new tenants on each worker, alternating.
async fn tenants_on_every_worker(
    coordinator: &mut PgConnection,
    workers: &BTreeMap<i32, i32>,
    per_worker: usize,
) -> Vec<Uuid> {
    let mut found: BTreeMap<i32, Vec<Uuid>> = BTreeMap::new();
    while found.values().map(Vec::len).sum::<usize>() < per_worker * workers.len() {
        let tenant = Uuid::new_v4();
        let (_, group) = group_of(coordinator, "device_identities", tenant).await;
        let on = found.entry(group).or_default();
        if on.len() < per_worker {
            on.push(tenant);
        }
    }
    (0..per_worker)
        .flat_map(|i| found.values().map(move |tenants| tenants[i]))
        .collect()
}

fn token(tenant: Uuid) -> String {
    hs256(&claims(tenant, &[WRITE]))
}

/// A Graph request as the tenant, answered `status`.
async fn expect(
    app: &TestApp,
    tenant: Uuid,
    method: Method,
    path: &str,
    body: Option<Json>,
    status: StatusCode,
) -> Json {
    body_of(graph(app, tenant, method, path, body).await, status).await
}

/// Devices created through one instance, read through the other: by id, filtered, ordered, counted,
/// selected, paged.
async fn creates_and_reads(a: &TestApp, b: &TestApp, tenant: Uuid, index: usize) {
    let devices = format!("v1.0/{COLLECTION}");
    let mut ids = Vec::new();
    for n in 0..5 {
        let writer = if n % 2 == 0 { a } else { b };
        let body =
            json!({"serialNumber": format!("T{index}-{n}"), "groupTag": format!("Tag{}", n % 2)});
        let created = expect(
            writer,
            tenant,
            Method::POST,
            &devices,
            Some(body),
            StatusCode::CREATED,
        )
        .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    for (n, id) in ids.iter().enumerate() {
        let read = expect(
            b,
            tenant,
            Method::GET,
            &format!("{devices}/{id}"),
            None,
            StatusCode::OK,
        )
        .await;
        assert_eq!(read["serialNumber"], format!("T{index}-{n}"));
    }
    let filtered = expect(
        a,
        tenant,
        Method::GET,
        &format!(
            "{devices}?$filter=groupTag eq 'Tag1'&$orderby=serialNumber desc&$select=serialNumber"
        ),
        None,
        StatusCode::OK,
    )
    .await;
    let serials: Vec<&str> = filtered["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap())
        .collect();
    assert_eq!(serials, [format!("T{index}-3"), format!("T{index}-1")]);
    let count = graph(b, tenant, Method::GET, &format!("{devices}/$count"), None).await;
    assert_eq!(
        count.text().await.unwrap(),
        "5",
        "the tenant's own devices only"
    );

    // Paging two at a time by nextLink, alternating instances.
    let mut seen = Vec::new();
    let mut next = Some(a.url(&format!("{devices}?$top=2&$orderby=serialNumber")));
    let mut turn = 0;
    while let Some(link) = next {
        let app = if turn % 2 == 0 { b } else { a };
        // Either instance's link, asked of the other.
        let path = &link[link.find("/v1.0/").expect("a Graph link") + 1..];
        let page = expect(app, tenant, Method::GET, path, None, StatusCode::OK).await;
        for device in page["value"].as_array().unwrap() {
            seen.push(device["serialNumber"].as_str().unwrap().to_owned());
        }
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        turn += 1;
    }
    let expected: Vec<String> = (0..5).map(|n| format!("T{index}-{n}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(turn, 3);
}

/// A `$batch` of creates and a read, each answered as alone.
async fn batch(app: &TestApp, tenant: Uuid) {
    let create = |id: &str, serial: &str| {
        json!({"id": id, "method": "POST", "url": format!("/{COLLECTION}"),
               "headers": {"Content-Type": "application/json"}, "body": {"serialNumber": serial}})
    };
    let body = json!({"requests": [
        create("1", "BATCH-1"),
        create("2", "BATCH-2"),
        create("3", "BATCH-1"),
        {"id": "4", "method": "GET", "url": format!("/{COLLECTION}/$count")},
    ]});
    let answer = expect(
        app,
        tenant,
        Method::POST,
        "v1.0/$batch",
        Some(body),
        StatusCode::OK,
    )
    .await;
    let statuses: BTreeMap<String, i64> = answer["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_i64().unwrap(),
            )
        })
        .collect();
    let one_created = [statuses["1"], statuses["3"]].contains(&201)
        && [statuses["1"], statuses["3"]].contains(&409);
    assert!(one_created, "one of two creates of one serial: {answer}");
    assert_eq!((statuses["2"], statuses["4"]), (201, 200), "{answer}");
}

/// The tenant's imported records of one import, once none is `unknown` any more.
async fn processed(app: &TestApp, tenant: Uuid, import_id: &str) -> Vec<Json> {
    let deadline = Instant::now() + SETTLES_WITHIN;
    loop {
        let page = expect(
            app,
            tenant,
            Method::GET,
            &format!("v1.0/{IMPORTED}?$filter=importId eq '{import_id}'&$top=999"),
            None,
            StatusCode::OK,
        )
        .await;
        let records = page["value"].as_array().unwrap().clone();
        if records
            .iter()
            .all(|r| r["state"]["deviceImportStatus"] != "unknown")
        {
            return records;
        }
        assert!(Instant::now() < deadline, "still unknown: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Imports `records` into the tenant through one call; returns its import id.
async fn import(app: &TestApp, tenant: Uuid, records: Vec<Json>) -> String {
    let answer = expect(
        app,
        tenant,
        Method::POST,
        &format!("v1.0/{IMPORTED}/import"),
        Some(json!({"importedWindowsAutopilotDeviceIdentities": records})),
        StatusCode::OK,
    )
    .await;
    answer["value"][0]["importId"].as_str().unwrap().to_owned()
}

/// Complete, 802, 803, 806 (this tenant has the serial) and 808 (another tenant has it), processed
/// by whichever instance is free; the new device is readable through the other.
async fn imports_with_every_outcome(a: &TestApp, b: &TestApp, tenant: Uuid, other: Uuid) {
    let records = vec![
        json!({"serialNumber": "IMP-NEW", "hardwareIdentifier": HASH, "groupTag": "Imported"}),
        json!({"serialNumber": "IMP-NOHASH"}),
        json!({"productKey": "KEY-ONLY", "hardwareIdentifier": HASH}),
        json!({"serialNumber": "T0-0", "hardwareIdentifier": HASH}),
        json!({"serialNumber": "T1-0", "hardwareIdentifier": HASH}),
    ];
    let import_id = import(a, tenant, records).await;
    let outcomes: BTreeMap<String, (String, i64)> = processed(b, tenant, &import_id)
        .await
        .iter()
        .map(|r| {
            (
                r["serialNumber"].as_str().unwrap_or("(none)").to_owned(),
                (
                    r["state"]["deviceImportStatus"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    r["state"]["deviceErrorCode"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    let expected: BTreeMap<String, (String, i64)> = [
        ("IMP-NEW", "complete", 0),
        ("IMP-NOHASH", "error", 802),
        ("(none)", "error", 803),
        ("T0-0", "error", 806),
        ("T1-0", "error", 808),
    ]
    .into_iter()
    .map(|(serial, status, code)| (serial.to_owned(), (status.to_owned(), code)))
    .collect();
    assert_eq!(outcomes, expected);
    let found = expect(
        b,
        tenant,
        Method::GET,
        &format!("v1.0/{COLLECTION}?$filter=serialNumber eq 'IMP-NEW'"),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["value"][0]["groupTag"], "Imported");
    // The other tenant's device stays its own.
    let theirs = expect(
        a,
        other,
        Method::GET,
        &format!("v1.0/{COLLECTION}?$filter=serialNumber eq 'T1-0'"),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs["value"].as_array().unwrap().len(), 1);
}

/// A tenant whose import batch fails (a constraint added on the cluster refuses its device) waits
/// alone: another tenant's import, queued behind it, goes through at once; the first one's once the
/// fault is gone.
async fn a_failing_tenant_waits_alone(
    coordinator: &mut PgConnection,
    a: &TestApp,
    b: &TestApp,
    failing: Uuid,
    healthy: Uuid,
) {
    sqlx::query(
        "ALTER TABLE device_identities \
         ADD CONSTRAINT injected_fault CHECK (serial_number <> 'FAILS-ON-CITUS')",
    )
    .execute(&mut *coordinator)
    .await
    .unwrap();
    let record = |serial: &str| vec![json!({"serialNumber": serial, "hardwareIdentifier": HASH})];
    let failing_import = import(a, failing, record("FAILS-ON-CITUS")).await;
    let deadline = Instant::now() + SETTLES_WITHIN;
    while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM import_retries WHERE tenant_id = $1")
        .bind(failing)
        .fetch_one(&mut *coordinator)
        .await
        .unwrap()
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the failing batch was never tried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    let healthy_import = import(b, healthy, record("PASSES-ON-CITUS")).await;
    let records = processed(a, healthy, &healthy_import).await;
    assert_eq!(records[0]["state"]["deviceImportStatus"], "complete");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the other tenant's import waited {:?}",
        started.elapsed()
    );
    let waiting = expect(
        b,
        failing,
        Method::GET,
        &format!("v1.0/{IMPORTED}?$filter=importId eq '{failing_import}'"),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        waiting["value"][0]["state"]["deviceImportStatus"],
        "unknown"
    );
    sqlx::query("ALTER TABLE device_identities DROP CONSTRAINT injected_fault")
        .execute(&mut *coordinator)
        .await
        .unwrap();
    let records = processed(b, failing, &failing_import).await;
    assert_eq!(records[0]["state"]["deviceImportStatus"], "complete");
}

/// Polls the tenant's device until its status is `status`.
async fn status_of(app: &TestApp, tenant: Uuid, id: &str, status: &str) -> Json {
    let deadline = Instant::now() + SETTLES_WITHIN;
    loop {
        let device = expect(
            app,
            tenant,
            Method::GET,
            &format!("{DEVICES}/{id}"),
            None,
            StatusCode::OK,
        )
        .await;
        if device["deploymentProfileAssignmentStatus"] == status {
            return device;
        }
        assert!(Instant::now() < deadline, "never {status}: {device}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A dynamic group of the devices tagged `tag` (created through `a`) and a profile (through `b`)
/// assigned to it; the profile's id.
async fn assign_profile_to_tag(a: &TestApp, b: &TestApp, tenant: Uuid, tag: &str) -> String {
    let rule = format!(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:{tag}"))"#);
    let group = expect(
        a,
        tenant,
        Method::POST,
        "beta/groups",
        Some(
            json!({"displayName": tag, "mailNickname": tag.to_lowercase(), "mailEnabled": false,
                    "securityEnabled": true, "groupTypes": ["DynamicMembership"],
                    "membershipRule": rule}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let profile = expect(
        b,
        tenant,
        Method::POST,
        PROFILES,
        Some(
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                    "displayName": format!("{tag} profile")}),
        ),
        StatusCode::CREATED,
    )
    .await;
    let profile = profile["id"].as_str().unwrap().to_owned();
    expect(
        a,
        tenant,
        Method::POST,
        &format!("{PROFILES}/{profile}/assignments"),
        Some(
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                               "groupId": group["id"]}}),
        ),
        StatusCode::CREATED,
    )
    .await;
    profile
}

/// A profile assigned to a dynamic group on the group tag: a device with the tag, and one whose
/// tag is changed to it, are worked out by one instance's writes and the other's workers, and
/// settle.
async fn dynamic_group_to_assigned(a: &TestApp, b: &TestApp, tenant: Uuid) {
    let profile = assign_profile_to_tag(a, b, tenant, "Kiosk").await;
    let profile = profile.as_str();
    let kiosk = expect(
        b,
        tenant,
        Method::POST,
        DEVICES,
        Some(json!({"serialNumber": "KIOSK-1", "groupTag": "Kiosk"})),
        StatusCode::CREATED,
    )
    .await;
    let kiosk = kiosk["id"].as_str().unwrap();
    let settled = status_of(a, tenant, kiosk, "assignedUnkownSyncState").await;
    assert_ne!(
        settled["deploymentProfileAssignedDateTime"],
        "0001-01-01T00:00:00Z"
    );

    // Another device moves in by its group tag.
    let desk = expect(
        a,
        tenant,
        Method::POST,
        DEVICES,
        Some(json!({"serialNumber": "DESK-1", "groupTag": "Desk"})),
        StatusCode::CREATED,
    )
    .await;
    let desk = desk["id"].as_str().unwrap();
    status_of(b, tenant, desk, "notAssigned").await;
    expect(
        b,
        tenant,
        Method::POST,
        &format!("{DEVICES}/{desk}/updateDeviceProperties"),
        Some(json!({"groupTag": "Kiosk"})),
        StatusCode::NO_CONTENT,
    )
    .await;
    status_of(a, tenant, desk, "assignedUnkownSyncState").await;
    let intended = expect(
        b,
        tenant,
        Method::GET,
        &format!("{DEVICES}/{desk}/intendedDeploymentProfile"),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(intended["id"], profile);
}

/// A sync runs its course and completes.
async fn sync(app: &TestApp, tenant: Uuid) {
    expect(
        app,
        tenant,
        Method::POST,
        &format!("{SETTINGS}/sync"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let deadline = Instant::now() + SETTLES_WITHIN;
    loop {
        let settings = expect(app, tenant, Method::GET, SETTINGS, None, StatusCode::OK).await;
        if settings["syncStatus"] == "completed" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the sync never completed: {settings}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Seed, export, import-state into a tenant on the other worker, reset: through both instances.
async fn control_plane(a: &TestApp, b: &TestApp, tenant: Uuid) {
    populate(a, tenant, "citus").await;
    let seeded = body_of(
        control(
            b,
            Method::POST,
            &format!("tenants/{tenant}/seed"),
            Some(json!({"devices": 1000, "serialPrefix": "SEED-", "groupTag": "Seeded"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(seeded["created"], 1000);
    let settled = body_of(
        control(
            a,
            Method::POST,
            &format!("tenants/{tenant}/imports/settle"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(settled.is_object(), "{settled}");
    let exported = export(a, tenant).await;
    let copy = Uuid::new_v4();
    body_of(
        control(
            b,
            Method::POST,
            &format!("tenants/{copy}/import-state"),
            Some(serde_json::from_str(&exported).unwrap()),
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        export(b, copy).await,
        exported,
        "the copy loads back identical"
    );
    for gone in [tenant, copy] {
        body_of(
            control(a, Method::POST, &format!("tenants/{gone}/reset"), None).await,
            StatusCode::NO_CONTENT,
        )
        .await;
        let count = graph(
            b,
            gone,
            Method::GET,
            &format!("v1.0/{COLLECTION}/$count"),
            None,
        )
        .await;
        assert_eq!(count.text().await.unwrap(), "0");
    }
}

/// `--throttle` answers 429 past its burst, its table reached every time.
async fn throttling(url: &str, tenant: Uuid) {
    let throttled = spawn_app_with(url, &[&SERVE[..], &["--throttle", "3/60"]].concat()).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = send_as(
            &throttled,
            &token(tenant),
            Method::GET,
            &format!("v1.0/{COLLECTION}/$count"),
            None,
        )
        .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let metrics = throttled.get("metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("autopilot_throttle_unconsulted_total 0"),
        "{metrics}"
    );
    throttled.stop().await;
}

/// Each tenant's shards of every distributed table are on one worker, which holds its rows; the
/// tenants are on both workers.
async fn rows_sit_on_their_tenants_worker(
    coordinator: &mut PgConnection,
    workers: &BTreeMap<i32, i32>,
    tenants: &[Uuid],
) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT logicalrelid::regclass::text FROM pg_dist_partition WHERE partmethod = 'h'",
    )
    .fetch_all(&mut *coordinator)
    .await
    .unwrap();
    let mut used = BTreeSet::new();
    for &tenant in tenants {
        let mut groups = BTreeSet::new();
        for table in &tables {
            let (shard, group) = group_of(coordinator, table, tenant).await;
            groups.insert(group);
            let here: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} WHERE tenant_id = $1"
            )))
            .bind(tenant)
            .fetch_one(&mut *coordinator)
            .await
            .unwrap();
            let port = workers[&group];
            let mut worker = PgConnection::connect(&format!(
                "postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
            ))
            .await
            .unwrap();
            let there: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT count(*) FROM {table}_{shard} WHERE tenant_id = $1"
            )))
            .bind(tenant)
            .fetch_one(&mut worker)
            .await
            .unwrap();
            assert_eq!(there, here, "{table} of {tenant} on the worker at {port}");
        }
        assert_eq!(groups.len(), 1, "{tenant}'s rows on several workers");
        used.extend(groups);
    }
    assert_eq!(used.len(), 2, "the tenants sit on both workers");
    let devices: i64 =
        sqlx::query_scalar("SELECT count(*) FROM device_identities WHERE tenant_id = ANY($1)")
            .bind(tenants)
            .fetch_one(&mut *coordinator)
            .await
            .unwrap();
    assert!(devices > 0, "the tenants hold devices");
}

/// The figures docs/citus.md quotes: a seed of 100,000 devices, an import of 10,000 records
/// processed, and a group-tag change settling among them.
async fn figures(a: &TestApp, b: &TestApp, tenant: Uuid) {
    let started = Instant::now();
    body_of(
        control(
            a,
            Method::POST,
            &format!("tenants/{tenant}/seed"),
            Some(json!({"devices": 100_000, "serialPrefix": "FIG-", "groupTag": "Fleet"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let seed = started.elapsed();

    let started = Instant::now();
    let mut imports = Vec::new();
    for call in 0..20 {
        let app = if call % 2 == 0 { a } else { b };
        let records: Vec<Json> = (0..500)
            .map(|i| json!({"serialNumber": format!("FIGIMP-{call:02}-{i:03}"), "hardwareIdentifier": HASH}))
            .collect();
        imports.push(import(app, tenant, records).await);
    }
    let uploaded = started.elapsed();
    for import_id in &imports {
        let records = processed(b, tenant, import_id).await;
        assert!(
            records
                .iter()
                .all(|r| r["state"]["deviceImportStatus"] == "complete")
        );
    }
    let import = started.elapsed();

    // A dynamic group on a tag no device has, assigned a profile; then one device takes the tag.
    assign_profile_to_tag(a, a, tenant, "Moved").await;
    let device = expect(
        b,
        tenant,
        Method::GET,
        &format!("{DEVICES}?$filter=serialNumber eq 'FIG-050000'"),
        None,
        StatusCode::OK,
    )
    .await;
    let id = device["value"][0]["id"].as_str().unwrap().to_owned();
    // The assignment's whole-tenant pass over 110,000 devices first, then the change alone.
    let started = Instant::now();
    status_of(b, tenant, &id, "notAssigned").await;
    let deadline = Instant::now() + SETTLES_WITHIN * 5;
    loop {
        let backlog = a.get("metrics").await.text().await.unwrap();
        if backlog.contains("autopilot_backlog{work=\"recomputes\"} 0") {
            break;
        }
        assert!(Instant::now() < deadline, "recomputes never drained");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let tenant_pass = started.elapsed();
    let started = Instant::now();
    expect(
        a,
        tenant,
        Method::POST,
        &format!("{DEVICES}/{id}/updateDeviceProperties"),
        Some(json!({"groupTag": "Moved"})),
        StatusCode::NO_CONTENT,
    )
    .await;
    status_of(b, tenant, &id, "pending").await;
    let pending = started.elapsed();
    status_of(b, tenant, &id, "assignedUnkownSyncState").await;
    let settled = started.elapsed();
    println!(
        "citus figures: seed of 100,000 devices {seed:.1?}; import of 10,000 records: uploaded in \
         {uploaded:.1?}, all processed after {import:.1?}; an assignment worked out over the \
         tenant's 110,000 devices in {tenant_pass:.1?}; a group-tag change pending after \
         {pending:.1?}, settled (1 s assignment delay) after {settled:.1?}"
    );
}
