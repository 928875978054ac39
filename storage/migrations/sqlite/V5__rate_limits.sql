-- Rate-limit buckets, when they are shared by several processes (NAMESMITH_RATE_LIMIT_STORE):
-- one row per bucket (a user, a group, a member of a group), GCRA's theoretical arrival time in
-- seconds since the epoch, and whether the user was told to slow down since their last allowed
-- request. A row whose tat has passed is a full bucket: prune() deletes it.
CREATE TABLE rate_limits (
    key    TEXT PRIMARY KEY,
    tat    REAL NOT NULL,
    warned INTEGER NOT NULL DEFAULT 0
);
