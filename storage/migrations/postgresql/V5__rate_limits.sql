-- As sqlite/V5: shared rate-limit buckets. UNLOGGED: no WAL for state that is worthless after a
-- crash (emptied then, which only forgives everyone's recent requests), and half the cost of a
-- logged write.
CREATE UNLOGGED TABLE rate_limits (
    key    TEXT PRIMARY KEY,
    tat    DOUBLE PRECISION NOT NULL,
    warned BOOLEAN NOT NULL DEFAULT FALSE
);
