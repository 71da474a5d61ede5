//! Two service processes on one PostgreSQL, driven together: what one does, the other sees and
//! respects, because everything they share lives in the database.

use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::child::{start_service, terminate};
use crate::helpers::{COLLECTION, fresh_database, http_client};

const IMPORTED: &str = "beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const SETTINGS: &str = "beta/deviceManagement/windowsAutopilotSettings";
const SETTLE_WITHIN: Duration = Duration::from_secs(30);

struct Instances {
    children: Vec<Child>,
    bases: [String; 2],
}

impl Instances {
    async fn start(database_url: &str, options: &'static [&'static str]) -> Instances {
        let mut children = Vec::new();
        let mut bases = Vec::new();
        for _ in 0..2 {
            let url = database_url.to_owned();
            let (child, base) =
                tokio::task::spawn_blocking(move || start_service(&url, options, Stdio::inherit()))
                    .await
                    .unwrap();
            children.push(child);
            bases.push(base);
        }
        Instances {
            children,
            bases: bases.try_into().unwrap(),
        }
    }

    fn url(&self, instance: usize, path: &str) -> String {
        format!("{}/{path}", self.bases[instance])
    }

    fn stop(mut self) {
        for child in &mut self.children {
            terminate(child);
            child.wait().unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_share_uniqueness_paging_background_work_and_cooldowns() {
    let database_url = fresh_database().await;
    let instances = Instances::start(&database_url, &["--import-delay", "0.5"]).await;
    let client = http_client();
    let devices = |instance| instances.url(instance, &format!("v1.0/{COLLECTION}"));

    // The same serial number through both at once: exactly one of them creates it.
    let creates = (0..20).flat_map(|n| (0..2).map(move |instance| (n, instance)));
    let answers = futures_util::future::join_all(creates.map(|(n, instance)| {
        let request = client
            .post(devices(instance))
            .json(&json!({"serialNumber": format!("BOTH-{n}")}));
        async move { (n, request.send().await.unwrap().status()) }
    }))
    .await;
    for n in 0..20 {
        let statuses: Vec<StatusCode> = answers
            .iter()
            .filter(|(serial, _)| *serial == n)
            .map(|(_, status)| *status)
            .collect();
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == StatusCode::CREATED)
                .count(),
            1,
            "BOTH-{n}: {statuses:?}"
        );
        assert!(
            statuses.contains(&StatusCode::CONFLICT),
            "BOTH-{n}: {statuses:?}"
        );
    }

    // Paging through one while the other writes: every device there before is seen once.
    for n in 0..230 {
        let created = client
            .post(devices(n % 2))
            .json(&json!({"serialNumber": format!("PAGE-{n:03}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let writer = {
        let client = client.clone();
        let url = devices(1);
        tokio::spawn(async move {
            for n in 0..100 {
                let created = client
                    .post(&url)
                    .json(&json!({"serialNumber": format!("LATE-{n:03}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(created.status(), StatusCode::CREATED);
            }
        })
    };
    let mut seen = HashSet::new();
    let mut next = Some(format!("{}?$top=25&$select=serialNumber", devices(0)));
    while let Some(url) = next {
        let page: Json = client.get(&url).send().await.unwrap().json().await.unwrap();
        for device in page["value"].as_array().unwrap() {
            let serial = device["serialNumber"].as_str().unwrap().to_owned();
            assert!(seen.insert(serial.clone()), "{serial} on two pages");
        }
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    writer.await.unwrap();
    for n in 0..230 {
        assert!(
            seen.contains(&format!("PAGE-{n:03}")),
            "PAGE-{n:03} never seen"
        );
    }

    // Imports sent to both, processed by whichever worker claims them: each record once.
    let hash = "AAECAwQFBgcICQ==";
    for instance in 0..2 {
        let records: Vec<Json> = (0..100)
            .map(|n| json!({"serialNumber": format!("IMP-{instance}-{n:03}"), "hardwareIdentifier": hash}))
            .collect();
        let imported = client
            .post(instances.url(instance, &format!("{IMPORTED}/import")))
            .json(&json!({"importedWindowsAutopilotDeviceIdentities": records}))
            .send()
            .await
            .unwrap();
        assert_eq!(imported.status(), StatusCode::OK);
    }
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let page: Json = client
            .get(instances.url(
                0,
                &format!(
                    "{IMPORTED}?$filter=state/deviceImportStatus eq 'complete'&$count=true&$top=1"
                ),
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["@odata.count"] == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "imports never all complete: {page}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let imported_devices: Json = client
        .get(format!(
            "{}?$filter=startswith(serialNumber,'IMP-')&$count=true&$top=1",
            devices(1)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        imported_devices["@odata.count"], 200,
        "one device per record"
    );

    // A sync through one starts the cooldown the other enforces.
    let synced = client
        .post(instances.url(0, &format!("{SETTINGS}/sync")))
        .send()
        .await
        .unwrap();
    assert_eq!(synced.status(), StatusCode::NO_CONTENT);
    let again = client
        .post(instances.url(1, &format!("{SETTINGS}/sync")))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            again.status(),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::CONFLICT
        ),
        "{}",
        again.status()
    );
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let again = client
            .post(instances.url(1, &format!("{SETTINGS}/sync")))
            .send()
            .await
            .unwrap();
        if again.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry_after: u64 = again.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry_after > 500, "{retry_after}");
            break;
        }
        assert_eq!(
            again.status(),
            StatusCode::CONFLICT,
            "while the first sync runs"
        );
        assert!(Instant::now() < deadline, "the first sync never completed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    instances.stop();
}

/// `--throttle` counts a tenant's requests in PostgreSQL: two instances share one budget.
#[tokio::test]
async fn two_processes_share_one_throttle_budget() {
    let database_url = fresh_database().await;
    let instances = Instances::start(&database_url, &["--throttle", "10/600"]).await;
    let client = http_client();
    let mut statuses = Vec::new();
    for n in 0..14 {
        let answer = client
            .get(instances.url(n % 2, &format!("v1.0/{COLLECTION}?$top=1")))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status());
    }
    let served = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // Each instance alone would have served all of its 7.
    assert_eq!((served, throttled), (10, 4), "{statuses:?}");
    instances.stop();
}
