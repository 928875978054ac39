"""The shared model: styles cut out of one network, its file, blends, and the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.blends import parse_blend
from engine.errors import CheckpointError, RequestError, UnknownStyle
from engine.nn.jointtrain import encode
from engine.serving import checkpoint, shared
from engine.serving.generator import NameEngine
from engine.serving.quantiles import Quantiles
from engine.serving.registry import load_folder
from engine.serving.sampling import GenerationRequest, generate
from engine.serving.shared import SharedModel
from engine.serving.trained import NameModel


def test_a_style_view_scores_names_as_the_joint_network_does(tiny_shared: SharedModel) -> None:
    """A view is the joint network restricted to a style's letters and conditioning: the same
    names get the same likelihood (up to float error) read either way."""
    model = tiny_shared.model("english")
    net = tiny_shared.net
    names = ["Anna", "Robert", "Zoe"]
    female = tiny_shared.labels.index("female")
    rows = encode(tiny_shared.vocab, names, [tiny_shared.style_index["english"]] * 3, [female] * 3)
    with torch.inference_mode():
        style = tiny_shared.style_index["english"]
        feats = net.features(rows.inputs, net.cond(rows.styles, rows.labels))
        w, b = tiny_shared.head("english")
        logits = feats @ w.T + b + net.logit_mask + net.style_mask[style]
        joint = -torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), rows.targets, ignore_index=0, reduction="none"
        ).sum(1)
    from engine.serving.scoring import name_logliks

    viewed = name_logliks(model, names, model.labels.index("female"))
    assert torch.allclose(joint, torch.tensor(viewed, dtype=torch.float32), atol=1e-3)


def test_the_file_round_trips_in_half_precision(tiny_shared: SharedModel, tmp_path: Path) -> None:
    path = shared.save(tiny_shared, tmp_path / shared.SHARED_FILE, {"note": "test"})
    again = shared.load(path)
    assert set(again.entries) == {"english", "elf", "italian-surnames"}
    a, b = tiny_shared.model("elf"), again.model("elf")
    req = GenerationRequest(style="elf", count=5, seed=4)
    assert generate(a, req).names == generate(b, req).names  # float16 changes no draw here
    assert b.corpus_names == a.corpus_names and b.description == "tiny elf"
    assert b.score_quantiles == pytest.approx(a.score_quantiles, abs=1e-5)
    assert isinstance(b.score_quantiles, Quantiles) and len(b.score_quantiles) == 1001


def test_own_heads_are_packed_in_the_file_and_read_back_exactly(
    tiny_shared: SharedModel, tmp_path: Path
) -> None:
    """The file keeps an own head as int8 rows (half of float16's bytes); a process loading it
    holds exactly the rows the model that wrote it scored its quantiles with."""
    assert tiny_shared.heads
    path = shared.save(tiny_shared, tmp_path / shared.SHARED_FILE, {})
    stored = torch.load(path, weights_only=True)["heads"]
    again = shared.load(path)
    for style, own in tiny_shared.heads.items():
        q, exp, bias = stored[style]
        assert (q.dtype, exp.dtype, bias.dtype) == (torch.int8, torch.int8, torch.float16)
        for a, b in zip(again.heads[style].buffers(), own.buffers(), strict=True):
            assert torch.equal(a, b)


def test_a_version_1_file_with_float16_heads_is_still_read(
    tiny_shared: SharedModel, tmp_path: Path
) -> None:
    """Format 1 kept own heads in float16, off the int8 grid: they are packed as they are read,
    each weight within half a step of the file's."""
    from engine.nn.joint import PackedRows

    path = shared.save(tiny_shared, tmp_path / shared.SHARED_FILE, {})
    payload = torch.load(path, weights_only=True)
    payload["version"] = 1
    torch.manual_seed(0)
    v1 = {
        s: ((h.weight.float() + 1e-3 * torch.randn(h.weight.shape)).half(), h.bias)
        for s, h in tiny_shared.heads.items()
    }
    payload["heads"] = v1
    torch.save(payload, path)
    again = shared.load(path)
    for style, (w, b) in v1.items():
        expected = PackedRows.of(w, b)
        for got, want in zip(again.heads[style].buffers(), expected.buffers(), strict=True):
            assert torch.equal(got, want)
        step = torch.exp2(expected.exp.float())[:, None]
        assert bool(((again.heads[style].weight.float() - w.float()).abs() <= step / 2).all())
    payload["heads"] = {s: (h.q, h.exp, h.bias) for s, h in tiny_shared.heads.items()}
    torch.save(payload, path)  # a format 1 file with format 2's heads is not a model
    with pytest.raises(CheckpointError, match="incomplete or inconsistent"):
        shared.load(path)


def test_the_base_a_voice_names_is_the_network_not_the_file(
    tiny_shared: SharedModel, tmp_path: Path
) -> None:
    """A voice records the shared model it was learned on; a file whose own heads were fitted
    again (the same network) still serves it in blends, a file with other weights does not."""
    import copy
    from dataclasses import replace

    from engine.nn.joint import PackedRows

    first = shared.load(shared.save(tiny_shared, tmp_path / "a" / shared.SHARED_FILE, {}))
    assert first.fingerprint == tiny_shared.fingerprint  # as built, as loaded
    heads = {s: PackedRows.of(h.weight.float() * 0.5, h.bias) for s, h in tiny_shared.heads.items()}
    refit = replace(tiny_shared, heads=heads)
    second = shared.load(shared.save(refit, tmp_path / "b" / shared.SHARED_FILE, {}))
    assert (tmp_path / "a" / shared.SHARED_FILE).read_bytes() != (
        tmp_path / "b" / shared.SHARED_FILE
    ).read_bytes()
    assert second.fingerprint == first.fingerprint
    net = copy.deepcopy(tiny_shared.net)
    with torch.no_grad():
        net.embed.weight[3, 0] += 0.5  # a letter's embedding: a voice reads it
    other = shared.load(
        shared.save(replace(tiny_shared, net=net), tmp_path / "c" / shared.SHARED_FILE, {})
    )
    assert other.fingerprint != first.fingerprint


@pytest.mark.parametrize(
    ("base", "network"),
    [
        ("e39c4f7f40ce895e", "f0280cf252a69ffd"),  # a file shipped before: its network
        ("f0280cf252a69ffd", "f0280cf252a69ffd"),  # a network's own hash
        ("0123456789abcdef", "0123456789abcdef"),  # anything else names itself
    ],
)
def test_a_voice_s_base_names_a_network(base: str, network: str) -> None:
    assert shared.network_of(base) == network


def test_a_loaded_network_holds_its_shared_head_in_float16_and_still_reads_names(
    tiny_shared: SharedModel, tmp_path: Path
) -> None:
    """The joint network's shared head, as the file keeps it: half the memory of float32, and
    the network's own forward widens it per call."""
    path = shared.save(tiny_shared, tmp_path / shared.SHARED_FILE, {})
    net = shared.load(path).net
    assert net.head.weight.dtype == net.head.bias.dtype == torch.float16
    style = tiny_shared.style_index["english"]
    rows = encode(tiny_shared.vocab, ["Anna", "Zoe"], [style] * 2, [0, 0])
    with torch.inference_mode():
        loaded = net.loss(rows.inputs, rows.styles, rows.labels, rows.targets)
        built = tiny_shared.net.loss(rows.inputs, rows.styles, rows.labels, rows.targets)
    assert float(loaded) == pytest.approx(float(built), abs=1e-4)


@pytest.mark.parametrize("junk", [b"", b"\x00" * 100, b"PK\x03\x04 truncated"])
def test_a_damaged_file_is_refused_by_name(tmp_path: Path, junk: bytes) -> None:
    (tmp_path / shared.SHARED_FILE).write_bytes(junk)
    with pytest.raises(CheckpointError, match=r"_shared\.pt"):
        shared.load(tmp_path / shared.SHARED_FILE)


def test_a_folder_serves_its_shared_styles_and_a_style_file_overrides_one(
    tiny_shared: SharedModel, tiny_model: NameModel, tmp_path: Path
) -> None:
    shared.save(tiny_shared, tmp_path / shared.SHARED_FILE, {})
    checkpoint.save(tiny_model, tmp_path / "elf.pt")  # a retrain adopted on top
    models = load_folder(tmp_path)
    assert set(models) == {"english", "elf", "italian-surnames"}
    assert models["english"].shared is not None
    assert models["elf"].shared is None and models["elf"].description == "tiny test model"


def test_gendered_styles_write_neutral_names_and_others_say_why_not(
    tiny_shared: SharedModel, tiny_model: NameModel
) -> None:
    english = tiny_shared.model("english")
    assert english.neutral == 2 and english.resolve_label("nb") == 2
    res = generate(english, GenerationRequest(count=5, label="neutral", seed=1))
    assert len(res.names) == 5
    with pytest.raises(RequestError, match="italian-surnames style has no gender-neutral names"):
        tiny_shared.model("italian-surnames").resolve_label("neutral")
    with pytest.raises(RequestError, match="trained on its own"):
        tiny_model.resolve_label("neutral")


def test_a_blend_writes_letters_of_both_and_says_what_it_is(tiny_shared: SharedModel) -> None:
    blend = tiny_shared.blend(parse_blend("elf:70+english:30"))
    assert blend.description == "a blend of elf 70% + english 30%"
    assert set(blend.vocab.chars) == set(tiny_shared.entries["elf"].chars) | set(
        tiny_shared.entries["english"].chars
    )
    assert blend.labels == ("female", "male") and blend.neutral == 2  # both have genders
    assert tiny_shared.blend(parse_blend("elf:70+english:30")) is blend  # cached
    mixed = tiny_shared.blend(parse_blend("elf+italian-surnames"))
    assert mixed.labels == () and mixed.neutral is None  # only one of them has genders
    names = generate(blend, GenerationRequest(count=5, seed=2)).names
    assert len(names) == 5


async def test_the_engine_serves_blends_by_name_and_refuses_bad_ones(
    tiny_shared: SharedModel, tiny_model: NameModel
) -> None:
    engine = NameEngine({**tiny_shared.models(), "solo": tiny_model})
    try:
        res = await engine.generate(GenerationRequest(style="elf:50+english:50", count=3))
        assert len(res.names) == 3
        with pytest.raises(UnknownStyle, match="did you mean elf"):
            await engine.generate(GenerationRequest(style="elf+elff"))
        with pytest.raises(
            RequestError, match="solo cannot be blended: it was trained from scratch"
        ):
            await engine.generate(GenerationRequest(style="elf+solo"))
        with pytest.raises(RequestError, match="at most 4 styles"):
            await engine.generate(GenerationRequest(style="a+b+c+d+e"))
        assert engine.fitting_style(["Galadriel", "Elrond"]) in ("elf", "english", "solo")
    finally:
        await engine.aclose()


def test_like_refuses_a_name_the_style_cannot_write(tiny_shared: SharedModel) -> None:
    with pytest.raises(RequestError, match="the name to resemble"):
        generate(tiny_shared.model("english"), GenerationRequest(like=("Жанна",)))


def test_a_letter_only_a_validation_name_holds_does_not_stall_a_new_style(
    tiny_shared: SharedModel,
) -> None:
    """The new style may write every letter of its list: a letter seen only in a validation
    name would otherwise cost infinity, and the run would keep its untrained start."""
    from engine.corpora.corpus import clean

    names = [f"{a}{b}ra" for a in "BDFGKLMNPRST" for b in "aeiou"]
    rare = next(c for c in tiny_shared.vocab.chars if c.islower() and c not in "".join(names))
    corpus = clean("test", [(n, "") for n in [*names, f"Zo{rare}"]])
    val = [corpus.names.index(f"Zo{rare}"), 0, 1, 2]
    train = [i for i in range(len(corpus)) if i not in val]
    model, fit = tiny_shared.fit_new(corpus, train, val, seconds=60, max_steps=50)
    assert fit.val_nll < float("inf") and fit.steps > 0
    assert rare in model.vocab.chars


def test_a_new_style_starts_from_the_shipped_style_its_names_fit_best(
    tiny_shared: SharedModel,
) -> None:
    assert tiny_shared.nearest(["Rossi", "Bianchi", "Ferraro"]) == "italian-surnames"
    assert tiny_shared.nearest(["Margaret", "Robert"]) == "english"
    assert tiny_shared.nearest(["Ωμέγα"]) is None  # no style writes these letters


def test_a_new_style_learns_from_the_head_it_is_given(tiny_shared: SharedModel) -> None:
    from engine.corpora.corpus import clean
    from engine.nn.jointtrain import fit_style

    c = clean("test", [(f"{a}{b}ra", "") for a in "BDFGKLMNPRST" for b in "aeiou"])
    weight, bias = tiny_shared.head("english")
    start = (weight.clone(), bias + 1.0)  # unlike any head the network has
    none = [tiny_shared.labels.index("none")] * len(c)
    fit = fit_style(
        tiny_shared.net, tiny_shared.vocab, c.names, none, range(50), range(50, 60),
        seconds=60, max_steps=1, eval_every=1, init_head=start,
    )  # fmt: skip
    assert torch.allclose(fit.head[1], start[1], atol=0.05)  # one small step from it at most
    assert not torch.allclose(fit.head[1], bias, atol=0.5)


def test_names_like_one_typed_in_capitals_keep_the_style_s_casing(
    tiny_shared: SharedModel,
) -> None:
    model = tiny_shared.model("elf")
    names = generate(model, GenerationRequest(count=8, like=("LEGOLAS",), seed=1)).names
    assert names and not [n for n in names if model.casing.broken(n)]


def test_a_style_retrained_on_the_shared_model_blends_as_itself(
    tiny_shared: SharedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retrained style (a new voice of the shipped network) blends with the shipped styles,
    in memory and after its checkpoint is read back (a models folder, a replica)."""
    from dataclasses import replace

    from engine.corpora.corpus import clean
    from engine.serving.generator import blend_of

    names = [f"{a}{b}{c}wen" for a in "BDGLMNR" for b in "aeiou" for c in "lnr"]
    corpus = clean("elf", [(n, "female") for n in names])
    train, val = list(range(0, len(corpus), 2)), list(range(1, len(corpus), 2))
    model, _ = tiny_shared.fit_new(corpus, train, val, seconds=60, max_steps=30, like="elf")
    assert model.shared is None and model.voice is not None
    assert model.voice.base == tiny_shared.fingerprint
    shipped = blend_of(parse_blend("elf+english"), tiny_shared.models())
    mixed = blend_of(parse_blend("elf+english"), {**tiny_shared.models(), "elf": model})
    assert mixed is not shipped and set(names) <= mixed.corpus_names
    assert not set(names) <= shipped.corpus_names
    assert mixed.labels == ("female",)  # the labels both parts have
    names_out = generate(mixed, GenerationRequest(count=5, seed=1)).names
    assert len(names_out) == 5
    again = checkpoint.load(checkpoint.save(model, tmp_path / "elf.pt"))
    assert again.voice is not None and torch.equal(again.voice.style_vec, model.voice.style_vec)
    both = blend_of(parse_blend("elf+english"), {**tiny_shared.models(), "elf": again})
    assert both.corpus_fingerprint == mixed.corpus_fingerprint
    # Every part retrained: the shared model it was learned on is found among those served.
    alone = blend_of(parse_blend("elf:60+elf2:40"), {**tiny_shared.models(), "elf": model,
                                                    "elf2": model})  # fmt: skip
    assert alone.description == "a blend of elf 60% + elf2 40%"
    with pytest.raises(RequestError, match="learned on another shipped model"):
        stale = replace(model, voice=replace(model.voice, base="0123456789abcdef"))
        blend_of(parse_blend("elf+english"), {**tiny_shared.models(), "elf": stale})
    # A voice saved before bases named the network names an earlier file by its digest.
    monkeypatch.setitem(shared.EARLIER_FILES, "0123456789abcdef", tiny_shared.fingerprint)
    older = blend_of(parse_blend("elf+english"), {**tiny_shared.models(), "elf": stale})
    assert older.description == mixed.description
    both_older = blend_of(parse_blend("elf+elf2"), {**tiny_shared.models(), "elf": stale,
                                                   "elf2": model})  # fmt: skip
    assert both_older.labels == ("female",)
    with pytest.raises(RequestError, match="elf cannot be blended: it was trained from scratch"):
        blend_of(
            parse_blend("elf+english"), {**tiny_shared.models(), "elf": replace(model, voice=None)}
        )


def test_a_style_s_own_head_is_served_as_its_packed_rows_without_a_copy(
    tiny_shared: SharedModel, tmp_path: Path
) -> None:
    """A view keeps a style's own head as the shared model holds it (int8 rows of its letters,
    packed), and the rows it copies (its letters, the shared head's rows) in float16 where that
    is exact, widened per call: the same likelihoods and the same names as float32, in a
    quarter or half the memory; rows float16 would round (a network in training) stay float32.
    A view saved (the rollback copy of a shipped style) is an ordinary checkpoint."""
    import copy
    from dataclasses import replace

    from torch import nn

    from engine.nn.joint import PackedRows, view
    from engine.serving.scoring import name_logliks

    e = tiny_shared.entries["elf"]
    w, b = tiny_shared.head("elf")
    rows = shared._rows(tiny_shared.vocab, e.chars)
    own = PackedRows.of(w[rows], b[rows])
    half = replace(tiny_shared, heads={**tiny_shared.heads, "elf": own}).model("elf")
    served: nn.Module = half.net.head
    assert served is own and own.q.dtype == torch.int8  # the same module, not a copy
    assert half.net.embed.weight.dtype == torch.float16  # the file's weights: exact
    full = replace(half, net=copy.deepcopy(half.net).float())
    full.net.head = nn.Linear(w.shape[1], len(rows))
    with torch.no_grad():
        full.net.head.weight.copy_(own.weight.float())
        full.net.head.bias.copy_(own.bias.float())
    assert full.net.head.weight.dtype == full.net.embed.weight.dtype == torch.float32
    saved = checkpoint.load(checkpoint.save(half, tmp_path / "elf.pt"))
    assert isinstance(saved.net.head, nn.Linear)
    assert torch.equal(saved.net.head.weight.float(), full.net.head.weight)
    names = ["Elowen", "Galadriel", "Arwen"]
    for label in range(len(half.labels)):
        assert (
            name_logliks(half, names, label).tolist() == name_logliks(full, names, label).tolist()
        )
    req = GenerationRequest(style="elf", count=8, seed=2)
    assert generate(half, req).names == generate(full, req).names == generate(saved, req).names
    vec = tiny_shared.net.style_embed.weight[tiny_shared.style_index["elf"]]
    conds, _ = tiny_shared._conds(vec, e.labels)
    shared_rows = view(tiny_shared.net, tiny_shared.vocab, e.chars, conds)
    assert shared_rows.head.weight.dtype == torch.float16
    assert torch.equal(shared_rows.head.weight.float(), tiny_shared.net.head.weight[rows])
    training = copy.deepcopy(tiny_shared.net)
    with torch.no_grad():
        training.head.weight.add_(1e-4)  # no longer what float16 holds
        training.embed.weight.add_(1e-4)
    rounded = view(training, tiny_shared.vocab, e.chars, conds)
    assert rounded.head.weight.dtype == rounded.embed.weight.dtype == torch.float32
    with pytest.raises(ValueError, match="do not fit"):
        cut = PackedRows(own.q[:-1], own.exp[:-1], own.bias[:-1])
        view(tiny_shared.net, tiny_shared.vocab, e.chars, conds, own_rows=cut)
