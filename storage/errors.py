"""Storage errors; their message is safe to show to a user (or an operator) as it is.

Never put a PostgreSQL URL with its password into a message: say where with `redact()`.
"""


class StorageError(Exception):
    """Base of the errors storage raises on purpose."""


class InvalidValue(StorageError):
    """A value refused before it reached the database (too long, control characters, ...)."""


class LimitReached(StorageError):
    """A per-user cap, such as the number of favourites, is reached."""


class DatabaseTooNew(StorageError):
    """The database was written by a newer Namesmith; it is left untouched."""


class DatabaseUnavailable(StorageError):
    """The database cannot be opened or reached; fatal at start-up."""


class DatabaseNotWritable(DatabaseUnavailable):
    """The SQLite file or its folder is read-only (permissions, immutable flag, read-only mount)."""


class DatabaseDamaged(DatabaseUnavailable):
    """The SQLite file is corrupt, or is not an SQLite database at all."""


class StorageFull(StorageError):
    """A write failed because the disk (or the database's size limit) is full; reads still work,
    and writes work again once space is freed."""


class TargetNotEmpty(StorageError):
    """`db copy` refuses to write into a database that already holds data."""


class CopyMismatch(StorageError):
    """`db copy` read back rows that differ from the source."""
