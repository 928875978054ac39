-- A favourite is a notebook entry: tags (space-separated, lowercase, without '#') and a note.
ALTER TABLE favourites ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE favourites ADD COLUMN note TEXT NOT NULL DEFAULT '';
