"""What a reply's buttons refer to, kept in the database under an unguessable token.

A button carries only the token (bot.actions); the names, the request that made them and who
may press are stored here as a versioned JSON payload, so buttons work after a restart and on
any replica. A payload of another version, or one that does not read back, is an expired button.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from typing import Any

from bot.reply import Context
from bot.requests import RetrainRequest
from engine.serving.sampling import GenerationRequest
from storage import Storage, StorageError

log = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
# The kinds of state: names to act on, "forget all?", a tag's pages, "create this new style?"
NAMES, UNFAV_ALL, FAVS, NEW_STYLE = "names", "unfav_all", "favs", "new_style"
# Every field a stored request keeps: `exclude` lives in `shown`, `seed` is never stored.
_REQUEST_FIELDS = tuple(
    f.name for f in fields(GenerationRequest) if f.name not in ("exclude", "seed")
)


@dataclass(frozen=True, slots=True)
class SavedReply:
    """A reply's state: whose it is, where it was sent, and what its buttons act on."""

    owner: str
    chat: str | None
    kind: str  # NAMES, UNFAV_ALL, FAVS or NEW_STYLE
    request: GenerationRequest | None = None
    retrain: RetrainRequest | None = None  # NEW_STYLE: the retrain to start once confirmed
    names: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()  # every name this "more like this" thread has shown
    styles: tuple[str, ...] = ()  # a party's: the style of each name (⭐ saves it with it)
    party: tuple[str, ...] = ()  # a party's members as asked ("" = a random race), for 🔄
    genders: tuple[str, ...] = ()  # a party's: each name's gender ("" = none), saved with ⭐
    npc: bool = False  # a party of one asked as /npc: 🔄 gives another character
    table: bool = False  # the names were a numbered table: 🔄 numbers the next ones too

    def dump(self) -> str:
        body: dict[str, Any] = {
            "v": PAYLOAD_VERSION,
            "owner": self.owner,
            "chat": self.chat,
            "kind": self.kind,
            "names": list(self.names),
            "shown": list(self.shown),
            "styles": list(self.styles),
            "party": list(self.party),
            "genders": list(self.genders),
            "npc": self.npc,
            "table": self.table,
        }
        if self.request is not None:
            request = asdict(self.request)
            body["request"] = {k: request[k] for k in _REQUEST_FIELDS}
        if self.retrain is not None:
            body["retrain"] = asdict(self.retrain)
        return json.dumps(body, ensure_ascii=False)

    @classmethod
    def load(cls, text: str) -> SavedReply | None:
        """The state, or None if it is from another version or damaged (the button expired)."""
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
                    temperature=float(req["temperature"]),
                    count=int(req["count"]),
                    label=None if req.get("label") is None else str(req["label"]),
                    min_len=None if req.get("min_len") is None else int(req["min_len"]),
                    max_len=None if req.get("max_len") is None else int(req["max_len"]),
                    ends_with=str(req.get("ends_with") or ""),
                    contains=str(req.get("contains") or ""),
                    new_only=bool(req.get("new_only", False)),
                    full=bool(req.get("full", False)),
                    filter=bool(req.get("filter", True)),
                    like=tuple(str(n) for n in req.get("like") or ()),
                    clean=bool(req.get("clean", True)),
                )
            ret = body.get("retrain")
            retrain = None
            if isinstance(ret, dict):
                retrain = RetrainRequest(
                    action=str(ret["action"]),
                    style=str(ret["style"]),
                    corpus=None if ret.get("corpus") is None else str(ret["corpus"]),
                    seconds=None if ret.get("seconds") is None else int(ret["seconds"]),
                    force=bool(ret.get("force", False)),
                    new=bool(ret.get("new", False)),
                )
            return cls(
                owner=str(body["owner"]),
                chat=None if body.get("chat") is None else str(body["chat"]),
                kind=str(body["kind"]),
                request=request,
                retrain=retrain,
                names=tuple(str(n) for n in body.get("names", ())),
                styles=tuple(str(n) for n in body.get("styles", ())),
                party=tuple(str(n) for n in body.get("party", ())),
                genders=tuple(str(n) for n in body.get("genders", ())),
                npc=bool(body.get("npc", False)),
                table=bool(body.get("table", False)),
                shown=tuple(str(n) for n in body.get("shown", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class ReplyState:
    """Stores reply state and gives it back to those who may press its buttons."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    async def stash(self, saved: SavedReply) -> str | None:
        """Store what a reply's buttons refer to; None when the database cannot take it (a full
        disk): the reply then goes out without buttons rather than not at all."""
        try:
            return await self.store.replies.add(saved.owner, saved.dump(), chat=saved.chat)
        except StorageError as exc:
            log.warning("reply state not stored (%s); answering without buttons", exc)
            return None

    async def take(self, token: str) -> bool:
        """Use a state up (a question answered): True only for the first to do so."""
        return await self.store.replies.take(token)

    async def unstash(self, ctx: Context, token: str) -> SavedReply | None:
        """The stored state a button names, if this user may use it here."""
        stored = await self.store.replies.get(token)
        saved = None if stored is None else SavedReply.load(stored.payload)
        if saved is None:
            return None
        # A private reply's buttons are its owner's; a group reply's, the group's members'.
        if saved.chat is None and saved.owner != ctx.user:
            return None
        if saved.chat is not None and saved.chat != ctx.chat:
            return None
        return saved
