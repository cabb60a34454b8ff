-- The platform database's schema as the steps in db/steps.rs leave it: PRAGMA user_version = 6.
-- Written out so a reader sees every table in one place; a test
-- (`db::tests::schema_sql_is_what_the_steps_make`) keeps it equal to what a fresh open makes.
-- Not executed by the platform: the steps are what run. Change it only with a new step.

-- Named counters for /v1/admin/stats (owner: `db`).
CREATE TABLE counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

-- Enrolled devices; tokens as SHA-256 hashes (owner: `auth`, bindings: `binding`).
CREATE TABLE device (
    id                TEXT PRIMARY KEY,
    label             TEXT,
    enrolled_at       INTEGER NOT NULL,
    access_hash       TEXT NOT NULL UNIQUE,
    access_expires_at INTEGER NOT NULL,
    refresh_hash      TEXT NOT NULL UNIQUE,
    revoked_at        INTEGER,
    worker_id         TEXT REFERENCES worker (id),
    bound_reporter    TEXT,
    bound_role        TEXT,
    bound_grids       TEXT,
    -- The device's Ed25519 public key (hex), registered at enrollment (owner: `claims`).
    public_key        TEXT
) STRICT;

-- Event-list packages served and validated against; one is current (owner: `packages`).
CREATE TABLE event_list (
    sha256       TEXT PRIMARY KEY,
    list_version TEXT NOT NULL UNIQUE,
    body         BLOB NOT NULL,
    published_at INTEGER NOT NULL,
    current      INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX event_list_one_current ON event_list (current) WHERE current = 1;

-- Complete photos by content hash, who sent bytes of them, and unfinished uploads
-- (owners: `photos`, `photo_partials`).
CREATE TABLE photo (
    sha256       TEXT PRIMARY KEY,
    length       INTEGER NOT NULL,
    complete     INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    created_at   INTEGER NOT NULL,
    completed_at INTEGER
) STRICT;
CREATE TABLE photo_uploader (
    sha256    TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES device (id),
    PRIMARY KEY (sha256, device_id)
) STRICT, WITHOUT ROWID;
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

-- Reports as received, their photos, and case numbers (owner: `reports`).
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
    seq               INTEGER NOT NULL UNIQUE,
    clock_skew_s      INTEGER,
    -- The claim's verdict and place in its key's chain (owner: `claims`).
    verdict               TEXT,
    claim_key_id          TEXT,
    claim_sha256          TEXT,
    previous_claim_sha256 TEXT
) STRICT;
CREATE INDEX report_by_device_seq ON report (device_id, seq);
CREATE INDEX report_by_claim ON report (claim_key_id, claim_sha256);
CREATE INDEX report_by_previous_claim ON report (claim_key_id, previous_claim_sha256);
CREATE TABLE report_photo (
    report_id TEXT NOT NULL REFERENCES report (id),
    position  INTEGER NOT NULL,
    sha256    TEXT NOT NULL REFERENCES photo (sha256),
    PRIMARY KEY (report_id, position)
) STRICT;
CREATE INDEX report_photo_by_sha ON report_photo (sha256);
CREATE TABLE case_sequence (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT;

-- Workers the admin registered and their one-time enrollment codes (owner: `workers`).
CREATE TABLE worker (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    grids      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE enrollment_code (
    code_hash  TEXT PRIMARY KEY,
    worker_id  TEXT NOT NULL REFERENCES worker (id),
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) STRICT;
CREATE INDEX enrollment_code_by_worker ON enrollment_code (worker_id);

-- Patrols and their tracks in chunks of 500 points (v5; owner: `patrols`).
CREATE TABLE patrol (
    id                TEXT PRIMARY KEY,
    device_id         TEXT NOT NULL REFERENCES device (id),
    reporter_id       TEXT NOT NULL,
    meta              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
    started_at        INTEGER NOT NULL,
    stopped_at        INTEGER,
    points            INTEGER NOT NULL DEFAULT 0,
    duplicate_uploads INTEGER NOT NULL DEFAULT 0,
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
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (patrol_id, chunk)
) STRICT, WITHOUT ROWID;
