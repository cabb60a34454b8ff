-- The device store's schema as the steps in store/steps.rs (and track/db.rs, sync/track_queue.rs) leave it:
-- PRAGMA user_version = 6. Written out so a reader sees every table in one place; a test
-- (`store::tests::schema_sql_is_what_the_steps_make`) keeps it equal to what a fresh open
-- makes. Not executed by the app: the steps are what run. Change it only with a new step.

-- Settings and sync state (owner: `sync` — credentials, revocation mark, last success,
-- clock offset — under `sync.*` keys).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Event-list packages received from the platform; the bundled list is not stored.
-- (owner: `client::event_list`)
CREATE TABLE event_list_package (
    sha256       TEXT PRIMARY KEY,
    list_version TEXT NOT NULL,
    body         BLOB NOT NULL,
    installed_at INTEGER NOT NULL,
    active       INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX event_list_one_active ON event_list_package (active) WHERE active = 1;

-- One row per report for its whole life: draft → pending (the outbox) → delivered | parked.
-- (owners: `capture` for drafts and submit, `sync::outbox` for the outbox columns)
CREATE TABLE report (
    id              TEXT PRIMARY KEY,
    state           TEXT NOT NULL
                    CHECK (state IN ('draft', 'pending', 'delivered', 'parked')),
    reporter_id     TEXT NOT NULL,
    -- The Draft as JSON while a draft; the SubmittedReport from submit on.
    body            TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- Set at submit; NULL for drafts.
    subtype         TEXT,
    problem         TEXT,
    lat             REAL,
    lon             REAL,
    captured_at     INTEGER,
    photos          INTEGER,
    submitted_at    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    parked_reason   TEXT,
    delivered_at    INTEGER,
    case_number     TEXT,
    -- SHA-256 (hex) of body as written (v4; NULL on older rows).
    body_sha256     TEXT
) STRICT, WITHOUT ROWID;
-- Possible duplicates: subtype, a latitude band, then position and time (submitted rows only).
CREATE INDEX report_by_subtype_place ON report (subtype, lat, lon, captured_at)
    WHERE subtype IS NOT NULL;
-- The outbox worklist: pending rows in submit order.
CREATE INDEX report_outbox ON report (submitted_at, id) WHERE state = 'pending';

-- Photos the platform confirmed complete (owner: `sync::outbox`).
CREATE TABLE photo_upload (
    sha256       TEXT PRIMARY KEY,
    bytes        INTEGER NOT NULL,
    completed_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Patrols and their kept track points (owner: `track::db`).
CREATE TABLE patrol (
    id               TEXT PRIMARY KEY,
    reporter_id      TEXT NOT NULL,
    role             TEXT NOT NULL,
    grid_ids         TEXT NOT NULL,
    mode             TEXT NOT NULL,
    interval_ms      INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
    started_at       INTEGER NOT NULL,
    paused_at        INTEGER,
    stopped_at       INTEGER,
    resume_break     INTEGER NOT NULL DEFAULT 0 CHECK (resume_break IN (0, 1)),
    rej_accuracy     INTEGER NOT NULL DEFAULT 0,
    rej_jump         INTEGER NOT NULL DEFAULT 0,
    rej_duplicate    INTEGER NOT NULL DEFAULT 0,
    rej_out_of_order INTEGER NOT NULL DEFAULT 0,
    while_paused     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX patrol_one_open ON patrol (state = 'stopped') WHERE state != 'stopped';
CREATE TABLE track_point (
    patrol_id   TEXT NOT NULL REFERENCES patrol (id),
    seq         INTEGER NOT NULL,
    fix_time    INTEGER NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    accuracy_m  REAL NOT NULL,
    is_mock     INTEGER NOT NULL CHECK (is_mock IN (0, 1)),
    segment     INTEGER NOT NULL,
    starts      TEXT NOT NULL,
    PRIMARY KEY (patrol_id, seq)
) STRICT, WITHOUT ROWID;

-- The patrol upload queue (v6; owner `sync::track_queue`): a cursor over each patrol's points.
CREATE TABLE patrol_upload (
    patrol_id        TEXT PRIMARY KEY REFERENCES patrol (id),
    points_confirmed INTEGER NOT NULL DEFAULT 0,
    meta_sha256      TEXT,
    done             INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    parked_code      TEXT,
    parked_reason    TEXT,
    updated_at       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
