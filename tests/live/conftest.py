"""Every bot a test starts is gone when the test ends, whatever the test did."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import helpers


@pytest.fixture(autouse=True)
def _no_bot_left() -> Iterator[None]:
    yield
    while helpers.STARTED:
        proc = helpers.STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
