"""/settings and /reset: a user's defaults, and a group admin's defaults for the group."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UserError
from bot.reply import Context, Reply
from bot.requests import NameOptions, ResetRequest, SettingsRequest
from engine.limits import DEFAULT_COUNT, DEFAULT_STYLE, DEFAULT_TEMPERATURE
from storage import Preferences, Storage

# The defaults of a user who set none, in a chat that set none.
DEFAULTS = Preferences(
    style=DEFAULT_STYLE, temperature=DEFAULT_TEMPERATURE, count=DEFAULT_COUNT, gender=None
)


@dataclass(frozen=True, slots=True)
class Effective:
    """The defaults a request falls back on, and whether the word filter applies."""

    preferences: Preferences  # merged over the bot's defaults: every field but gender is set
    word_filter: bool


class Settings:
    def __init__(
        self, store: Storage, admins: frozenset[str], defaults: Preferences = DEFAULTS
    ) -> None:
        self.store = store
        self.admins = admins
        self.defaults = defaults

    async def effective(self, ctx: Context) -> Effective:
        """The user's and the chat's settings, each read once: merged for the defaults, and the
        chat's own for the word filter (the group's to relax in a group, the user's in private)."""
        own = await self.store.settings.user(ctx.user)
        chat = await self.store.settings.chat(ctx.chat) if ctx.chat else None
        preferences = own.over(chat.over(self.defaults) if chat else self.defaults)
        return Effective(preferences, (chat or own).word_filter is not False)

    async def preferences(self, ctx: Context) -> Preferences:
        return await self.store.settings.effective(ctx.user, ctx.chat, self.defaults)

    async def settings(self, ctx: Context, request: SettingsRequest) -> Reply:
        changes = _changes(request.options)
        if request.chat:
            if ctx.chat is None:
                raise UserError(
                    f"/settings chat is for {ctx.chat_word}s; here, /settings sets your own"
                )
            if not (ctx.user in self.admins or (ctx.chat_admin and await ctx.chat_admin())):
                raise UserError(f"only the {ctx.chat_word}'s admins can set its defaults")
            this = f"This {ctx.chat_word}'s defaults: "
            if changes == Preferences():
                prefs = await self.store.settings.chat(ctx.chat)
                return Reply(this + describe(prefs.over(self.defaults)))
            prefs = await self.store.settings.set_chat(ctx.chat, ctx.user, changes)
            await self.store.audit.record(ctx.user, "set_chat_defaults", detail=ctx.chat)
            return Reply("Saved. " + this + describe(prefs.over(self.defaults)))
        if changes == Preferences():
            return Reply("Your defaults: " + describe(await self.preferences(ctx)), private=True)
        await self.store.settings.set_user(ctx.user, changes)
        return Reply("Saved. Your defaults: " + describe(await self.preferences(ctx)), private=True)

    async def reset(self, ctx: Context, request: ResetRequest) -> Reply:
        await self.store.settings.reset_user(ctx.user)
        return Reply(
            "Your defaults are back to: " + describe(await self.preferences(ctx)), private=True
        )


def _changes(opts: NameOptions) -> Preferences:
    return Preferences(
        style=opts.style,
        temperature=opts.temperature,
        count=opts.count,
        gender=opts.gender,
        new_only=opts.new_only,
        word_filter=opts.word_filter,
    )


def describe(p: Preferences) -> str:
    """Preferences merged over the defaults, so every field but gender is set."""
    temperature = DEFAULT_TEMPERATURE if p.temperature is None else p.temperature
    text = f"style={p.style} temperature={temperature:g} count={p.count} gender={p.gender or 'any'}"
    new = {True: "yes", False: "no", None: "per style"}[p.new_only]
    text += f" new={new}"
    return text + (" filter=off" if p.word_filter is False else "")
