-- Updates already answered (a platform's update id, e.g. 'tg:123456'): a redelivered update,
-- to this replica or another, is answered once. prune() forgets those older than a day.
CREATE TABLE deliveries (
    key     TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
CREATE INDEX deliveries_by_age ON deliveries (seen_at);
