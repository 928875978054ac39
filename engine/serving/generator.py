"""The engine as the bot sees it: an object that owns the loaded models and a thread pool.

Callers just `await engine.generate(request)`. Sampling runs in worker threads (torch releases
the GIL), so the event loop never blocks. Requests for one style that arrive while a batch for
that style is running wait for it and then go out together as the next batch: under load, many
users are served by one tensor op per character instead of one each, and with no load a request
starts at once.

Models come from a `ModelRegistry`, which may swap a style's model at any moment (a retrain
adopted, a rollback). A batch takes its model once, with the model of the style's family names
for full names (english -> surnames), and every request in it is validated against those, the
ones that will sample it; a request the models cannot honour fails alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine.blends import Blend, is_blend, parse_blend
from engine.corpora import places
from engine.corpora.recipes import FAMILY, PLACES, family_style
from engine.errors import EngineError, RequestError, UnknownStyle
from engine.limits import MAX_NAMES_PER_REQUEST
from engine.serving import sampling, scoring
from engine.serving.registry import ModelRegistry
from engine.serving.sampling import GenerationRequest, GenerationResult
from engine.serving.scoring import Score
from engine.serving.shared import network_of
from engine.serving.trained import NameModel

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Queue:
    pending: list[tuple[GenerationRequest, asyncio.Future[GenerationResult]]] = field(
        default_factory=list
    )
    running: bool = False


class NameEngine:
    def __init__(
        self,
        models: Mapping[str, NameModel] | ModelRegistry,
        *,
        workers: int = 2,
        torch_threads: int | None = None,
    ) -> None:
        """`workers` threads sample in parallel. `torch_threads`, when given, sets torch's
        intra-op threads for the whole process: with several workers, 1 keeps two OpenMP teams
        from spinning against each other on the same cores."""
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)
        self.registry = models if isinstance(models, ModelRegistry) else ModelRegistry(models)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="namesmith-sample")
        self._queues: dict[str, _Queue] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_folders(
        cls, *folders: Path, workers: int = 2, torch_threads: int | None = None
    ) -> NameEngine:
        """Load models from folders in order; a later folder's style replaces an earlier one's.
        An unreadable `<style>.pt` is skipped with a warning (the earlier folder's model serves)."""
        registry = ModelRegistry.from_folders(*folders)
        return cls(registry, workers=workers, torch_threads=torch_threads)

    @property
    def styles(self) -> dict[str, NameModel]:
        return self.registry.snapshot()

    def model(self, style: str) -> NameModel:
        return self.registry.get(style)

    def _models(self, style: str) -> tuple[NameModel, NameModel | None]:
        """The style's model and its family names' model (None when it has none loaded), read
        from one snapshot so that a swap between the two lookups cannot pair two generations.
        A blend ("elf+dwarf", "half-elf") is made from its styles' shared model."""
        models = self.registry.snapshot()
        if style not in models and is_blend(style):
            return blend_of(parse_blend(style), models), None
        if style not in models:
            raise UnknownStyle(style, list(models))
        family = family_style(style)
        return models[style], models.get(family) if family is not None else None

    def resolve(self, style: str) -> NameModel:
        """The model a request for `style` (a style or a blend) samples."""
        return self._models(style)[0]

    def fitting_style(self, names: Sequence[str]) -> str:
        """The style whose names `names` resemble most (see `fitting_style`)."""
        return fitting_style(self.registry.snapshot(), names)

    def waiting(self) -> int:
        """Requests queued for the next batch of their style, over every style (a batch that
        is sampling no longer counts): how far the engine is behind."""
        return sum(len(q.pending) for q in self._queues.values())

    def replace_style(self, style: str, model: NameModel) -> None:
        """Swap a style's model; batches already running finish on the old one."""
        self.registry.swap(style, model)

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        if request.style in places.KINDS:
            return await self._place(request)
        model, family = self._models(request.style)
        # Bad requests fail here, alone, before any batching. The batch checks again against
        # the models it actually samples with, which a swap may have changed meanwhile.
        sampling.plan(model, request, family)
        loop = asyncio.get_running_loop()
        if request.seed is not None:
            # A seeded request must not share random draws with others, or it would not repeat.
            return await loop.run_in_executor(self._pool, sampling.generate, model, request, family)
        fut: asyncio.Future[GenerationResult] = loop.create_future()
        queue = self._queues.setdefault(request.style, _Queue())
        queue.pending.append((request, fut))
        if not queue.running:
            queue.running = True
            task = asyncio.create_task(self._drain(request.style, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await fut

    async def _drain(self, style: str, queue: _Queue) -> None:
        loop = asyncio.get_running_loop()
        try:
            while queue.pending:
                batch, queue.pending = queue.pending, []
                live = [(r, f) for r, f in batch if not f.cancelled()]
                if not live:
                    continue
                try:
                    # Once: the whole batch samples these models (given names, family names).
                    model, family = self._models(style)
                except EngineError as exc:
                    for _, f in live:
                        f.set_exception(exc)
                    continue
                valid = []
                for r, f in live:
                    try:
                        sampling.plan(model, r, family)
                    except EngineError as exc:  # e.g. a label the swapped-in model lacks
                        f.set_exception(exc)
                    else:
                        valid.append((r, f))
                live = valid
                if not live:
                    continue
                try:
                    results = await loop.run_in_executor(
                        self._pool,
                        functools.partial(
                            sampling.generate_many, model, [r for r, _ in live], family=family
                        ),
                    )
                except Exception as exc:
                    for _, f in live:
                        if not f.done():
                            f.set_exception(exc)
                    continue
                for (_, f), res in zip(live, results, strict=True):
                    if not f.done():
                        f.set_result(res)
        finally:
            queue.running = False

    async def _place(self, r: GenerationRequest) -> GenerationResult:
        """Names of a kind of place: templates over our word lists, with proper names invented
        by the styles the kind names (those that are served)."""
        kind = places.KINDS[r.style]
        unsupported = [
            what for what, given in (
                ("a prefix", r.prefix), ("an ending", r.ends_with), ("'contains'", r.contains),
                ("a length", r.min_len is not None or r.max_len is not None),
                ("a gender", r.label), ("full", r.full), ("like", r.like),
            ) if given
        ]  # fmt: skip
        if unsupported:
            raise RequestError(
                f"{kind.name} names take a count and a temperature, not {unsupported[0]}"
            )
        if not 1 <= r.count <= MAX_NAMES_PER_REQUEST:
            raise RequestError(f"count must be between 1 and {MAX_NAMES_PER_REQUEST}")
        rng = random.Random(r.seed)
        proper: list[str] = []
        for style in kind.proper_styles:
            if style in self.registry:
                ask = GenerationRequest(
                    style=style, temperature=r.temperature, count=r.count, new_only=True,
                    filter=r.filter, seed=None if r.seed is None else r.seed + len(proper),
                )  # fmt: skip
                proper += (await self.generate(ask)).names
        made = places.make(kind.name, r.count + len(r.exclude), proper, rng)
        names = tuple(n for n in made if n not in r.exclude)[: r.count]
        note = None if len(names) == r.count else f"found {len(names)} of {r.count} names"
        return GenerationResult(r, names, note, candidates=len(made))

    async def score(self, style: str, name: str, label: str | None = None) -> Score:
        model = self.model(style)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, scoring.score, model, name, label)

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pool.shutdown(wait=True)


def blend_of(blend: Blend, models: Mapping[str, NameModel]) -> NameModel:
    """The model between the blend's styles, made by the shared model they are cut from. A
    style retrained on that shared model (a voice of it) blends as itself; one trained from
    scratch, or on an earlier shipped model, cannot."""
    missing = [s for s in blend.styles if s not in models]
    if missing:
        raise UnknownStyle(missing[0], list(models))
    parts = {s: models[s] for s in blend.styles}
    alone = [s for s, m in parts.items() if m.shared is None and m.voice is None]
    if alone:
        raise RequestError(
            f"{', '.join(alone)} cannot be blended: it was trained from scratch, and blends are "
            "made from the shipped model's styles and styles retrained on it (/rollback serves "
            "the shipped one again)"
        )
    voices = {s: m for s, m in parts.items() if m.shared is None}
    # Keyed by network: two files of one network (own heads fitted again) are one base.
    bases = {m.shared.fingerprint: m.shared for m in parts.values() if m.shared is not None}
    if len(bases) > 1:
        raise RequestError(f"{blend.key} mixes styles of different shared models")
    if not bases:  # every part is retrained: the shared model they were learned on
        want = {network_of(m.voice.base) for m in voices.values() if m.voice is not None}
        bases = {
            m.shared.fingerprint: m.shared
            for m in models.values()
            if m.shared is not None and m.shared.fingerprint in want
        }
    if not bases:
        raise RequestError(
            f"{', '.join(voices)} cannot be blended: the shared model it was learned on is not "
            "served now"
        )
    (base,) = bases.values()
    return base.blend(blend, voices)


def fitting_style(models: Mapping[str, NameModel], names: Sequence[str]) -> str:
    """The style whose names `names` resemble most: of the styles of given names (family
    names and places only when none can write them), the one that can write the most of them,
    and of those the likeliest (lowest NLL per letter)."""
    others = set(FAMILY.values()) | set(PLACES)
    for pool in (
        {s: m for s, m in models.items() if s not in others},
        {s: m for s, m in models.items() if s in others},
    ):
        best, best_key = None, (0, -math.inf)
        for style, model in sorted(pool.items()):
            written = [w for w in map(model.as_written, names) if not model.vocab.unknown(w)]
            if not written:
                continue
            key = (len(written), -scoring.mean_nll(model, written))
            if key > best_key:
                best, best_key = style, key
        if best is not None:
            return best
    raise RequestError(
        "no style writes the letters of " + ", ".join(repr(n[:32]) for n in names[:3])
    )
