"""The bounds of a generation request, in a module free of torch so that callers which only
validate input (the bot's grammar) do not load the model stack."""

TEMPERATURE_MIN, TEMPERATURE_MAX = 0.1, 3.0
MAX_COUNT = 1000  # names in one request to the engine (the chat allows far fewer)
MAX_AFFIX_LEN = 32  # the longest prefix, ending or 'contains' text worth asking for
# What a request asks for when it says nothing (a user's and a chat's settings come first).
DEFAULT_STYLE = "english"
DEFAULT_TEMPERATURE = 1.0
DEFAULT_COUNT = 5
