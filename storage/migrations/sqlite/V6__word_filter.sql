-- A group's (or a user's) choice to relax the word filter of invented names; NULL = the default (on).
ALTER TABLE preferences ADD COLUMN word_filter INTEGER;
