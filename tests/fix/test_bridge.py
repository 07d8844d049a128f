"""The thread -> loop bridge: every event arrives once, in order, with few wake-ups."""

from __future__ import annotations

import asyncio
import threading

import pytest

from fix import bridge
from fix.bridge import Changed, LoopBridge


def test_events_from_threads_arrive_once_in_order_and_share_wakeups() -> None:
    got: list[tuple[int, int]] = []
    batches: list[int] = []

    async def main() -> LoopBridge[tuple[int, int]]:
        loop = asyncio.get_running_loop()
        box: LoopBridge[tuple[int, int]] = LoopBridge(
            loop, got.append, lambda: batches.append(len(got))
        )

        def producer(n: int) -> None:
            for i in range(2_000):
                box.post((n, i))

        threads = [threading.Thread(target=producer, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        while len(got) < 6_000:
            await asyncio.sleep(0.005)
        for thread in threads:
            thread.join()
        await asyncio.sleep(0.01)
        return box

    box = asyncio.run(main())
    assert len(got) == 6_000 and len(set(got)) == 6_000
    for n in range(3):
        assert [i for m, i in got if m == n] == list(range(2_000))
    assert box.wakeups < 6_000  # one wake-up served several events
    assert batches[-1] == 6_000 and box.dropped == 0


def test_a_burst_is_handed_over_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge, "MAX_BATCH", 10)
    sizes: list[int] = []
    got: list[int] = []

    async def main() -> None:
        box: LoopBridge[int] = LoopBridge(
            asyncio.get_running_loop(), got.append, lambda: sizes.append(len(got))
        )
        for i in range(35):
            box.post(i)
        for _ in range(10):
            await asyncio.sleep(0)

    asyncio.run(main())
    assert got == list(range(35))
    assert sizes == [10, 20, 30, 35]


def test_a_closed_loop_drops_and_counts() -> None:
    loop = asyncio.new_event_loop()
    box: LoopBridge[int] = LoopBridge(loop, lambda _i: None)
    loop.close()
    box.post(1)
    box.post(2)
    assert box.dropped == 2


def test_changed_wakes_waiters_and_times_out() -> None:
    async def main() -> None:
        changed = Changed()
        state = {"x": 0}
        waiter = asyncio.create_task(changed.wait_for(lambda: state["x"] == 2, 5.0))
        await asyncio.sleep(0)
        state["x"] = 1
        changed.notify()
        await asyncio.sleep(0)
        assert not waiter.done()  # woken, re-checked, waits again
        state["x"] = 2
        changed.notify()
        await asyncio.wait_for(waiter, 1.0)
        with pytest.raises(TimeoutError):
            await changed.wait_for(lambda: False, 0.05)
        await changed.wait_for(lambda: True, 0.0)  # already true: no wait at all

    asyncio.run(main())
