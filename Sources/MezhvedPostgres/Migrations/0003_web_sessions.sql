-- mezhved PostgreSQL store, migration 0003: the web workplace's sessions, shared by every node of
-- the store, so that a person signed in on one node is signed in on all. A row per session, keyed
-- by the SHA-256 of the session id (the id itself is only in the person's cookie); last_seen is the
-- database's clock, so the nodes' clocks do not matter.
CREATE TABLE web_sessions (
    digest text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    csrf_token text NOT NULL,
    last_seen timestamptz NOT NULL
);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);
