use super::*;

#[derive(Debug, thiserror::Error)]
enum TestError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("too new")]
    TooNew(SchemaTooNew),
    #[error("refused")]
    Refused,
}

impl From<SchemaTooNew> for TestError {
    fn from(e: SchemaTooNew) -> Self {
        TestError::TooNew(e)
    }
}

struct Toy;
impl Schema for Toy {
    const NAME: &'static str = "toy";
    const STEPS: &'static [Step] = &[
        "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;",
        "ALTER TABLE item ADD COLUMN note TEXT; -- a later column",
    ];
}

fn open(path: &Path) -> Result<Database, TestError> {
    Database::open::<Toy, TestError>(path, Options::default(), |_| Ok(()))
}

#[test]
fn a_new_database_gets_every_step_in_wal_mode_with_full_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir.path().join("db")).expect("open");
    assert_eq!(db.found_version(), 0);
    let (version, mode, sync): (i64, String, i64) = db
        .read(|c| {
            Ok::<_, TestError>((
                c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
                c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
            ))
        })
        .expect("read");
    assert_eq!((version, mode.as_str(), sync), (2, "wal", 2));
}

#[test]
fn an_older_database_is_upgraded_with_its_rows_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let mut conn = Connection::open(&path).expect("open");
    let tx = conn.transaction().expect("tx");
    apply_steps::<Toy>(&tx, 0, 1).expect("step 1");
    tx.execute("INSERT INTO item (name) VALUES ('kept')", [])
        .expect("row");
    tx.commit().expect("commit");
    drop(conn);

    let db = open(&path).expect("upgrade");
    assert_eq!(db.found_version(), 1);
    let row: (String, Option<String>) = db
        .read(|c| {
            Ok::<_, TestError>(
                c.query_row("SELECT name, note FROM item", [], |r| Ok((r.get(0)?, r.get(1)?)))?,
            )
        })
        .expect("read");
    assert_eq!(row, ("kept".to_string(), None));
    db.write(|tx| Ok::<_, TestError>(tx.pragma_update(None, "user_version", 3)?))
        .expect("bump");
    drop(db);
    assert!(matches!(
        open(&path),
        Err(TestError::TooNew(SchemaTooNew {
            found: 3,
            supported: 2
        }))
    ));
}

#[test]
fn a_failed_write_or_check_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let db = open(&path).expect("open");
    let result: Result<(), TestError> = db.write(|tx| {
        tx.execute("INSERT INTO item (name) VALUES ('a')", [])?;
        Err(TestError::Refused)
    });
    assert!(matches!(result, Err(TestError::Refused)));
    let n: i64 = db
        .read(|c| Ok::<_, TestError>(c.query_row("SELECT count(*) FROM item", [], |r| r.get(0))?))
        .expect("count");
    assert_eq!(n, 0);
    drop(db);

    // A check that refuses stops the open before any step runs.
    let fresh = dir.path().join("checked");
    let refused = Database::open::<Toy, TestError>(&fresh, Options::default(), |_| Err(TestError::Refused));
    assert!(matches!(refused, Err(TestError::Refused)));
    let conn = Connection::open(&fresh).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 0);
}

#[test]
fn the_autocheckpoint_size_is_set_on_the_writer_and_defaults_to_sqlites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = |options: Options, name: &str| -> i64 {
        let db = Database::open::<Toy, TestError>(&dir.path().join(name), options, |_| Ok(())).expect("open");
        db.with_writer(|conn| conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)))
            .expect("read the setting")
    };
    let set = Options {
        wal_autocheckpoint_pages: Some(128),
        ..Options::default()
    };
    assert_eq!(pages(set, "set"), 128);
    assert_eq!(pages(Options::default(), "default"), 1000);
}

#[test]
fn normalised_sql_ignores_comments_and_layout_but_not_content() {
    let stored = "CREATE TABLE t (\n  a TEXT, -- why\n  b TEXT , c TEXT\n) STRICT";
    let written = "CREATE TABLE t (a TEXT, b TEXT, c TEXT) STRICT";
    assert_eq!(normalise_sql(stored), normalise_sql(written));
    assert_ne!(
        normalise_sql("CHECK (s IN ('a  b'))"),
        normalise_sql("CHECK (s IN ('a b'))")
    );
    assert_ne!(
        normalise_sql(written),
        normalise_sql("CREATE TABLE t (a TEXT, b INTEGER, c TEXT) STRICT")
    );
}

#[test]
fn upgrade_damage_names_a_lost_row_a_changed_value_and_a_filled_new_column() {
    let row =
        |pairs: &[(&str, Value)]| -> Row { pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() };
    let table = |rows: Vec<Row>| -> TableRows { TableRows::from([("t".to_string(), rows)]) };
    let before = table(vec![
        row(&[("a", Value::Integer(1))]),
        row(&[("a", Value::Integer(2))]),
    ]);
    let kept = table(vec![
        row(&[("a", Value::Integer(1)), ("b", Value::Null)]),
        row(&[("a", Value::Integer(2)), ("b", Value::Null)]),
    ]);
    assert!(upgrade_damage(&before, &kept, |_, _| false).is_empty());
    let lost = table(vec![row(&[("a", Value::Integer(1))])]);
    assert_eq!(
        upgrade_damage(&before, &lost, |_, _| false),
        ["t: 1 rows, 2 expected"]
    );
    assert!(
        upgrade_damage(&before, &lost, |_, r| r["a"] == Value::Integer(2)).is_empty(),
        "a row dropped on purpose"
    );
    let changed = table(vec![
        row(&[("a", Value::Integer(1))]),
        row(&[("a", Value::Integer(3)), ("b", Value::Integer(9))]),
    ]);
    assert_eq!(
        upgrade_damage(&before, &changed, |_, _| false),
        ["t row 1: a changed", "t row 1: added column b is not NULL"]
    );
    assert_eq!(
        upgrade_damage(&before, &TableRows::new(), |_, _| false),
        ["t: table gone"]
    );
}
