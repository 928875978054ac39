"""/name and its buttons (more like this, another style), /styles and /rate."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot import actions, texts
from bot.actions import Act
from bot.grammar import ANY_GENDER, GENDER_WORDS, LIKE_FAVOURITES
from bot.reply import Action, Context, NameList, Reply
from bot.requests import STYLE_GROUPS, NameOptions, NameRequest, RateRequest, StylesRequest
from bot.service.settings import Effective, Settings
from bot.service.state import NAMES, ReplyState, SavedReply
from engine.blends import ALIASES as BLEND_ALIASES
from engine.blends import is_blend, parse_blend
from engine.corpora.corpus import MAX_NAME_LEN
from engine.corpora.families import COMPOUNDS as CLAN_STYLES
from engine.corpora.families import HOUSE_STYLES
from engine.corpora.families import compound as compound_family
from engine.corpora.families import describe as describe_family
from engine.corpora.families import house as house_name
from engine.corpora.places import KINDS as PLACES
from engine.corpora.recipes import FAMILY, family_style, has_family_names
from engine.corpora.recipes import PLACES as PLACE_STYLES
from engine.corpora.sources import FANTASY, LICENCES, shipped_source
from engine.errors import EngineError, RequestError
from engine.limits import DEFAULT_COUNT, DEFAULT_STYLE, DEFAULT_TEMPERATURE, NEUTRAL
from engine.serving.generator import NameEngine
from engine.serving.sampling import GenerationRequest
from engine.serving.trained import NameModel
from storage import Storage, StorageError

log = logging.getLogger(__name__)
GENDERS = frozenset(GENDER_WORDS.values())

# The order styles are offered in under a reply (the rest follow alphabetically); each adapter
# shows as many as its platform fits (Telegram and the console the first few, Discord a menu).
STYLE_ORDER = ("english", "elf", "dwarf", "human", "halfling", "orc", "tiefling", "dragonborn",
               "dnd-elf", "goblin", "surnames", "towns")  # fmt: skip
MAX_SHOWN = 200  # names remembered per "more like this" thread, so it never repeats itself
# Styles of invented worlds, where 45-90% of raw samples at t=1 are copies of the training list
# (benchmarks/names.py): `new` is their default from this temperature up (below it, new names
# are too rare to find quickly). A user's saved `new` setting wins.
NEW_BY_DEFAULT = frozenset(FANTASY)
NEW_BY_DEFAULT_FROM = 0.5
# The races a random party member is drawn from (those served).
PARTY_RACES = (
    "elf", "dwarf", "halfling", "human", "goblin", "half-elf", "orc", "half-orc", "tiefling",
    "dragonborn", "dnd-elf",
)  # fmt: skip
TABLE_SIZE = 20  # /table and the word `table`: a d20 table unless a count is given
MAX_LIKE_FAVOURITES = 50  # like=favs resembles at most this many of your favourites
NO_STYLE = "-"  # a typed favourite that fits no style well
FITS_NOWHERE_BELOW = 10.0  # a percentile: a typed name scoring lower fits no style


@dataclass(frozen=True, slots=True)
class StyleInfo:
    """A style as a menu or an autocomplete shows it."""

    name: str
    description: str
    labels: tuple[str, ...]  # its genders, e.g. ("female", "male"); empty when it has none
    neutral: bool = False  # it writes gender-neutral names too


class Names:
    def __init__(
        self, engine: NameEngine, store: Storage, settings: Settings, state: ReplyState
    ) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self.state = state

    def styles(self) -> dict[str, StyleInfo]:
        found = {
            s: StyleInfo(s, m.description, m.labels, m.neutral is not None)
            for s, m in self.engine.styles.items()
        }
        return found | {k.name: StyleInfo(k.name, k.description, ()) for k in PLACES.values()}

    def blend_aliases(self) -> dict[str, str]:
        styles = self.engine.styles
        return {
            alias: " + ".join(parse_blend(alias).styles)
            for alias in BLEND_ALIASES
            if all(s in styles for s in parse_blend(alias).styles)
        }

    def style_menu(self, typed: str, *, groups: bool = False) -> list[tuple[str, str]]:
        """(value, line) pairs matching `typed`: names starting with it first, then names
        holding it, then styles whose description holds it ("greek", "Devanagari"); with
        nothing typed, the fantasy races first. A typed blend is offered as written. `groups`:
        what /styles takes instead (the groups, first, and the styles; no blends)."""
        word = " ".join(typed.split()).casefold()
        found = [
            (s, f"{s} — {i.description}" if i.description else s) for s, i in self.styles().items()
        ]
        if groups:  # what /styles takes: a group or a style
            found += [(g, f"{g} — the group, each style described") for g in STYLE_GROUPS]
        else:
            found += [(a, f"{a} — {mix}") for a, mix in self.blend_aliases().items()]
        order = {g: i for i, g in enumerate(STYLE_GROUPS)}

        def rank(item: tuple[str, str]) -> tuple[int, int, str]:
            value = item[0]
            at = 0 if value.startswith(word) else 1 if word in value else 2
            # the groups first, in their order, then each group's styles
            group = order[value] - len(order) if value in STYLE_GROUPS else order[_group(value)]
            return (at, group if not word else 0, value)

        def matches(item: tuple[str, str]) -> bool:
            # a description's word starting with what is typed ("devan"), from three letters
            words = re.findall(r"\w+", item[1].casefold())
            return word in item[0] or (len(word) >= 3 and any(w.startswith(word) for w in words))

        menu = sorted(filter(matches, found), key=rank)
        if "+" in word and not groups:  # a blend being typed: offered as written (checked later)
            menu.insert(0, (word, f"{word} — a blend"))
        return menu

    async def request(self, ctx: Context, opts: NameOptions) -> GenerationRequest:
        """The engine's request: the options given, the rest from the effective settings (the
        bot's defaults when the database cannot say: names need no database)."""
        try:
            found = await self.settings.effective(ctx)
        except StorageError as exc:
            log.warning("settings not read (%s); serving names with the defaults", exc)
            found = Effective(self.settings.defaults, word_filter=True)
        prefs = found.preferences
        styles = self.engine.styles
        like = await self._like(ctx, opts.like)
        style = opts.style or (None if like else prefs.style)
        if style is None and like:  # names like these, in the style they fit best
            style = await asyncio.to_thread(self.engine.fitting_style, like)
        style = style or DEFAULT_STYLE
        if style in PLACES:  # a tavern, a ship: templates, with names invented by styles
            return GenerationRequest(
                style=style,
                prefix=opts.prefix,
                temperature=opts.temperature or prefs.temperature or DEFAULT_TEMPERATURE,
                count=opts.count
                or (TABLE_SIZE if opts.table else None)
                or prefs.count
                or DEFAULT_COUNT,
                label=opts.gender if opts.gender not in (None, ANY_GENDER) else None,
                ends_with=opts.ends_with,
                contains=opts.contains,
                min_len=opts.min_len,
                max_len=opts.max_len,
                full=bool(opts.full),
                filter=found.word_filter,
                like=like,
            )
        if opts.style is None and not self._served(style):  # a saved default that is gone
            style = DEFAULT_STYLE if DEFAULT_STYLE in styles else min(styles)
        model = self.engine.resolve(style)
        if opts.like == LIKE_FAVOURITES:  # those of your favourites this style can write
            like = tuple(n for n in like if not model.vocab.unknown(model.as_written(n)))
            if not like:
                raise RequestError(
                    f"none of your favourites can be written in the {style} style; "
                    "try like=favs without a style"
                )
        gender, prefix = opts.gender, opts.prefix
        countries = {lab.casefold() for lab in model.labels if lab not in GENDERS}
        if gender is None and prefix.casefold() in countries:
            gender, prefix = prefix.casefold(), ""  # "/name towns polish": a country, not a prefix
        if gender is None:  # a default gender only applies where the style takes it
            gender = prefs.gender if takes_label(model, prefs.gender) else None
        temperature = opts.temperature or prefs.temperature or DEFAULT_TEMPERATURE
        new_only = opts.new_only
        if new_only is None:
            new_only = prefs.new_only
        if new_only is None:  # invented worlds: copies of the list are no use (benchmarks/names)
            new_only = style in NEW_BY_DEFAULT and temperature >= NEW_BY_DEFAULT_FROM
        count = opts.count or (TABLE_SIZE if opts.table else None)
        return GenerationRequest(
            style=style,
            prefix=prefix,
            temperature=temperature,
            count=count or prefs.count or DEFAULT_COUNT,
            label=None if gender == ANY_GENDER else gender,
            min_len=opts.min_len,
            max_len=opts.max_len,
            ends_with=opts.ends_with,
            contains=opts.contains,
            new_only=new_only,
            full=bool(opts.full),
            filter=found.word_filter,
            like=like,
        )

    def _served(self, style: str) -> bool:
        try:
            self.engine.resolve(style)
        except EngineError:
            return False
        return True

    async def _like(self, ctx: Context, like: str) -> tuple[str, ...]:
        """The names to resemble: the one given, or (like=favs) the user's favourites."""
        if like != LIKE_FAVOURITES:
            return (like,) if like else ()
        favourites = await self.store.favourites.all(ctx.user)
        if not favourites:
            raise RequestError(
                "like=favs makes names like your favourites, and you have none yet: "
                "save some with ⭐ under names, or /fav <name>"
            )
        # A full name resembles by its given name; a name too long to resemble is left out.
        given = (f.name.split()[0] for f in favourites[:MAX_LIKE_FAVOURITES])
        return tuple(dict.fromkeys(n for n in given if len(n) <= MAX_NAME_LEN))

    async def name(self, ctx: Context, request: NameRequest) -> Reply:
        asked = await self.request(ctx, request.options)
        reply = await self.generate(ctx, asked, loosen=True, table=request.options.table)
        return replace(reply, notes=(*reply.notes, *request.hints))

    async def generate(
        self,
        ctx: Context,
        request: GenerationRequest,
        shown_before: tuple[str, ...] = (),
        *,
        loosen: bool = False,
        table: bool = False,
    ) -> Reply:
        """Names for a request, never one of `shown_before`, with buttons to act on them; with
        `loosen` (a typed /name, not a button), a short answer says which option to drop."""
        result = await self.engine.generate(replace(request, exclude=frozenset(shown_before)))
        try:
            await self.store.stats.served(ctx.user, len(result.names))
        except StorageError as exc:
            log.warning("names served not counted (%s)", exc)
        place = request.style in PLACES
        model = None if place else self.engine.resolve(request.style)
        prefix = model.as_written(request.prefix) if model else request.prefix  # "eld" → "Eld"
        settings = settings_line(replace(request, prefix=prefix))
        # A blend's reply says what was blended: "half-elf (elf 50% + human 50%)".
        title = model.description if model and is_blend(request.style) else request.style
        names = NameList(request.style, settings, result.names, result.real, title)
        lines = [f"{title} · {settings}", *(names.marked(n) for n in result.names)]
        if table:  # numbered, to roll for: "d20 · elf · t=1", then " 1. Elarion" …
            die = f"d{len(result.names)} · " if result.names else ""
            lines = [f"{die}{lines[0]}"] + [
                f"{i:>2}. {line}" for i, line in enumerate(lines[1:], start=1)
            ]
            names = replace(names, title=f"{die}{title}", lines=tuple(lines[1:]))
        if not result.names:
            lines.append("(no names found)")
        notes = [result.note] if result.note else []
        if result.real:
            lists = parse_blend(request.style).styles if is_blend(request.style) else ()
            notes.append(texts.real_legend(" or ".join(lists) or request.style))
        # Fewer than asked: more of the same cannot help, but dropping the option that binds
        # most may. The reply says which, and offers it.
        short = len(result.names) < request.count
        loosened = await self._loosen(request, len(result.names)) if short and loosen else None
        if loosened is not None:
            notes.append(f"without {loosened[0]} there are more: {command_line(loosened[1])}")
        thread = (*shown_before, *result.names)[-MAX_SHOWN:]
        token = await self.state.stash(
            SavedReply(
                ctx.user, ctx.chat, NAMES, request, names=result.names, shown=thread, table=table
            )
        )
        if token is None:
            return Reply("\n".join(lines), names=names, notes=tuple(notes), buttons_off=True)
        buttons = [Action(Act.SAVE, n, actions.save(token, i)) for i, n in enumerate(result.names)]
        if not short:
            buttons.append(Action(Act.MORE, "more like this", actions.more(token)))
        if loosened is not None:
            wider = await self.state.stash(SavedReply(ctx.user, ctx.chat, NAMES, loosened[1]))
            if wider is not None:
                buttons.append(Action(Act.MORE, f"without {loosened[0]}", actions.more(wider)))
        others = [s for s in offered(self.engine.styles) if s != request.style]
        buttons += [Action(Act.STYLE, s, actions.style(token, s)) for s in others]
        return Reply("\n".join(lines), tuple(buttons), names=names, notes=tuple(notes))

    async def _loosen(
        self, request: GenerationRequest, found: int
    ) -> tuple[str, GenerationRequest] | None:
        """The one option whose dropping finds the most names (more than `found`), as the option
        the user wrote and the request without it; None when no single option is to blame."""
        best: tuple[int, str, GenerationRequest] | None = None
        for option, wider in _loosenings(request):
            try:
                result = await self.engine.generate(wider)
            except EngineError:
                continue
            if len(result.names) > max(found, best[0] if best else 0):
                best = (len(result.names), option, wider)
        return None if best is None else (best[1], best[2])

    async def more(self, ctx: Context, saved: SavedReply, request: GenerationRequest) -> Reply:
        return await self.generate(ctx, request, saved.shown, table=saved.table)

    async def in_style(
        self, ctx: Context, request: GenerationRequest, style: str, *, table: bool = False
    ) -> Reply:
        """The same request in another style (a gender only where that style has genders)."""
        if style not in self.engine.styles:
            return Reply(texts.EXPIRED, private=True)
        model = self.engine.model(style)
        label = request.label if takes_label(model, request.label) else None
        return await self.generate(ctx, replace(request, style=style, label=label), table=table)

    async def party(
        self, ctx: Context, members: tuple[str, ...], gender: str | None, *, npc: bool = False
    ) -> Reply:
        """One full name per member (a race, a blend, or ANY_RACE for a random one), each line
        naming its race and gender; ⭐ saves each with its race, 🔄 asks for a new party."""
        try:
            found = await self.settings.effective(ctx)
        except StorageError as exc:
            log.warning("settings not read (%s); a party with the defaults", exc)
            found = Effective(self.settings.defaults, word_filter=True)
        temperature = found.preferences.temperature or DEFAULT_TEMPERATURE
        rng = random.Random()
        races = [r for r in PARTY_RACES if self._served(r)] or sorted(self.engine.styles)
        lines, names, styles, genders = [], [], [], []
        for race in (m or rng.choice(races) for m in members):
            model = self.engine.resolve(race)
            g = gender if takes_label(model, gender) else None  # else drawn as it comes
            if g is None and {"female", "male"} <= set(model.labels):
                g = rng.choice(("female", "male"))
            name = await self._character(race, g, temperature, found.word_filter)
            if name is None:
                continue
            names.append(name)
            styles.append(race)
            genders.append(g or "")
            title = model.description if is_blend(race) else race
            lines.append(f"{name} — {title}" + (f", {g}" if g else ""))
        if not names:
            return Reply("No names came this time; try again.", private=True)
        header = "a character" if npc else f"party of {len(names)}"
        if not npc:
            lines = [f"{i}. {x}" for i, x in enumerate(lines, 1)]
        shown = tuple(lines)
        if not npc:
            lines = [header, *lines]
        request = GenerationRequest(style=styles[0], temperature=temperature, label=gender)
        token = await self.state.stash(
            SavedReply(ctx.user, ctx.chat, NAMES, request, names=tuple(names),
                       styles=tuple(styles), party=members, genders=tuple(genders), npc=npc)
        )  # fmt: skip
        listed = NameList(styles[0], "", tuple(names), title=header, lines=shown)
        if token is None:
            return Reply("\n".join(lines), names=listed, buttons_off=True)
        buttons = [Action(Act.SAVE, n, actions.save(token, i)) for i, n in enumerate(names)]
        again = "another character" if npc else "a new party"
        buttons.append(Action(Act.MORE, again, actions.more(token)))
        return Reply("\n".join(lines), tuple(buttons), names=listed)

    async def _character(
        self, race: str, gender: str | None, temperature: float, word_filter: bool
    ) -> str | None:
        """One full name of a race: a given name and a family name where the race has family
        names; a blend's family name from the first of its styles that has them."""
        given = GenerationRequest(
            style=race, count=1, label=gender, temperature=temperature, filter=word_filter,
            new_only=race in NEW_BY_DEFAULT or is_blend(race), full=has_family_names(race),
        )  # fmt: skip
        found = (await self.engine.generate(given)).names
        if not found:
            return None
        if not is_blend(race) or given.full:
            return found[0]
        for parent in parse_blend(race).styles:
            if has_family_names(parent) and self._served(parent):
                family = await self._family_name(parent, gender, given)
                if family:
                    return f"{found[0]} {family}"
        return found[0]

    async def _family_name(
        self, style: str, gender: str | None, like: GenerationRequest
    ) -> str | None:
        """One family name as `style` gives them: from its family-name style, a clan name of
        two words, or a house named by another name of the style."""
        if style in CLAN_STYLES:
            return compound_family(style, random.Random())
        source = family_style(style) or style
        model = self.engine.resolve(source)
        label = gender if takes_label(model, gender) else None
        ask = replace(like, style=source, full=False, label=label, new_only=False)
        found = (await self.engine.generate(ask)).names
        if not found:
            return None
        return house_name(style, found[0]) if style in HOUSE_STYLES else found[0]

    async def list_styles(self, ctx: Context, request: StylesRequest) -> Reply:
        """/styles: every style in its group (fantasy, cultures, family names, places), a line
        each with three sample names (the races and places with their flavour too), a blank
        line between groups so that a platform splitting a long answer splits between them.
        /styles <group>: that group with each style's description. /styles <style>: one style
        in full."""
        topic = request.topic
        if topic is not None and topic not in STYLE_GROUPS:
            return Reply(await self._style_card(topic), private=True)
        groups: dict[str, list[str]] = {g: [] for g in STYLE_GROUPS}
        for style in sorted([*self.engine.styles, *PLACES]):
            groups[_group(style)].append(style)
        blocks = []
        for group in [topic] if topic else STYLE_GROUPS:
            if not groups[group]:
                continue
            detailed = topic is not None or group in ("fantasy", "places")
            lines = [f"— {group} —"]
            lines += [await self._style_line(style, detailed) for style in groups[group]]
            blocks.append("\n".join(lines))
        aliases = ", ".join(f"{a} = {mix}" for a, mix in self.blend_aliases().items())
        blocks.append(
            "Use one: /name elf. Blend them: /name elf+dwarf or /name elf:70+dwarf:30"
            + (f" ({aliases})" if aliases else "")
            + ". More on a group or a style: /styles cultures, /styles greek"
        )
        blocks.append(
            "Sources: "
            + ", ".join(f"{package} ({licence})" for package, licence in LICENCES.items())
            + "; places from our own word lists."
        )
        return Reply("\n\n".join(blocks), private=True)  # long, and only the asker needs it

    async def _samples(self, style: str, count: int) -> list[str]:
        found = await self.engine.generate(GenerationRequest(style=style, count=count, seed=7))
        return list(found.names)

    async def _style_line(self, style: str, detailed: bool) -> str:
        if style in PLACES:
            return f"{style} — {PLACES[style].description}"
        model = self.engine.styles[style]
        sample = ", ".join(await self._samples(style, 3))
        # a retrained style says what it learned
        if detailed or shipped_source(style, model.description) is None:
            genders = f" ({'/'.join(model.labels)})" if model.labels else ""
            return f"{style}{genders} — {model.description}\n   e.g. {sample}"
        genders = f" ({'/'.join(g[0] for g in model.labels)})" if _gendered(model) else ""
        return f"{style}{genders}: {sample}"

    async def _style_card(self, style: str) -> str:
        """One style in full: where its names come from, its genders, its family names,
        and five samples."""
        if style in PLACES:
            sample = ", ".join(await self._samples(style, 5))
            return f"{style} — {PLACES[style].description}\ne.g. {sample}"
        model = self.engine.styles[style]
        lines = [f"{style} — {model.description}"]
        if model.labels:
            kind = "genders" if _gendered(model) else "countries"
            lines.append(f"{kind}: {', '.join(model.labels)}")
        if model.neutral is not None:
            lines.append("gender-neutral names too: /name " + style + " neutral")
        if style in FAMILY:
            lines.append(f"full names: /name {style} full (family names from {FAMILY[style]})")
        elif style in CLAN_STYLES or style in HOUSE_STYLES:
            lines.append(f"full names: /name {style} full ({describe_family(style)})")
        package = shipped_source(style, model.description)
        if package is not None:
            lines.append(f"source: the {package} package ({LICENCES[package]} licence)")
        lines.append(f"e.g. {', '.join(await self._samples(style, 5))}")
        return "\n".join(lines)

    async def rate(self, ctx: Context, request: RateRequest) -> Reply:
        """/rate <name> [style] [gender]: a full name is rated word by word."""
        prefs = await self.settings.preferences(ctx)
        style = request.style or prefs.style or DEFAULT_STYLE
        if request.style is None and style not in self.engine.styles:  # a blend, a place
            style = DEFAULT_STYLE
        gender = request.gender
        label = gender if gender and self.engine.model(style).labels else None
        scores = [await self.engine.score(style, word, label) for word in request.words]
        lines = []
        for score in scores:
            known = " It is in the training list." if score.in_corpus else ""
            note = f" ({score.note})" if score.note else ""
            lines.append(
                f"{score.name}: {texts.rating_words(score.percentile)} — more name-like than "
                f"{score.percentile:.0f}% of the real {style} names.{known}{note}"
            )
        if len(scores) > 1:
            mean = sum(s.percentile for s in scores) / len(scores)
            lines.append(f"Together: {texts.rating_words(mean)} ({mean:.0f}% on average).")
        return Reply("\n".join(lines))

    async def best_style(self, name: str) -> str:
        """The style a typed name fits best, or NO_STYLE when it fits none well."""
        best, best_pct = NO_STYLE, FITS_NOWHERE_BELOW
        for style in sorted(self.engine.styles):
            try:
                score = await self.engine.score(style, name)
            except EngineError:  # letters this style never writes
                continue
            if score.percentile > best_pct:
                best, best_pct = style, score.percentile
        return best


