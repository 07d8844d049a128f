"""The exchange simulator's FIX side: a QuickFIX ThreadedSocketAcceptor and one worker thread.

QuickFIX threads only copy text into a queue; a single worker thread owns the venue, so the
books need no locks, and every outgoing message is sent from that one thread.  The threaded
acceptor is used because `SocketAcceptor.stop()` has a use-after-free race (quickfix PR #740).

QuickFIX listens on a private loopback port behind `FixGuard` (logon timeout, message size cap),
which owns the public port.  A health thread probes QuickFIX's listener: its accept loop ends for
good on the first failed `accept()` (EMFILE), leaving the listening socket open but unserved; when
a probe goes unanswered the worker restarts the acceptor on a new private port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import quickfix as fix

from bot.exchange import fixcodec
from bot.exchange.faults import FaultPlan
from bot.exchange.guard import RESOURCE_ERRORS, FixGuard
from bot.exchange.reports import CancelReject, ExecReport, Report
from bot.exchange.venue import ContractKey, OrderRejected, Venue, VenueLimits
from bot.instruments.specs import MICROS
from bot.ops.logs import log_event
from fix.app import SafeApplication, session_id_from_text
from fix.build import add_groups, message, transact_time
from fix.settings import FixSessionConfig, acceptor_settings_text, ensure_dirs, session_settings
from fix.wire import FixFields, price_text

log = logging.getLogger("bot.exchange")

SUPPORTED = frozenset({"D", "F", "G", "H", "AF", "AN", "V"})
UNHEALTHY_PROBES = 3  # consecutive unanswered probes before the acceptor is restarted


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    """The guard in front of QuickFIX and the health check of QuickFIX's own listener."""

    logon_timeout_s: float = 10.0
    max_message_bytes: int = 64 * 1024
    health_interval_s: float = 2.0
    probe_timeout_s: float = 2.0  # generous: a false alarm costs every session a reconnect


