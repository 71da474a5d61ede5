//! The property that lets the schema be sharded by tenant (README, "Running on a distributed
//! PostgreSQL"): every table has a `tenant_id`, and every primary key, unique index, exclusion
//! constraint and foreign key includes it (a foreign key matching it to the referenced table's),
//! but for the reference tables. Read from the migrated catalog; also, the migration that made it
//! so applies to a database that already holds rows.

use autopilot_registry::store::distribution::REFERENCE_TABLES;
use reqwest::StatusCode;
use serde_json::Value as Json;
use sqlx::{Executor, PgPool};

use crate::helpers::{body_of, fresh_database, spawn_app, spawn_app_on};

/// The tenant every request acts for under `--auth none`.
const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// What breaks the property in `schema`: one line per table, index or constraint, naming it.
/// Reference tables and sqlx's migration record are exempt.
async fn tenant_key_violations(db: &PgPool, schema: &str) -> Vec<String> {
    let mut exempt: Vec<&str> = REFERENCE_TABLES.iter().map(|t| t.name).collect();
    exempt.push("_sqlx_migrations");
    sqlx::query_scalar(
        "WITH tables AS ( \
             SELECT c.oid, c.relname::text AS name, \
                    (SELECT a.attnum FROM pg_attribute a \
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' \
                       AND NOT a.attisdropped) AS tenant \
             FROM pg_class c \
             WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') \
               AND c.relname <> ALL ($2)) \
         SELECT format('table %s has no tenant_id column', t.name) \
         FROM tables t WHERE t.tenant IS NULL \
         UNION ALL \
         SELECT format('%s %s of table %s does not include tenant_id', \
                       CASE WHEN i.indisprimary THEN 'primary key' \
                            WHEN i.indisexclusion THEN 'exclusion constraint' \
                            ELSE 'unique index' END, \
                       i.indexrelid::regclass, t.name) \
         FROM tables t JOIN pg_index i ON i.indrelid = t.oid \
         WHERE (i.indisunique OR i.indisexclusion) AND t.tenant IS NOT NULL \
           AND NOT t.tenant = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1]) \
         UNION ALL \
         SELECT format('foreign key %s of table %s does not match its tenant_id to %s.tenant_id', \
                       k.conname, t.name, k.confrelid::regclass) \
         FROM tables t JOIN pg_constraint k ON k.conrelid = t.oid \
         WHERE k.contype = 'f' AND t.tenant IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM unnest(k.conkey, k.confkey) AS pair(referencing, referenced) \
                           JOIN pg_attribute a \
                             ON a.attrelid = k.confrelid AND a.attnum = pair.referenced \
                           WHERE pair.referencing = t.tenant AND a.attname = 'tenant_id') \
         ORDER BY 1",
    )
    .bind(schema)
    .bind(&exempt)
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_key_of_every_tenant_table_includes_the_tenant() {
    let app = spawn_app().await;
    let db = app.db().await;
    let violations = tenant_key_violations(&db, "public").await;
    assert!(
        violations.is_empty(),
        "the schema cannot be sharded by tenant (make the key include tenant_id, or add the table \
         to REFERENCE_TABLES with its reason):\n{}",
        violations.join("\n")
    );
    // The reference tables exist: a renamed one would leave its exemption on nothing.
    for table in REFERENCE_TABLES {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table.name)
            .fetch_one(&db)
            .await
            .unwrap();
        assert!(
            exists,
            "no reference table {} ({})",
            table.name, table.reason
        );
    }
}

#[tokio::test]
async fn a_table_or_key_without_the_tenant_is_named() {
    let app = spawn_app().await;
    let db = app.db().await;
    db.execute(
        "CREATE SCHEMA scratch; \
         CREATE TABLE scratch.no_tenant (id uuid PRIMARY KEY); \
         CREATE TABLE scratch.parent (tenant_id uuid, id uuid, serial text, \
                                      PRIMARY KEY (tenant_id, id), \
                                      CONSTRAINT parent_serial UNIQUE (serial)); \
         CREATE UNIQUE INDEX parent_by_id ON scratch.parent (id); \
         CREATE TABLE scratch.child (tenant_id uuid, id uuid PRIMARY KEY, parent_id uuid, \
                                     CONSTRAINT child_parent FOREIGN KEY (parent_id) \
                                         REFERENCES scratch.parent (id)); \
         CREATE TABLE scratch.crossed (tenant_id uuid, other uuid, parent_id uuid, \
                                       PRIMARY KEY (tenant_id, parent_id), \
                                       CONSTRAINT crossed_parent FOREIGN KEY (other, parent_id) \
                                           REFERENCES scratch.parent (tenant_id, id));",
    )
    .await
    .unwrap();
    assert_eq!(
        tenant_key_violations(&db, "scratch").await,
        [
            "foreign key child_parent of table child does not match its tenant_id to scratch.parent.tenant_id",
            "foreign key crossed_parent of table crossed does not match its tenant_id to scratch.parent.tenant_id",
            "primary key scratch.child_pkey of table child does not include tenant_id",
            "table no_tenant has no tenant_id column",
            "unique index scratch.parent_by_id of table parent does not include tenant_id",
            "unique index scratch.parent_serial of table parent does not include tenant_id",
        ]
    );
}

