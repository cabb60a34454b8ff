//! The schema as written out (`schema.sql`) and the upgrade of a database made by the v0.1
//! release (`fixtures/v0_1.sql`), both against what a fresh open makes today.

use gridpatrol_core::sqlite::{load_fixture, schema_of_sql, schema_text, table_rows, upgrade_damage};
use rusqlite::types::Value;

use super::*;

const SCHEMA_SQL: &str = include_str!("../schema.sql");
const V0_1_FIXTURE: &str = include_str!("fixtures/v0_1.sql");

fn fresh_schema(dir: &Path) -> Vec<String> {
    let db = Db::open(&dir.join("fresh")).expect("fresh db");
    db.read(|c| Ok(schema_text(c)?)).expect("schema")
}

#[test]
fn schema_sql_is_what_the_steps_make() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        schema_of_sql(SCHEMA_SQL).expect("schema.sql runs"),
        fresh_schema(dir.path()),
        "platform/src/schema.sql differs from what the steps make"
    );
}

#[test]
fn a_v0_1_database_upgrades_to_the_fresh_schema_with_its_rows_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v0_1.db");
    let (version, before) = load_fixture(&path, V0_1_FIXTURE).expect("the v0.1 fixture runs");
    assert_eq!(version, 1, "the fixture is a v0.1 (schema 1) database");
    assert_eq!(before["report"].len(), 3, "reports in every status");

    let db = Db::open(&path).expect("today's code opens a v0.1 database");
    assert_eq!(
        db.read(|c| Ok(schema_text(c)?)).expect("schema"),
        fresh_schema(dir.path())
    );
    let after = db.read(|c| Ok(table_rows(c)?)).expect("rows");
    // The v3 step drops v0.1's unowned partial photos (complete = 0), on purpose. Columns added
    // since v0.1 start empty: an unbound device, no clock skew.
    let dropped = |table: &str, row: &gridpatrol_core::sqlite::Row| {
        table == "photo" && row["complete"] == Value::Integer(0)
    };
    assert_eq!(upgrade_damage(&before, &after, dropped), Vec::<String>::new());
    assert_eq!(before["photo"].len(), 3);
    assert_eq!(after["photo"].len(), 2, "the incomplete v0.1 photo is dropped");
    for table in ["worker", "enrollment_code", "photo_uploader", "photo_partial"] {
        assert!(after[table].is_empty(), "{table} starts empty");
    }
}
