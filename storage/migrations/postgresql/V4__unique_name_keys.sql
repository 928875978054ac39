CREATE UNIQUE INDEX favourites_by_name_key ON favourites (user_key, name_key);

ALTER TABLE favourites ALTER COLUMN name_key DROP DEFAULT;