/// Rows of two tenants as the service kept them before keys included the tenant, with one member
/// added across tenants (which only a hand-written state document could do).
const BEFORE_TENANT_KEYS: &str = "
    INSERT INTO device_identities (id, tenant_id, serial_number, group_tag, directory_object_id)
    VALUES ('d0000000-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000',
            'KEEP-1', 'Kiosk', 'a0000000-0000-4000-8000-000000000001'),
           ('d0000000-0000-4000-8000-000000000002', '00000000-0000-0000-0000-000000000000',
            'KEEP-2', NULL, 'a0000000-0000-4000-8000-000000000002'),
           ('d0000000-0000-4000-8000-000000000003', '11111111-0000-4000-8000-000000000000',
            'OTHER-1', NULL, 'a0000000-0000-4000-8000-000000000003');
    INSERT INTO directory_groups (id, tenant_id, display_name, mail_enabled, mail_nickname,
                                  security_enabled)
    VALUES ('90000000-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000',
            'Static', false, 'static', true),
           ('90000000-0000-4000-8000-000000000002', '11111111-0000-4000-8000-000000000000',
            'Theirs', false, 'theirs', true);
    INSERT INTO directory_group_members (tenant_id, group_id, device_object_id)
    VALUES ('00000000-0000-0000-0000-000000000000', '90000000-0000-4000-8000-000000000001',
            'a0000000-0000-4000-8000-000000000001'),
           ('00000000-0000-0000-0000-000000000000', '90000000-0000-4000-8000-000000000002',
            'a0000000-0000-4000-8000-000000000002');
    INSERT INTO deployment_profiles (id, tenant_id, odata_type, display_name)
    VALUES ('70000000-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000',
            'microsoft.graph.azureADWindowsAutopilotDeploymentProfile', 'Kept');
    INSERT INTO deployment_profile_assignments (id, tenant_id, profile_id, target_type, group_id)
    VALUES ('70000000-0000-4000-8000-000000000001_90000000-0000-4000-8000-000000000001_0',
            '00000000-0000-0000-0000-000000000000', '70000000-0000-4000-8000-000000000001',
            'microsoft.graph.groupAssignmentTarget', '90000000-0000-4000-8000-000000000001');
    INSERT INTO imported_device_identities (id, tenant_id, serial_number, import_id, pending)
    VALUES ('e0000000-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000',
            'IMPORTED-1', 'batch-1', false);
";

#[tokio::test]
async fn the_tenant_keys_migration_applies_to_a_populated_database() {
    let database_url = fresh_database().await;
    let migrator = sqlx::migrate!();
    let tenant_keys = migrator
        .iter()
        .position(|m| m.description == "tenant keys")
        .expect("the tenant keys migration");
    let before = migrator.iter().nth(tenant_keys - 1).unwrap().version;
    let db = PgPool::connect(&database_url).await.unwrap();
    migrator.run_to(before, &db).await.unwrap();
    db.execute(BEFORE_TENANT_KEYS).await.unwrap();

    // The service applies the rest at start, and serves the rows kept.
    let app = spawn_app_on(&database_url).await;
    assert!(tenant_key_violations(&db, "public").await.is_empty());
    let device = body_of(
        app.get("beta/deviceManagement/windowsAutopilotDeviceIdentities/d0000000-0000-4000-8000-000000000001")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(device["serialNumber"], "KEEP-1");
    let members = body_of(
        app.get("v1.0/groups/90000000-0000-4000-8000-000000000001/members")
            .await,
        StatusCode::OK,
    )
    .await;
    let serials: Vec<&Json> = members["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["displayName"])
        .collect();
    assert_eq!(serials, ["KEEP-1"]);
    let assignments = body_of(
        app.get("beta/deviceManagement/windowsAutopilotDeploymentProfiles/70000000-0000-4000-8000-000000000001/assignments")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(assignments["value"].as_array().unwrap().len(), 1);
    // The member added across tenants is gone; every other row is kept.
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM device_identities), \
                (SELECT count(*) FROM directory_group_members), \
                (SELECT count(*) FROM deployment_profile_assignments), \
                (SELECT count(*) FROM imported_device_identities)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(counts, (3, 1, 1, 1));
    // A group's members are deleted with it, through the new foreign key.
    let deleted = app
        .client
        .delete(app.url("v1.0/groups/90000000-0000-4000-8000-000000000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let members: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM directory_group_members WHERE tenant_id = $1::uuid",
    )
    .bind(DEFAULT_TENANT)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(members, 0);
}
