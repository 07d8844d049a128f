"""Bootstrap draws: reproducible, block-structured, independent of how paths are chunked."""

from __future__ import annotations

import numpy as np
import pytest

from bot.analysis.sampling import chunk_rng, draw_rows


def test_same_seed_same_rows_and_chunks_differ() -> None:
    a = draw_rows(chunk_rng(5, 0), 30, 147, 100)
    assert np.array_equal(a, draw_rows(chunk_rng(5, 0), 30, 147, 100))
    assert not np.array_equal(a, draw_rows(chunk_rng(5, 1), 30, 147, 100))
    assert not np.array_equal(a, draw_rows(chunk_rng(6, 0), 30, 147, 100))
    assert a.shape == (147, 100) and a.min() >= 0 and a.max() < 30


def test_fewer_paths_are_a_prefix_of_more() -> None:
    few = draw_rows(chunk_rng(5, 0), 30, 20, 7, block=3)
    many = draw_rows(chunk_rng(5, 0), 30, 20, 50, block=3)
    assert np.array_equal(few, many[:, :7])


def test_iid_is_block_one() -> None:
    assert np.array_equal(
        draw_rows(chunk_rng(1, 0), 25, 147, 64), draw_rows(chunk_rng(1, 0), 25, 147, 64, block=1)
    )


@pytest.mark.parametrize("block", [2, 5, 25])
def test_blocks_are_consecutive_rows_wrapping_at_the_end(block: int) -> None:
    rows = draw_rows(chunk_rng(2, 0), 25, 147, 500, block=block).astype(np.int64)
    step = (rows[1:] - rows[:-1]) % 25
    inside = (np.arange(1, 147) % block) != 0  # day d+1 continues the block of day d
    assert (step[inside] == 1).all()
    assert (rows == 24).any() and (rows == 0).any()
    if block < 25:
        assert (step[~inside] != 1).any()  # a new block starts anywhere


def test_circular_blocks_use_every_row_equally() -> None:
    rows = draw_rows(chunk_rng(3, 0), 20, 140, 20_000, block=7)
    share = np.bincount(rows.ravel(), minlength=20) / rows.size
    assert np.allclose(share, 1 / 20, atol=0.002)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        draw_rows(chunk_rng(1, 0), 10, 5, 5, block=11)
    with pytest.raises(ValueError):
        draw_rows(chunk_rng(1, 0), 10, 0, 5)
