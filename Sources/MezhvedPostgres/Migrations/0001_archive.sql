-- mezhved PostgreSQL store, migration 0001: the archive (configuration, hash-chained event log,
-- numbering counters, content-addressed objects, signed checkpoints, the journal's search index).
-- Each statement ends with a semicolon at the end of its line (the migrator splits on those).

-- The archive's configuration exactly as created (its SHA-256 is in the log's first event).
CREATE TABLE archive_configuration (
    id integer PRIMARY KEY CHECK (id = 1),
    document bytea NOT NULL
);

-- The event log: one row per event, `line` the exact bytes the filesystem log would hold on that
-- line (without the newline), so the same hash chain and the same audit apply. `hash`, `type` and
-- `prev` are copies for queries; the audit trusts only `line`.
CREATE TABLE archive_events (
    seq bigint PRIMARY KEY CHECK (seq >= 1),
    line bytea NOT NULL,
    hash text NOT NULL,
    type text NOT NULL
);

-- The log's head: one row, locked FOR UPDATE by every append and checkpoint, so appends are
-- serialised across nodes and the chain stays one chain.
CREATE TABLE archive_head (
    id integer PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL,
    hash text NOT NULL
);

-- The registration numbers: one counter row per agency, year and direction, locked FOR UPDATE and
-- raised in the same transaction as the event that takes the number (never a sequence: gapless).
CREATE TABLE number_counters (
    agency text NOT NULL,
    year integer NOT NULL,
    direction text NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
    last integer NOT NULL CHECK (last >= 0),
    PRIMARY KEY (agency, year, direction)
);

-- The documents, named by the SHA-256 (hex) of their bytes.
CREATE TABLE archive_objects (
    digest text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    bytes bytea NOT NULL
);

-- The signed checkpoints of the log's head, oldest first.
CREATE TABLE archive_checkpoints (
    seq bigint PRIMARY KEY,
    name text NOT NULL UNIQUE,
    document bytea NOT NULL
);
