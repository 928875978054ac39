"""Retraining in a child process. Tiny models and step budgets keep each job to seconds."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from engine.corpora.corpus import Corpus, clean
from engine.errors import NothingToRollBack, RetrainError, TrainingBusy
from engine.nn.train import TrainConfig, train
from engine.retraining.outcome import RetrainProgress
from engine.retraining.supervisor import Job, Retrainer
from engine.serving import checkpoint, shared
from engine.serving.modelstore import ModelStore
from engine.serving.registry import ModelRegistry
from engine.serving.scoring import name_logliks
from engine.serving.shared import SharedModel
from engine.serving.trained import NameModel
from tests.conftest import TINY, TINY_TRAIN

ROOT = Path(__file__).resolve().parents[3]


def _steps(n: int) -> TrainConfig:
    return replace(TINY_TRAIN, max_steps=n, eval_every=max(1, min(100, n)))


@pytest.fixture(scope="module")
def weak_model(english: Corpus) -> NameModel:
    """Three steps of training: any real training beats it."""
    result = train(english, _steps(3), TINY)
    return checkpoint.build(result.model, result.vocab, english, {}, "weak")


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


def _retrainer(store: ModelStore, registry: ModelRegistry, steps: int | None) -> Retrainer:
    config = _steps(steps) if steps else replace(TINY_TRAIN, max_steps=None, eval_every=50)
    return Retrainer(store, registry, max_seconds=600, model_config=TINY, train_config=config)


async def _training(job: Job) -> None:
    """Wait until the child has taken optimiser steps."""
    for _ in range(600):
        if job.progress.phase == "training" and job.progress.step > 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the job never trained: {job.progress}")


@pytest.fixture
async def running(
    store: ModelStore, tiny_model: NameModel, english: Corpus
) -> AsyncIterator[tuple[Retrainer, ModelRegistry, Job]]:
    """A time-bound job that has started training, on a folder with an adopted english.pt."""
    store.adopt("english", checkpoint.save(tiny_model, store.folder.parent / "t.pt"))
    registry = ModelRegistry.from_folders(store.folder)
    retrainer = _retrainer(store, registry, None)
    job = await retrainer.start("english", english, seconds=120, requested_by="tg:7")
    await _training(job)
    yield retrainer, registry, job
    await retrainer.aclose()


async def test_a_better_model_is_adopted_and_served(
    store: ModelStore, weak_model: NameModel, english: Corpus
) -> None:
    registry = ModelRegistry({"english": weak_model})
    seen: list[RetrainProgress] = []

    async def on_progress(p: RetrainProgress) -> None:
        seen.append(p)

    retrainer = _retrainer(store, registry, 200)
    job = await retrainer.start(
        "english", english, seconds=300, requested_by="tg:1", on_progress=on_progress
    )
    result = await job.result()

    assert result.outcome == "adopted", result.reason
    assert result.old_val_nll is not None and result.new_val_nll is not None
    assert result.new_val_nll < result.old_val_nll
    assert result.steps == 200
    served = registry.get("english")
    assert served is not weak_model and served.corpus_fingerprint == result.corpus_fingerprint
    assert checkpoint.load(store.predecessor_path("english")).description == "weak"
    assert {p.phase for p in seen} >= {"training", "evaluating"}
    assert retrainer.status() is None and retrainer.job is None
    assert result.corpus_path is not None and result.corpus_path.is_file()
    assert not list(store.folder.glob(".retrain-*"))  # the scratch folder is gone
    # A restart serves what was adopted.
    again = ModelRegistry.from_folders(store.folder).get("english")
    assert again.corpus_fingerprint == result.corpus_fingerprint
    assert again.metrics["steps"] == served.metrics["steps"]


async def test_the_result_has_samples_and_a_png(store: ModelStore, english: Corpus) -> None:
    retrainer = _retrainer(store, ModelRegistry(), 50)
    job = await retrainer.start("newstyle", english, seconds=300, requested_by="tg:1")
    result = await job.result()
    assert result.outcome == "adopted" and result.old_val_nll is None  # a new style
    assert 0 < len(result.samples) <= 10
    assert result.png is not None and 10_000 < len(result.png) < 1_000_000
    with Image.open(io.BytesIO(result.png)) as img:
        assert img.format == "PNG"
    assert result.corpus_names == len(english)


async def test_a_failing_progress_callback_does_not_stop_the_job(
    store: ModelStore, english: Corpus, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(p: RetrainProgress) -> None:
        raise RuntimeError("the chat platform is down")

    job = await _retrainer(store, ModelRegistry(), 3).start(
        "elvish", english, seconds=300, requested_by="tg:1", on_progress=broken
    )
    result = await job.result()
    assert result.outcome == "adopted"
    assert any("progress callback failed" in r.getMessage() for r in caplog.records)


async def test_a_worse_model_is_refused_without_force(
    store: ModelStore, tiny_model: NameModel, english: Corpus
) -> None:
    registry = ModelRegistry({"english": tiny_model})
    job = await _retrainer(store, registry, 3).start(
        "english", english, seconds=300, requested_by="tg:1"
    )
    result = await job.result()
    assert result.outcome == "refused" and not result.adopted
    assert result.new_val_nll is not None and result.old_val_nll is not None
    assert result.new_val_nll > result.old_val_nll
    assert "does not beat" in result.reason
    assert registry.get("english") is tiny_model
    assert not store.path("english").exists()


async def test_a_worse_model_is_adopted_with_force(
    store: ModelStore, tiny_model: NameModel, english: Corpus
) -> None:
    registry = ModelRegistry({"english": tiny_model})
    job = await _retrainer(store, registry, 3).start(
        "english", english, seconds=300, force=True, requested_by="tg:1"
    )
    result = await job.result()
    assert result.outcome == "adopted" and result.forced
    assert "forced" in result.reason
    assert registry.get("english") is not tiny_model
    assert store.rollback("english").corpus_fingerprint == tiny_model.corpus_fingerprint


async def test_a_second_start_is_refused_while_one_runs(
    running: tuple[Retrainer, ModelRegistry, Job], english: Corpus
) -> None:
    retrainer, _, _ = running
    with pytest.raises(TrainingBusy, match=r"already running: english for tg:7, \d+%"):
        await retrainer.start("elf", english, seconds=10, requested_by="tg:8")
    status = retrainer.status()
    assert status is not None and status.requested_by == "tg:7" and status.step > 0


async def test_cancel_stops_cleanly(
    running: tuple[Retrainer, ModelRegistry, Job], store: ModelStore
) -> None:
    retrainer, registry, job = running
    before = registry.get("english")
    assert await retrainer.cancel(by="tg:9")
    result = await job.result()
    assert result.outcome == "cancelled"
    assert "cancelled by tg:9; it stopped cleanly" in result.reason
    assert registry.get("english") is before
    assert not store.has_predecessor("english")
    assert job.process is not None and job.process.exitcode == 0
    assert not await retrainer.cancel()  # nothing runs any more


async def test_a_killed_trainer_loses_nothing(
    running: tuple[Retrainer, ModelRegistry, Job], store: ModelStore
) -> None:
    retrainer, registry, job = running
    before_model, before_file = registry.get("english"), store.path("english").read_bytes()
    assert job.pid is not None
    os.kill(job.pid, signal.SIGKILL)
    result = await job.result()
    assert result.outcome == "crashed"
    assert (result.signal, result.exit_code) == ("SIGKILL", -signal.SIGKILL)
    assert "killed by SIGKILL" in result.reason
    assert registry.get("english") is before_model
    assert store.path("english").read_bytes() == before_file
    assert not store.has_predecessor("english")
    assert retrainer.status() is None  # the next training may start


async def test_bad_arguments_are_refused_before_any_process(
    store: ModelStore, english: Corpus
) -> None:
    retrainer = _retrainer(store, ModelRegistry(), 3)
    with pytest.raises(RetrainError, match="between 1 and 600 seconds"):
        await retrainer.start("elf", english, seconds=601, requested_by="tg:1")
    with pytest.raises(Exception, match="cannot be a style name"):
        await retrainer.start("Elf.prev", english, seconds=10, requested_by="tg:1")
    assert retrainer.job is None


async def test_rollback_swaps_the_predecessor_back_in(
    store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    registry = ModelRegistry({"english": tiny_model})
    newer = replace(tiny_model, description="newer")
    model = store.adopt("english", checkpoint.save(newer, tmp_path / "n.pt"), current=tiny_model)
    registry.swap("english", model)
    retrainer = _retrainer(store, registry, 3)
    back = await retrainer.rollback("english")
    assert registry.get("english") is back
    assert back.description == tiny_model.description
    with pytest.raises(NothingToRollBack, match="nothing to roll back for english"):
        await retrainer.rollback("english")


PARENT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from engine.corpora import corpus
    from engine.serving.modelstore import ModelStore
    from engine.serving.registry import ModelRegistry
    from engine.retraining.supervisor import Retrainer
    from tests.conftest import TINY, TINY_TRAIN
    from dataclasses import replace

    async def main() -> None:
        config = replace(TINY_TRAIN, max_steps=None)
        retrainer = Retrainer(ModelStore(Path(sys.argv[1])), ModelRegistry(), max_seconds=600,
                              model_config=TINY, train_config=config)
        job = await retrainer.start("english", corpus.load("english"), seconds=300,
                                    requested_by="test")
        while job.progress.step == 0:
            await asyncio.sleep(0.1)
        print(job.pid, flush=True)
        await asyncio.sleep(600)

    if __name__ == "__main__":
        asyncio.run(main())
    """
)


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_the_trainer_dies_with_its_parent(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(tmp_path / "models"), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        line = await asyncio.wait_for(parent.stdout.readline(), 120)  # type: ignore[union-attr]
        child = int(line)
        assert _alive(child)
    finally:
        parent.kill()
        await parent.wait()
    for _ in range(150):  # the child polls its parent twice a second
        if not _alive(child):
            break
        await asyncio.sleep(0.1)
    assert not _alive(child)


def test_starting_removes_only_scratch_folders_no_running_job_can_own(
    store: ModelStore, tiny_model: NameModel
) -> None:
    """Replicas share the models folder: one starting must not delete another's running job."""
    running = store.new_workdir("elf")  # another replica's job, started just now
    stale = store.new_workdir("english")
    day_ago = stale.stat().st_mtime - 86_400
    os.utime(stale, (day_ago, day_ago))
    Retrainer(store, ModelRegistry({"english": tiny_model}), max_seconds=900)
    assert running.is_dir()
    assert not stale.exists()


async def test_one_style_trains_on_one_replica_at_a_time(
    running: tuple[Retrainer, ModelRegistry, Job], store: ModelStore, english: Corpus
) -> None:
    """Two replicas share the models folder: the second cannot train the same style at once,
    but may train another, and the style is free again once the first job ends."""
    first, _, _ = running
    other = _retrainer(ModelStore(store.folder), ModelRegistry(), 20)
    with pytest.raises(TrainingBusy, match="english is being retrained by another replica"):
        await other.start("english", english, seconds=60, requested_by="tg:8")
    elf = await other.start("elf", english, seconds=60, requested_by="tg:8")
    await elf.result()
    await first.cancel(by="tg:7")
    again = await other.start("english", english, seconds=60, requested_by="tg:8")
    await again.result()


# --- a style learned as a new voice of a shared model ----------------------------------------

ELF_HEADS = ("Ae", "Cae", "Ela", "Fae", "Gae", "Lae", "Mae", "Nae", "Sae", "Tae", "Vae")
ELF_TAILS = ("lar", "rin", "lis", "ron", "thil")


async def test_a_style_is_learned_from_the_shared_model_and_no_other_style_changes(
    store: ModelStore, tiny_shared: SharedModel, tmp_path: Path
) -> None:
    base = shared.save(tiny_shared, tmp_path / "base" / shared.SHARED_FILE, {})
    registry = ModelRegistry(tiny_shared.models())
    before = registry.get("english")
    probe = ["Anna", "Robert", "Galadriel"]
    english_before = name_logliks(before, probe)
    retrainer = Retrainer(
        store, registry, max_seconds=600, model_config=TINY, train_config=_steps(80), base=base
    )
    short = clean("elf", [(f"{a}{b}", "") for a in ELF_HEADS for b in ELF_TAILS][:51])
    job = await retrainer.start("elf", short, seconds=300, requested_by="tg:1", force=True)
    result = await job.result()
    assert result.outcome == "adopted", result.reason
    assert "learned as a new voice of the shipped model" in result.reason
    assert "the list is short (51 names)" in result.reason
    served = registry.get("elf")
    assert served.metrics["from"] == "shared" and set(served.corpus_names) == set(short.names)
    # Retraining one style changes no other style's names.
    assert registry.get("english") is before
    assert (name_logliks(registry.get("english"), probe) == english_before).all()
    # The adopted file is an ordinary checkpoint: a restart (or a replica) serves it as is.
    again = ModelRegistry.from_folders(store.folder).get("elf")
    assert again.metrics["from"] == "shared" and again.corpus_names == served.corpus_names


async def test_a_list_the_shared_model_cannot_learn_is_trained_from_scratch(
    store: ModelStore, tiny_shared: SharedModel, tmp_path: Path
) -> None:
    base = shared.save(tiny_shared, tmp_path / "base" / shared.SHARED_FILE, {})
    retrainer = Retrainer(
        store, ModelRegistry(), max_seconds=600, model_config=TINY, train_config=_steps(40),
        base=base,
    )  # fmt: skip
    turkish = clean("tr", [(f"{a}{b}ğı", "") for a in "ABCDEFGHIK" for b in "aeiou"])
    job = await retrainer.start("turkish", turkish, seconds=300, requested_by="tg:1")
    result = await job.result()
    assert result.outcome == "adopted", result.reason
    assert "trained from scratch: the shared model has never seen" in result.reason
    assert "ğ" in result.reason and "ı" in result.reason
