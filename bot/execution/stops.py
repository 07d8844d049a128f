"""The protective stops of a net position, lot by lot.

Rule: take the stops of the sleeves' lots on the side of the net position, tightest first (the
sleeves on the other side offset the rest of them), and pair them, tightest first, with the
stops the risk engine approved for the account's lots; each venue stop is the tighter of the
pair.  So no venue stop is looser than what the risk engine measured: the loss if every lot runs
to its venue-held stop plus the gap never exceeds the approved worst case.  A sleeve may tighten
its stop freely; widening beyond the approved stop waits for the risk engine's replace check.
"""

from __future__ import annotations


def tighter(sign: int, a: int, b: int) -> int:
    """The stop nearer the market for a position of sign `sign` (+1 long: the higher one)."""
    return max(a, b) if sign > 0 else min(a, b)


def stop_schedule(
    sign: int, qty: int, sleeve_lots: list[tuple[int, int | None]], approved: list[int]
) -> list[tuple[int, int]]:
    """(trigger, lots) tightest first for `qty` contracts of a position of sign `sign`; fewer
    lots than `qty` when no stop is known for the rest."""
    key = (lambda s: -s) if sign > 0 else (lambda s: s)
    wanted = sorted((s for q, s in sleeve_lots if s is not None for _ in range(q)), key=key)
    limits = sorted(approved, key=key)
    per_lot: list[int] = []
    for i in range(qty):
        if i < len(wanted) and i < len(limits):
            per_lot.append(tighter(sign, wanted[i], limits[i]))
        elif i < len(wanted) or i < len(limits):
            per_lot.append(wanted[i] if i < len(wanted) else limits[i])
    schedule: list[tuple[int, int]] = []
    for trigger in per_lot:
        if schedule and schedule[-1][0] == trigger:
            schedule[-1] = (trigger, schedule[-1][1] + 1)
        else:
            schedule.append((trigger, 1))
    return schedule
