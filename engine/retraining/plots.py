"""The retrain report's picture: loss over time, and the names' lengths against the model's.

Drawn with matplotlib's Agg backend on a Figure of its own (no pyplot, no global state), so it
is safe in a worker thread or the training child process; never call it on the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def retrain_png(
    style: str,
    train_curve: Sequence[tuple[float, float]],  # (seconds, training loss)
    val_curve: Sequence[tuple[float, float]],  # (seconds, validation loss)
    corpus_lengths: Sequence[int],
    sample_lengths: Sequence[int],
    *,
    old_val: float | None = None,
) -> bytes:
    """A two-panel PNG: training and validation loss (nats per character) against time, with
    the current model's validation loss as a line when known; and a histogram of name lengths
    in the corpus against samples of the new model."""
    fig = Figure(figsize=(9, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    loss, lengths = fig.subplots(1, 2)

    if train_curve:
        t, v = zip(*train_curve, strict=True)
        loss.plot(t, v, color="tab:blue", linewidth=1, label="training")
    if val_curve:
        t, v = zip(*val_curve, strict=True)
        loss.plot(t, v, color="tab:orange", marker="o", markersize=3, label="validation")
    if old_val is not None:
        loss.axhline(old_val, color="tab:gray", linestyle="--", label="current model")
    loss.set(title=f"{style}: loss", xlabel="seconds", ylabel="nats per character")
    loss.grid(alpha=0.3)
    if train_curve or val_curve:
        loss.legend(loc="upper right", fontsize="small")

    longest = max([*corpus_lengths, *sample_lengths, 1])
    bins = [b - 0.5 for b in range(1, longest + 2)]
    # A share of nothing is undefined: an empty set of lengths is left out.
    if corpus_lengths:
        lengths.hist(
            corpus_lengths, bins=bins, density=True, alpha=0.6, color="tab:blue", label="corpus"
        )
    if sample_lengths:
        lengths.hist(
            sample_lengths,
            bins=bins,
            density=True,
            histtype="step",
            linewidth=1.5,
            color="tab:red",
            label=f"{len(sample_lengths):,} samples",
        )
    lengths.set(title="name length", xlabel="characters", ylabel="share of names")
    lengths.legend(loc="upper right", fontsize="small")

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
