"""The use cases: every command and button, platform-neutral. Adapters call `on_text`,
`on_request`, `on_button` (`on_buttons` for a menu of several) and `on_upload`, and lay out
the Reply; nothing here knows Telegram or Discord.

Each use case lives in a room of its own (names, favourites, settings, admin, retrain); this
module is the front door: the rate limit, one table from request type to use case, and the two
tiers of errors. A domain error (bad input, an unknown style, a limit) is answered with its own
message; anything else is logged with its traceback and answered with a short apology.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot import actions, grammar, texts
from bot.actions import Act, Press
from bot.errors import UserError
from bot.grammar import ANY_GENDER, COMMANDS, GENDER_WORDS, ParseError
from bot.metrics import Check, Metrics
from bot.ratelimit import Limiter, Verdict
from bot.reply import Context, Reply
from bot.requests import (
    AuditRequest,
    ExportRequest,
    FavRequest,
    FavsRequest,
    HelpRequest,
    NameRequest,
    NoteRequest,
    NpcRequest,
    PartyRequest,
    RateRequest,
    Request,
    ResetRequest,
    RetrainRequest,
    RollbackRequest,
    SettingsRequest,
    StartRequest,
    StatsRequest,
    StylesRequest,
    TagRequest,
    UnfavRequest,
)
from bot.service.admin import Admin
from bot.service.favourites import Favourites
from bot.service.names import Names, StyleInfo
from bot.service.retrain import Retraining, RetrainRefused
from bot.service.settings import DEFAULTS, Settings
from bot.service.state import NAMES, NEW_STYLE, UNFAV_ALL, ReplyState, SavedReply
from engine.errors import EngineError
from engine.limits import NEUTRAL
from engine.serving.generator import NameEngine
from engine.serving.sampling import GenerationRequest
from storage import (
    DatabaseNotWritable,
    DatabaseUnavailable,
    Preferences,
    Storage,
    StorageError,
)

__all__ = ["DEFAULTS", "Service", "StyleInfo", "UserError"]

log = logging.getLogger(__name__)
GENDERS = frozenset(GENDER_WORDS.values())

PING_TIMEOUT = 2.0  # seconds the database has to answer a readiness check

# What a user reads as it is; anything else is logged and answered with an apology.
_USER_ERRORS = (UserError, ParseError, EngineError, StorageError, RetrainRefused)
Handler = Callable[[Context, Any], Awaitable[Reply]]


class Service:
    def __init__(
        self,
        engine: NameEngine,
        store: Storage,
        limiter: Limiter,
        *,
        admins: frozenset[str] = frozenset(),
        defaults: Preferences = DEFAULTS,
        retraining: Retraining | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.limiter = limiter
        self.retraining = retraining
        # Counted where it happens: the engine gets the hooks, adapters reach it through here.
        self.metrics = metrics = metrics or Metrics()
        engine.registry.subscribe(metrics.model_swapped)
        metrics.watch_queue(engine.waiting)
        if retraining is not None:
            retraining.retrainer.subscribe(metrics)
        state = ReplyState(store)
        self.state = state
        self.settings = Settings(store, admins, defaults)
        self.names = Names(engine, store, self.settings, state)
        self.favourites = Favourites(store, self.names, state)
        self.admin = Admin(store, admins, retraining)
        # One use case per request type; a request type missing here fails the service's tests.
        self._handlers: dict[type[Any], Handler] = {
            NameRequest: self.names.name,
            StylesRequest: self.names.list_styles,
            PartyRequest: self._party,
            NpcRequest: self._npc,
            RateRequest: self.names.rate,
            FavRequest: self.favourites.fav,
            FavsRequest: self.favourites.favs,
            NoteRequest: self.favourites.note,
            TagRequest: self.favourites.tag,
            UnfavRequest: self.favourites.unfav,
            ExportRequest: self.favourites.export,
            SettingsRequest: self.settings.settings,
            ResetRequest: self.settings.reset,
            HelpRequest: self._help,
            StartRequest: _start,
            RetrainRequest: self.admin.retrain,
            RollbackRequest: self.admin.rollback,
            AuditRequest: self.admin.audit,
            StatsRequest: self._stats,
        }

    @property
    def admins(self) -> frozenset[str]:
        """The bot's admins (`tg:…`, `dc:…`): they retrain, and set any group's defaults."""
        return self.admin.admins

    @admins.setter
    def admins(self, admins: frozenset[str]) -> None:
        self.admin.admins = self.settings.admins = admins

    # --- what adapters may ask besides commands -------------------------------------------

    def styles(self) -> dict[str, StyleInfo]:
        """The styles served now, for menus and autocomplete."""
        return self.names.styles()

    def genders(self, style: str | None = None) -> list[str]:
        """The genders a style has (every style's, when none or an unknown one is named), then
        neutral where it writes neutral names, then "any": what a gender option may offer
        (a town's country is a `countries` label, not a gender)."""
        styles = self.styles()
        chosen = [styles[style]] if style in styles else list(styles.values())
        neutral = [NEUTRAL] if any(s.neutral for s in chosen) else []
        found = {label for s in chosen for label in s.labels if label in GENDERS}
        return [*sorted(found), *neutral, ANY_GENDER]

    def countries(self, style: str | None = None) -> list[str]:
        """The labels that are not genders (a town's country) of a style, or of every style."""
        styles = self.styles()
        chosen = [styles[style]] if style in styles else list(styles.values())
        return sorted({label for s in chosen for label in s.labels if label not in GENDERS})

    def style_menu(self, typed: str, *, groups: bool = False) -> list[tuple[str, str]]:
        """Styles and blend aliases matching what is typed, best first, each with a line saying
        what it is: for an autocomplete menu (with the /styles groups too when `groups`)."""
        return self.names.style_menu(typed, groups=groups)

    def blend_aliases(self) -> dict[str, str]:
        """The blends known by a name ("half-elf") whose styles are all served, with their mix."""
        return self.names.blend_aliases()

    def corpora(self) -> dict[str, str]:
        """The built-in corpora an admin may retrain from, with what each holds."""
        return {} if self.retraining is None else self.retraining.builtin_corpora()

    async def readiness(self) -> list[Check]:
        """Whether this process can serve, check by check: the database answers a query, the
        engine serves at least one style, and each platform this process serves is connected
        (the console needs nothing)."""
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                await self.store.ping()
            database = Check("database", True, "answers")
        except TimeoutError:
            database = Check("database", False, f"no answer within {PING_TIMEOUT:g} s")
        except StorageError as exc:
            database = Check("database", False, str(exc))
        styles = len(self.engine.styles)
        models = Check("models", styles > 0, f"{styles} styles" if styles else "no style loaded")
        platforms = [
            Check(name, up, "connected" if up else "not connected")
            for name, up in self.metrics.platforms().items()
        ]
        found = [database, models, *platforms]
        self.metrics.readiness(found)
        return found

    async def first_delivery(self, key: str) -> bool:
        """Whether this update (a platform's id for it, e.g. "tg:123") is seen for the first
        time, here or on any replica; a redelivered one is not answered again. When the database
        cannot say, the update is answered: once too often beats never."""
        try:
            return await self.store.deliveries.first(key)
        except StorageError as exc:
            log.warning("could not check update %s for a redelivery: %s", key, exc)
            return True

    # --- entry points ---------------------------------------------------------------------

    async def on_text(
        self, ctx: Context, text: str, bot_username: str | None = None
    ) -> Reply | None:
        """Answer one message; None when it is not a command for this bot (or the sender is
        over the rate limit and was already told). In a private chat every message is for the
        bot: one without a slash is read as the command it most likely is, or gets a hint."""
        split = grammar.split_command(text, bot_username)
        if split is None and ctx.chat is None and text.strip() and not text.startswith("/"):
            plain = grammar.plain_command(text, self.styles().keys())
            if plain is None:
                hint = Reply(texts.PLAIN_HINT, private=True)
                return await self._guarded(ctx, "plain", lambda: _answer(hint))
            split = grammar.split_command(plain)
            guessed = True
        else:
            guessed = False
        if split is None:
            return None
        name, words = split
        command = name if name in COMMANDS else "unknown"  # never log what users type
        styles = self.styles().keys()

        async def answer() -> Reply:
            try:
                request = grammar.request_of(name, words, styles)
            except ParseError:
                if guessed:  # "help me find a name" was no command after all: a hint, not an error
                    return Reply(texts.PLAIN_HINT, private=True)
                raise
            return await self._dispatch(ctx, request)

        return await self._guarded(ctx, command, answer)

    async def on_request(self, ctx: Context, request: Request) -> Reply | None:
        """Answer a request that arrived already typed (a slash command's options)."""
        return await self._guarded(ctx, request.command, lambda: self._dispatch(ctx, request))

    async def on_file(
        self, ctx: Context, caption: str | None, bot_username: str | None = None
    ) -> Reply | None:
        """A file (in `ctx.upload`): with a command as its caption it goes with that command
        (/retrain elf); without one, it may be the file a pending /retrain asked for."""
        if caption and grammar.split_command(caption, bot_username) is not None:
            return await self.on_text(ctx, caption, bot_username)
        return await self.on_upload(ctx)

    async def on_upload(self, ctx: Context) -> Reply | None:
        """A file sent with no command: the one a pending /retrain asked for, else ignored."""
        retraining = self.retraining
        if retraining is None or ctx.upload is None or ctx.user not in self.admins:
            return None
        return await self._guarded(ctx, "retrain", lambda: retraining.on_upload(ctx))

    async def on_button(self, ctx: Context, data: str) -> Reply | None:
        """A button press; its payload is read by bot.actions, the only module that builds it."""
        act = actions.act_of(data)
        label = "unknown" if act is None else str(act)
        return await self._guarded(ctx, f"button:{label}", lambda: self._press(ctx, data))

    async def on_buttons(self, ctx: Context, data: Sequence[str]) -> Reply | None:
        """Several ⭐ presses at once (a menu where several names were chosen): one request for
        the rate limit, one reply saying what happened to each."""

        async def press_all() -> Reply:
            said = [(await self._press(ctx, d)).text for d in data if actions.act_of(d) is Act.SAVE]
            return Reply("\n".join(said) if said else texts.EXPIRED, private=True)

        return await self._guarded(ctx, "button:fav", press_all)

    # --- the front door -------------------------------------------------------------------

    async def _guarded(
        self, ctx: Context, command: str, call: Callable[[], Awaitable[Reply | None]]
    ) -> Reply | None:
        started = time.perf_counter()
        verdict = (
            Verdict.ALLOW if ctx.trusted else await self.limiter.check(ctx.user, ctx.shared_budget)
        )
        if verdict is not Verdict.ALLOW:
            if verdict is Verdict.WARN:
                self.metrics.user_rate_limited()
            self._log(ctx, command, "rate_limited", started)
            if verdict is Verdict.IGNORE and not ctx.must_answer:
                return None
            return Reply(texts.slow_down(self.limiter.limit, self.limiter.period), private=True)
        try:
            reply = await call()
        except DatabaseUnavailable as exc:  # names a path or host: for the operator, not a chat
            log.error(
                "database unavailable: platform=%s command=%s: %s", ctx.platform, command, exc
            )
            self._log(ctx, command, "error", started)
            writes = isinstance(exc, DatabaseNotWritable)
            return Reply(texts.CANNOT_SAVE if writes else texts.SORRY, private=True)
        except _USER_ERRORS as exc:
            self._log(ctx, command, "user_error", started)
            return Reply(f"⚠️ {exc}", private=True)
        except Exception:
            log.exception("command failed: platform=%s command=%s", ctx.platform, command)
            self._log(ctx, command, "error", started)
            return Reply(texts.SORRY, private=True)
        self._log(ctx, command, "ok", started)
        return reply

    def _log(self, ctx: Context, command: str, outcome: str, started: float) -> None:
        seconds = time.perf_counter() - started
        self.metrics.command(command, outcome, seconds)
        log.info(
            "platform=%s command=%s outcome=%s ms=%.1f", ctx.platform, command, outcome,
            seconds * 1000,
        )  # fmt: skip

    async def _dispatch(self, ctx: Context, request: Request) -> Reply:
        return await self._handlers[type(request)](ctx, request)

    async def _press(self, ctx: Context, data: str) -> Reply:
        press = actions.parse(data)
        if press is None:
            return Reply(texts.EXPIRED, private=True)
        saved = await self.state.unstash(ctx, press.token) if press.token else None
        if press.token and saved is None:
            return Reply(texts.EXPIRED, private=True)
        if press.act is Act.PAGE:
            return await self.favourites.favs_page(ctx, press.page, saved)
        if saved is None:
            return Reply(texts.EXPIRED, private=True)
        if press.act is Act.CONFIRM and saved.owner == ctx.user:
            # A question is answered once: a second press of an old "yes" does nothing.
            if not await self.state.take(press.token):
                return Reply(texts.EXPIRED, private=True)
            if saved.kind == UNFAV_ALL:
                return await self.favourites.confirmed(ctx, saved, press.confirm)
            if saved.kind == NEW_STYLE:
                return await self.admin.confirmed_new_style(ctx, press.token, saved)
        request = saved.request
        if saved.kind != NAMES or request is None:
            return Reply(texts.EXPIRED, private=True)
        return await self._on_names(ctx, press, saved, request)

    async def _on_names(
        self, ctx: Context, press: Press, saved: SavedReply, request: GenerationRequest
    ) -> Reply:
        if press.act is Act.SAVE:
            if press.index >= len(saved.names):
                return Reply(texts.EXPIRED, private=True)
            name = saved.names[press.index]
            style = saved.styles[press.index] if saved.styles else request.style
            label = (saved.genders[press.index] or None) if saved.genders else request.label
            return await self.favourites.save(ctx, name, style, label, request.temperature)
        if press.act is Act.MORE and saved.party:
            return await self.names.party(ctx, saved.party, request.label, npc=saved.npc)
        if press.act is Act.MORE:
            return await self.names.more(ctx, saved, request)
        if press.act is Act.STYLE:
            return await self.names.in_style(ctx, request, press.style, table=saved.table)
        return Reply(texts.EXPIRED, private=True)

    async def _party(self, ctx: Context, request: PartyRequest) -> Reply:
        return await self.names.party(ctx, request.members, request.gender)

    async def _npc(self, ctx: Context, request: NpcRequest) -> Reply:
        return await self.names.party(ctx, (request.race,), request.gender, npc=True)

    async def _help(self, ctx: Context, request: HelpRequest) -> Reply:
        # Only the asker needs it: where a platform can, it is not posted to everyone.
        if request.topic:
            return Reply(texts.HELP[request.topic][1], private=True)
        return Reply(texts.help_all(admin=ctx.user in self.admins), private=True)

    async def _stats(self, ctx: Context, request: StatsRequest) -> Reply:
        return await self.admin.stats(ctx, request, list(self.engine.styles))


async def _answer(reply: Reply) -> Reply:
    return reply


async def _start(ctx: Context, request: StartRequest) -> Reply:
    return Reply(texts.WELCOME)
