//! The schema as written out (`schema.sql`) and the upgrade of a database made by the v0.1
//! release (`fixtures/v0_1.sql`), both against what a fresh open makes today.

use gridpatrol_core::sqlite::{TableRows, schema_text, table_rows};
use rusqlite::Connection;
use rusqlite::types::Value;

use super::*;

const SCHEMA_SQL: &str = include_str!("../schema.sql");
const V0_1_FIXTURE: &str = include_str!("fixtures/v0_1.sql");

fn fresh_schema(dir: &Path) -> Vec<String> {
    let db = Db::open(&dir.join("fresh")).expect("fresh db");
    db.read(|c| Ok(schema_text(c)?)).expect("schema")
}

fn rows(conn: &Connection) -> TableRows {
    table_rows(conn).expect("rows")
}

#[test]
fn schema_sql_is_what_the_steps_make() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = Connection::open_in_memory().expect("memory db");
    written.execute_batch(SCHEMA_SQL).expect("schema.sql runs");
    assert_eq!(
        schema_text(&written).expect("schema"),
        fresh_schema(dir.path()),
        "platform/src/schema.sql differs from what the steps make"
    );
}

#[test]
fn a_v0_1_database_upgrades_to_the_fresh_schema_with_its_rows_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v0_1.db");
    let before = {
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(V0_1_FIXTURE).expect("the v0.1 fixture runs");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, 1, "the fixture is a v0.1 (schema 1) database");
        rows(&conn)
    };
    assert_eq!(before["report"].len(), 3, "reports in every status");

    let db = Db::open(&path).expect("today's code opens a v0.1 database");
    assert_eq!(
        db.read(|c| Ok(schema_text(c)?)).expect("schema"),
        fresh_schema(dir.path())
    );
    let after = db.read(|c| Ok(rows(c))).expect("rows");
    for (table, old_rows) in &before {
        // The v3 step drops v0.1's unowned partial photos (complete = 0), on purpose.
        let expected: Vec<_> = old_rows
            .iter()
            .filter(|row| !(table == "photo" && row["complete"] == Value::Integer(0)))
            .collect();
        let new_rows = &after[table];
        assert_eq!(new_rows.len(), expected.len(), "{table}: row count");
        for (old, new) in expected.into_iter().zip(new_rows) {
            for (column, value) in old {
                assert_eq!(&new[column], value, "{table}.{column}");
            }
            // Columns added since v0.1 start empty: an unbound device, no clock skew.
            for (column, value) in new.iter().filter(|(c, _)| !old.contains_key(*c)) {
                assert_eq!(value, &Value::Null, "{table}.{column} added by an upgrade");
            }
        }
    }
    assert_eq!(before["photo"].len(), 3);
    assert_eq!(after["photo"].len(), 2, "the incomplete v0.1 photo is dropped");
    for table in ["worker", "enrollment_code", "photo_uploader", "photo_partial"] {
        assert!(after[table].is_empty(), "{table} starts empty");
    }
}
