"""Favourites, a novelist's notebook: /fav (with tags and a note), /favs (by tag), /note, /tag,
/unfav (and its confirmation), /export (CSV, Markdown, text), and the ⭐ button."""

from __future__ import annotations

import csv
import io

from bot import actions
from bot.actions import Act, Confirm
from bot.errors import UserError
from bot.grammar import whole_number
from bot.reply import Action, Attachment, Context, Reply
from bot.requests import (
    ExportRequest,
    FavRequest,
    FavsRequest,
    NoteRequest,
    TagRequest,
    UnfavRequest,
)
from bot.service.names import NO_STYLE, Names
from bot.service.state import FAVS, UNFAV_ALL, ReplyState, SavedReply
from storage import Favourite, Storage, values

PAGE_SIZE = 10  # favourites per /favs page (storage's default)
MAX_NAME_WORDS = 4  # the longest favourite /note and /tag look for at the start of their words
MAX_NAME_LEN = 64  # storage's longest name


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class Favourites:
    def __init__(self, store: Storage, names: Names, state: ReplyState) -> None:
        self.store = store
        self.names = names
        self.state = state

    async def save(
        self,
        ctx: Context,
        name: str,
        style: str,
        label: str | None,
        temperature: float | None,
        *,
        tags: tuple[str, ...] = (),
        note: str = "",
    ) -> Reply:
        added = await self.store.favourites.add(
            ctx.user, name, style=style, label=label, temperature=temperature, tags=tags, note=note
        )
        if not added:
            return Reply(f"{name} is already in your favourites.", private=True, saved=name)
        count = await self.store.favourites.count(ctx.user)
        shown = name + _annotations(tuple(map(values.tag, tags)), values.note(note))  # as kept
        text = f"⭐ Saved {shown}. You have {_plural(count, 'favourite')}."
        return Reply(text, private=True, saved=name)

    async def fav(self, ctx: Context, request: FavRequest) -> Reply:
        """A typed name, marked with the style it fits best, with its tags and note."""
        style = await self.names.best_style(request.name)
        return await self.save(
            ctx, request.name, style, None, None, tags=request.tags, note=request.note
        )

    async def favs(self, ctx: Context, request: FavsRequest, *, button: bool = False) -> Reply:
        """A page of favourites; a typed page past the end is refused, a button's (the list
        shrank meanwhile) shows the last."""
        tag = request.tag
        p = await self.store.favourites.page(ctx.user, request.page, tag=tag)
        tagged = f" tagged #{values.tag(tag)}" if tag else ""
        if not p.total:
            if tag:
                return Reply(f"No favourites{tagged}; /favs lists them all.", private=True)
            return Reply(
                "No favourites yet: press ⭐ under a reply, or send /fav <name>.", private=True
            )
        if request.page > p.pages and not button:
            raise UserError(
                f"there is no page {request.page}: your favourites{tagged} fill "
                f"{_plural(p.pages, 'page')}; /favs {p.pages} shows the last"
            )
        first = (p.page - 1) * PAGE_SIZE
        lines = [f"Your favourites{tagged} ({p.total}), page {p.page} of {p.pages}:"]
        lines += [f"{i}. {_entry(f)}" for i, f in enumerate(p.items, start=first + 1)]
        token = None
        if tag and p.pages > 1:  # the tag rides in the reply state: a button holds ASCII only
            token = await self.state.stash(SavedReply(ctx.user, ctx.chat, FAVS, names=(tag,)))
        nav = []
        if p.page > 1:
            nav.append(Action(Act.PAGE, "◀ newer", actions.page(p.page - 1, token)))
        if p.page < p.pages:
            nav.append(Action(Act.PAGE, "older ▶", actions.page(p.page + 1, token)))
        return Reply("\n".join(lines), tuple(nav), private=True)

    async def favs_page(self, ctx: Context, page: int, saved: SavedReply | None) -> Reply:
        """A page button; `saved` holds the tag of a filtered list."""
        tag = saved.names[0] if saved and saved.kind == FAVS and saved.names else None
        return await self.favs(ctx, FavsRequest(page, tag), button=True)

    async def _find(self, ctx: Context, words: tuple[str, ...]) -> tuple[Favourite, int]:
        """The favourite the leading words name (the longest run that does, or a /favs
        number), and how many words that took."""
        for n in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
            if len(" ".join(words[:n])) > MAX_NAME_LEN:  # longer than any name: a note's words
                continue
            found = await self.store.favourites.get(ctx.user, " ".join(words[:n]))
            if found is not None:
                return found, n
        position = whole_number(words[0])
        if position:
            return await self._at(ctx, position), 1
        raise UserError(
            f"{' '.join(words[:MAX_NAME_WORDS])[:40]} is not in your favourites; save it first "
            "with /fav, or see /favs for the names and numbers"
        )

    async def note(self, ctx: Context, request: NoteRequest) -> Reply:
        if request.note is None:  # no mark: the note is whatever follows the name
            found, used = await self._find(ctx, request.words)
            text = " ".join(request.words[used:])
        else:
            found, used = await self._find(ctx, request.words)
            if used != len(request.words):
                raise UserError(
                    f"{' '.join(request.words)[:40]} is not in your favourites; see /favs"
                )
            text = request.note
        changed = await self.store.favourites.annotate(ctx.user, found.name, note=text)
        if changed is None:  # forgotten meanwhile
            raise UserError(f"{found.name} is not in your favourites any more")
        if not changed.note:
            return Reply(f"Cleared the note of {changed.name}.", private=True)
        return Reply(f"📝 {_entry(changed)}", private=True)

    async def tag(self, ctx: Context, request: TagRequest) -> Reply:
        found, used = await self._find(ctx, request.words)
        if used != len(request.words):
            raise UserError(f"{' '.join(request.words)[:40]} is not in your favourites; see /favs")
        changed = await self.store.favourites.annotate(
            ctx.user, found.name, add_tags=request.add, remove_tags=request.remove
        )
        if changed is None:
            raise UserError(f"{found.name} is not in your favourites any more")
        return Reply(f"🏷 {_entry(changed)}", private=True)

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
        return await self.forget(ctx, (await self._at(ctx, position)).name)

    async def _at(self, ctx: Context, position: int) -> Favourite:
        """The favourite /favs shows as number `position` (newest first)."""
        page = await self.store.favourites.page(ctx.user, (position - 1) // PAGE_SIZE + 1)
        index = (position - 1) % PAGE_SIZE
        if page.page != (position - 1) // PAGE_SIZE + 1 or index >= len(page.items):
            raise UserError(
                f"there is no favourite number {position}; you have {page.total}. /favs lists them"
            )
        return page.items[index]

    async def forget(self, ctx: Context, name: str) -> Reply:
        if await self.store.favourites.remove(ctx.user, name):
            return Reply(f"Forgot {name}.", private=True)
        return Reply(f"{name} was not in your favourites; /favs lists them.", private=True)

    async def export(self, ctx: Context, request: ExportRequest) -> Reply:
        favourites = await self.store.favourites.all(ctx.user)
        if not favourites:
            return Reply("No favourites to export yet.", private=True)
        content = _EXPORTS[request.format](favourites)
        others = " or ".join(f"/export {f}" for f in _EXPORTS if f != request.format)
        return Reply(
            f"Your {_plural(len(favourites), 'favourite')} as {_FORMAT_NAMES[request.format]} "
            f"(also: {others}).",
            file=Attachment(f"namesmith-favourites.{request.format}", content.encode("utf-8")),
            private=True,
        )


def _entry(f: Favourite) -> str:
    """A favourite as /favs lists it: Marianne Dashwood (english) #book2 — elder sister."""
    extra = ", ".join(x for x in (f.style, f.label) if x and x != NO_STYLE)
    return (f"{f.name} ({extra})" if extra else f.name) + _annotations(f.tags, f.note)


def _annotations(tags: tuple[str, ...], note: str) -> str:
    text = "".join(f" #{t}" for t in dict.fromkeys(tags))
    return f"{text} — {note}" if note else text


def _csv(favourites: tuple[Favourite, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "style", "gender", "tags", "note", "saved"])
    for f in favourites:
        style = "" if f.style == NO_STYLE else f.style
        cells = [f.name, style, f.label or "", " ".join(f.tags), f.note, f.created_at[:10]]
        writer.writerow([_cell(c) for c in cells])
    return out.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading '."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _markdown(favourites: tuple[Favourite, ...]) -> str:
    lines = ["# Favourite names", ""]
    for f in favourites:
        about = ", ".join(x for x in (f.style, f.label, f.created_at[:10]) if x and x != NO_STYLE)
        line = f"- **{_md(f.name)}** ({about})"
        if f.tags:
            line += " " + " ".join(f"`#{t}`" for t in f.tags)
        lines.append(f"{line} — {_md(f.note)}" if f.note else line)
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text that Markdown shows as it is (no emphasis, links or headings from a name)."""
    return "".join(f"\\{c}" if c in "\\`*_[]()#<>|!" else c for c in text)


def _txt(favourites: tuple[Favourite, ...]) -> str:
    return "".join(f"{f.name}\n" for f in favourites)


_EXPORTS = {"csv": _csv, "md": _markdown, "txt": _txt}
_FORMAT_NAMES = {"csv": "CSV", "md": "Markdown", "txt": "a list of names"}
