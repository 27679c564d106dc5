-- mezhved PostgreSQL store, migration 0004: the API's access tokens and the web workplace's users,
-- shared by every node (exchange.accessTokens: archive, exchange.webUsers: archive), and the failed
-- sign-ins every node counts together. Never a secret: a token's row keeps its SHA-256, a user's
-- the password's salted PBKDF2 hash (verifier). Failure times are the database's (now()).
CREATE TABLE credentials (
    kind text NOT NULL CHECK (kind IN ('access-token', 'web-user')),
    name text NOT NULL,
    role text NOT NULL,
    created text NOT NULL,
    verifier text NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE sign_in_failures (
    name text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_name ON sign_in_failures (name, failed_at);