def probe_listener(port: int, timeout: float) -> bool | None:
    """Is QuickFIX accepting on 127.0.0.1:`port`?  A message for no known session must make it
    close the connection; an unserved listener leaves it hanging.  None: cannot tell (this
    process has no descriptor to spare for the probe)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as exc:
        return None if exc.errno in RESOURCE_ERRORS else False
    with sock:
        body = "35=0\x0149=HEALTH\x0156=PROBE\x0134=1\x0152=20000101-00:00:00\x01"
        head = f"8=FIX.4.4\x019={len(body)}\x01{body}"
        checksum = sum(head.encode()) % 256
        try:
            sock.sendall(f"{head}10={checksum:03d}\x01".encode())
            sock.recv(1)  # b"" (closed) or any answer: someone is serving the port
        except TimeoutError:
            return False
        except OSError:
            return True
    return True


def close_listening_socket(port: int) -> int:
    """Close this process's listening TCP sockets on `port` (the one QuickFIX's ended accept
    loop leaves open); returns how many.  Linux (/proc)."""
    closed = 0
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            try:
                if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                    continue
                sock = socket.socket(fileno=fd)
            except OSError:
                continue
            try:
                listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
                mine = sock.family == socket.AF_INET and sock.getsockname()[1] == port
            except OSError:
                listening = mine = False
            if listening and mine:
                sock.close()
                closed += 1
            else:
                sock.detach()
    return closed


class MarketSource(Protocol):
    """Something that moves the market on the worker thread (synthetic flow or a replay)."""

    def next_due(self) -> float | None:
        """Monotonic time of the next step, or None when finished."""

    def step(self, venue: Venue, now: float) -> list[Report]:
        """Apply the events due by `now`; return reports owed to FIX owners."""

    def jump(self, ticks: int) -> None:
        """Move the price by `ticks` at once (fault injection)."""


class ExchangeApp(SafeApplication):
    """Engine-thread side: copy text to the worker's inbox, never block."""

    def __init__(self, inbox: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        super().__init__()
        self.inbox = inbox

    def on_logon(self, session: str) -> None:
        self.inbox.put(("logon", session))

    def on_logout(self, session: str) -> None:
        self.inbox.put(("logout", session))

    def on_from_app(self, raw: str, session: str) -> None:
        msg_type = raw.split("\x0135=", 1)[1].split("\x01", 1)[0] if "\x0135=" in raw else ""
        if msg_type not in SUPPORTED:
            raise fix.UnsupportedMessageType()
        self.inbox.put(("app", session, raw))


@dataclass(slots=True)
class Subscription:
    owner: str
    req_id: str
    key: ContractKey


@dataclass
class ExchangeStats:
    received: int = 0
    sent: int = 0
    dropped: int = 0
    errors: int = 0
    logons: int = 0
    sessions: set[str] = field(default_factory=set)


class ExchangeServer:
    """Owns the acceptor, the worker thread and the venue; `start()` then `stop()`."""

    def __init__(
        self,
        cfg: FixSessionConfig,
        venue: Venue,
        market: MarketSource | None = None,
        faults: FaultPlan | None = None,
        listener: ListenerSettings | None = None,
        monitor_comp_id: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.listener = listener or ListenerSettings(logon_timeout_s=cfg.logon_timeout_s)
        # a read-only drop-copy session (SenderCompID `monitor_comp_id`): it may ask for the
        # positions (AN) and working orders (AF) of any account, never trade
        self.monitor_comp_id = monitor_comp_id
        self.venue = venue
        self.market = market
        self.faults = faults or FaultPlan()
        self.stats = ExchangeStats()
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.app = ExchangeApp(self.inbox)
        self._subs: list[Subscription] = []
        self._sids: dict[str, Any] = {}
        # per session, messages held by the ack-delay fault, in order: (due, message, faults)
        self._outbox: dict[str, deque[tuple[float, Any, bool]]] = {}
        self._worker: threading.Thread | None = None
        self._acceptor: Any = None
        self.acceptor_port = 0  # QuickFIX's private loopback port, behind the guard
        self.acceptor_restarts = 0
        self.guard: FixGuard | None = None
        self._health: threading.Thread | None = None
        self._unhealthy = 0
        self._restart_queued = False
        self._stopping = threading.Event()
        self.logged_on: set[str] = set()
        self.market_ended = False  # the market source has no more data (TradingSessionStatus)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        ensure_dirs(self.cfg)
        self._start_acceptor()
        guard = FixGuard(
            self.cfg.host,
            self.cfg.port,
            self.acceptor_port,
            self.listener.logon_timeout_s,
            self.listener.max_message_bytes,
        )
        try:
            guard.start()
        except OSError:
            self._release_acceptor()
            raise
        self.guard = guard
        self._worker = threading.Thread(target=self._run, name="exchange-worker", daemon=True)
        self._worker.start()
        self._health = threading.Thread(target=self._watch, name="exchange-health", daemon=True)
        self._health.start()
        log_event(log, "exchange_listening", host=self.cfg.host, port=self.cfg.port,
                  acceptor_port=self.acceptor_port)  # fmt: skip

    def _start_acceptor(self, attempts: int = 5) -> None:
        """A new QuickFIX acceptor on a free private loopback port (retried if taken)."""
        for attempt in range(attempts):
            port = _free_port()
            private = self.cfg.model_copy(update={"host": "127.0.0.1", "port": port})
            text = acceptor_settings_text(private, ("FIX.4.2",))
            if self.monitor_comp_id:
                text += (
                    f"\n[SESSION]\nBeginString={self.cfg.begin_string}\n"
                    f"SenderCompID={self.cfg.sender_comp_id}\n"
                    f"TargetCompID={self.monitor_comp_id}\nDataDictionary={self.cfg.dictionary}\n"
                )
            settings = session_settings(text)
            store = fix.FileStoreFactory(settings)
            if self.cfg.file_log:
                acceptor = fix.ThreadedSocketAcceptor(
                    self.app, store, settings, fix.FileLogFactory(settings)
                )
            else:
                acceptor = fix.ThreadedSocketAcceptor(self.app, store, settings)
            try:
                acceptor.start()
            except RuntimeError:
                del acceptor  # its destructor unregisters the sessions before the next try
                if attempt == attempts - 1:
                    raise
                continue
            self._acceptor, self.acceptor_port = acceptor, port
            return

    def _release_acceptor(self) -> None:
        """Stop QuickFIX and drop the last reference, so its destructor unregisters the
        sessions now (before another acceptor registers the same ones)."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            acceptor.stop(True)
            del acceptor

    def _logout_all(self, reason: str, wait_s: float) -> None:
        """Log every session out and wait (bounded) until QuickFIX says they are off."""
        sessions = [fix.Session.lookupSession(self._sid(owner)) for owner in list(self.logged_on)]
        sessions = [s for s in sessions if s is not None]
        for session in sessions:
            session.logout(reason)
        deadline = time.monotonic() + wait_s
        while any(s.isLoggedOn() for s in sessions) and time.monotonic() < deadline:
            time.sleep(0.02)

    def _restart_acceptor(self) -> None:
        """Replace an acceptor whose listener stopped accepting (worker thread)."""
        old_port = self.acceptor_port
        log_event(log, "exchange_acceptor_restart", logging.ERROR, port=old_port,
                  sessions=sorted(self.logged_on))  # fmt: skip
        try:
            if self._acceptor is not None:
                self._logout_all("exchange restarting its listener", 1.0)
                self._release_acceptor()
            leaked = close_listening_socket(old_port)
            self._start_acceptor()  # may fail (no descriptor yet): the probes ask again
        finally:
            self._unhealthy = 0
            self._restart_queued = False
        if self.guard is not None:
            self.guard.backend_port = self.acceptor_port
        self.acceptor_restarts += 1
        log_event(log, "exchange_acceptor_restarted", logging.WARNING, port=self.acceptor_port,
                  closed_listeners=leaked)  # fmt: skip

    def _watch(self) -> None:
        """Probe QuickFIX's listener; queue a restart after repeated silence."""
        settings = self.listener
        while not self._stopping.wait(settings.health_interval_s):
            if self._restart_queued:
                continue
            healthy = probe_listener(self.acceptor_port, settings.probe_timeout_s)
            if healthy is None or healthy:
                self._unhealthy = 0
                continue
            self._unhealthy += 1
            log_event(log, "exchange_listener_unhealthy", logging.WARNING,
                      port=self.acceptor_port, probes=self._unhealthy)  # fmt: skip
            if self._unhealthy >= UNHEALTHY_PROBES:
                self._restart_queued = True
                self.inbox.put(("restart_acceptor",))

    def stop(self, logout_wait_s: float = 2.0) -> None:
        """Log every session out, then stop without QuickFIX's 10 s logout wait."""
        if self._worker is None or self._stopping.is_set():
            return
        self._logout_all("exchange shutting down", logout_wait_s)
        self._stopping.set()
        self.inbox.put(("stop",))
        if self._worker is not None:
            self._worker.join(timeout=5)
        if self._health is not None:
            self._health.join(timeout=5)
        self._release_acceptor()
        if self.guard is not None:
            self.guard.stop()
            self.guard = None
        if self.venue.journal is not None:
            self.venue.journal.close()
        log_event(log, "exchange_stopped", **self._stat_fields())

    def _stat_fields(self) -> dict[str, int]:
        s = self.stats
        return {"received": s.received, "sent": s.sent, "dropped": s.dropped, "errors": s.errors}

    def control(self, action: Callable[[ExchangeServer], None]) -> None:
        """Run `action(server)` on the worker thread (the fault-injection control interface)."""
        self.inbox.put(("control", action))

    def move_market(self, symbol: str, ticks: int) -> None:
        """On the worker (from `control`): move `symbol`'s front month `ticks` through the book
        (`Venue.sweep`); the fills are reported and the market data published as for any order."""
        self._send_reports(self.venue.sweep(self.venue.contract(symbol), ticks))
        self._publish_market_data()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until the worker has processed everything queued so far (tests)."""
        done = threading.Event()
        self.control(lambda _server: done.set())
        return done.wait(timeout)

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        while not self._stopping.is_set():
            timeout = self._next_timeout()
            try:
                item = self.inbox.get(timeout=timeout)
            except queue.Empty:
                item = None
            try:
                if item is not None:
                    if item[0] == "stop":
                        break
                    self._handle(item)
                self._tick()
                self.venue.checkpoint()
            except Exception as exc:  # bad input never stops the simulator
                self.stats.errors += 1
                log_event(log, "exchange_error", logging.ERROR, error=repr(exc))

    def _next_timeout(self) -> float:
        now = time.monotonic()
        due = [0.5]
        due += [held[0][0] - now for held in self._outbox.values()]
        if self.market is not None:
            nxt = self.market.next_due()
            if nxt is not None:
                due.append(nxt - now)
        return max(0.0, min(due))

    def _tick(self) -> None:
        now = time.monotonic()
        if self.market is not None and not self.market_ended and self.market.next_due() is None:
            self.market_ended = True  # a replay reached its end: tell every subscriber once
            log_event(log, "exchange_market_ended")
            for owner in sorted({s.owner for s in self._subs}):
                self._send(owner, _session_closed(), count_faults=False)
        if self.market is not None:
            if self.faults.jump_ticks:
                self.market.jump(self.faults.jump_ticks)
                self.faults.jump_ticks = 0
            nxt = self.market.next_due()
            if nxt is not None and nxt <= now:
                self._send_reports(self.market.step(self.venue, now))
                self._publish_market_data()
        for owner, held in list(self._outbox.items()):
            while held and held[0][0] <= now:
                _, msg, count_faults = held.popleft()
                self._deliver(owner, msg, count_faults)
            if not held:
                del self._outbox[owner]

    def _handle(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "app":
            self.stats.received += 1
            self._on_app(item[1], FixFields.parse(item[2]))
            self._publish_market_data()
        elif kind == "logon":
            self.logged_on.add(item[1])
            self.stats.logons += 1
            self.stats.sessions.add(item[1])
            log_event(log, "exchange_logon", session=item[1])
        elif kind == "logout":
            self.logged_on.discard(item[1])
            self._subs = [s for s in self._subs if s.owner != item[1]]
            log_event(log, "exchange_logout", session=item[1])
        elif kind == "control":
            item[1](self)
            self._publish_market_data()
        elif kind == "restart_acceptor":
            self._restart_acceptor()

    def _is_monitor(self, owner: str) -> bool:
        return bool(self.monitor_comp_id) and owner.endswith(f"->{self.monitor_comp_id}")

    def _on_monitor(self, owner: str, f: FixFields) -> None:
        """The read-only session: positions of any account, working orders of every trader."""
        if f.msg_type == "AN":
            self._positions(owner, f)
        elif f.msg_type == "AF":
            req_id = f.require(584)
            traders = sorted(s for s in self.stats.sessions if not self._is_monitor(s))
            reports = [r for t in traders for r in self.venue.mass_status(t, req_id)]
            if not reports:
                self._mass_status(owner, req_id)
            for report in reports:
                if isinstance(report, ExecReport):
                    self._send(owner, fixcodec.execution_report(report))
        else:
            log_event(log, "exchange_monitor_refused", logging.WARNING, session=owner,
                      msg_type=f.msg_type)  # fmt: skip

    def _on_app(self, owner: str, f: FixFields) -> None:
        """Answer one request; one that cannot be processed still gets an answer (a reject)."""
        try:
            self._dispatch(owner, f)
        except Exception as exc:
            self.stats.errors += 1
            log_event(log, "exchange_request_failed", logging.ERROR, session=owner,
                      msg_type=f.msg_type, error=repr(exc))  # fmt: skip
            self._send(owner, fixcodec.failure_reply(owner, f, f"cannot process: {exc!r}"))

    def _dispatch(self, owner: str, f: FixFields) -> None:
        msg_type = f.msg_type
        venue = self.venue
        if self._is_monitor(owner):
            self._on_monitor(owner, f)
            return
        if msg_type == "D":
            try:
                req = fixcodec.new_order_from_fix(owner, f)
            except OrderRejected as exc:
                venue.claim_cl_ord_id(owner, f.require(11))
                self._send(owner, fixcodec.reject_for_bad_enum(owner, f, exc))
                return
            if self.faults.take_reject():
                venue.claim_cl_ord_id(owner, req.cl_ord_id)
                self._send(
                    owner,
                    fixcodec.reject_for_bad_enum(
                        owner, f, OrderRejected(99, "rejected by fault injection")
                    ),
                )
                return
            self._send_reports(venue.new_order(req))
        elif msg_type == "F":
            self._send_reports(venue.cancel(owner, f.require(11), f.require(41)))
        elif msg_type == "G":
            self._send_reports(
                venue.replace(
                    owner, f.require(11), f.require(41), f.get(38) or "0", f.get(44), f.get(99),
                    fixcodec.replace_terms_from_fix(f),
                )
            )  # fmt: skip
        elif msg_type == "H":
            self._send_reports(venue.status(owner, f.require(11)))
        elif msg_type == "AF":
            self._mass_status(owner, f.require(584))
        elif msg_type == "AN":
            self._positions(owner, f)
        elif msg_type == "V":
            self._market_data_request(owner, f)

    # ------------------------------------------------------------------ answers

    def _mass_status(self, owner: str, req_id: str) -> None:
        reports = self.venue.mass_status(owner, req_id)
        if reports:
            self._send_reports(reports)
            return
        self._send(
            owner,
            message(
                "8",
                [
                    (37, "NONE"), (11, "NONE"), (17, f"MS-{req_id}"), (150, "I"), (39, "8"),
                    (55, "NONE"), (54, "1"), (151, "0"), (14, "0"), (6, "0"),
                    (584, req_id), (911, "0"), (912, "Y"), (58, "no working orders"),
                    transact_time(),
                ],
            ),
        )  # fmt: skip

    def _positions(self, owner: str, f: FixFields) -> None:
        req_id = f.require(710)
        account = f.get(1) or self.venue.positions.default_account
        positions = self.venue.positions.open_positions(account)
        business_date = self.venue.today.strftime("%Y%m%d")
        if not positions:
            self._send(
                owner,
                message(
                    "AO",
                    [
                        (721, f"AO-{req_id}"), (710, req_id), (727, "0"), (728, "2"),
                        (729, "0"), (1, account), (581, "1"), (58, "no positions"),
                    ],
                ),
            )  # fmt: skip
            return
        for i, pos in enumerate(positions):
            key = (pos.symbol, pos.maturity)
            tick = self.venue.instruments[pos.symbol].tick_size
            last = self.venue.engine(key).last_trade or 0
            settle = price_text(last, tick)
            msg = message(
                "AP",
                [
                    (721, f"AP-{req_id}-{i}"), (710, req_id), (724, "0"),
                    (727, str(len(positions))), (728, "0"), (715, business_date),
                    (1, pos.account), (581, "1"),
                    (55, pos.symbol), (200, pos.maturity), (730, settle), (731, "1"), (734, settle),
                ],
            )  # fmt: skip
            add_groups(
                msg, 702, 703, [[(703, "TQ"), (704, str(pos.long_qty)), (705, str(pos.short_qty))]]
            )
            self._send(owner, msg)

    def _market_data_request(self, owner: str, f: FixFields) -> None:
        req_id = f.require(262)
        if f.get(263) == "2":
            self._subs = [s for s in self._subs if not (s.owner == owner and s.req_id == req_id)]
            return
        symbols = f.groups(146, 55)
        for entry in symbols or [{55: f.get(55) or ""}]:
            symbol = entry.get(55, "")
            try:
                key = self.venue.contract(symbol, entry.get(200))
            except OrderRejected as exc:
                self._send(owner, fixcodec.md_reject(req_id, exc.text))
                continue
            self._publish_market_data()  # flush pending changes so the snapshot is current
            tick = self.venue.instruments[key[0]].tick_size
            snap = fixcodec.snapshot(req_id, key[0], key[1], self.venue.snapshot(key), tick)
            self._send(owner, snap)
            if f.get(263, "1") == "1":
                self._subs.append(Subscription(owner, req_id, key))
            if self.market_ended:
                self._send(owner, _session_closed(), count_faults=False)

    def _publish_market_data(self) -> None:
        changes = self.venue.drain_market_data()
        if not changes or not self._subs:
            return
        for sub in self._subs:
            entries = changes.get(sub.key)
            if entries:
                tick = self.venue.instruments[sub.key[0]].tick_size
                msg = fixcodec.incremental(sub.req_id, sub.key[0], sub.key[1], entries, tick)
                self._send(sub.owner, msg, count_faults=False)

    # ------------------------------------------------------------------ sending

    def _send_reports(self, reports: list[Report]) -> None:
        for report in reports:
            if isinstance(report, ExecReport):
                self._send(report.owner, fixcodec.execution_report(report))
            elif isinstance(report, CancelReject):
                self._send(report.owner, fixcodec.cancel_reject(report))

    def _sid(self, owner: str) -> Any:
        sid = self._sids.get(owner)
        if sid is None:
            sid = self._sids[owner] = session_id_from_text(owner)
        return sid

    def _send(self, owner: str, msg: Any, count_faults: bool = True) -> None:
        """Send to one session, after journalling the venue's state changes (a report never
        leaves before the state it reports is on disk).  The ack-delay fault holds messages in
        a per-session queue: a delay never reorders a session's messages (market data waits
        behind held reports too)."""
        self.venue.checkpoint()
        held = self._outbox.get(owner)
        delay = self.faults.ack_delay_s if count_faults else 0.0
        if delay <= 0 and not held:
            self._deliver(owner, msg, count_faults)
            return
        due = time.monotonic() + delay
        if held:
            due = max(due, held[-1][0])
        else:
            held = self._outbox[owner] = deque()
        held.append((due, msg, count_faults))

    def _deliver(self, owner: str, msg: Any, count_faults: bool = True) -> None:
        sid = self._sid(owner)
        if count_faults and self.faults.take_drop():
            self._store_without_sending(sid, msg)
        else:
            try:
                fix.Session.sendToTarget(msg, sid)
                self.stats.sent += 1
            except fix.SessionNotFound:
                self.stats.dropped += 1
                return
        if count_faults and self.faults.count_disconnect():
            session = fix.Session.lookupSession(sid)
            if session is not None:
                log_event(log, "exchange_fault_disconnect", session=owner)
                session.disconnect()

    def _store_without_sending(self, sid: Any, msg: Any) -> None:
        """Lose `msg` on the wire but keep it in the store: cut the connection, then send.

        QuickFIX persists a message sent while the session is down and does not transmit it;
        on the next logon the counterparty sees the sequence gap, asks for a resend and gets
        the stored copy with PossDupFlag=Y.  (The bindings expose no usable MessageStore, so
        the message cannot be stored without a disconnect.)
        """
        session = fix.Session.lookupSession(sid)
        if session is not None and session.isLoggedOn():
            session.disconnect()
        try:
            fix.Session.sendToTarget(msg, sid)
        except fix.SessionNotFound:
            return
        self.stats.dropped += 1
        log_event(log, "exchange_fault_drop", session=str(sid.toString()))


def _session_closed() -> Any:
    """TradingSessionStatus (h): the session is closed (the replayed data has ended)."""
    return message("h", [(336, "1"), (340, "3"), (58, "market data ended")])


def default_venue(
    today: date | None = None, state_dir: Path | None = None, limits: VenueLimits | None = None
) -> Venue:
    """MES, MNQ and the other micros from the instrument table; with `state_dir`, the books
    are restored from and journalled to it."""
    venue = Venue(MICROS, today or date.today(), limits=limits)
    if state_dir is not None:
        restored = venue.open_state(state_dir)
        log_event(log, "exchange_state_restored", directory=str(state_dir), orders=restored,
                  positions=len(venue.positions.open_positions()))  # fmt: skip
    return venue


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
