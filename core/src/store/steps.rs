//! The device store's frozen schema steps (v1 to v4; v5 is `crate::track::SCHEMA`), in the
//! order `DEVICE_STEPS` in the parent module lists them.
//!
//! Owns nothing but this SQL. A released step is never edited: what a v0.1 phone ran is what a
//! fresh phone runs today, and the test that upgrades a v0.1 database depends on it. A change to
//! the schema is a new step (and `schema.sql` updated to match).

/// v1 (the v0.1 release): key/value settings and the installed event-list packages.
pub(super) const V1_META_AND_EVENT_LISTS: &str = "CREATE TABLE meta (
                 key   TEXT PRIMARY KEY,
                 value TEXT NOT NULL
             ) STRICT;
             -- Event-list packages received from the platform; the bundled list is not stored.
             CREATE TABLE event_list_package (
                 sha256       TEXT PRIMARY KEY,
                 list_version TEXT NOT NULL,
                 body         BLOB NOT NULL,
                 installed_at INTEGER NOT NULL,
                 active       INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
             ) STRICT;
             CREATE UNIQUE INDEX event_list_one_active ON event_list_package (active) WHERE active = 1;";

/// v2: one row per report for its whole life: a draft, then in the outbox (pending), then
/// delivered or parked. Submit is one UPDATE of that row, in one fsynced commit, so it writes
/// about as many pages as a bare INSERT (the submit benchmark measures this).
pub(super) const V2_REPORT: &str = "CREATE TABLE report (
                 -- The device-made id (UUID v7), from the first draft step to the platform.
                 id              TEXT PRIMARY KEY,
                 state           TEXT NOT NULL
                                 CHECK (state IN ('draft', 'pending', 'delivered', 'parked')),
                 reporter_id     TEXT NOT NULL,
                 -- The Draft as JSON while a draft (rewritten whole at each change); the
                 -- SubmittedReport, which is what is uploaded, from submit on.
                 body            TEXT NOT NULL,
                 updated_at      INTEGER NOT NULL,
                 -- Set at submit; NULL for drafts, so duplicate hints never see a draft.
                 subtype         TEXT,
                 problem         TEXT,
                 lat             REAL,
                 lon             REAL,
                 captured_at     INTEGER,
                 photos          INTEGER,
                 submitted_at    INTEGER,
                 -- The outbox: worked by the sync engine.
                 attempts        INTEGER NOT NULL DEFAULT 0,
                 next_attempt_at INTEGER NOT NULL DEFAULT 0,
                 last_error      TEXT,
                 parked_reason   TEXT,
                 delivered_at    INTEGER,
                 case_number     TEXT
             ) STRICT, WITHOUT ROWID;
             -- The possible-duplicate query, answered from the index alone: equality on the
             -- subtype, a range on latitude (a band ~100 m wide), then position and time.
             -- Partial: drafts (no subtype column yet) write no index entries.
             CREATE INDEX report_by_subtype_place ON report (subtype, lat, lon, captured_at)
                 WHERE subtype IS NOT NULL;";

/// v3, the sync engine: photos the platform confirmed complete (a cache that saves a HEAD per
/// shared photo; a `photos_incomplete` answer removes the row), and the outbox worklist index
/// (pending rows in submit order).
pub(super) const V3_PHOTO_UPLOAD_AND_OUTBOX_INDEX: &str = "CREATE TABLE photo_upload (
                 sha256       TEXT PRIMARY KEY,
                 bytes        INTEGER NOT NULL,
                 completed_at INTEGER NOT NULL
             ) STRICT, WITHOUT ROWID;
             CREATE INDEX report_outbox ON report (submitted_at, id) WHERE state = 'pending';";

/// v4: the SHA-256 (hex) of `body` as written, verified before a report is uploaded: a bit
/// flipped on disk parks the report as `local_report_corrupt` instead of sending it. NULL on
/// rows written before this step (they are sent unverified).
pub(super) const V4_BODY_CHECKSUM: &str = "ALTER TABLE report ADD COLUMN body_sha256 TEXT;";
