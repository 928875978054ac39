"""The word filter: no sampled name is an obscenity or a slur.

Built on a maintained word list, glin-profanity's English dictionary and the Cyrillic words of
its Russian one (read from its package data, offline), plus Namesmith's own
`wordlists/blocklist.txt` for what that list misses and `wordlists/allowlist.txt` for common
real names that it holds as words ("Dick", "Cumming").

A name is matched the way names are built, not the way sentences are: it is folded (case,
accents: "Fück" is "fuck") and split into parts at anything that is not a letter ("Mary-Jane" is
"mary", "jane"). A dictionary word blocks a part that is exactly that word (or a run of parts,
for phrases), so "Cassandra", "Cumberbatch" and "Titus" pass; Namesmith's list may also block
parts that start with a term (`shit*`: "Shitavar", not "Yoshitaka") or contain it anywhere
(`*fuck*`), also with doubled letters squeezed ("Fuuuck").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

_PARTS = re.compile(r"[\W\d_]+")
_DOUBLES = re.compile(r"(\w)\1+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_SPELLABLE = re.compile(r"[^\W\d_]+(?:[ -][^\W\d_]+)*")
MIN_DICTIONARY_WORDS = 300  # the English list holds about 400; fewer means it failed to load


def fold(text: str) -> str:
    """Casefold and strip accents: "Fück" -> "fuck", "Þórunn" -> "þorunn"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class WordFilter:
    words: frozenset[str]  # a name part (or run of parts, space-joined) that is exactly one
    prefixes: tuple[str, ...]  # a name part that starts with one
    anywhere: tuple[str, ...]  # one anywhere in the folded name
    allowed: frozenset[str]  # parts that pass `words` (not `prefixes` or `anywhere`)

    @classmethod
    def from_terms(
        cls, terms: Iterable[str], *, dictionary: Iterable[str] = (), allowed: Iterable[str] = ()
    ) -> WordFilter:
        """`terms` in the blocklist's notation (term, term*, *term*); `dictionary` whole words."""
        words, prefixes, anywhere = {fold(w).strip() for w in dictionary}, [], []
        for raw in terms:
            term = fold(raw.split("#", 1)[0].strip())
            if not term:
                continue
            if term.startswith("*") and term.endswith("*"):
                anywhere.append(term.strip("*"))
            elif term.endswith("*"):
                prefixes.append(term.rstrip("*"))
            else:
                words.add(term)
        # Entries only names can spell: letters, single spaces or hyphens between words ("a$$"
        # and "sh1t" are for chat messages; split at the symbols they would read as "a", "sh").
        spellable = {" ".join(_parts(w)) for w in words if _SPELLABLE.fullmatch(w)}
        return cls(
            frozenset(spellable),
            tuple(prefixes),
            tuple(anywhere),
            frozenset(fold(a).strip() for a in allowed if a.strip()),
        )

    @classmethod
    def default(cls) -> WordFilter:
        """glin-profanity's English list, plus Namesmith's blocklist and allowlist (loaded once)."""
        return _default()

    def match(self, name: str) -> str | None:
        """The term that blocks `name`, or None when it passes."""
        return self._match(name, complete=True)

    def dooms(self, prefix: str) -> str | None:
        """The term that blocks every name starting with `prefix`, or None."""
        return self._match(prefix, complete=False)

    def _match(self, name: str, *, complete: bool) -> str | None:
        parts = _parts(fold(name))
        # In a prefix the last part may still grow ("Ass" -> "Assandra"), unless a separator
        # follows it.
        whole = parts if complete or not name[-1:].isalpha() else parts[:-1]
        for part in whole:
            if part in self.words and part not in self.allowed:
                return part
        for n in range(2, min(len(whole), 4) + 1):  # phrases: "piece of shit"
            for i in range(len(whole) - n + 1):
                if (run := " ".join(whole[i : i + n])) in self.words:
                    return run
        # Prefixes and inner terms are also tried with doubled letters squeezed ("Fuuuck");
        # whole words are not, or "Bonner" would read as "boner".
        for part in {*parts, *(_DOUBLES.sub(r"\1", p) for p in parts)}:
            for p in self.prefixes:
                if part.startswith(p):
                    return p + "*"
            for a in self.anywhere:
                if a in part:
                    return f"*{a}*"
        return None

    def blocks(self, name: str) -> bool:
        return self.match(name) is not None


@functools.cache
def _default() -> WordFilter:
    from glin_profanity.data.dictionary import dictionary

    english = dictionary.get_words("english")
    if len(english) < MIN_DICTIONARY_WORDS:
        raise RuntimeError(
            f"glin-profanity's English word list did not load ({len(english)} words)"
        )
    # Other languages' lists hold everyday words and names written in Latin letters ("peter" is
    # French slang, "regina" Italian): only the Cyrillic words of the Russian list are taken.
    cyrillic = [w for w in dictionary.get_words("russian") if _CYRILLIC.search(w)]
    return WordFilter.from_terms(
        _data_lines("blocklist.txt"),
        dictionary=[*english, *cyrillic],
        allowed=_data_lines("allowlist.txt"),
    )


def _parts(text: str) -> list[str]:
    return [p for p in _PARTS.split(text) if p]


def _data_lines(filename: str) -> list[str]:
    text = resources.files("engine.corpora").joinpath("wordlists", filename).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
