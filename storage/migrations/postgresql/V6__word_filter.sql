-- As sqlite/V6: a group's (or a user's) choice to relax the word filter; NULL = the default (on).
ALTER TABLE preferences ADD COLUMN word_filter BOOLEAN;
