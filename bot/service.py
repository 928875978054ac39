"""The use cases: every command and button, platform-neutral. Adapters call `on_text` and
`on_button` and render the Reply; nothing here knows Telegram or Discord.

Errors come in two tiers: a domain error (bad input, unknown style, a limit) is answered with its
own message; anything else is logged with its traceback and answered with a short apology.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace

from bot import texts
from bot.grammar import COMMANDS, Command, NameOptions, ParseError, parse, split_command
from bot.ratelimit import RateLimiter
from bot.reply import Attachment, Button, Context, Reply
from engine.errors import EngineError
from engine.facade import NameEngine
from engine.sampling import GenerationRequest
from storage import Preferences, Storage, StorageError

log = logging.getLogger(__name__)

DEFAULTS = Preferences(style="english", temperature=1.0, count=5, gender=None)
STYLE_BUTTONS = 6


class UserError(Exception):
    """A mistake or a refusal the user should read as it is."""


class Service:
    def __init__(
        self,
        engine: NameEngine,
        store: Storage,
        limiter: RateLimiter,
        *,
        admins: frozenset[str] = frozenset(),
        defaults: Preferences = DEFAULTS,
    ) -> None:
        self.engine = engine
        self.store = store
        self.limiter = limiter
        self.admins = admins
        self.defaults = defaults

    # --- entry points ---------------------------------------------------------------------

    async def on_text(
        self, ctx: Context, text: str, bot_username: str | None = None
    ) -> Reply | None:
        """Answer one message; None when it is not a command for this bot."""
        split = split_command(text, bot_username)
        if split is None:
            return None
        styles = self.engine.styles.keys()
        command = split[0] if split[0] in COMMANDS else "unknown"  # never log what users type
        return await self._guarded(
            ctx, command, time.perf_counter(), lambda: self._dispatch(ctx, parse(text, styles))
        )

    async def on_button(self, ctx: Context, data: str) -> Reply:
        started = time.perf_counter()
        action = data.split(":", 1)[0]
        return await self._guarded(
            ctx, f"button:{action}", started, lambda: self._button(ctx, data)
        )

    async def _guarded(
        self, ctx: Context, command: str, started: float, call: Callable[[], Awaitable[Reply]]
    ) -> Reply:
        if not await self.limiter.allow(ctx.user):
            self._log(ctx, command, "rate_limited", started)
            return Reply(texts.slow_down(self.limiter.limit, self.limiter.period))
        try:
            reply = await call()
        except (UserError, EngineError, StorageError, ParseError) as exc:
            self._log(ctx, command, "user_error", started)
            return Reply(f"⚠️ {exc}")
        except Exception:
            log.exception("command failed: platform=%s command=%s", ctx.platform, command)
            self._log(ctx, command, "error", started)
            return Reply(texts.SORRY)
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

    # --- /name and its buttons ------------------------------------------------------------

    async def _prefs(self, ctx: Context) -> Preferences:
        return await self.store.settings.effective(ctx.user, ctx.chat, self.defaults)

    async def _request(self, ctx: Context, opts: NameOptions) -> GenerationRequest:
        prefs = await self._prefs(ctx)
        style = opts.style or prefs.style or "english"
        if style not in self.engine.styles:  # a saved default whose model is gone
            style = "english" if "english" in self.engine.styles else min(self.engine.styles)
        gender = opts.gender
        if gender is None and self.engine.model(style).labels:
            gender = prefs.gender  # a default gender only applies where the style has genders
        return GenerationRequest(
            style=style,
            prefix=opts.prefix,
            temperature=opts.temperature or prefs.temperature or 1.0,
            count=opts.count or prefs.count or 5,
            label=gender,
            min_len=opts.min_len,
            max_len=opts.max_len,
            ends_with=opts.ends_with,
            contains=opts.contains,
            new_only=opts.new_only,
        )

    async def cmd_name(self, ctx: Context, cmd: Command) -> Reply:
        return await self._names(ctx, await self._request(ctx, cmd.options))

    async def _names(self, ctx: Context, request: GenerationRequest) -> Reply:
        result = await self.engine.generate(request)
        await self.store.stats.served(ctx.user, len(result.names))
        header = " · ".join(
            [request.style]
            + ([request.label] if request.label else [])
            + [f"t={request.temperature:g}"]
            + ([f"starts {request.prefix}"] if request.prefix else [])
        )
        lines = [header, *result.names]
        if not result.names:
            lines.append("(no names found)")
        if result.note:
            lines.append(f"({result.note})")
        payload = json.dumps({"request": asdict(request), "names": list(result.names)})
        rid = await self.store.replies.add(ctx.user, payload, chat=ctx.chat)
        fav_buttons = [Button(f"⭐ {n}", f"fav:{rid}:{i}") for i, n in enumerate(result.names)]
        rows = [tuple(fav_buttons[i : i + 2]) for i in range(0, len(fav_buttons), 2)]
        rows.append((Button("🔄 more like this", f"more:{rid}"),))
        others = [s for s in sorted(self.engine.styles) if s != request.style][:STYLE_BUTTONS]
        style_buttons = [Button(f"🎲 {s}", f"style:{rid}:{s}") for s in others]
        rows += [tuple(style_buttons[i : i + 3]) for i in range(0, len(style_buttons), 3)]
        return Reply("\n".join(lines), tuple(rows))

    async def _button(self, ctx: Context, data: str) -> Reply:
        action, _, rest = data.partition(":")
        if action == "favs":
            return await self._favs_page(ctx, _int(rest, 1))
        rid_text, _, arg = rest.partition(":")
        stored = await self.store.replies.get(rid_text)
        if stored is None:
            return Reply(texts.EXPIRED)
        saved = json.loads(stored.payload)
        request = GenerationRequest(**saved["request"])
        if action == "fav":
            names = saved["names"]
            i = _int(arg, -1)
            if not 0 <= i < len(names):
                return Reply(texts.EXPIRED)
            return await self._save(
                ctx, names[i], request.style, request.label, request.temperature
            )
        if action == "more":
            return await self._names(ctx, replace(request, seed=None))
        if action == "style" and arg in self.engine.styles:
            label = request.label if self.engine.model(arg).labels else None
            return await self._names(ctx, replace(request, style=arg, label=label, seed=None))
        return Reply(texts.EXPIRED)

    # --- other commands -------------------------------------------------------------------

    async def cmd_start(self, ctx: Context, cmd: Command) -> Reply:
        return Reply(texts.WELCOME)

    async def cmd_help(self, ctx: Context, cmd: Command) -> Reply:
        if cmd.args:
            topic = cmd.args[0].lstrip("/").casefold()
            if topic not in texts.HELP:
                raise UserError(f"no command /{topic}; the commands are: " + _command_list())
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
        words = list(cmd.args)
        style = None
        if len(words) > 1 and words[-1].casefold() in self.engine.styles:
            style = words.pop().casefold()
        if not words:
            raise UserError("give a name to rate, e.g. /rate Aragorn")
        prefs = await self._prefs(ctx)
        style = style or prefs.style or "english"
        score = await self.engine.score(style, " ".join(words))
        known = " It is in the training list." if score.in_corpus else ""
        return Reply(
            f"{score.name}: {texts.rating_words(score.percentile)} — more name-like than "
            f"{score.percentile:.0f}% of the real {style} names.{known}"
        )

    async def _save(
        self, ctx: Context, name: str, style: str, label: str | None, temperature: float | None
    ) -> Reply:
        added = await self.store.favourites.add(
            ctx.user, name, style=style, label=label, temperature=temperature
        )
        if not added:
            return Reply(f"{name} is already in your favourites.")
        count = await self.store.favourites.count(ctx.user)
        return Reply(f"⭐ Saved {name}. You have {count} favourite{'s' if count != 1 else ''}.")

    async def cmd_fav(self, ctx: Context, cmd: Command) -> Reply:
        if not cmd.args:
            raise UserError("give the name to save, e.g. /fav Eldrin")
        prefs = await self._prefs(ctx)
        return await self._save(ctx, " ".join(cmd.args), prefs.style or "english", None, None)

    async def cmd_favs(self, ctx: Context, cmd: Command) -> Reply:
        page = 1
        if cmd.args:
            if not cmd.args[0].isdigit() or int(cmd.args[0]) < 1:
                raise UserError("the page must be a whole number, e.g. /favs 2")
            page = int(cmd.args[0])
        return await self._favs_page(ctx, page)

    async def _favs_page(self, ctx: Context, page: int) -> Reply:
        p = await self.store.favourites.page(ctx.user, page)
        if not p.total:
            return Reply("No favourites yet: press ⭐ under a reply, or send /fav <name>.")
        first = (p.page - 1) * 10
        lines = [f"Your favourites ({p.total}), page {p.page} of {p.pages}:"]
        for i, f in enumerate(p.items, start=first + 1):
            extra = ", ".join(x for x in (f.style, f.label) if x)
            lines.append(f"{i}. {f.name} ({extra})")
        nav = []
        if p.page > 1:
            nav.append(Button("◀ newer", f"favs:{p.page - 1}"))
        if p.page < p.pages:
            nav.append(Button("older ▶", f"favs:{p.page + 1}"))
        return Reply("\n".join(lines), (tuple(nav),) if nav else ())

    async def cmd_unfav(self, ctx: Context, cmd: Command) -> Reply:
        if not cmd.args:
            raise UserError("give the name to forget, e.g. /unfav Eldrin (or /unfav all)")
        if cmd.args == ("all",):
            n = await self.store.favourites.clear(ctx.user)
            return Reply(f"Forgot all {n} favourites." if n else "You had no favourites.")
        name = " ".join(cmd.args)
        if await self.store.favourites.remove(ctx.user, name):
            return Reply(f"Forgot {name}.")
        return Reply(f"{name} was not in your favourites; /favs lists them.")

    async def cmd_export(self, ctx: Context, cmd: Command) -> Reply:
        text = await self.store.favourites.export(ctx.user)
        if not text:
            return Reply("No favourites to export yet.")
        n = text.count("\n")
        return Reply(
            f"Your {n} favourite{'s' if n != 1 else ''}, one per line.",
            file=Attachment("namesmith-favourites.txt", text.encode("utf-8")),
        )

    async def cmd_settings(self, ctx: Context, cmd: Command) -> Reply:
        opts = cmd.options
        changes = Preferences(opts.style, opts.temperature, opts.count, opts.gender)
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
            return Reply("Your defaults: " + _describe(await self._prefs(ctx)))
        await self.store.settings.set_user(ctx.user, changes)
        return Reply("Saved. Your defaults: " + _describe(await self._prefs(ctx)))

    async def cmd_reset(self, ctx: Context, cmd: Command) -> Reply:
        await self.store.settings.reset_user(ctx.user)
        return Reply("Your defaults are back to: " + _describe(await self._prefs(ctx)))

    async def cmd_stats(self, ctx: Context, cmd: Command) -> Reply:
        if ctx.user not in self.admins:
            raise UserError("/stats is for the bot's admins")
        s = await self.store.stats.snapshot()
        return Reply(
            f"Names served: {s.names_served:,}\nUsers: {s.users:,}\nFavourites: {s.favourites:,}\n"
            f"Styles: {', '.join(sorted(self.engine.styles))}"
        )


def _int(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default


def _describe(p: Preferences) -> str:
    """Preferences merged over the defaults, so every field but gender is set."""
    temperature = 1.0 if p.temperature is None else p.temperature
    return f"style={p.style} temperature={temperature:g} count={p.count} gender={p.gender or 'any'}"


def _command_list() -> str:
    return " ".join(f"/{c}" for c in texts.HELP)