def _loosenings(r: GenerationRequest) -> list[tuple[str, GenerationRequest]]:
    """Each option of a request that narrows it, as the user wrote it, and the request without
    it."""
    out = []
    if r.ends_with:
        out.append((f"ends={r.ends_with}", replace(r, ends_with="")))
    if r.contains:
        out.append((f"contains={r.contains}", replace(r, contains="")))
    if r.min_len is not None or r.max_len is not None:
        out.append((f"len={_length(r)}", replace(r, min_len=None, max_len=None)))
    if r.prefix:
        out.append((f"prefix={r.prefix}", replace(r, prefix="")))
    if r.new_only:
        out.append(("new", replace(r, new_only=False)))
    return out


def _length(r: GenerationRequest) -> str:
    lo, hi = r.min_len or 1, r.max_len
    return f"{lo}" if lo == hi else f"{lo}-{hi or ''}"


def command_line(r: GenerationRequest) -> str:
    """The /name command that asks for this request, every option written out."""
    t = f"{r.temperature:g}"
    words = ["/name", r.style, t if "." in t else f"{t}.0", str(r.count)]
    words += [r.label] if r.label else []
    words += [f"prefix={r.prefix}"] if r.prefix else []
    words += [f"ends={r.ends_with}"] if r.ends_with else []
    words += [f"contains={r.contains}"] if r.contains else []
    if r.min_len is not None or r.max_len is not None:
        words.append(f"len={_length(r)}")
    words.append("new" if r.new_only else "new=no")
    words += ["full"] if r.full else []
    words += [f"like={r.like[0]}"] if len(r.like) == 1 else []
    return " ".join(words)


