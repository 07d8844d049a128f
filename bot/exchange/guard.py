"""A TCP front door for QuickFIX's acceptor: logon timeout, message size cap, fd-safe accepts.

QuickFIX's acceptor gives every connection a thread and waits for its first message forever, and
its parser buffers whatever a peer sends until the declared BodyLength (or an "8=") arrives, so a
connection that never logs on is held forever and one that declares a huge body makes it buffer
without bound; its accept loop also ends for good on the first failed `accept()` (EMFILE).  The
bindings expose no setting for any of this, so the simulator puts this guard in front: it owns the
public port and relays every connection to QuickFIX on a loopback port, and it

- closes a connection whose first complete message is not a Logon within `logon_timeout_s`;
- follows the FIX framing of what the client sends (as QuickFIX's parser does) and closes the
  connection when a declared BodyLength, or the bytes of one unfinished message (garbage
  included), exceed `max_message_bytes`;
- survives a failed `accept()`: it logs, pauses the listener briefly and carries on.

One thread, non-blocking sockets and `selectors`; bytes are relayed as they arrive (no waiting for
whole messages), both legs with TCP_NODELAY.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from typing import cast

from bot.ops.logs import log_event

log = logging.getLogger("bot.exchange.guard")

RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
ACCEPT_PAUSE_S = 0.1
MAX_PENDING_BYTES = 8 << 20  # bytes waiting for a slow reader on one leg: then close
LOGON = b"\x0135=A\x01"


class FrameError(ValueError):
    """What the client sent breaks the framing rules; the connection is closed."""


class Framer:
    """Follows the FIX framing of one byte stream like QuickFIX's `Parser::readFixMessage`:
    garbage before "8=" is skipped, the message ends at the first "<SOH>10=...<SOH>" at or
    after the declared BodyLength."""

    __slots__ = ("buf", "max_bytes", "messages", "skipped")

    def __init__(self, max_bytes: int) -> None:
        self.buf = bytearray()
        self.max_bytes = max_bytes
        self.messages = 0
        self.skipped = 0  # garbage bytes since the last "8=" (QuickFIX keeps them buffered)

    def feed(self, data: bytes) -> None:
        """Consume `data`; raises FrameError when the stream breaks a rule."""
        buf = self.buf
        buf += data
        while True:
            start = buf.find(b"8=")
            if start < 0:
                self.skipped += len(buf) - 1
                del buf[:-1]
                if self.skipped > self.max_bytes:
                    raise FrameError(f"{self.skipped} bytes without a FIX message")
                return
            if start:
                del buf[:start]
            self.skipped = 0
            end = self._frame_end()
            if end is None:
                return
            if self.messages == 0 and LOGON not in buf[:end]:
                raise FrameError("the first message is not a Logon")
            self.messages += 1
            del buf[:end]

    def _frame_end(self) -> int | None:
        """Length of the complete message at the buffer's start, None while incomplete."""
        buf = self.buf
        first = buf.find(b"\x01")
        if first < 0:
            if len(buf) > 32:
                raise FrameError("no BeginString")
            return None
        if len(buf) < first + 3:
            return None
        if buf[first : first + 3] != b"\x019=":
            raise FrameError("BodyLength (9) must follow BeginString")
        second = buf.find(b"\x01", first + 3)
        if second < 0:
            if len(buf) - first > 12:
                raise FrameError("BodyLength is not a number")
            return None
        digits = bytes(buf[first + 3 : second])
        if not digits.isdigit() or len(digits) > 9:
            raise FrameError(f"BodyLength {digits[:12]!r} is not a number")
        length = int(digits)
        if length > self.max_bytes:
            raise FrameError(f"BodyLength {length} is above the {self.max_bytes} byte limit")
        body_end = second + 1 + length
        if len(buf) < body_end:
            return None
        trailer = buf.find(b"\x0110=", body_end - 1)
        if trailer < 0:
            if len(buf) - body_end > 32:
                raise FrameError("no CheckSum after the body")
            return None
        stop = buf.find(b"\x01", trailer + 4)
        if stop < 0:
            return None
        return stop + 1


@dataclass
class GuardStats:
    accepted: int = 0
    closed_logon_timeout: int = 0
    closed_framing: int = 0
    accept_errors: int = 0
    backend_errors: int = 0


class _Pair:
    """One client connection and its relay connection to QuickFIX."""

    __slots__ = ("backend", "client", "connected", "framer", "opened", "to_backend", "to_client")

    def __init__(self, client: socket.socket, backend: socket.socket, max_bytes: int) -> None:
        self.client = client
        self.backend = backend
        self.connected = False  # the non-blocking connect to QuickFIX has completed
        self.framer = Framer(max_bytes)
        self.opened = time.monotonic()
        self.to_backend = bytearray()
        self.to_client = bytearray()


