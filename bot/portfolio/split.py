"""Integer splits that add up exactly: lots and cents are never lost or made up by rounding."""

from __future__ import annotations

from collections.abc import Sequence


def split_pro_rata(total: int, weights: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Split `total` (>= 0) over named non-negative weights, largest remainder first; ties go to
    the earlier name in sorted order, so the result is deterministic.  The parts sum to `total`
    (all to the first name when every weight is 0)."""
    names = sorted(weights)
    weight_sum = sum(w for _, w in names)
    if not names:
        return []
    if weight_sum <= 0:
        return [(names[0][0], total)] + [(n, 0) for n, _ in names[1:]]
    base = [(n, total * w // weight_sum, total * w % weight_sum) for n, w in names]
    left = total - sum(b for _, b, _ in base)
    order = sorted(range(len(base)), key=lambda i: (-base[i][2], base[i][0]))
    extra = set(order[:left])
    return [(n, b + (1 if i in extra else 0)) for i, (n, b, _) in enumerate(base)]
