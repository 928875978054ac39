-- As sqlite/V8: updates already answered, so a redelivered one (to any replica) is answered once.
CREATE TABLE deliveries (
    key     TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
CREATE INDEX deliveries_by_age ON deliveries (seen_at);
