"""The guard in front of QuickFIX's acceptor: connections that never log on time out, and a
peer cannot make the simulator buffer an unbounded message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import simplefix

from bot.exchange.acceptor import ExchangeServer, ListenerSettings, default_venue
from bot.exchange.guard import FrameError, Framer
from tests.exchange.rawfix import RawFixClient, s
from tests.venue import TODAY, exchange_config

LIMIT = 4096


@pytest.fixture
def guarded(port: int, tmp_path: Path) -> Iterator[ExchangeServer]:
    server = ExchangeServer(
        exchange_config(port, tmp_path / "exch"),
        default_venue(TODAY),
        listener=ListenerSettings(logon_timeout_s=0.5, max_message_bytes=LIMIT),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop(logout_wait_s=1.0)


def test_a_connection_that_never_logs_on_is_closed(guarded: ExchangeServer, port: int) -> None:
    silent = RawFixClient(port)
    silent.connect()
    assert silent.is_closed(timeout=3.0)
    assert guarded.guard is not None and guarded.guard.stats.closed_logon_timeout == 1
    client = RawFixClient(port)  # a client that logs on in time is not affected
    client.logon()
    client.close()


def test_a_huge_body_length_is_refused_before_and_after_logon(
    guarded: ExchangeServer, port: int
) -> None:
    before = RawFixClient(port)
    before.connect()
    before.send_raw(b"8=FIX.4.4\x019=999999999\x0135=A\x0149=TOPSTEPQ\x01" + b"x" * 1000)
    assert before.is_closed(timeout=1.0)
    after = RawFixClient(port)
    after.logon()
    after.send_raw(b"8=FIX.4.4\x019=50000000\x0135=D\x01" + b"y" * 1000)
    assert after.is_closed(timeout=1.0)
    garbage = RawFixClient(port)
    garbage.logon()
    garbage.send_raw(b"z" * (LIMIT + 100))  # no "8=": QuickFIX would keep all of it
    assert garbage.is_closed(timeout=1.0)
    assert guarded.guard is not None and guarded.guard.stats.closed_framing == 3


def test_the_first_message_must_be_a_logon(guarded: ExchangeServer, port: int) -> None:
    client = RawFixClient(port)
    client.connect()
    client.send("0", [])
    assert client.is_closed(timeout=1.0)


def test_sessions_work_through_the_guard(guarded: ExchangeServer, port: int) -> None:
    client = RawFixClient(port)
    client.logon()
    client.send("D", [(11, "G1"), (55, "MES"), (54, "1"), (60, "20261126-15:00:00.000"),
                      (38, "1"), (40, "2"), (44, "4990.00"), (59, "0")])  # fmt: skip
    assert s(client.expect("8"), 11) == "G1"
    client.close()


def _wire(msg_type: str, seq: int) -> bytes:
    msg = simplefix.FixMessage()
    msg.append_pair(8, "FIX.4.4", header=True)
    msg.append_pair(35, msg_type, header=True)
    msg.append_pair(34, seq, header=True)
    msg.append_pair(58, "x")
    return bytes(msg.encode())


def test_the_framer_follows_messages_split_and_joined_anyhow() -> None:
    framer = Framer(LIMIT)
    stream = b"junk" + _wire("A", 1) + _wire("0", 2) + b"\r\n" + _wire("D", 3)
    for i in range(0, len(stream), 7):
        framer.feed(stream[i : i + 7])
    assert framer.messages == 3 and not framer.buf
    with pytest.raises(FrameError, match="Logon"):
        Framer(LIMIT).feed(_wire("D", 1))
    with pytest.raises(FrameError, match="BodyLength"):
        Framer(LIMIT).feed(b"8=FIX.4.4\x019=abc\x01")
