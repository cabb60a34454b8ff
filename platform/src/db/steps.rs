//! The platform database's frozen schema steps, in the order `PLATFORM_STEPS` in the parent
//! module lists them.
//!
//! Owns nothing but this SQL. A released step is never edited (the test that upgrades a v0.1
//! database depends on it); a change is a new step, with `schema.sql` updated to match.

/// v1 (the v0.1 release): counters, devices, event lists, photos, reports, case numbers.
pub(super) const V1_BASE: &str = "-- Named counters for /v1/admin/stats (e.g. duplicates_refused).
             CREATE TABLE counter (
                 name  TEXT PRIMARY KEY,
                 value INTEGER NOT NULL
             ) STRICT;
             -- Enrolled devices. Tokens are stored as SHA-256 hashes, never in clear.
             CREATE TABLE device (
                 id                TEXT PRIMARY KEY,
                 label             TEXT,
                 enrolled_at       INTEGER NOT NULL,
                 access_hash       TEXT NOT NULL UNIQUE,
                 access_expires_at INTEGER NOT NULL,
                 refresh_hash      TEXT NOT NULL UNIQUE,
                 revoked_at        INTEGER
             ) STRICT;
             -- Event-list packages the platform serves and validates against; one is current.
             CREATE TABLE event_list (
                 sha256       TEXT PRIMARY KEY,
                 list_version TEXT NOT NULL UNIQUE,
                 body         BLOB NOT NULL,
                 published_at INTEGER NOT NULL,
                 current      INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1))
             ) STRICT;
             CREATE UNIQUE INDEX event_list_one_current ON event_list (current) WHERE current = 1;
             -- Photos by content hash: declared length, and whether fully received and verified.
             -- The bytes held of an incomplete one are the length of its partial file.
             CREATE TABLE photo (
                 sha256       TEXT PRIMARY KEY,
                 length       INTEGER NOT NULL,
                 complete     INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
                 created_at   INTEGER NOT NULL,
                 completed_at INTEGER
             ) STRICT;
             -- Reports as received, keyed by the device-made id; body is the JSON as uploaded.
             CREATE TABLE report (
                 id                TEXT PRIMARY KEY,
                 device_id         TEXT NOT NULL REFERENCES device (id),
                 case_number       TEXT NOT NULL UNIQUE,
                 canonical_sha256  TEXT NOT NULL,
                 body              TEXT NOT NULL,
                 validated_against TEXT NOT NULL,
                 status            TEXT NOT NULL CHECK (status IN ('received', 'dispatched', 'rejected')),
                 reason            TEXT,
                 received_at       INTEGER NOT NULL,
                 updated_at        INTEGER NOT NULL,
                 seq               INTEGER NOT NULL UNIQUE
             ) STRICT;
             CREATE INDEX report_by_device_seq ON report (device_id, seq);
             CREATE TABLE report_photo (
                 report_id TEXT NOT NULL REFERENCES report (id),
                 position  INTEGER NOT NULL,
                 sha256    TEXT NOT NULL REFERENCES photo (sha256),
                 PRIMARY KEY (report_id, position)
             ) STRICT;
             -- The last case number handed out per day (China date, YYYYMMDD).
             CREATE TABLE case_sequence (
                 day  TEXT PRIMARY KEY,
                 last INTEGER NOT NULL
             ) STRICT;";

/// v2: workers, enrollment codes, device bindings, photo uploaders.
pub(super) const V2_WORKERS: &str =
    "-- Workers the admin registered (POST /v1/admin/workers): the identity a device
             -- enrolled with one of their codes is held to. grids: a sorted JSON array of ids.
             CREATE TABLE worker (
                 id         TEXT PRIMARY KEY,
                 name       TEXT NOT NULL,
                 role       TEXT NOT NULL,
                 grids      TEXT NOT NULL,
                 created_at INTEGER NOT NULL,
                 updated_at INTEGER NOT NULL
             ) STRICT;
             -- One-time enrollment codes, stored as SHA-256 hashes; used_at/device_id once redeemed.
             CREATE TABLE enrollment_code (
                 code_hash  TEXT PRIMARY KEY,
                 worker_id  TEXT NOT NULL REFERENCES worker (id),
                 issued_at  INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL,
                 used_at    INTEGER,
                 device_id  TEXT
             ) STRICT;
             CREATE INDEX enrollment_code_by_worker ON enrollment_code (worker_id);
             -- A device enrolled with a worker's code is that worker's; one enrolled with the
             -- development code is bound to the reporter, role and grids of its first stored report.
             ALTER TABLE device ADD COLUMN worker_id TEXT REFERENCES worker (id);
             ALTER TABLE device ADD COLUMN bound_reporter TEXT;
             ALTER TABLE device ADD COLUMN bound_role TEXT;
             ALTER TABLE device ADD COLUMN bound_grids TEXT;
             -- Which devices sent bytes of a photo (HEAD answers only them and reporters of it).
             CREATE TABLE photo_uploader (
                 sha256    TEXT NOT NULL,
                 device_id TEXT NOT NULL REFERENCES device (id),
                 PRIMARY KEY (sha256, device_id)
             ) STRICT, WITHOUT ROWID;
             CREATE INDEX report_photo_by_sha ON report_photo (sha256);";

