-- As sqlite/V3: token-keyed button state (old rows dropped), name keys, new_only.
DROP TABLE replies;

CREATE TABLE replies (
    token      TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    chat       TEXT,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX replies_by_age ON replies (created_at);

ALTER TABLE favourites ADD COLUMN name_key TEXT NOT NULL DEFAULT '';

ALTER TABLE preferences ADD COLUMN new_only BOOLEAN;
