"""The bot admins' commands: /retrain, /rollback, /audit, /stats. Anyone else is refused, and a
refused retrain or rollback is audited."""

from __future__ import annotations

from bot.errors import UserError
from bot.reply import Context, Reply
from bot.requests import AuditRequest, RetrainRequest, RollbackRequest, StatsRequest
from bot.service.retrain import Retraining
from bot.service.state import SavedReply
from storage import Storage

AUDIT_SHOWN = 10  # entries /audit lists
AUDIT_LINE = 300  # characters of one entry, at most


class Admin:
    def __init__(
        self,
        store: Storage,
        admins: frozenset[str],
        retraining: Retraining | None = None,
    ) -> None:
        self.store = store
        self.admins = admins
        self.retraining = retraining

    async def _retraining(self, ctx: Context, command: str, style: str | None) -> Retraining:
        """The retraining use case, for a bot admin; anyone else is refused, and audited."""
        if ctx.user not in self.admins:
            await self.store.audit.record(ctx.user, f"{command}_refused", style=style)
            raise UserError(f"/{command} is for the bot's admins")
        if self.retraining is None:
            raise UserError("retraining is not available on this bot")
        return self.retraining

    def _only_admins(self, ctx: Context, command: str) -> None:
        if ctx.user not in self.admins:
            raise UserError(f"/{command} is for the bot's admins")

    async def retrain(self, ctx: Context, request: RetrainRequest) -> Reply:
        retraining = await self._retraining(ctx, "retrain", request.style or None)
        if request.action == "status":
            return Reply(retraining.status(), private=True)
        if request.action == "cancel":
            return Reply(await retraining.cancel(ctx), private=True)
        if request.action == "remove":
            return Reply(await retraining.remove(ctx, request.style), private=True)
        return await retraining.start(ctx, request)

    async def confirmed_new_style(self, ctx: Context, token: str, saved: SavedReply) -> Reply:
        """The button under "create this new style?" (still an admin's to press)."""
        style = saved.retrain.style if saved.retrain else None
        retraining = await self._retraining(ctx, "retrain", style)
        return await retraining.confirmed(ctx, token, saved)

    async def rollback(self, ctx: Context, request: RollbackRequest) -> Reply:
        retraining = await self._retraining(ctx, "rollback", request.style or None)
        if not request.style:
            raise UserError("give the style to roll back, e.g. /rollback elf")
        return Reply(await retraining.rollback(ctx, request.style))

    async def audit(self, ctx: Context, request: AuditRequest) -> Reply:
        self._only_admins(ctx, "audit")
        entries = await self.store.audit.recent(AUDIT_SHOWN)
        if not entries:
            return Reply("Nothing in the audit trail yet.", private=True)
        lines = ["The last admin actions, newest first:"]
        for e in entries:
            what = " ".join(x for x in (e.action, e.style or "", e.detail or "") if x)
            lines.append(f"{e.at[:16].replace('T', ' ')} {e.actor}: {what}"[:AUDIT_LINE])
        return Reply("\n".join(lines), private=True)

    async def stats(self, ctx: Context, request: StatsRequest, styles: list[str]) -> Reply:
        self._only_admins(ctx, "stats")
        s = await self.store.stats.snapshot()
        return Reply(
            f"Names served: {s.names_served:,}\nUsers: {s.users:,}\nFavourites: {s.favourites:,}\n"
            f"Styles: {', '.join(sorted(styles))}",
            private=True,
        )