/// v3: photo partials owned per device.
pub(super) const V3_PARTIALS: &str =
    "-- Unfinished photo uploads, each owned by the device that started it (other devices
             -- neither see nor touch it). Its bytes are in photos/partial/<id>.part, whose mtime
             -- is its last activity. From here on `photo` holds only complete photos.
             CREATE TABLE photo_partial (
                 id         INTEGER PRIMARY KEY,
                 device_id  TEXT NOT NULL REFERENCES device (id),
                 sha256     TEXT NOT NULL,
                 length     INTEGER NOT NULL CHECK (length > 0),
                 created_at INTEGER NOT NULL,
                 UNIQUE (device_id, sha256)
             ) STRICT;
             CREATE INDEX photo_partial_by_sha ON photo_partial (sha256);
             CREATE INDEX photo_partial_by_created ON photo_partial (created_at);
             -- Version 1 partials had no owner: dropped (their files are removed at open, the
             -- devices upload those photos again from offset 0).
             DELETE FROM photo WHERE complete = 0;";

/// v4: how far the sending device's clock was off, in seconds, when beyond the tolerated skew
/// (NULL within it): such reports are received, and flagged for the command centre.
pub(super) const V4_CLOCK_SKEW: &str = "ALTER TABLE report ADD COLUMN clock_skew_s INTEGER;";

/// v5: patrols and their tracks (owner: `patrols`). A patrol belongs to the device that first
/// sent it; its points arrive in chunks of 500 named by their number (see
/// `gridpatrol_core::track::wire`), the last one growing while the patrol is active.
pub(super) const V5_PATROLS: &str = "CREATE TABLE patrol (
                 id                TEXT PRIMARY KEY,
                 device_id         TEXT NOT NULL REFERENCES device (id),
                 reporter_id       TEXT NOT NULL,
                 -- The device's latest patrol fields (PUT /v1/patrols/{id} body), as parsed.
                 meta              TEXT NOT NULL,
                 state             TEXT NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
                 started_at        INTEGER NOT NULL,
                 stopped_at        INTEGER,
                 points            INTEGER NOT NULL DEFAULT 0,
                 -- Uploads (fields or chunks) that stored nothing new: repeats of what is held.
                 duplicate_uploads INTEGER NOT NULL DEFAULT 0,
                 -- The newest point (the live position) and when it arrived.
                 live_t            INTEGER,
                 live_lat          REAL,
                 live_lon          REAL,
                 live_accuracy_m   REAL,
                 live_received_at  INTEGER,
                 received_at       INTEGER NOT NULL,
                 updated_at        INTEGER NOT NULL
             ) STRICT;
             CREATE INDEX patrol_by_device ON patrol (device_id, started_at);
             CREATE TABLE patrol_chunk (
                 patrol_id   TEXT NOT NULL REFERENCES patrol (id),
                 chunk       INTEGER NOT NULL,
                 points      INTEGER NOT NULL CHECK (points BETWEEN 1 AND 500),
                 -- The chunk's points, a JSON array as the core serializes them.
                 body        TEXT NOT NULL,
                 received_at INTEGER NOT NULL,
                 updated_at  INTEGER NOT NULL,
                 PRIMARY KEY (patrol_id, chunk)
             ) STRICT, WITHOUT ROWID;";

/// v6: signed claims (owner: `claims`). A device registers its Ed25519 public key at
/// enrollment; every report keeps its verdict and where its claim sits in the signing key's
/// chain, so the admin's list can say which captures are linked, missing or forked.
pub(super) const V6_CLAIMS: &str = "ALTER TABLE device ADD COLUMN public_key TEXT;
             -- 'verified' (signature and content hold), 'unsigned' (no claim, from a device
             -- that registered no key) or 'key_unknown' (a claim the platform cannot check:
             -- its device registered no key); NULL for reports received before this step
             -- (unsigned). Refused claims are never stored.
             ALTER TABLE report ADD COLUMN verdict TEXT;
             ALTER TABLE report ADD COLUMN claim_key_id TEXT;
             ALTER TABLE report ADD COLUMN claim_sha256 TEXT;
             ALTER TABLE report ADD COLUMN previous_claim_sha256 TEXT;
             CREATE INDEX report_by_claim ON report (claim_key_id, claim_sha256);
             CREATE INDEX report_by_previous_claim ON report (claim_key_id, previous_claim_sha256);";