def _like_words(like: tuple[str, ...]) -> str:
    shown = ", ".join(like[:3])
    return shown + (f" and {len(like) - 3} more" if len(like) > 3 else "")


def offered(styles: Iterable[str]) -> list[str]:
    """Styles in the order a reply offers them: the common ones first, then the rest."""
    rank = {s: i for i, s in enumerate(STYLE_ORDER)}
    return sorted(styles, key=lambda s: (rank.get(s, len(rank)), s))


def settings_line(r: GenerationRequest) -> str:
    """Every option a request used, so a reply says exactly what it is."""
    parts = [r.label] if r.label else []
    parts.append(f"t={r.temperature:g}")
    if r.prefix:
        parts.append(f"starts {r.prefix}")
    if r.ends_with:
        parts.append(f"ends {r.ends_with}")
    if r.contains:
        parts.append(f"contains {r.contains}")
    if r.min_len is not None or r.max_len is not None:
        parts.append(f"len {_length(r)}")
    if r.new_only:
        parts.append("new")
    if r.full:
        parts.append("full")
    if r.like:
        parts.append(f"like {_like_words(r.like)}")
    if not r.filter:
        parts.append("unfiltered")
    return " · ".join(parts)


def takes_label(model: NameModel, label: str | None) -> bool:
    """Whether a request for `model` may carry `label` (a gender, neutral, a country)."""
    if label is None or label == ANY_GENDER:
        return False
    return label in model.labels or (label == NEUTRAL and model.neutral is not None)


def _gendered(model: NameModel) -> bool:
    return set(model.labels) <= {"female", "male"} and bool(model.labels)


def _group(style: str) -> str:
    """Which /styles group a style is listed in."""
    if style in FANTASY or style in BLEND_ALIASES:
        return "fantasy"
    if style in FAMILY.values():
        return "family names"
    if style in PLACES or style in PLACE_STYLES:
        return "places"
    return "cultures"
