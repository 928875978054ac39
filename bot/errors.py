"""Errors the composition root turns into one clear line and a non-zero exit."""


class FatalError(Exception):
    """The bot cannot go on (a token rejected, an API unreachable); the message says what to do
    and never holds a secret."""


class UserError(Exception):
    """A mistake or a refusal the user should read as it is: its message is safe to show."""
