-- Users are platform-neutral keys: 'tg:123', 'dc:456', 'console:me'.
CREATE TABLE users (
    user_key   TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);

CREATE TABLE favourites (
    id          INTEGER PRIMARY KEY,
    user_key    TEXT NOT NULL REFERENCES users (user_key) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    style       TEXT NOT NULL,
    label       TEXT,
    temperature REAL,
    created_at  TEXT NOT NULL,
    UNIQUE (user_key, name)
);

CREATE INDEX favourites_by_user ON favourites (user_key, id);

-- One row per user (scope 'user') or per group chat / server (scope 'chat'); NULL = not set.
CREATE TABLE preferences (
    scope       TEXT NOT NULL CHECK (scope IN ('user', 'chat')),
    key         TEXT NOT NULL,
    style       TEXT,
    temperature REAL,
    count       INTEGER,
    gender      TEXT,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    style       TEXT,
    corpus      TEXT,
    fingerprint TEXT,
    val_nll     REAL,
    adopted     INTEGER,
    detail      TEXT
);

CREATE INDEX audit_by_time ON audit (id);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
