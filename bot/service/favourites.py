"""Favourites: /fav, /favs, /unfav (and its confirmation), /export, and the ⭐ button."""

from __future__ import annotations

from bot import actions
from bot.actions import Act, Confirm
from bot.errors import UserError
from bot.reply import Action, Attachment, Context, Reply
from bot.requests import ExportRequest, FavRequest, FavsRequest, UnfavRequest
from bot.service.names import NO_STYLE, Names
from bot.service.state import UNFAV_ALL, ReplyState, SavedReply
from storage import Storage

PAGE_SIZE = 10  # favourites per /favs page (storage's default)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class Favourites:
    def __init__(self, store: Storage, names: Names, state: ReplyState) -> None:
        self.store = store
        self.names = names
        self.state = state

    async def save(
        self, ctx: Context, name: str, style: str, label: str | None, temperature: float | None
    ) -> Reply:
        added = await self.store.favourites.add(
            ctx.user, name, style=style, label=label, temperature=temperature
        )
        if not added:
            return Reply(f"{name} is already in your favourites.", private=True)
        count = await self.store.favourites.count(ctx.user)
        return Reply(f"⭐ Saved {name}. You have {_plural(count, 'favourite')}.", private=True)

    async def fav(self, ctx: Context, request: FavRequest) -> Reply:
        """A typed name, tagged with the style it fits best."""
        style = await self.names.best_style(request.name)
        return await self.save(ctx, request.name, style, None, None)

    async def favs(self, ctx: Context, request: FavsRequest) -> Reply:
        p = await self.store.favourites.page(ctx.user, request.page)
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
            nav.append(Action(Act.PAGE, "◀ newer", actions.page(p.page - 1)))
        if p.page < p.pages:
            nav.append(Action(Act.PAGE, "older ▶", actions.page(p.page + 1)))
        return Reply("\n".join(lines), tuple(nav), private=True)

    async def unfav(self, ctx: Context, request: UnfavRequest) -> Reply:
        if request.everything:
            return await self._ask_unfav_all(ctx, request.name)
        if request.position and not await self.store.favourites.has(ctx.user, request.name):
            return await self._unfav_at(ctx, request.position)
        return await self.forget(ctx, request.name)

    async def _ask_unfav_all(self, ctx: Context, name: str) -> Reply:
        """Destructive, so it asks first, with buttons only this user can press; a favourite
        that is literally named "all" gets a button of its own."""
        n = await self.store.favourites.count(ctx.user)
        if not n:
            return Reply("You have no favourites.", private=True)
        token = await self.state.stash(SavedReply(ctx.user, ctx.chat, UNFAV_ALL, names=(name,)))
        if token is None:
            raise UserError("the database cannot take changes right now; try again later")
        buttons = [Action(Act.CONFIRM, f"Yes, forget all {n}", actions.confirm(token, Confirm.ALL))]
        if await self.store.favourites.has(ctx.user, name):
            buttons.append(
                Action(Act.CONFIRM, "Forget only “all”", actions.confirm(token, Confirm.ONE))
            )
        return Reply(
            f"Forget all {n} of your favourites? This cannot be undone.",
            tuple(buttons),
            private=True,
        )

    async def confirmed(self, ctx: Context, saved: SavedReply, what: Confirm) -> Reply:
        """A press of one of the buttons /unfav all offered."""
        if what is Confirm.ONE and saved.names:
            return await self.forget(ctx, saved.names[0])
        n = await self.store.favourites.clear(ctx.user)
        text = f"Forgot all {_plural(n, 'favourite')}." if n else "You had no favourites."
        return Reply(text, private=True)

    async def _unfav_at(self, ctx: Context, position: int) -> Reply:
        """/unfav 12: the twelfth favourite as /favs numbers them (newest first)."""
        page = await self.store.favourites.page(ctx.user, (position - 1) // PAGE_SIZE + 1)
        index = (position - 1) % PAGE_SIZE
        if page.page != (position - 1) // PAGE_SIZE + 1 or index >= len(page.items):
            raise UserError(
                f"there is no favourite number {position}; you have {page.total}. /favs lists them"
            )
        return await self.forget(ctx, page.items[index].name)

    async def forget(self, ctx: Context, name: str) -> Reply:
        if await self.store.favourites.remove(ctx.user, name):
            return Reply(f"Forgot {name}.", private=True)
        return Reply(f"{name} was not in your favourites; /favs lists them.", private=True)

    async def export(self, ctx: Context, request: ExportRequest) -> Reply:
        text = await self.store.favourites.export(ctx.user)
        if not text:
            return Reply("No favourites to export yet.", private=True)
        n = text.count("\n")
        return Reply(
            f"Your {_plural(n, 'favourite')}, one per line.",
            file=Attachment("namesmith-favourites.txt", text.encode("utf-8")),
            private=True,
        )
