//! `$filter` text to SQL, end to end: the wire contract's parser feeding the store's compiler.
//! Here rather than in `store`, which never imports the wire contract.

use uuid::Uuid;

use crate::domain::ApiVersion;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::entity::Value;
use crate::graph::odata::filter::parse_filter;
use crate::store::filter::condition;

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn time(value: &str) -> Value {
    Value::DateTime(value.parse().unwrap())
}

#[test]
fn filters_compile_to_parameterised_sql() {
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    #[rustfmt::skip]
    let cases: Vec<(ApiVersion, String, &str, Vec<Value>)> = vec![
        (ApiVersion::V1, "contains(serialNumber,'0046')".into(),
         "serial_number ILIKE $2", vec![text("%0046%")]),
        (ApiVersion::V1, "startswith(displayName,'Kiosk')".into(),
         "display_name ILIKE $2", vec![text("Kiosk%")]),
        (ApiVersion::V1, "endswith(groupTag,'-EU')".into(),
         "group_tag ILIKE $2", vec![text("%-EU")]),
        // LIKE's metacharacters and its escape character match literally.
        (ApiVersion::V1, r"contains(displayName,'O''Brien 100%_\')".into(),
         "display_name ILIKE $2", vec![text(r"%O'Brien 100\%\_\\%")]),
        (ApiVersion::V1, r"startswith(model,'\%')".into(),
         "model ILIKE $2", vec![text(r"\\\%%")]),
        (ApiVersion::V1, "contains(model,'')".into(),
         "model ILIKE $2", vec![text("%%")]),
        // SQL in a literal stays a bound value.
        (ApiVersion::V1, "serialNumber eq '''; DROP TABLE device_identities; --'".into(),
         "lower(serial_number) = lower($2)", vec![text("'; DROP TABLE device_identities; --")]),
        (ApiVersion::V1, "'A' eq serialNumber".into(),
         "lower(serial_number) = lower($2)", vec![text("A")]),
        (ApiVersion::V1, "displayName ne 'x'".into(),
         "(display_name IS NULL OR lower(display_name) <> lower($2))", vec![text("x")]),
        (ApiVersion::V1, "groupTag eq null".into(), "group_tag IS NULL", vec![]),
        (ApiVersion::V1, "groupTag ne null".into(), "group_tag IS NOT NULL", vec![]),
        (ApiVersion::V1, "enrollmentState eq 'enrolled'".into(),
         "enrollment_state = $2", vec![text("enrolled")]),
        (ApiVersion::V1, "enrollmentState ne microsoft.graph.enrollmentState'failed'".into(),
         "enrollment_state <> $2", vec![text("failed")]),
        (ApiVersion::Beta, "userlessEnrollmentStatus eq 'allowed'".into(),
         "userless_enrollment_status = $2", vec![text("allowed")]),
        (ApiVersion::V1, format!("id eq {id}"),
         "id = $2", vec![Value::Guid(Uuid::parse_str(id).unwrap())]),
        (ApiVersion::V1, format!("id ne '{id}'"),
         "id <> $2", vec![Value::Guid(Uuid::parse_str(id).unwrap())]),
        (ApiVersion::V1, "lastContactedDateTime gt 2024-01-02T03:04:05+02:00".into(),
         "last_contacted_date_time > $2", vec![time("2024-01-02T01:04:05Z")]),
        (ApiVersion::V1, "lastContactedDateTime ge '2024-01-02T03:04:05Z'".into(),
         "last_contacted_date_time >= $2", vec![time("2024-01-02T03:04:05Z")]),
        (ApiVersion::V1, "2024-01-02T03:04:05Z gt lastContactedDateTime".into(),
         "last_contacted_date_time < $2", vec![time("2024-01-02T03:04:05Z")]),
        (ApiVersion::V1, "lastContactedDateTime le 2024-01-02T03:04:05.5Z".into(),
         "last_contacted_date_time <= $2", vec![time("2024-01-02T03:04:05.5Z")]),
        (ApiVersion::V1, "lastContactedDateTime eq 0001-01-01T00:00:00Z".into(),
         "last_contacted_date_time = $2", vec![time("0001-01-01T00:00:00Z")]),
        (ApiVersion::V1, "lastContactedDateTime ne 0001-01-01T00:00:00Z".into(),
         "last_contacted_date_time <> $2", vec![time("0001-01-01T00:00:00Z")]),
        // Precedence is explicit; placeholders follow the text from left to right.
        (ApiVersion::V1, "serialNumber eq 'a' or serialNumber eq 'b' and groupTag eq null".into(),
         "(lower(serial_number) = lower($2) OR (lower(serial_number) = lower($3) AND group_tag IS NULL))",
         vec![text("a"), text("b")]),
        (ApiVersion::V1, "(contains(serialNumber,'a') or contains(serialNumber,'b')) and enrollmentState eq 'enrolled'".into(),
         "((serial_number ILIKE $2 OR serial_number ILIKE $3) AND enrollment_state = $4)",
         vec![text("%a%"), text("%b%"), text("enrolled")]),
        (ApiVersion::V1, "not groupTag eq 'x'".into(),
         "(NOT COALESCE(lower(group_tag) = lower($2), FALSE))", vec![text("x")]),
        (ApiVersion::V1, "not (contains(displayName,'a') and not groupTag eq null)".into(),
         "(NOT COALESCE((display_name ILIKE $2 AND (NOT COALESCE(group_tag IS NULL, FALSE))), FALSE))",
         vec![text("%a%")]),
    ];
    for (version, filter, expected_sql, expected_binds) in cases {
        let parsed = parse_filter(&filter, &DEVICE_IDENTITIES, version)
            .unwrap_or_else(|e| panic!("{filter}: {e}"));
        let mut binds = vec![Value::Guid(Uuid::nil())];
        assert_eq!(condition(&parsed, &mut binds), expected_sql, "{filter}");
        assert_eq!(binds[1..], expected_binds, "{filter}");
    }
}

#[test]
fn placeholders_follow_the_binds_already_there() {
    let parsed = parse_filter(
        "serialNumber eq 'a' and enrollmentState eq 'enrolled'",
        &DEVICE_IDENTITIES,
        ApiVersion::V1,
    )
    .unwrap();
    // $1 is the tenant already in the list.
    let tenant = Value::Guid(Uuid::nil());
    let mut binds = vec![tenant.clone()];
    let sql = condition(&parsed, &mut binds);
    assert_eq!(
        sql,
        "(lower(serial_number) = lower($2) AND enrollment_state = $3)"
    );
    assert_eq!(binds, vec![tenant, text("a"), text("enrolled")]);
}

#[test]
fn the_sql_text_never_contains_a_value() {
    let hostile = r"x'); DELETE FROM device_identities; SELECT ('$1 \ % _";
    let quoted = hostile.replace('\'', "''");
    let filters = [
        format!("serialNumber eq '{quoted}'"),
        format!("displayName ne '{quoted}'"),
        format!("contains(model,'{quoted}')"),
        format!("startswith(model,'{quoted}') or endswith(model,'{quoted}')"),
    ];
    for filter in filters {
        let parsed = parse_filter(&filter, &DEVICE_IDENTITIES, ApiVersion::V1).unwrap();
        let mut binds = Vec::new();
        let sql = condition(&parsed, &mut binds);
        assert!(!sql.contains("DELETE") && !sql.contains('\''), "{sql}");
        assert!(!binds.is_empty());
    }
}
