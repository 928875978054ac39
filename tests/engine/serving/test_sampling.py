from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest
import torch

from engine.corpora import corpus
from engine.errors import RequestError
from engine.nn.train import train
from engine.serving import checkpoint
from engine.serving.sampling import GenerationRequest, generate, generate_many
from engine.serving.trained import NameModel
from tests.conftest import TINY, TINY_TRAIN


def _gen(model: NameModel, **kw: object) -> tuple[str, ...]:
    return generate(model, GenerationRequest(seed=1, **kw)).names  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["Eld", "A", "Mar", "Zo"])
def test_every_name_starts_with_the_prefix(tiny_model: NameModel, prefix: str) -> None:
    names = _gen(tiny_model, prefix=prefix, count=30)
    assert len(names) == 30
    assert all(n.startswith(prefix) for n in names)


def test_a_lowercase_prefix_is_capitalised_like_the_corpus(tiny_model: NameModel) -> None:
    assert all(n.startswith("Eld") for n in _gen(tiny_model, prefix="eld"))


def test_no_duplicates_within_a_reply(tiny_model: NameModel) -> None:
    names = _gen(tiny_model, prefix="Ann", count=40, temperature=0.5)
    assert len(names) == len(set(names))


def test_new_only_excludes_the_training_names(tiny_model: NameModel) -> None:
    names = _gen(tiny_model, count=50, new_only=True, temperature=0.6)
    assert names
    assert not set(names) & tiny_model.corpus_names


def test_length_limits_are_met(tiny_model: NameModel) -> None:
    names = _gen(tiny_model, count=30, min_len=7, max_len=8)
    assert names
    assert all(7 <= len(n) <= 8 for n in names)


def test_ends_with_and_contains_are_case_insensitive(tiny_model: NameModel) -> None:
    names = _gen(tiny_model, count=10, ends_with="A", contains="ar")
    assert names
    assert all(n.lower().endswith("a") and "ar" in n.lower() for n in names)


def test_an_impossible_constraint_returns_what_it_found_with_a_note(tiny_model: NameModel) -> None:
    res = generate(tiny_model, GenerationRequest(count=5, ends_with="qqqq", seed=3))
    assert len(res.names) < 5
    assert res.note is not None
    assert "end with 'qqqq'" in res.note
    assert res.candidates <= 60 * 5 + 500


def test_the_same_seed_gives_the_same_names(tiny_model: NameModel) -> None:
    r = GenerationRequest(count=10, seed=42)
    assert generate(tiny_model, r).names == generate(tiny_model, r).names
    assert (
        generate(tiny_model, r).names
        != generate(tiny_model, GenerationRequest(count=10, seed=43)).names
    )


def test_gender_is_followed(tiny_model: NameModel) -> None:
    female = set(_gen(tiny_model, count=40, label="f", temperature=0.3))
    male = set(_gen(tiny_model, count=40, label="male", temperature=0.3))
    assert female != male
    # At a low temperature most names are real ones, so their list tells the gender apart.
    from engine.corpora import corpus

    c = corpus.load("english")
    is_female = {
        n for n, lab in zip(c.names, c.label_ids, strict=True) if c.labels[lab] == "female"
    }
    assert len(female & is_female) > len(male & is_female)


