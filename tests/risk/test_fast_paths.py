"""The risk engine's fast paths give the answers of the rules as written."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.risk.engine import RiskEngine
from tests.risk.conftest import NOW, make_engine

JUMPS = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.5"), places=5)


@given(
    jump=JUMPS,
    min_ticks=st.integers(0, 200),
    reference=st.integers(-50_000, 200_000),
    price=st.integers(-50_000, 200_000),
)
def test_near_in_integers_is_the_decimal_band(
    jump: Decimal, min_ticks: int, reference: int, price: int
) -> None:
    engine = make_engine(mark_jump=jump, mark_jump_min_ticks=min_ticks)
    band = max(abs(reference) * jump, Decimal(min_ticks))
    assert engine._near(reference, price) == (abs(price - reference) <= band)


@given(steps=st.lists(st.integers(-900, 900), min_size=1, max_size=30))
def test_marks_while_flat_act_and_log_as_the_full_evaluation(steps: list[int]) -> None:
    """Flat, nothing working: the evaluation's shortcut returns and logs what the full one
    does, through mark jumps, confirmations and their blocks."""
    engines: list[RiskEngine] = [make_engine(), make_engine()]
    engines[1].fast_paths = False
    price = 20_000
    for step in steps:
        price += step
        answers = [e.on_mark("MES", price, NOW) for e in engines]
        assert answers[0] == answers[1]
        assert [(v.event, dict(v.fields)) for v in engines[0].drain_events()] == [
            (v.event, dict(v.fields)) for v in engines[1].drain_events()
        ]
    assert engines[0].snapshot() == engines[1].snapshot()
    assert engines[0].state == engines[1].state
