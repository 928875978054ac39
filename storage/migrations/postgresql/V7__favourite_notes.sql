-- As sqlite/V7: a favourite's tags (space-separated, lowercase, without '#') and its note.
ALTER TABLE favourites ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE favourites ADD COLUMN note TEXT NOT NULL DEFAULT '';