class FixGuard:
    """`start()` listens on (host, port) and relays to 127.0.0.1:`backend_port`; `stop()`."""

    def __init__(
        self,
        host: str,
        port: int,
        backend_port: int,
        logon_timeout_s: float = 10.0,
        max_message_bytes: int = 64 * 1024,
    ) -> None:
        self.host = host
        self.port = port
        self.backend_port = backend_port  # may be changed while running (acceptor restart)
        self.logon_timeout_s = logon_timeout_s
        self.max_message_bytes = max_message_bytes
        self.stats = GuardStats()
        self._sel = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._pairs: dict[socket.socket, _Pair] = {}
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._paused_until = 0.0
        self._accept_failing = False
        self._wake_r, self._wake_w = socket.socketpair()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        self._listener = listener
        self._sel.register(listener, selectors.EVENT_READ, "listen")
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name="fix-guard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        for pair in list(self._pairs.values()):
            self._close(pair)
        if self._listener is not None:
            self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        self._sel.close()

    @property
    def connections(self) -> int:
        return len({id(p) for p in self._pairs.values()})

    # ------------------------------------------------------------------ loop

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                events = self._sel.select(timeout=0.25)
                for key, mask in events:
                    self._dispatch(key, mask)
                self._housekeeping()
            except Exception as exc:  # the guard must keep running whatever one socket does
                log_event(log, "fix_guard_error", logging.ERROR, error=repr(exc))

    def _dispatch(self, key: selectors.SelectorKey, mask: int) -> None:
        if key.data == "listen":
            self._accept()
        elif key.data == "wake":
            with contextlib.suppress(OSError):
                self._wake_r.recv(64)
        else:
            sock = cast(socket.socket, key.fileobj)
            pair = self._pairs.get(sock)
            if pair is None:
                return
            if mask & selectors.EVENT_WRITE:
                self._flush(pair, sock)
            if mask & selectors.EVENT_READ and sock in self._pairs:
                self._read(pair, sock)

    def _accept(self) -> None:
        listener = self._listener
        if listener is None:
            return
        while True:
            try:
                client, _ = listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                self.stats.accept_errors += 1
                if exc.errno in RESOURCE_ERRORS:  # out of descriptors: wait, keep listening
                    if not self._accept_failing:  # once per episode, not every retry
                        log_event(log, "fix_guard_accept_failed", logging.ERROR, error=repr(exc))
                    self._accept_failing = True
                    self._sel.unregister(listener)
                    self._paused_until = time.monotonic() + ACCEPT_PAUSE_S
                return
            if self._accept_failing:
                self._accept_failing = False
                log_event(log, "fix_guard_accept_recovered", logging.WARNING)
            self._open_pair(client)

    def _open_pair(self, client: socket.socket) -> None:
        try:
            backend = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as exc:
            self.stats.backend_errors += 1
            log_event(log, "fix_guard_backend_failed", logging.ERROR, error=repr(exc))
            client.close()
            return
        for sock in (client, backend):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
        code = backend.connect_ex(("127.0.0.1", self.backend_port))
        if code not in (0, errno.EINPROGRESS):
            self.stats.backend_errors += 1
            log_event(log, "fix_guard_backend_failed", logging.ERROR, error=errno.errorcode[code])
            client.close()
            backend.close()
            return
        self.stats.accepted += 1
        pair = _Pair(client, backend, self.max_message_bytes)
        self._pairs[client] = self._pairs[backend] = pair
        self._sel.register(client, selectors.EVENT_READ, "c")
        self._sel.register(backend, selectors.EVENT_READ | selectors.EVENT_WRITE, "b")

    def _read(self, pair: _Pair, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(pair)
            return
        if sock is pair.client:
            try:
                pair.framer.feed(data)
            except FrameError as exc:
                self.stats.closed_framing += 1
                log_event(log, "fix_guard_closed", logging.WARNING, reason=str(exc),
                          peer=_peer(pair.client))  # fmt: skip
                self._close(pair)
                return
            pair.to_backend += data
            self._flush(pair, pair.backend)
        else:
            pair.to_client += data
            self._flush(pair, pair.client)

    def _flush(self, pair: _Pair, dest: socket.socket) -> None:
        pending = pair.to_backend if dest is pair.backend else pair.to_client
        if dest is pair.backend and not pair.connected:
            error = dest.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                self.stats.backend_errors += 1
                self._close(pair)
                return
            try:
                dest.getpeername()
            except OSError:  # still connecting: keep the bytes, wait to be writable
                return
            pair.connected = True
        try:
            while pending:
                sent = dest.send(pending)
                del pending[:sent]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._close(pair)
            return
        if len(pending) > MAX_PENDING_BYTES:
            self._close(pair)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if pending else 0)
        with contextlib.suppress(KeyError, ValueError):
            self._sel.modify(dest, events, "b" if dest is pair.backend else "c")

    def _close(self, pair: _Pair) -> None:
        """Close both legs, after a last non-blocking try to pass on what is still held (a
        Logout just before the other side closed)."""
        for dest, pending in ((pair.client, pair.to_client), (pair.backend, pair.to_backend)):
            if pending:
                with contextlib.suppress(OSError):
                    dest.send(pending)
                pending.clear()
        for sock in (pair.client, pair.backend):
            if self._pairs.pop(sock, None) is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._sel.unregister(sock)
            sock.close()

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if self._paused_until and now >= self._paused_until and self._listener is not None:
            self._paused_until = 0.0
            self._sel.register(self._listener, selectors.EVENT_READ, "listen")
        deadline = now - self.logon_timeout_s
        for pair in {id(p): p for p in self._pairs.values()}.values():
            if pair.framer.messages == 0 and pair.opened < deadline:
                self.stats.closed_logon_timeout += 1
                log_event(log, "fix_guard_closed", logging.WARNING, reason="no logon in time",
                          peer=_peer(pair.client))  # fmt: skip
                self._close(pair)


def _peer(sock: socket.socket) -> str:
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "?"
    return f"{host}:{port}"
