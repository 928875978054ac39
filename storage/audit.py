"""Who did what: trainings (corpus fingerprint, validation result, adopted or not), admin
actions. Append-only."""

from __future__ import annotations

from dataclasses import dataclass

from storage import values
from storage.db import Database, now


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    style: str | None
    corpus: str | None
    fingerprint: str | None
    val_nll: float | None
    adopted: bool | None
    detail: str | None


def _optional(value: str | None, what: str) -> str | None:
    return None if value is None else values.text(value, what, values.MAX_TEXT_LEN)


class Audit:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        actor: str,
        action: str,
        *,
        style: str | None = None,
        corpus: str | None = None,
        fingerprint: str | None = None,
        val_nll: float | None = None,
        adopted: bool | None = None,
        detail: str | None = None,
    ) -> int:
        if detail is not None:
            detail = values.text(detail, "detail", values.MAX_TEXT_LEN)
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO audit (at, actor, action, style, corpus, fingerprint, val_nll, "
                "adopted, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    now(),
                    values.key(actor, "actor"),
                    values.key(action, "action"),
                    _optional(style, "style"),
                    _optional(corpus, "corpus"),
                    _optional(fingerprint, "fingerprint"),
                    values.temperature(val_nll),
                    None if adopted is None else bool(adopted),
                    detail,
                ),
            )
        assert row is not None
        return int(row[0])

    async def recent(self, limit: int = 20, action: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        rows = await self._db.fetchall(
            "SELECT id, at, actor, action, style, corpus, fingerprint, val_nll, adopted, detail "
            "FROM audit WHERE CAST(? AS TEXT) IS NULL OR action = ? ORDER BY id DESC LIMIT ?",
            (action, action, limit),
        )
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                actor=r["actor"],
                action=r["action"],
                style=r["style"],
                corpus=r["corpus"],
                fingerprint=r["fingerprint"],
                val_nll=r["val_nll"],
                adopted=None if r["adopted"] is None else bool(r["adopted"]),
                detail=r["detail"],
            )
            for r in rows
        ]
