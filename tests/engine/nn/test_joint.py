"""engine.nn.joint's packing of a style's own head into int8 rows."""

from __future__ import annotations

import pytest
import torch

from engine.nn.joint import pack_rows, round_rows, unpack_rows


@pytest.mark.parametrize(
    ("row", "exp"),
    [
        ([0.5, -0.25, 0.1], -7),  # 0.5 is 64 steps of 2**-7 (-8 would need 128)
        ([127.0, 1.0, -3.0], 0),
        ([200.0, 0.0, 1.0], 1),  # a row larger than 127 steps of 1
        ([0.0, 0.0, 0.0], -24),  # nothing to scale: the smallest exponent, all zeros
        ([1e-9, 0.0, -1e-9], -24),  # below float16's reach: zeros
        ([60000.0, 0.0, 1.0], 9),  # the largest exponent float16 holds 127 steps of
    ],
)
def test_a_row_is_scaled_by_the_power_of_two_that_fits_its_largest_weight(
    row: list[float], exp: int
) -> None:
    q, e = pack_rows(torch.tensor([row]))
    assert q.dtype == e.dtype == torch.int8
    assert int(e[0]) == exp
    assert int(q.abs().max()) <= 127
    back = unpack_rows(q, e)
    assert back.dtype == torch.float16
    assert torch.allclose(back.float(), torch.tensor([row]), atol=2.0**exp / 2 + 1e-12, rtol=0)


def test_a_row_beyond_float16_saturates_and_never_unpacks_to_infinity() -> None:
    q, e = pack_rows(torch.tensor([[70000.0, -1e6, 1.0]]))
    assert int(e[0]) == 9
    back = unpack_rows(q, e)
    assert bool(torch.isfinite(back).all())
    assert back[0, :2].tolist() == [65024.0, -65024.0]  # 127 * 2**9, float16's reach


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_a_row_holding_inf_or_nan_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="inf or nan"):
        pack_rows(torch.tensor([[1.0, bad]]))


def _rows() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(300, 64) * torch.rand(300, 1) * 4


def test_packing_is_its_own_fixed_point() -> None:
    """What phase 2 scores (round_rows) is what the file packs, and what a process loading it
    holds: packing the rounded rows again gives the same bytes."""
    w = _rows()
    rounded = round_rows(w)
    assert torch.equal(unpack_rows(*pack_rows(rounded)).float(), rounded)
    for a, b in zip(pack_rows(rounded), pack_rows(w), strict=True):
        assert torch.equal(a, b)


def test_packed_rows_are_within_half_a_step_of_the_rows() -> None:
    w = _rows()
    rounded = round_rows(w)
    step = torch.exp2(pack_rows(w)[1].float())[:, None]
    assert bool(((rounded - w).abs() <= step / 2 + 1e-7).all())
    top = w.abs().amax(1, keepdim=True)
    assert bool(((rounded - w).abs() <= top / 127).all())  # under 1% of the row's largest
