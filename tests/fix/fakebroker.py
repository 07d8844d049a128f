"""A scripted counterparty on a raw socket (simplefix): a broker that speaks FIX 4.2-isms."""

from __future__ import annotations

import socket
import threading
import time

import simplefix


class FakeBroker:
    """Accepts one connection, answers the Logon, then sends what the test scripts."""

    def __init__(self, port: int, begin: str = "FIX.4.4") -> None:
        self.begin = begin
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(1)
        self.server.settimeout(10)
        self.conn: socket.socket | None = None
        self.parser = simplefix.FixParser()
        self.seq = 1
        self.received: list[simplefix.FixMessage] = []
        self.logged_on = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        try:
            self.conn, _ = self.server.accept()
        except OSError:
            return
        logon = self.expect("A")
        self.send("A", [(98, "0"), (108, logon.get(108).decode())])
        self.logged_on.set()

    def send(self, msg_type: str, pairs: list[tuple[int, str]]) -> None:
        assert self.conn is not None
        msg = simplefix.FixMessage()
        msg.append_pair(8, self.begin, header=True)
        msg.append_pair(35, msg_type, header=True)
        msg.append_pair(49, "SIMEXCH", header=True)
        msg.append_pair(56, "TOPSTEPQ", header=True)
        msg.append_pair(34, self.seq, header=True)
        msg.append_utc_timestamp(52, precision=3, header=True)
        for tag, value in pairs:
            msg.append_pair(tag, value)
        self.seq += 1
        self.conn.sendall(msg.encode())

    def expect(self, msg_type: str, timeout: float = 5.0) -> simplefix.FixMessage:
        assert self.conn is not None
        deadline = time.monotonic() + timeout
        while True:
            msg = self.parser.get_message()
            if msg is not None:
                self.received.append(msg)
                if msg.get(35).decode() == msg_type:
                    return msg
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"broker: no {msg_type}")
            self.conn.settimeout(remaining)
            try:
                data = self.conn.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise AssertionError("broker: connection closed")
            self.parser.append_buffer(data)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()
