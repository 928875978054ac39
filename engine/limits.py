"""The bounds and defaults of a generation request, in a module free of torch so that callers
which only validate input (the bot's grammar) do not load the model stack."""

import re

TEMPERATURE_MIN, TEMPERATURE_MAX = 0.1, 3.0
MAX_NAMES_PER_REQUEST = 1000  # names in one request to the engine (the chat allows far fewer)
MAX_AFFIX_LEN = 32  # the longest prefix, ending or 'contains' text worth asking for

# What a request gets when it does not say.
DEFAULT_STYLE = "english"
DEFAULT_TEMPERATURE = 1.0
DEFAULT_COUNT = 5

# Names that sound neither female nor male, and the words that ask for them ("n" only as a
# named value: a bare "n" is a prefix in chat).
NEUTRAL = "neutral"
NEUTRAL_WORDS = frozenset({"neutral", "n", "nb", "non-binary", "nonbinary", "unisex"})

# A style name is also a file name (`<style>.pt`): no dots, so `elf.prev.pt` is never a style.
STYLE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}", re.ASCII)
