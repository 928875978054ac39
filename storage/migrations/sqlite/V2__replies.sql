-- What a reply with buttons offered, so its buttons still work after a restart.
-- The payload is opaque to storage (the bot writes JSON).
CREATE TABLE replies (
    id         INTEGER PRIMARY KEY,
    user_key   TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
