"""Which historical row each path trades on each day: IID or circular block bootstrap.

Every chunk of paths has its own PCG64 stream derived from (seed, chunk index), and a path's
draws are taken path-major, so results depend on the seed and the path count only, never on
the number of worker threads.  IID is the block bootstrap with blocks of one day: the same
seed gives `iid` and `block:1` identical paths.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RowIndex = npt.NDArray[np.integer]


def chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    """The stream of one chunk; independent of every other chunk's."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk_index,)))
    )


def _index_dtype(limit: int) -> type[np.signedinteger]:
    """The narrowest integer type for indices below `limit` (less memory per chunk)."""
    for dtype in (np.int16, np.int32):
        if limit <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def draw_rows(
    rng: np.random.Generator, n_rows: int, days: int, n_paths: int, block: int = 1
) -> RowIndex:
    """Row indices, shape (days, n_paths): each path is a sequence of blocks of `block`
    consecutive rows starting anywhere in the history and wrapping from the last row to the
    first (circular), so every row is equally likely on every day."""
    if n_rows < 1 or days < 1 or n_paths < 0 or not 1 <= block <= n_rows:
        raise ValueError("need rows >= 1, days >= 1, paths >= 0 and 1 <= block <= rows")
    n_blocks = -(-days // block)
    dtype = _index_dtype(n_rows + block)
    starts = rng.integers(0, n_rows, size=(n_paths, n_blocks), dtype=dtype)
    if block == 1:
        return np.ascontiguousarray(starts.T)
    day = np.arange(days)
    rows = starts.T[day // block] + (day % block).astype(dtype)[:, None]
    rows[rows >= n_rows] -= n_rows
    return rows
