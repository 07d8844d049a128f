"""A second, independent FIX implementation for tests: simplefix over a raw socket.

It knows nothing of QuickFIX, so the simulator is checked against the wire format itself.
"""

from __future__ import annotations

import contextlib
import socket
import time

import simplefix


class RawFixClient:
    def __init__(
        self,
        port: int,
        sender: str = "TOPSTEPQ",
        target: str = "SIMEXCH",
        begin: str = "FIX.4.4",
    ) -> None:
        self.port = port
        self.sender = sender
        self.target = target
        self.begin = begin
        self.seq = 1
        self.sock: socket.socket | None = None
        self.parser = simplefix.FixParser()
        self.received: list[simplefix.FixMessage] = []

    def connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def send_raw(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def send(self, msg_type: str, pairs: list[tuple[int, str]]) -> None:
        msg = simplefix.FixMessage()
        msg.append_pair(8, self.begin, header=True)
        msg.append_pair(35, msg_type, header=True)
        msg.append_pair(49, self.sender, header=True)
        msg.append_pair(56, self.target, header=True)
        msg.append_pair(34, self.seq, header=True)
        msg.append_utc_timestamp(52, precision=3, header=True)
        for tag, value in pairs:
            msg.append_pair(tag, value)
        self.seq += 1
        self.send_raw(msg.encode())

    def logon(self) -> simplefix.FixMessage:
        self.connect()
        self.send("A", [(98, "0"), (108, "30"), (141, "Y")])
        return self.expect("A")

    def _read(self, deadline: float) -> simplefix.FixMessage | None:
        assert self.sock is not None
        while True:
            msg = self.parser.get_message()
            if msg is not None:
                self._answer_admin(msg)
                return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not data:
                return None
            self.parser.append_buffer(data)

    def _answer_admin(self, msg: simplefix.FixMessage) -> None:
        if msg.get(35) == b"1":  # TestRequest -> Heartbeat
            self.send("0", [(112, msg.get(112).decode())])

    def expect(self, msg_type: str, timeout: float = 5.0) -> simplefix.FixMessage:
        """The next message of `msg_type` (others are kept in `received`)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            if msg is None:
                raise AssertionError(f"no {msg_type} within {timeout}s; got {self.types()}")
            self.received.append(msg)
            if msg.get(35).decode() == msg_type:
                return msg

    def drain(self, timeout: float = 0.3) -> list[simplefix.FixMessage]:
        out = []
        deadline = time.monotonic() + timeout
        while (msg := self._read(deadline)) is not None:
            self.received.append(msg)
            out.append(msg)
        return out

    def is_closed(self, timeout: float = 3.0) -> bool:
        """True when the peer closed the connection within `timeout`."""
        assert self.sock is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            except OSError:
                return True
            if not data:
                return True
        return False

    def types(self) -> list[str]:
        return [m.get(35).decode() for m in self.received]

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.send("5", [])
            self.sock.close()
            self.sock = None


def s(msg: simplefix.FixMessage, tag: int) -> str | None:
    value = msg.get(tag)
    return None if value is None else value.decode()
