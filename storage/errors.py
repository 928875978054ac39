"""Storage errors; their message is safe to show to a user as it is."""


class StorageError(Exception):
    """Base of the errors storage raises on purpose."""


class InvalidValue(StorageError):
    """A value refused before it reached the database (too long, control characters, ...)."""


class LimitReached(StorageError):
    """A per-user cap, such as the number of favourites, is reached."""


class DatabaseTooNew(StorageError):
    """The file was written by a newer Namesmith; it is left untouched."""