def test_many_requests_share_a_batch_and_keep_their_own_options(tiny_model: NameModel) -> None:
    reqs = [
        GenerationRequest(prefix="Ka", count=3),
        GenerationRequest(prefix="Lu", count=7, temperature=0.5, label="f"),
        GenerationRequest(count=4, max_len=5),
    ]
    a, b, c = generate_many(tiny_model, reqs, seed=5)
    assert len(a.names) == 3 and all(n.startswith("Ka") for n in a.names)
    assert len(b.names) == 7 and all(n.startswith("Lu") for n in b.names)
    assert len(c.names) == 4 and all(len(n) <= 5 for n in c.names)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"temperature": 0}, "temperature must be a number between 0.1 and 3"),
        ({"temperature": -1.0}, "temperature must be"),
        ({"temperature": math.nan}, "temperature must be"),
        ({"temperature": math.inf}, "temperature must be"),
        ({"temperature": 1e9}, "temperature must be"),
        ({"count": 0}, "count must be between 1 and 1000"),
        ({"count": 1001}, "count must be between 1 and 1000"),
        ({"prefix": "Жa☃"}, "unknown letters in the prefix: Ж, ☃ — the english style knows"),
        ({"ends_with": "ß"}, "unknown letters in 'ends': ß"),
        ({"label": "robot"}, "unknown gender 'robot' for the english style; choose one of: female"),
        ({"min_len": 9, "max_len": 4}, r"shortest length \(9\) is more than the longest \(4\)"),
        ({"min_len": 0}, "at least 1"),
        ({"min_len": 200}, "too long"),
        ({"prefix": "Abcdefgh", "max_len": 4}, "longer than the longest name allowed"),
    ],
)
def test_bad_requests_get_a_clear_error(
    tiny_model: NameModel, kw: dict[str, object], message: str
) -> None:
    with pytest.raises(RequestError, match=message):
        generate(tiny_model, GenerationRequest(**kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_fused_step_equals_the_model(cell: str, layers: int) -> None:
    import torch

    from engine.nn.model import CharRNN, ModelConfig
    from engine.serving.sampling import _Stepper

    torch.manual_seed(0)
    config = ModelConfig(vocab_size=11, n_labels=3, cell=cell, n_hidden=24, n_layers=layers)  # type: ignore[arg-type]
    net = CharRNN(config).eval()
    exact, int8 = _Stepper(net, exact=True), _Stepper(net)
    assert exact.fast and int8.fast
    packs = "fbgemm" in torch.backends.quantized.supported_engines
    assert all((lin.packed is not None) == packs for lin in int8.hidden)  # int8 where it can
    tokens, labels = torch.randint(3, 11, (5,)), torch.tensor([0, 1, 2, 1, 0])
    state_a = state_b = state_c = None
    for _ in range(4):
        with torch.inference_mode():
            a, state_a = net.step(tokens, labels, state_a)
            b, state_b = exact(tokens, labels, state_b)
            c, state_c = int8(tokens, labels, state_c)
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
        # int8 weights and activations: close, not equal (the shared model's figures in
        # benchmarks/sampling.py)
        torch.testing.assert_close(c, a, rtol=0, atol=0.02)
        assert torch.equal(c, a) != packs
        tokens = a.argmax(-1)


def test_int8_weights_are_packed_once_per_layer_and_again_when_they_change(
    tiny_model: NameModel,
) -> None:
    """Views of the shared model share its recurrent layer, so they share its int8 copy; a
    weight changed in place (training) is packed again, and sampling follows it."""
    import copy

    import torch

    from engine.serving import sampling

    net = copy.deepcopy(tiny_model.net)
    twin = copy.deepcopy(net)
    twin.rnn = net.rnn  # a second view of the same layer
    a, b = sampling._Stepper(net), sampling._Stepper(twin)
    assert a.hidden[0].packed is b.hidden[0].packed
    model = replace(tiny_model, net=net)
    before = generate(model, GenerationRequest(count=8, seed=5)).names
    with torch.no_grad():
        net.rnn.weight_hh_l0.mul_(-1.0)
    assert sampling._Stepper(net).hidden[0].packed is not a.hidden[0].packed
    assert generate(model, GenerationRequest(count=8, seed=5)).names != before


def test_without_fbgemm_the_int8_step_falls_back_to_float32(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where torch has no fbgemm (an ARM build), the step stays float32: the same logits as
    the model's own step."""
    import torch

    from engine.nn.model import CharRNN, ModelConfig
    from engine.serving import sampling

    monkeypatch.setattr(sampling, "_int8_packed", lambda *a: None)
    torch.manual_seed(0)
    net = CharRNN(ModelConfig(vocab_size=9, n_labels=2, n_hidden=16)).eval()
    step = sampling._Stepper(net)
    assert step.hidden[0].packed is None
    tokens, labels = torch.randint(3, 9, (4,)), torch.tensor([0, 1, 1, 0])
    with torch.inference_mode():
        a, _ = net.step(tokens, labels, None)
        b, _ = step(tokens, labels, None)
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)


def test_exact_sampling_runs_in_float32_and_seeds_repeat_either_way(
    tiny_model: NameModel,
) -> None:
    from engine.serving import sampling

    for exact in (False, True):
        ask = GenerationRequest(count=10, seed=11)
        first = generate(tiny_model, ask, exact=exact).names
        assert generate(tiny_model, ask, exact=exact).names == first
        stepper = sampling._STEPPERS[(id(tiny_model.net), exact)][2]
        assert (stepper.hidden[0].packed is None) == (
            exact or "fbgemm" not in torch.backends.quantized.supported_engines
        )


def test_a_weight_that_cannot_be_packed_leaves_sampling_in_float32_with_a_warning(
    tiny_model: NameModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import copy

    from engine.serving import sampling

    def refuse(*args: object) -> None:
        raise RuntimeError("no engine for this")

    monkeypatch.setattr(torch, "quantize_per_channel", refuse)
    net = copy.deepcopy(tiny_model.net)
    assert sampling._Stepper(net).hidden[0].packed is None
    assert "int8 packing failed (no engine for this)" in caplog.text
    model = replace(tiny_model, net=net)
    assert len(generate(model, GenerationRequest(count=5, seed=2)).names) == 5


def test_threads_that_meet_a_new_layer_pack_it_once_and_a_replaced_weight_again(
    tiny_model: NameModel,
) -> None:
    """Sampling runs in a thread pool: the first requests of many styles of one shared layer
    arrive together and all get the same int8 copy; a weight replaced outright (a reload) is
    packed anew."""
    import copy
    from concurrent.futures import ThreadPoolExecutor

    from torch import nn

    from engine.serving import sampling

    if "fbgemm" not in torch.backends.quantized.supported_engines:
        pytest.skip("this torch has no fbgemm: nothing is packed")
    base = copy.deepcopy(tiny_model.net)
    views = []
    for _ in range(8):
        view = copy.deepcopy(base)
        view.rnn = base.rnn
        views.append(view)
    with ThreadPoolExecutor(8) as pool:
        packs = list(pool.map(lambda v: sampling._Stepper(v).hidden[0].packed, views))
    assert packs[0] is not None and all(p is packs[0] for p in packs)
    with torch.no_grad():
        base.rnn.weight_hh_l0 = nn.Parameter(base.rnn.weight_hh_l0.detach() * -1.0)
    assert sampling._Stepper(base).hidden[0].packed is not packs[0]


def test_sampling_follows_the_model_distribution() -> None:
    """Inverse-CDF draws land on each class as often as its probability says, never on a
    masked one (pad, start)."""
    import torch

    from engine.nn.model import CharRNN, ModelConfig
    from engine.nn.vocab import EOS
    from engine.serving.sampling import sample_rows

    torch.manual_seed(0)
    net = CharRNN(ModelConfig(vocab_size=6, n_hidden=8)).eval()
    n = 20_000
    ones = torch.ones(n, dtype=torch.long)
    rows = sample_rows(net, [()] * n, torch.zeros(n, dtype=torch.long), torch.ones(n), ones,
                       torch.full((n,), 60), torch.Generator().manual_seed(1))  # fmt: skip
    assert sum(r is None for r in rows) < n // 100  # almost every row ends in time
    firsts = torch.tensor([r[0] for r in rows if r])
    with torch.inference_mode():
        logits, _ = net.step(torch.tensor([1]), torch.tensor([0]), None)
    p = torch.softmax(logits[0], -1)
    p_first = p.clone()
    p_first[EOS] = 0  # a first character cannot be the end (min length 1)
    p_first /= p_first.sum()
    counts = torch.bincount(firsts, minlength=6).float()
    assert counts[:3].sum() == 0
    share = counts / counts.sum()
    assert torch.allclose(share[3:], p_first[3:], atol=0.02)


def test_a_request_out_of_effort_sits_out_while_another_goes_on() -> None:
    from engine.serving.registry import PACKAGED_MODELS, load_folder

    model = load_folder(PACKAGED_MODELS)["english"]
    spent = GenerationRequest(count=5, ends_with="qqqq")  # its budget runs out in round 5
    going = GenerationRequest(count=20, ends_with="x")  # rare: still drawing after that
    a, b = generate_many(model, [spent, going], seed=2)
    assert a.names == ()
    assert a.candidates == 60 * 5 + 500
    assert b.candidates > 0


# --- full names: a given name and a name of the style's family names ----------------------

STEMS = [a + b for a in ("Petr", "Ivan", "Sokol", "Volk", "Morozov", "Lebed") for b in "abcdefghij"]


@pytest.fixture(scope="module")
def gendered_family() -> NameModel:
    """Family names whose female form ends in -ova and male form in -ov, like Russian ones."""
    pairs = [(f"{s}ova", "female") for s in STEMS] + [(f"{s}ov", "male") for s in STEMS]
    data = corpus.clean("russian-surnames", pairs)
    result = train(data, TINY_TRAIN, TINY)
    return checkpoint.build(result.model, result.vocab, data, {}, "test family names")


def _full(given: NameModel, family: NameModel, **kw: object) -> tuple[str, ...]:
    request = GenerationRequest(full=True, seed=3, **kw)  # type: ignore[arg-type]
    (res,) = generate_many(given, [request], seed=3, family=family)
    return res.names


def test_a_full_name_is_a_given_name_and_a_family_name(
    tiny_model: NameModel, gendered_family: NameModel
) -> None:
    names = _full(tiny_model, gendered_family, count=10, prefix="Mar")
    assert len(names) == 10
    for name in names:
        given, family = name.split(" ")
        assert given.startswith("Mar")  # the options apply to the given name
        assert family.endswith(("ov", "ova"))


@pytest.mark.parametrize(("gender", "ending"), [("female", "ova"), ("male", "ov")])
def test_the_family_name_takes_the_given_name_s_gender(
    tiny_model: NameModel, gendered_family: NameModel, gender: str, ending: str
) -> None:
    names = _full(tiny_model, gendered_family, count=10, label=gender, temperature=0.3)
    assert names
    assert all(n.split(" ")[1].endswith(ending) for n in names)


def test_a_style_without_family_names_refuses_full_names(tiny_model: NameModel) -> None:
    with pytest.raises(RequestError, match="the towns style has no family names"):
        generate(tiny_model, GenerationRequest(style="towns", full=True))


@pytest.mark.parametrize(("style", "pattern"), [
    ("dwarf", r"^\S+ [A-Z][a-z]+[a-z]+$"), ("orc", r"^\S+ [A-Z][a-z]+[a-z]+$"),
    ("elf", r"^\S+ of House \S+$"),
    ("dragonborn", r"^\S+ (?!of )\S+$"), ("dnd-elf", r"^\S+ (?!of )\S+$"),
])  # fmt: skip
def test_fantasy_styles_make_their_family_names(
    tiny_model: NameModel, style: str, pattern: str
) -> None:
    """Clans joined from two words of our lists; an elf's house named by another of its names,
    a dragonborn's clan or a rulebook elf's family name too, written plainly after it."""
    names = generate(tiny_model, GenerationRequest(style=style, full=True, count=5, seed=1)).names
    assert len(names) == 5 and all(re.fullmatch(pattern, n) for n in names), names


def test_full_names_without_the_family_model_are_refused_not_loaded_from_disk(
    tiny_model: NameModel,
) -> None:
    """Sampling never loads a model itself: the caller (the registry's owner) passes it."""
    with pytest.raises(RequestError, match=r"its family names \(surnames\) are not loaded"):
        generate(tiny_model, GenerationRequest(style="english", full=True))


def test_a_result_says_which_names_are_real(tiny_model: NameModel) -> None:
    result = generate(tiny_model, GenerationRequest(count=20, temperature=0.3, seed=3))
    assert result.real == {n for n in result.names if n in tiny_model.corpus_names}
    assert result.real  # at a cool temperature the tiny model repeats its list


def test_the_fused_steps_of_the_styles_used_last_are_kept_and_no_more(
    tiny_model: NameModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """78 styles need not hold 78 steppers' tables: the last MAX_STEPPERS are kept, a style
    whose stepper was let go samples exactly as before, and each stepper let go is counted
    towards handing its pages back (engine.serving.heap)."""
    import copy

    from engine.serving import heap, sampling

    counted: list[int] = []

    def dropped(count: int = 1) -> bool:
        counted.append(count)
        return False

    monkeypatch.setattr(heap, "dropped", dropped)
    monkeypatch.setattr(sampling, "_STEPPERS", type(sampling._STEPPERS)())
    request = GenerationRequest(count=5, seed=3)
    first = generate(tiny_model, request).names
    others = [copy.deepcopy(tiny_model.net) for _ in range(sampling.MAX_STEPPERS + 6)]
    for net in others:
        generate(replace(tiny_model, net=net), request)
    assert len(sampling._STEPPERS) == sampling.MAX_STEPPERS
    assert (id(tiny_model.net), False) not in sampling._STEPPERS
    assert counted == [1] * 7  # MAX_STEPPERS + 7 made, the last MAX_STEPPERS kept
    monkeypatch.setattr(sampling, "MAX_STEPPERS", 1)
    assert generate(tiny_model, request).names == first
    assert counted[7:] == [4]  # four let go at once count as four
