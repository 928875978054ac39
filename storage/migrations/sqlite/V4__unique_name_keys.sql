-- One favourite per user and name key; adds use ON CONFLICT DO NOTHING against it.
CREATE UNIQUE INDEX favourites_by_name_key ON favourites (user_key, name_key);
