"""One adapter per transport; only an adapter imports its SDK."""
