"""The bot's FIX gateway: a QuickFIX initiator driven from asyncio.

QuickFIX calls back on its own threads; `GatewayApp` copies each message to text and posts it
to the loop (`LoopBridge`), never blocking.  All state (orders, books, reports) lives on the loop
thread.  Sending from the loop thread is safe: `sendToTarget` takes the session lock and runs
`toApp` inline.  `stop()` logs out first and then stops with `force`, in an executor, because
QuickFIX's own stop waits up to 10 s for a logout and must never run on the loop or a callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import quickfix as fix

from bot.config import Settings
from bot.instruments.specs import MICROS
from bot.ops.logs import log_event
from fix import messages
from fix.app import SafeApplication
from fix.bridge import Changed, LoopBridge
from fix.clordid import ClOrdIdSource
from fix.mdbook import LevelBook
from fix.orders import (
    PENDING,
    OrderRequest,
    OrderState,
    OrderTracker,
    OrderUpdate,
    TrackedOrder,
)
from fix.settings import (
    FixSessionConfig,
    ensure_dirs,
    gateway_config_from_settings,
    initiator_settings_text,
    session_settings,
)
from fix.wire import FixFields

log = logging.getLogger("fix.gateway")

DEFAULT_TICKS: Mapping[str, Decimal] = {"MES": Decimal("0.25"), "MNQ": Decimal("0.25")}


def snap_to_grid(price: Decimal | None, tick: Decimal) -> Decimal | None:
    """A price on the tick grid: float noise (a C++ double's last digits) is snapped away; a
    price really between two ticks is a caller's bug and raises ValueError."""
    if price is None:
        return None
    ticks = (price / tick).to_integral_value(rounding=ROUND_HALF_EVEN)
    snapped = ticks * tick
    if abs(snapped - price) > tick * Decimal("1e-6"):
        raise ValueError(f"price {price} is not on the {tick} tick grid")
    return snapped


def _stop_and_release(holder: list[Any]) -> None:
    """Stop the initiator and drop the last reference here, so its C++ destructor runs now.

    The destructor unregisters the session from QuickFIX's global registry; if it ran later
    (whenever the garbage collector got to it) it could unregister a newer session with the
    same id, and that session's engine thread would crash on a null lookup.
    """
    initiator = holder.pop()
    initiator.stop(True)
    del initiator


SPIN_WINDOW_S = 0.05  # poll drive: spin this long after activity, then poll every interval
# Failed logon windows in a row after which the initiator is replaced: QuickFIX's initiator can
# get stuck for good (a connect that fails to create its socket, e.g. EMFILE, leaves the session
# "pending" on an invalid socket that nothing ever retries).
REBUILD_AFTER_FAILURES = 3


class NotConnected(Exception):
    """The session is not logged on; nothing was sent."""


@dataclass(frozen=True, slots=True)
class Inbound:
    kind: str  # "logon" | "logout" | "app" | "admin"
    session: str
    raw: str = ""
    received_ns: int = 0


@dataclass
class GatewayStats:
    logons: int = 0
    logouts: int = 0
    app_in: int = 0
    session_rejects: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    unknown_state: int = 0
    business_rejects: int = 0
    resends_suppressed: int = 0
    initiator_restarts: int = 0
    last_inbound: float = 0.0


class GatewayApp(SafeApplication):
    """Engine-thread side of the gateway: copy, post, return."""

    def __init__(
        self, cfg: FixSessionConfig, bridge: LoopBridge[Inbound], resend_max_age_s: float
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.bridge = bridge
        self.resend_max_age_s = resend_max_age_s
        self.stats = GatewayStats()

    def on_logon(self, session: str) -> None:
        self.bridge.post(Inbound("logon", session))

    def on_logout(self, session: str) -> None:
        self.bridge.post(Inbound("logout", session))

    def on_from_app(self, raw: str, session: str) -> None:
        self.stats.last_inbound = time.monotonic()
        self.bridge.post(Inbound("app", session, raw, time.perf_counter_ns()))

    def on_from_admin(self, raw: str, session: str) -> None:
        self.stats.last_inbound = time.monotonic()
        if "\x0135=3\x01" in raw or "\x0135=5\x01" in raw:
            self.bridge.post(Inbound("admin", session, raw))

    def on_to_admin(self, message: Any, session: str) -> None:
        header = message.getHeader()
        if header.getField(35) == "A" and self.cfg.username:
            message.setField(fix.StringField(553, self.cfg.username))
            password = self.cfg.password.get_secret_value()
            if password:
                message.setField(fix.StringField(554, password))

    def on_to_app(self, message: Any, session: str) -> None:
        """Refuse to resend a stale order: QuickFIX gap-fills it and a status request settles it."""
        header = message.getHeader()
        if not (header.isSetField(43) and header.getField(43) == "Y"):
            return
        if header.getField(35) not in ("D", "G") or not message.isSetField(60):
            return
        sent = datetime.strptime(message.getField(60)[:17], "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
        if (datetime.now(UTC) - sent).total_seconds() > self.resend_max_age_s:
            self.stats.resends_suppressed += 1
            raise fix.DoNotSend()


@dataclass
class PositionRow:
    account: str
    symbol: str
    maturity: str
    long_qty: int
    short_qty: int


@dataclass
class Reconciliation:
    """What the venue said on the last logon (the input of reconciliation)."""

    mass_status_req_id: str = ""
    working: list[FixFields] = field(default_factory=list)
    mass_status_done: bool = False
    # orders the tracker held as working when the request went out: any the answer does not
    # list are not working at the venue (the answer is the truth), and are asked how they ended
    expected: list[TrackedOrder] = field(default_factory=list)
    positions_req_id: str = ""
    positions: list[PositionRow] = field(default_factory=list)
    positions_done: bool = False


class FixGateway:
    """Async order entry, order states, logon reconciliation requests and market data."""

    def __init__(
        self,
        cfg: FixSessionConfig,
        *,
        account: str = "SIM",
        tick_sizes: Mapping[str, Decimal] = DEFAULT_TICKS,
        resend_max_age_s: float = 5.0,
        business_day: Callable[[], date] | None = None,
        drive: Literal["thread", "poll"] = "thread",
        poll_interval_s: float = 0.0,
    ) -> None:
        self.cfg = cfg
        self.account = account
        self.tick_sizes = dict(tick_sizes)
        self.resend_max_age_s = resend_max_age_s
        self.business_day = business_day or (lambda: datetime.now(UTC).date())
        self.fix42 = cfg.begin_string == "FIX.4.2"
        # "thread" (default): QuickFIX's engine thread.  "poll": the loop calls
        # `Initiator.poll()` (adaptive spin); `bench fix-rtt` measures it ~1.8x faster at p50,
        # but QuickFIX connects with a blocking socket and blocking DNS, so while reconnecting
        # to a remote broker the poll drive can stall the whole loop for the TCP connect
        # timeout: the thread drive stays the default for the bot.
        self.drive = drive
        self.poll_interval_s = poll_interval_s
        self._poller: asyncio.Task[None] | None = None
        self._last_activity = 0.0
        self._supervisor: asyncio.Task[None] | None = None
        self.reconnect_delays: list[float] = []  # every backoff delay used, for operators/tests
        self.tracker = OrderTracker(self.tick_sizes)
        self.books: dict[str, LevelBook] = {}
        self.reconciliation = Reconciliation()
        self.updates: asyncio.Queue[OrderUpdate] = asyncio.Queue()
        self.session_rejects: list[FixFields] = []
        self.md_rejects: list[FixFields] = []
        self._md_req: dict[str, tuple[str, str | None]] = {}  # MDReqID -> (symbol, maturity)
        self._md_by_symbol: dict[str, str] = {}
        self._ids = ClOrdIdSource(cfg.state_dir / "fix" / "clordid.run")
        self._req_seq = 0
        self._logged_on = False
        self._initiator: Any = None
        self._running = False
        self._app: GatewayApp | None = None
        self._bridge: LoopBridge[Inbound] | None = None
        self._changed: Changed | None = None
        self._sid: Any = None
        self.rtt_samples_ns: list[int] = []
        self._sent_ns: dict[str, int] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._changed = Changed()
        self._bridge = LoopBridge(loop, self._on_inbound, self._changed.notify)
        self._app = GatewayApp(self.cfg, self._bridge, self.resend_max_age_s)
        ensure_dirs(self.cfg)
        self._sid = fix.SessionID(
            self.cfg.begin_string, self.cfg.sender_comp_id, self.cfg.target_comp_id
        )
        if fix.Session.doesSessionExist(self._sid):
            # QuickFIX keeps one global registry: a second live session with this id would be
            # unregistered by the first one's destructor, and the engine then crashes.
            raise RuntimeError(f"FIX session {self._sid.toString()} already exists in-process")
        self._initiator = self._new_initiator()
        self._running = True
        self._supervisor = asyncio.create_task(self._reconnect_backoff(), name="fix-backoff")
        if self.drive == "poll":
            self._poller = asyncio.create_task(self._poll_loop(), name="fix-gateway-poll")
        else:
            await loop.run_in_executor(None, self._initiator.start)
        log_event(log, "fix_gateway_started", host=self.cfg.host, port=self.cfg.port,
                  begin_string=self.cfg.begin_string)  # fmt: skip

    def _new_initiator(self) -> Any:
        settings = session_settings(initiator_settings_text(self.cfg))
        store = fix.FileStoreFactory(settings)
        if self.cfg.file_log:
            return fix.SocketInitiator(self._app, store, settings, fix.FileLogFactory(settings))
        return fix.SocketInitiator(self._app, store, settings)

    async def _rebuild_initiator(self) -> None:
        """Replace the initiator (stopped and released first: QuickFIX's session registry is
        global).  A failure (say, no descriptor for the store yet) is logged; the backoff loop
        tries again later."""
        loop = asyncio.get_running_loop()
        self.stats.initiator_restarts += 1
        log_event(log, "fix_initiator_restart", logging.WARNING,
                  restarts=self.stats.initiator_restarts)  # fmt: skip
        if self._initiator is not None:
            holder, self._initiator = [self._initiator], None
            await asyncio.shield(loop.run_in_executor(None, _stop_and_release, holder))
        try:
            initiator = self._new_initiator()
            if self.drive != "poll":
                await loop.run_in_executor(None, initiator.start)
        except Exception as exc:  # QuickFIX reports its errors as RuntimeError/ConfigError
            log_event(log, "fix_initiator_restart_failed", logging.ERROR, error=repr(exc))
            return
        self._initiator = initiator

    async def stop(self, logout_wait_s: float = 2.0) -> None:
        """Log out (bounded wait), then stop the initiator off the loop thread."""
        if not self._running:
            return
        self._running = False
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        session = fix.Session.lookupSession(self._sid)
        if session is not None and self._logged_on:
            session.logout("bot stopping")
            with contextlib.suppress(TimeoutError):
                await self.wait_for(lambda: not self._logged_on, logout_wait_s)
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._initiator is not None:
            holder, self._initiator = [self._initiator], None
            await asyncio.get_running_loop().run_in_executor(None, _stop_and_release, holder)
        log_event(log, "fix_gateway_stopped")

    async def _reconnect_backoff(self) -> None:
        """Reconnect with exponential backoff (QuickFIX alone retries at a fixed interval).

        While disconnected the session is disabled, so QuickFIX makes no attempt; after each
        delay it is enabled for one logon window; a failed window doubles the delay (jittered,
        capped at `reconnect_max_s`); a logon resets it.
        """
        base, cap = float(self.cfg.reconnect_s), float(self.cfg.reconnect_max_s)
        delay = base
        rng = random.Random()  # nosec B311  (jitter, not security)
        while True:
            await self.wait_for(lambda: self._logged_on, 1e9)
            await self.wait_for(lambda: not self._logged_on, 1e9)
            delay = base
            failures = 0
            while not self._logged_on:
                if failures >= REBUILD_AFTER_FAILURES:
                    failures = 0
                    await self._rebuild_initiator()
                session = fix.Session.lookupSession(self._sid)
                if session is None:  # no initiator (a rebuild failed): wait, then try again
                    failures = REBUILD_AFTER_FAILURES
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, cap)
                    continue
                if session.isLoggedOn() or session.sentLogon():  # QuickFIX got there first
                    with contextlib.suppress(TimeoutError):
                        await self.wait_for(lambda: self._logged_on, self.cfg.logon_timeout_s)
                    continue
                session.logout("reconnect backoff")  # disables the automatic retries
                pause = delay * (0.8 + 0.4 * rng.random())
                self.reconnect_delays.append(round(pause, 3))
                log_event(log, "fix_reconnect_wait", seconds=round(pause, 3))
                await self._notify()
                await asyncio.sleep(pause)
                session.logon()  # enabled: QuickFIX connects on its next (1 s) tick
                with contextlib.suppress(TimeoutError):
                    await self.wait_for(lambda: self._logged_on, 1.5)
                if not self._logged_on and session.sentLogon():  # a handshake in progress
                    with contextlib.suppress(TimeoutError):
                        await self.wait_for(lambda: self._logged_on, self.cfg.logon_timeout_s)
                delay = min(delay * 2, cap)
                failures += 0 if self._logged_on else 1

    async def _notify(self) -> None:
        """Wake `wait_for` callers after a change that did not come from an inbound message."""
        if self._changed is not None:
            self._changed.notify()

    async def _poll_loop(self) -> None:
        """Drive the initiator from the loop thread: one non-blocking poll per iteration.

        Adaptive: spin (yield to other tasks only) for `SPIN_WINDOW_S` after any send or
        inbound message, so a reply is picked up within microseconds; otherwise poll every
        `poll_interval_s`, so an idle session costs little CPU.
        """
        while self._running:
            if self._initiator is not None:
                self._initiator.poll()
            idle = time.monotonic() - self._last_activity > SPIN_WINDOW_S
            await asyncio.sleep(self.poll_interval_s if idle else 0)

    @property
    def logged_on(self) -> bool:
        return self._logged_on

    @property
    def stats(self) -> GatewayStats:
        if self._app is None:
            raise RuntimeError("gateway not started")
        return self._app.stats

    async def wait_logged_on(self, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: self._logged_on, timeout)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait until `predicate()` holds after some inbound event; TimeoutError otherwise."""
        if self._changed is None:
            raise RuntimeError("gateway not started")
        await self._changed.wait_for(predicate, timeout)

    # ------------------------------------------------------------------ sending

    def _send(self, msg: Any) -> bool:
        self._last_activity = time.monotonic()
        if not self._logged_on:
            raise NotConnected(f"{self.cfg.sender_comp_id}->{self.cfg.target_comp_id}")
        try:
            return bool(fix.Session.sendToTarget(msg, self._sid))
        except fix.SessionNotFound:
            return False

    def _next_req_id(self, prefix: str) -> str:
        self._req_seq += 1
        return f"{prefix}-{self._ids.run}-{self._req_seq}"

    async def new_order(
        self, req: OrderRequest, wait: bool = True, timeout: float = 5.0
    ) -> TrackedOrder:
        """Send a NewOrderSingle; with `wait`, return after the venue's first answer.

        A timeout leaves the order pending (never failed): the next logon asks for its status.
        """
        if not self._logged_on:  # refuse before tracking: nothing is ever half-sent
            raise NotConnected("not logged on")
        req = self._on_grid(req)
        cl_ord_id = self._ids.next()
        order = self.tracker.add(cl_ord_id, req)
        self._sent_ns[cl_ord_id] = time.perf_counter_ns()
        self._send(messages.new_order_single(cl_ord_id, req, self.account, self.fix42))
        if wait:
            with contextlib.suppress(TimeoutError):
                await self.wait_for(lambda: order.state not in PENDING, timeout)
        return order

    async def cancel(self, order: TrackedOrder, wait: bool = True, timeout: float = 5.0) -> None:
        if not self._logged_on:
            raise NotConnected("not logged on")
        cl_ord_id = self._ids.next()
        self.tracker.begin_change(order, cl_ord_id, cancel=True)
        self._send(messages.cancel_request(cl_ord_id, order))
        if wait:
            with contextlib.suppress(TimeoutError):
                await self.wait_for(lambda: order.pending_cl_ord_id is None, timeout)

    async def replace(
        self,
        order: TrackedOrder,
        qty: int,
        price: Decimal | None = None,
        stop_px: Decimal | None = None,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> None:
        if not self._logged_on:
            raise NotConnected("not logged on")
        tick = self.tick_sizes.get(order.request.symbol)
        if tick is not None:
            price = snap_to_grid(price, tick)
            stop_px = snap_to_grid(stop_px, tick)
        cl_ord_id = self._ids.next()
        msg = messages.replace_request(
            cl_ord_id, order, qty, price if price is not None else order.price,
            stop_px if stop_px is not None else order.stop_px, self.fix42,
        )  # fmt: skip
        self.tracker.begin_change(order, cl_ord_id, cancel=False)
        self._send(msg)
        if wait:
            with contextlib.suppress(TimeoutError):
                await self.wait_for(lambda: order.pending_cl_ord_id is None, timeout)

    def _on_grid(self, req: OrderRequest) -> OrderRequest:
        tick = self.tick_sizes.get(req.symbol)
        if tick is None:
            return req
        price, stop_px = snap_to_grid(req.price, tick), snap_to_grid(req.stop_px, tick)
        if price == req.price and stop_px == req.stop_px:
            return req  # already on the grid (the live adapter's prices always are): no copy
        return dataclasses.replace(req, price=price, stop_px=stop_px)

    def request_status(self, order: TrackedOrder) -> None:
        """Send an OrderStatusRequest (H) by ClOrdID; the answer updates the order."""
        self._send(messages.status_request(order))

    async def status(self, order: TrackedOrder, timeout: float = 5.0) -> TrackedOrder:
        """Ask the venue for the order's state and wait for the answer (or the timeout)."""
        seen = self.tracker.reports_applied
        self.request_status(order)
        with contextlib.suppress(TimeoutError):
            await self.wait_for(
                lambda: self.tracker.reports_applied > seen or order.status_unknown, timeout
            )
        return order

    def subscribe(self, symbol: str, maturity: str | None = None) -> LevelBook:
        """Subscribe to bids, offers and trades; the returned book updates in place."""
        tick = self.tick_sizes.get(symbol, Decimal("0.25"))
        book = self.books.setdefault(symbol, LevelBook(symbol, tick))
        req_id = self._next_req_id("MD")
        self._md_req[req_id] = (symbol, maturity)
        self._md_by_symbol[symbol] = req_id
        self._send(messages.market_data_request(req_id, symbol, maturity, True))
        return book

    def _resubscribe(self, symbol: str) -> None:
        old = self._md_by_symbol.get(symbol)
        maturity = self._md_req[old][1] if old in self._md_req else None
        if old is not None:
            self._md_req.pop(old, None)
            with contextlib.suppress(NotConnected):
                self._send(messages.market_data_request(old, symbol, maturity, False))
        with contextlib.suppress(NotConnected):
            self.subscribe(symbol, maturity)

    # ------------------------------------------------------------------ inbound

    def _on_inbound(self, item: Inbound) -> None:
        """Loop thread, straight from the bridge (waiters are woken once per batch)."""
        self._last_activity = time.monotonic()
        try:
            self._handle(item)
        except Exception as exc:  # one bad message never stops the gateway
            log_event(log, "fix_gateway_error", logging.ERROR, error=repr(exc))

    def _handle(self, item: Inbound) -> None:
        if item.kind == "logon":
            self._on_logon()
        elif item.kind == "logout":
            self._logged_on = False
            self.stats.logouts += 1
            for book in self.books.values():
                book.invalidate("disconnected")
            log_event(log, "fix_logout", session=item.session)
        elif item.kind == "admin":
            f = FixFields.parse(item.raw)
            if f.msg_type == "3":
                self.stats.session_rejects += 1
                self.session_rejects.append(f)
                log_event(log, "fix_session_reject", logging.WARNING, ref_seq=f.get(45),
                          ref_tag=f.get(371), reason=f.get(373), text=f.get(58))  # fmt: skip
        else:
            self.stats.app_in += 1
            self._on_app(FixFields.parse(item.raw), item.received_ns)

    def _on_logon(self) -> None:
        self._logged_on = True
        self.stats.logons += 1
        log_event(log, "fix_logon", session=str(self._sid.toString()))
        for order in self.tracker.working():
            if order.state in PENDING or self.fix42:  # 4.2 has no AF: ask order by order
                self.request_status(order)  # never assume: ask the venue by ClOrdID
        if not self.fix42:
            self.reconciliation = Reconciliation(
                mass_status_req_id=self._next_req_id("MS"),
                positions_req_id=self._next_req_id("POS"),
                expected=self.tracker.working(),
            )
            self._send(messages.mass_status_request(self.reconciliation.mass_status_req_id))
            self._send(
                messages.request_for_positions(
                    self.reconciliation.positions_req_id, self.account, self.business_day()
                )
            )
        for symbol in list(self._md_by_symbol):
            self._resubscribe(symbol)

    def _on_app(self, f: FixFields, received_ns: int) -> None:
        kind = f.msg_type
        if kind == "8":
            self._on_execution_report(f, received_ns)
        elif kind == "9":
            update = self.tracker.apply_cancel_reject(f)
            if update is not None:
                self._publish(update, f)
        elif kind == "j":
            self._on_business_reject(f)
        elif kind in ("W", "X"):
            self._on_market_data(f)
        elif kind == "Y":
            self.md_rejects.append(f)
            req = self._md_req.get(f.get(262) or "")
            if req is not None and req[0] in self.books:
                self.books[req[0]].invalidate(f"rejected: {f.get(58)}")
        elif kind == "AP":
            self._on_position(f)
        elif kind == "AO" and f.get(710) == self.reconciliation.positions_req_id:
            self.reconciliation.positions_done = True

    def _on_execution_report(self, f: FixFields, received_ns: int) -> None:
        rec = self.reconciliation
        mass_id = f.get(584)
        mass_done = False
        if mass_id and mass_id == rec.mass_status_req_id and not rec.mass_status_done:
            if f.get(37) != "NONE":
                rec.working.append(f)
            mass_done = f.get(912) == "Y" or f.get(911) == "0"
        clid = f.get(11) or ""
        sent = self._sent_ns.pop(clid, None)
        if sent is not None:
            self.rtt_samples_ns.append(received_ns - sent)
        update = self.tracker.apply_execution_report(f)
        if update is not None:
            if update.duplicate:
                self.stats.duplicates += 1
            else:
                self._publish(update, f)
        elif f.get(150) in ("F", "1", "2", "G", "H"):
            self._unplaced(f)
        if mass_done:
            rec.mass_status_done = True
            self._settle_mass_status(rec)

    def _publish(self, update: OrderUpdate, f: FixFields) -> None:
        """Queue an update for the user; log what the tracker could not place or took late."""
        if update.out_of_order:
            self.stats.out_of_order += 1
            log_event(log, "fix_out_of_order_report", logging.WARNING,
                      cl_ord_id=update.order.cl_ord_id, state=str(update.order.state),
                      exec_type=f.get(150), ord_status=f.get(39), exec_id=f.get(17))  # fmt: skip
        if update.unknown:
            self.stats.unknown_state += 1
            log_event(log, "fix_unknown_state", logging.WARNING, cl_ord_id=update.order.cl_ord_id,
                      order_id=update.order.order_id, reason=update.unknown,
                      exec_id=f.get(17))  # fmt: skip
        self.updates.put_nowait(update)

    def _unplaced(self, f: FixFields) -> None:
        """A trade report the tracker could not even adopt: logged and counted, never silent."""
        self.stats.unknown_state += 1
        log_event(log, "fix_unknown_state", logging.ERROR, reason="unplaceable trade report",
                  report=repr(f))  # fmt: skip

    def _settle_mass_status(self, rec: Reconciliation) -> None:
        """The mass-status answer is the truth about which orders work: any order the tracker
        held as working that it does not list has ended at the venue; ask each how."""
        listed: set[str] = set()
        for report in rec.working:
            listed.update(v for v in (report.get(11), report.get(41), report.get(37)) if v)
        for order in rec.expected:
            if order.is_terminal or order.state is OrderState.PENDING_NEW:
                continue  # pending orders were already asked about by ClOrdID at logon
            ids = {*order.history, order.order_id or ""}
            if order.pending_cl_ord_id:
                ids.add(order.pending_cl_ord_id)
            if ids & listed:
                continue
            self._publish(
                self.tracker.mark_not_working(order, "not in the venue's mass-status answer"),
                FixFields([]),
            )
            with contextlib.suppress(NotConnected):
                self.request_status(order)

    def _on_business_reject(self, f: FixFields) -> None:
        """BusinessMessageReject (j): the venue could not process a request at all."""
        self.stats.business_rejects += 1
        log_event(log, "fix_business_reject", logging.WARNING, ref_msg_type=f.get(372),
                  ref_id=f.get(379), reason=f.get(380), text=f.get(58))  # fmt: skip
        self.session_rejects.append(f)

    def _on_position(self, f: FixFields) -> None:
        rec = self.reconciliation
        if f.get(710) != rec.positions_req_id:
            return
        long_qty = short_qty = 0
        for entry in f.groups(702, 703):
            long_qty += int(Decimal(entry.get(704) or "0"))
            short_qty += int(Decimal(entry.get(705) or "0"))
        rec.positions.append(
            PositionRow(f.get(1) or "", f.get(55) or "", f.get(200) or "", long_qty, short_qty)
        )
        total = int(f.get(727) or "1")
        if len(rec.positions) >= total:
            rec.positions_done = True

    def _on_market_data(self, f: FixFields) -> None:
        if f.msg_type == "W":
            symbol = f.get(55) or ""
            book = self.books.get(symbol)
            if book is not None and f.get(262) == self._md_by_symbol.get(symbol):
                book.apply_snapshot(f)
            return
        touched: dict[str, LevelBook] = {}
        for entry in f.groups(268, 279):
            symbol = entry.get(55) or ""
            book = self.books.get(symbol)
            if book is None or not book.valid:
                continue
            touched[symbol] = book
            if not book.apply_entry(entry):
                self._book_invalid(symbol, book)
        for symbol, book in touched.items():
            if book.valid and not book.end_of_message():
                self._book_invalid(symbol, book)

    def _book_invalid(self, symbol: str, book: LevelBook) -> None:
        log_event(log, "md_book_invalid", logging.WARNING, symbol=symbol,
                  reason=book.invalid_reason)  # fmt: skip
        self._resubscribe(symbol)


def gateway_from_settings(settings: Settings) -> FixGateway:
    """The bot's gateway as configured: session (FIX_*), credentials, account, resend limit, and
    tick sizes from the instrument table."""
    ticks = {symbol: spec.tick_size for symbol, spec in MICROS.items()}
    return FixGateway(
        gateway_config_from_settings(settings),
        account=settings.fix_account,
        tick_sizes=ticks,
        resend_max_age_s=settings.fix_resend_max_age_s,
    )
