-- Button state gets unguessable tokens tied to an owner (and the chat it was shown in). Rows of
-- the old table are dropped: their buttons carry integer ids, which no token matches, so they
-- answer "expired" either way.
DROP TABLE replies;

CREATE TABLE replies (
    token      TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    chat       TEXT,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- prune() deletes by age, hourly while the bot runs.
CREATE INDEX replies_by_age ON replies (created_at);

-- The NFC case-folded name: "Nina" and "nina" are one favourite. Filled by the migration's data
-- step (Python: SQLite's lower() knows only ASCII); made unique by V4.
ALTER TABLE favourites ADD COLUMN name_key TEXT NOT NULL DEFAULT '';

-- A saved default for the `new` option of /name; NULL = not set, else 0 / 1.
ALTER TABLE preferences ADD COLUMN new_only INTEGER;
