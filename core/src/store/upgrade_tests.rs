//! The schema as written out (`schema.sql`) and the upgrade of a store made by the v0.1
//! release (`fixtures/v0_1.sql`), both against what a fresh open makes today.

use super::*;
use crate::sqlite::{load_fixture, schema_of_sql, schema_text, table_rows, upgrade_damage};

const SCHEMA_SQL: &str = include_str!("schema.sql");
const V0_1_FIXTURE: &str = include_str!("fixtures/v0_1.sql");

fn fresh_schema(dir: &Path) -> Vec<String> {
    let store = Store::open(&dir.join("fresh")).expect("fresh store");
    store.read(|c| Ok(schema_text(c)?)).expect("schema")
}

#[test]
fn schema_sql_is_what_the_steps_make() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        schema_of_sql(SCHEMA_SQL).expect("schema.sql runs"),
        fresh_schema(dir.path()),
        "core/src/store/schema.sql differs from what the steps make"
    );
}

#[test]
fn a_v0_1_store_upgrades_to_the_fresh_schema_with_every_row_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v0_1");
    let (version, before) = load_fixture(&path, V0_1_FIXTURE).expect("the v0.1 fixture runs");
    assert_eq!(version, 2, "the fixture is a v0.1 (schema 2) store");
    assert_eq!(before["report"].len(), 4, "reports in every state");

    let store = Store::open(&path).expect("today's code opens a v0.1 store");
    assert!(!store.was_created(), "an upgraded store is not a new one");
    assert_eq!(
        store.read(|c| Ok(schema_text(c)?)).expect("schema"),
        fresh_schema(dir.path())
    );
    let after = store.read(|c| Ok(table_rows(c)?)).expect("rows");
    // Columns added since v0.1 start empty: body_sha256 NULL means "sent unverified".
    assert_eq!(
        upgrade_damage(&before, &after, |_, _| false),
        Vec::<String>::new()
    );
    // The later steps' tables exist and are empty; the outbox index sees the pending report.
    assert!(after["photo_upload"].is_empty() && after["patrol"].is_empty());
    let outbox: Vec<String> = store
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT id FROM report INDEXED BY report_outbox WHERE state = 'pending' ORDER BY submitted_at")?;
            let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })
        .expect("outbox");
    assert_eq!(outbox, ["0192f0a0-0000-7000-8000-000000000002"]);
}
