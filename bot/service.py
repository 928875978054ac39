"""The use cases: every command and button, platform-neutral. Adapters call `on_text`,
`on_command` and `on_button` and render the Reply; nothing here knows Telegram or Discord.

Errors come in two tiers: a domain error (bad input, unknown style, a limit) is answered with its
own message; anything else is logged with its traceback and answered with a short apology.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot import texts
from bot.grammar import (
    ANY_GENDER,
    COMMANDS,
    GENDER_WORDS,
    Command,
    NameOptions,
    ParseError,
    parse,
    shown,
    split_command,
    whole_number,
)
from bot.ratelimit import Limiter, Verdict
from bot.reply import Act, Action, Attachment, Context, NameList, Reply
from bot.retraining import Retraining, RetrainRefused
from engine.errors import EngineError
from engine.serving.generator import NameEngine
from engine.serving.sampling import GenerationRequest
from storage import DatabaseUnavailable, Preferences, Storage, StorageError

log = logging.getLogger(__name__)

DEFAULTS = Preferences(style="english", temperature=1.0, count=5, gender=None)
# The order styles are offered in under a reply (the rest follow alphabetically); each adapter
# shows as many as its platform fits (Telegram and the console the first few, Discord a menu).
STYLE_ORDER = ("english", "elf", "dwarf", "human", "halfling", "goblin", "surnames", "towns")
PAYLOAD_VERSION = 1
MAX_SHOWN = 200  # names remembered per "more like this" thread, so it never repeats itself
# Styles of invented worlds, where 45-90% of raw samples at t=1 are copies of the training list
# (benchmarks/names.py): `new` is their default from this temperature up (below it, new names
# are too rare to find quickly). A user's saved `new` setting wins.
NEW_BY_DEFAULT = frozenset({"elf", "dwarf", "halfling", "goblin", "human"})
NEW_BY_DEFAULT_FROM = 0.5
NO_STYLE = "-"  # a typed favourite that fits no style well
PAGE_SIZE = 10  # favourites per /favs page (storage's default)


class UserError(Exception):
    """A mistake or a refusal the user should read as it is."""


@dataclass(frozen=True, slots=True)
class _Saved:
    """What a reply's actions refer to, as stored in the database (a versioned payload)."""

    owner: str
    chat: str | None
    kind: str  # "names" or "unfav_all"
    request: GenerationRequest | None = None
    names: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()

    def dump(self) -> str:
        body: dict[str, Any] = {
            "v": PAYLOAD_VERSION,
            "owner": self.owner,
            "chat": self.chat,
            "kind": self.kind,
            "names": list(self.names),
            "shown": list(self.shown),
        }
        if self.request is not None:
            r = self.request
            body["request"] = {
                "style": r.style,
                "prefix": r.prefix,
                "temperature": r.temperature,
                "count": r.count,
                "label": r.label,
                "min_len": r.min_len,
                "max_len": r.max_len,
                "ends_with": r.ends_with,
                "contains": r.contains,
                "new_only": r.new_only,
                "full": r.full,
                "filter": r.filter,
            }
        return json.dumps(body, ensure_ascii=False)

    @classmethod
    def load(cls, text: str) -> _Saved | None:
        """The payload, or None if it is from another version or damaged (the button expired)."""
        try:
            body = json.loads(text)
            if body.get("v") != PAYLOAD_VERSION:
                return None
            req = body.get("request")
            request = None
            if isinstance(req, dict):
                request = GenerationRequest(
                    style=str(req["style"]),
                    prefix=str(req.get("prefix") or ""),
                    temperature=float(req.get("temperature", 1.0)),
                    count=int(req.get("count", 5)),
                    label=None if req.get("label") is None else str(req["label"]),
                    min_len=None if req.get("min_len") is None else int(req["min_len"]),
                    max_len=None if req.get("max_len") is None else int(req["max_len"]),
                    ends_with=str(req.get("ends_with") or ""),
                    contains=str(req.get("contains") or ""),
                    new_only=bool(req.get("new_only", False)),
                    full=bool(req.get("full", False)),
                    filter=bool(req.get("filter", True)),
                )
            return cls(
                owner=str(body["owner"]),
                chat=None if body.get("chat") is None else str(body["chat"]),
                kind=str(body["kind"]),
                request=request,
                names=tuple(str(n) for n in body.get("names", ())),
                shown=tuple(str(n) for n in body.get("shown", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


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
    ) -> None:
        self.engine = engine
        self.store = store
        self.limiter = limiter
        self.admins = admins
        self.defaults = defaults
        self.retraining = retraining

    # --- entry points ---------------------------------------------------------------------

    async def on_text(
        self, ctx: Context, text: str, bot_username: str | None = None
    ) -> Reply | None:
        """Answer one message; None when it is not a command for this bot (or the sender is
        over the rate limit and was already told)."""
        split = split_command(text, bot_username)
        if split is None:
            return None
        styles = self.engine.styles.keys()
        command = split[0] if split[0] in COMMANDS else "unknown"  # never log what users type
        return await self._guarded(ctx, command, lambda: self._dispatch(ctx, parse(text, styles)))

    async def on_command(self, ctx: Context, cmd: Command) -> Reply | None:
        """Answer a command that arrived already structured (a slash command's options)."""
        return await self._guarded(ctx, cmd.name, lambda: self._dispatch(ctx, cmd))

    async def on_upload(self, ctx: Context) -> Reply | None:
        """A file sent with no command: the one a pending /retrain asked for, else ignored."""
        if self.retraining is None or ctx.upload is None or ctx.user not in self.admins:
            return None
        retraining = self.retraining
        return await self._guarded(ctx, "retrain", lambda: retraining.on_upload(ctx))

    async def on_button(self, ctx: Context, data: str) -> Reply | None:
        action = data.split(":", 1)[0]
        label = action if action in set(Act) else "unknown"
        return await self._guarded(ctx, f"button:{label}", lambda: self._button(ctx, data))

    async def _guarded(
        self, ctx: Context, command: str, call: Callable[[], Awaitable[Reply | None]]
    ) -> Reply | None:
        started = time.perf_counter()
        verdict = await self.limiter.check(ctx.user, ctx.shared_budget)
        if verdict is not Verdict.ALLOW:
            self._log(ctx, command, "rate_limited", started)
            if verdict is Verdict.IGNORE:
                return None
            return Reply(texts.slow_down(self.limiter.limit, self.limiter.period), private=True)
        try:
            reply = await call()
        except DatabaseUnavailable as exc:  # names a path or host: for the operator, not a chat
            log.error(
                "database unavailable: platform=%s command=%s: %s", ctx.platform, command, exc
            )
            self._log(ctx, command, "error", started)
            return Reply(texts.SORRY, private=True)
        except (UserError, EngineError, StorageError, ParseError, RetrainRefused) as exc:
            self._log(ctx, command, "user_error", started)
            return Reply(f"⚠️ {exc}", private=True)
        except Exception:
            log.exception("command failed: platform=%s command=%s", ctx.platform, command)
            self._log(ctx, command, "error", started)
            return Reply(texts.SORRY, private=True)
        self._log(ctx, command, "ok", started)
        return reply

    @staticmethod
    def _log(ctx: Context, command: str, outcome: str, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        log.info("platform=%s command=%s outcome=%s ms=%.1f", ctx.platform, command, outcome, ms)

    async def _dispatch(self, ctx: Context, cmd: Command | None) -> Reply:
        assert cmd is not None  # split_command already said this is a command for us
        handler = getattr(self, f"cmd_{cmd.name}")
        reply: Reply = await handler(ctx, cmd)
        return reply

    # --- button state ---------------------------------------------------------------------

    async def _stash(self, saved: _Saved) -> str | None:
        """Store what a reply's buttons refer to; None when the database cannot take it (a full
        disk): the reply then goes out without buttons rather than not at all."""
        try:
            return await self.store.replies.add(saved.owner, saved.dump(), chat=saved.chat)
        except StorageError as exc:
            log.warning("reply state not stored (%s); answering without buttons", exc)
            return None

    async def _unstash(self, ctx: Context, token: str) -> _Saved | None:
        """The stored state a button names, if this user may use it here."""
        stored = await self.store.replies.get(token)
        saved = None if stored is None else _Saved.load(stored.payload)
        if saved is None:
            return None
        # A private reply's buttons are its owner's; a group reply's, the group's members'.
        if saved.chat is None and saved.owner != ctx.user:
            return None
        if saved.chat is not None and saved.chat != ctx.chat:
            return None
        return saved

    # --- /name and its buttons ------------------------------------------------------------

    async def _prefs(self, ctx: Context) -> Preferences:
        return await self.store.settings.effective(ctx.user, ctx.chat, self.defaults)

    async def _request(self, ctx: Context, opts: NameOptions) -> GenerationRequest:
        # The user's and the chat's settings, each read once: merged for the defaults, and the
        # chat's own for the word filter (the group's to relax in a group, the user's in private).
        own = await self.store.settings.user(ctx.user)
        chat = await self.store.settings.chat(ctx.chat) if ctx.chat else None
        prefs = own.over(chat.over(self.defaults) if chat else self.defaults)
        filtering = (chat or own).word_filter is not False
        style = opts.style or prefs.style or "english"
        if style not in self.engine.styles:  # a saved default whose model is gone
            style = "english" if "english" in self.engine.styles else min(self.engine.styles)
        gender = opts.gender
        if gender is None and self.engine.model(style).labels:
            gender = prefs.gender  # a default gender only applies where the style has genders
        temperature = opts.temperature or prefs.temperature or 1.0
        new_only = opts.new_only
        if new_only is None:
            new_only = prefs.new_only
        if new_only is None:  # invented worlds: copies of the list are no use (benchmarks/names)
            new_only = style in NEW_BY_DEFAULT and temperature >= NEW_BY_DEFAULT_FROM
        return GenerationRequest(
            style=style,
            prefix=opts.prefix,
            temperature=temperature,
            count=opts.count or prefs.count or 5,
            label=None if gender == ANY_GENDER else gender,
            min_len=opts.min_len,
            max_len=opts.max_len,
            ends_with=opts.ends_with,
            contains=opts.contains,
            new_only=new_only,
            full=bool(opts.full),
            filter=filtering,
        )

    async def cmd_name(self, ctx: Context, cmd: Command) -> Reply:
        reply = await self._names(ctx, await self._request(ctx, cmd.options))
        if cmd.hints:
            reply = replace(reply, text=reply.text + "\n" + "\n".join(f"({h})" for h in cmd.hints))
        return reply

    async def _names(
        self, ctx: Context, request: GenerationRequest, shown_before: tuple[str, ...] = ()
    ) -> Reply:
        result = await self.engine.generate(replace(request, exclude=frozenset(shown_before)))
        try:
            await self.store.stats.served(ctx.user, len(result.names))
        except StorageError as exc:
            log.warning("names served not counted (%s)", exc)
        prefix = self.engine.model(request.style).as_written(request.prefix)  # "eld" → "Eld"
        settings = _settings_line(replace(request, prefix=prefix))
        lines = [f"{request.style} · {settings}", *result.names]
        if not result.names:
            lines.append("(no names found)")
        if result.note:
            lines.append(f"({result.note})")
        names = NameList(request.style, settings, result.names, result.note)
        thread = (*shown_before, *result.names)[-MAX_SHOWN:]
        token = await self._stash(
            _Saved(ctx.user, ctx.chat, "names", request, result.names, thread)
        )
        if token is None:
            lines.append(texts.NO_BUTTONS)
            return Reply("\n".join(lines), names=names)
        actions = [Action(Act.SAVE, n, f"fav:{token}:{i}") for i, n in enumerate(result.names)]
        actions.append(Action(Act.MORE, "more like this", f"more:{token}"))
        others = [s for s in _offered(self.engine.styles) if s != request.style]
        actions += [Action(Act.STYLE, s, f"style:{token}:{s}") for s in others]
        return Reply("\n".join(lines), tuple(actions), names=names)

    async def _button(self, ctx: Context, data: str) -> Reply:
        action, _, rest = data.partition(":")
        if action == Act.PAGE:
            return await self._favs_page(ctx, whole_number(rest) or 1)
        token, _, arg = rest.partition(":")
        saved = await self._unstash(ctx, token)
        if saved is None:
            return Reply(texts.EXPIRED, private=True)
        if action == Act.CONFIRM and saved.kind == "unfav_all" and saved.owner == ctx.user:
            if arg == "one" and saved.names:
                return await self._unfav(ctx, saved.names[0])
            n = await self.store.favourites.clear(ctx.user)
            return Reply(
                f"Forgot all {n} favourite{'s' if n != 1 else ''}."
                if n
                else "You had no favourites.",
                private=True,
            )
        request = saved.request
        if saved.kind != "names" or request is None:
            return Reply(texts.EXPIRED, private=True)
        if action == Act.SAVE:
            i = whole_number(arg)
            if i is None or not 0 <= i < len(saved.names):
                return Reply(texts.EXPIRED, private=True)
            return await self._save(
                ctx, saved.names[i], request.style, request.label, request.temperature
            )
        if action == Act.MORE:
            return await self._names(ctx, request, saved.shown)
        if action == Act.STYLE and arg in self.engine.styles:
            label = request.label if self.engine.model(arg).labels else None
            return await self._names(ctx, replace(request, style=arg, label=label))
        return Reply(texts.EXPIRED, private=True)

    # --- other commands -------------------------------------------------------------------

    async def cmd_start(self, ctx: Context, cmd: Command) -> Reply:
        return Reply(texts.WELCOME)

    async def cmd_help(self, ctx: Context, cmd: Command) -> Reply:
        if cmd.args:
            topic = cmd.args[0].lstrip("/").casefold()
            if topic not in texts.HELP:
                raise UserError(
                    f"no command /{shown(topic)[1:-1]}; the commands are: " + _commands()
                )
            return Reply(texts.HELP[topic][1])
        return Reply(texts.HELP_ALL)

    async def cmd_styles(self, ctx: Context, cmd: Command) -> Reply:
        lines = []
        for style, model in sorted(self.engine.styles.items()):
            sample = await self.engine.generate(GenerationRequest(style=style, count=3, seed=7))
            genders = f" ({'/'.join(model.labels)})" if model.labels else ""
            lines.append(
                f"{style}{genders} — {model.description}\n   e.g. {', '.join(sample.names)}"
            )
        return Reply("\n".join(lines) + "\nUse one: /name style=elf, or just /name elf")

    async def cmd_rate(self, ctx: Context, cmd: Command) -> Reply:
        """/rate <name> [style] [gender]: a full name is rated word by word."""
        words = list(cmd.args)
        style, gender = None, None
        while len(words) > 1:
            last = words[-1].casefold()
            if last in self.engine.styles and style is None:
                style = last
            elif last in GENDER_WORDS and gender is None:
                gender = GENDER_WORDS[last]
            else:
                break
            words.pop()
        if not words:
            raise UserError("give a name to rate, e.g. /rate Aragorn or /rate Mary Jane female")
        if len(words) > 4:
            raise UserError("rate one name at a time: up to four words, e.g. /rate Mary Jane")
        prefs = await self._prefs(ctx)
        style = style or prefs.style or "english"
        label = gender if gender and self.engine.model(style).labels else None
        scores = [await self.engine.score(style, word, label) for word in words]
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

    async def _best_style(self, name: str) -> str:
        """The style a typed name fits best, or NO_STYLE when it fits none well."""
        best, best_pct = NO_STYLE, 10.0  # below this percentile a name fits nowhere
        for style in sorted(self.engine.styles):
            try:
                score = await self.engine.score(style, name)
            except EngineError:  # letters this style never writes
                continue
            if score.percentile > best_pct:
                best, best_pct = style, score.percentile
        return best

    async def _save(
        self, ctx: Context, name: str, style: str, label: str | None, temperature: float | None
    ) -> Reply:
        added = await self.store.favourites.add(
            ctx.user, name, style=style, label=label, temperature=temperature
        )
        if not added:
            return Reply(f"{name} is already in your favourites.", private=True)
        count = await self.store.favourites.count(ctx.user)
        return Reply(
            f"⭐ Saved {name}. You have {count} favourite{'s' if count != 1 else ''}.",
            private=True,
        )

    async def cmd_fav(self, ctx: Context, cmd: Command) -> Reply:
        if not cmd.args:
            raise UserError("give the name to save, e.g. /fav Eldrin")
        name = " ".join(cmd.args)
        return await self._save(ctx, name, await self._best_style(name), None, None)

    async def cmd_favs(self, ctx: Context, cmd: Command) -> Reply:
        page = 1
        if cmd.args:
            n = whole_number(cmd.args[0])
            if n is None or n < 1:
                raise UserError("the page must be a whole number, e.g. /favs 2")
            page = n
        return await self._favs_page(ctx, page)

    async def _favs_page(self, ctx: Context, page: int) -> Reply:
        p = await self.store.favourites.page(ctx.user, page)
        if not p.total:
            return Reply(
                "No favourites yet: press ⭐ under a reply, or send /fav <name>.", private=True
            )
        first = (p.page - 1) * PAGE_SIZE
        lines = [f"Your favourites ({p.total}), page {p.page} of {p.pages}:"]
        for i, f in enumerate(p.items, start=first + 1):
            extra = ", ".join(x for x in (f.style, f.label) if x and x != NO_STYLE)
            lines.append(f"{i}. {f.name} ({extra})" if extra else f"{i}. {f.name}")
        nav = []
        if p.page > 1:
            nav.append(Action(Act.PAGE, "◀ newer", f"favs:{p.page - 1}"))
        if p.page < p.pages:
            nav.append(Action(Act.PAGE, "older ▶", f"favs:{p.page + 1}"))
        return Reply("\n".join(lines), tuple(nav), private=True)

    async def cmd_unfav(self, ctx: Context, cmd: Command) -> Reply:
        if not cmd.args:
            raise UserError("give the name to forget, e.g. /unfav Eldrin (or /unfav all)")
        name = " ".join(cmd.args)
        if cmd.args == ("all",):
            # Destructive, so it asks first, with buttons only this user can press; a favourite
            # that is literally named "all" gets a button of its own.
            n = await self.store.favourites.count(ctx.user)
            if not n:
                return Reply("You have no favourites.", private=True)
            token = await self._stash(_Saved(ctx.user, ctx.chat, "unfav_all", names=(name,)))
            if token is None:
                raise UserError("the database cannot take changes right now; try again later")
            actions = [Action(Act.CONFIRM, f"Yes, forget all {n}", f"confirm:{token}:all")]
            if await self.store.favourites.has(ctx.user, name):
                actions.append(Action(Act.CONFIRM, "Forget only “all”", f"confirm:{token}:one"))
            return Reply(
                f"Forget all {n} of your favourites? This cannot be undone.",
                tuple(actions),
                private=True,
            )
        position = whole_number(name)
        if position and not await self.store.favourites.has(ctx.user, name):
            return await self._unfav_at(ctx, position)
        return await self._unfav(ctx, name)

    async def _unfav_at(self, ctx: Context, position: int) -> Reply:
        """/unfav 12: the twelfth favourite as /favs numbers them (newest first)."""
        page = await self.store.favourites.page(ctx.user, (position - 1) // PAGE_SIZE + 1)
        index = (position - 1) % PAGE_SIZE
        if page.page != (position - 1) // PAGE_SIZE + 1 or index >= len(page.items):
            raise UserError(
                f"there is no favourite number {position}; you have {page.total}. /favs lists them"
            )
        return await self._unfav(ctx, page.items[index].name)

    async def _unfav(self, ctx: Context, name: str) -> Reply:
        if await self.store.favourites.remove(ctx.user, name):
            return Reply(f"Forgot {name}.", private=True)
        return Reply(f"{name} was not in your favourites; /favs lists them.", private=True)

    async def cmd_export(self, ctx: Context, cmd: Command) -> Reply:
        text = await self.store.favourites.export(ctx.user)
        if not text:
            return Reply("No favourites to export yet.", private=True)
        n = text.count("\n")
        return Reply(
            f"Your {n} favourite{'s' if n != 1 else ''}, one per line.",
            file=Attachment("namesmith-favourites.txt", text.encode("utf-8")),
            private=True,
        )

    async def cmd_settings(self, ctx: Context, cmd: Command) -> Reply:
        opts = cmd.options
        changes = _preferences(opts)
        if cmd.args[:1] == ("chat",):
            if ctx.chat is None:
                raise UserError("/settings chat is for groups; here, /settings sets your own")
            if not (ctx.user in self.admins or (ctx.chat_admin and await ctx.chat_admin())):
                raise UserError("only the group's admins can set its defaults")
            if changes == Preferences():
                prefs = await self.store.settings.chat(ctx.chat)
                return Reply("This group's defaults: " + _describe(prefs.over(self.defaults)))
            prefs = await self.store.settings.set_chat(ctx.chat, ctx.user, changes)
            await self.store.audit.record(ctx.user, "set_chat_defaults", detail=ctx.chat)
            return Reply("Saved. This group's defaults: " + _describe(prefs.over(self.defaults)))
        if changes == Preferences():
            return Reply("Your defaults: " + _describe(await self._prefs(ctx)), private=True)
        await self.store.settings.set_user(ctx.user, changes)
        return Reply("Saved. Your defaults: " + _describe(await self._prefs(ctx)), private=True)

    async def cmd_reset(self, ctx: Context, cmd: Command) -> Reply:
        await self.store.settings.reset_user(ctx.user)
        return Reply(
            "Your defaults are back to: " + _describe(await self._prefs(ctx)), private=True
        )

    # --- admins: retraining and the audit trail ----------------------------------------------

    async def _admin(self, ctx: Context, action: str, style: str | None = None) -> Retraining:
        """The retraining use case, for a bot admin; anyone else is refused, and audited."""
        if ctx.user not in self.admins:
            await self.store.audit.record(ctx.user, f"{action}_refused", style=style)
            raise UserError(f"/{action} is for the bot's admins")
        if self.retraining is None:
            raise UserError("retraining is not available on this bot")
        return self.retraining

    async def cmd_retrain(self, ctx: Context, cmd: Command) -> Reply:
        opts = cmd.retrain
        assert opts is not None
        retraining = await self._admin(ctx, "retrain", opts.style or None)
        if opts.action == "status":
            return Reply(retraining.status(), private=True)
        if opts.action == "cancel":
            return Reply(await retraining.cancel(ctx), private=True)
        return await retraining.start(ctx, opts)

    async def cmd_rollback(self, ctx: Context, cmd: Command) -> Reply:
        style = cmd.args[0].casefold() if len(cmd.args) == 1 else ""
        retraining = await self._admin(ctx, "rollback", style or None)
        if not style:
            raise UserError("give the style to roll back, e.g. /rollback elf")
        return Reply(await retraining.rollback(ctx, style))

    async def cmd_audit(self, ctx: Context, cmd: Command) -> Reply:
        if ctx.user not in self.admins:
            raise UserError("/audit is for the bot's admins")
        entries = await self.store.audit.recent(10)
        if not entries:
            return Reply("Nothing in the audit trail yet.", private=True)
        lines = ["The last admin actions, newest first:"]
        for e in entries:
            what = " ".join(x for x in (e.action, e.style or "", e.detail or "") if x)
            lines.append(f"{e.at[:16].replace('T', ' ')} {e.actor}: {what}"[:300])
        return Reply("\n".join(lines), private=True)

    async def cmd_stats(self, ctx: Context, cmd: Command) -> Reply:
        if ctx.user not in self.admins:
            raise UserError("/stats is for the bot's admins")
        s = await self.store.stats.snapshot()
        return Reply(
            f"Names served: {s.names_served:,}\nUsers: {s.users:,}\nFavourites: {s.favourites:,}\n"
            f"Styles: {', '.join(sorted(self.engine.styles))}",
            private=True,
        )


def _offered(styles: Iterable[str]) -> list[str]:
    """Styles in the order a reply offers them: the common ones first, then the rest."""
    rank = {s: i for i, s in enumerate(STYLE_ORDER)}
    return sorted(styles, key=lambda s: (rank.get(s, len(rank)), s))


def _preferences(opts: NameOptions) -> Preferences:
    fields: dict[str, Any] = {
        "style": opts.style,
        "temperature": opts.temperature,
        "count": opts.count,
        "gender": opts.gender,
    }
    return Preferences(**fields, new_only=opts.new_only, word_filter=opts.word_filter)


def _settings_line(r: GenerationRequest) -> str:
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
        lo, hi = r.min_len or 1, r.max_len
        parts.append(f"len {lo}" if lo == hi else f"len {lo}-{hi or ''}")
    if r.new_only:
        parts.append("new")
    if r.full:
        parts.append("full")
    if not r.filter:
        parts.append("unfiltered")
    return " · ".join(parts)


def _describe(p: Preferences) -> str:
    """Preferences merged over the defaults, so every field but gender is set."""
    temperature = 1.0 if p.temperature is None else p.temperature
    text = f"style={p.style} temperature={temperature:g} count={p.count} gender={p.gender or 'any'}"
    new = {True: "yes", False: "no", None: "per style"}[p.new_only]
    text += f" new={new}"
    return text + (" filter=off" if p.word_filter is False else "")


def _commands() -> str:
    return " ".join(f"/{c}" for c in texts.HELP)
