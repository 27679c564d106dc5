-- mezhved PostgreSQL store, migration 0002: who delivers which queued message now, shared by every
-- node of the store. A node takes a message by inserting (or taking over an expired) row, gives it
-- back by deleting its row; a node that dies leaves a row whose claimed_until lapses, after which
-- another node takes the message. Times are the database's (now()), so the nodes' clocks do not matter.
CREATE TABLE delivery_claims (
    message_id text PRIMARY KEY,
    node text NOT NULL,
    claimed_until timestamptz NOT NULL
);
