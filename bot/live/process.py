"""`topstep-quant run`: the live trading process.

One uvloop process drives THE SAME `TradingKernel` as the backtester: market data from the FIX
gateway -> kernel -> commands -> `FixExecutionClient` -> FIX; execution reports -> model events ->
kernel.  Events are handled one at a time, in arrival order, on the loop thread (a command's
immediate refusal is queued behind the event being handled, never handled inside it).

Startup: journal -> (sim: the simulator child) -> logon -> the venue's working orders (AF) and
positions (AN) -> reconciliation (an order or position this run does not own is cancelled or
flattened and the venue asked again until it is flat; the journal's risk snapshot brings back
the day's baseline, P&L and halts) -> kernel start -> READY=1.

Shutdown (SIGTERM/SIGINT, `--duration`, the end of the replay): new risk blocked, every order
but the protective stops cancelled, flatten, wait until the venue's own position report says
flat, then cancel the stops, log out, STOPPING=1, exit 0.  Bounded by `SHUTDOWN_TIMEOUT_S`; if
flat cannot be confirmed the stops stay at the broker and the exit status is 3.  A second signal
exits at once (status 130), stops left in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.app.factory import build_kernel_from_config, core_parts
from bot.config import Settings
from bot.engine.kernel import TradingKernel
from bot.live.adapter import DryRunClient, FixExecutionClient, LiveGateway, run_now
from bot.live.bars import BarBuilder
from bot.live.clock import MarketClock, WallClock, market_start_ns, regular_day
from bot.live.fix42 import ask_each, missed_fill, open_orders
from bot.live.journal import Journal, JournalError
from bot.live.metrics import Metrics
from bot.live.notify import Notifier
from bot.live.simchild import SimChild, SimSpec
from bot.model.commands import Command, SubmitOrder
from bot.model.events import BookDelta, Event, MarketDataStatus, OrderFilled, TradeEvent
from bot.model.ids import OrderIdFactory
from bot.model.side import Side
from bot.model.units import to_datetime
from bot.ops.logs import log_event
from bot.risk.engine import RiskEvent
from bot.rules.account import AccountState, is_payout_eligible, max_payout_cents
from fix.gateway import NotConnected
from fix.orders import OrderRequest
from fix.settings import gateway_config_from_settings

log = logging.getLogger("bot.live")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_FLAT = 3
EXIT_SECOND_SIGNAL = 130
STALE_DATA_S = 10.0  # wall seconds without market data (trading hours) that block new risk
LOOP_LAG_BOUND_S = 1.0
MAX_EVENTS_PER_TURN = 1_000  # events handled before the loop gets a turn


@dataclass
class RunOptions:
    mode: str = "sim"
    replay: Path | None = None
    synthetic: bool = False
    seed: int = 1
    speed: float = 1.0
    duration_s: float | None = None
    market_day: date | None = None
    market_time: dtime = dtime(8, 30)
    sleeves_path: Path | None = None
    sleeve_names: list[str] | None = None
    flatten_only: bool = False  # `topstep-quant flatten`
    bar_seconds: int = 60


@dataclass
class Summary:
    reason: str = ""
    flat_confirmed: bool = False
    orders: int = 0
    fills: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    risk_events: dict[str, int] = field(default_factory=dict)
    sleeve_pnl_cents: dict[str, int] = field(default_factory=dict)
    day_net_cents: int = 0
    reconciled: list[str] = field(default_factory=list)
    direct_flatten_cents: int | None = None  # the shutdown's flatten outside the kernel
    flat_by: str = "its position report"  # FIX 4.2 has none: the books and the fills
    rss_start_kb: int = 0
    rss_end_kb: int = 0


def rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class LiveProcess:
    def __init__(self, settings: Settings, options: RunOptions) -> None:
        self.settings = settings
        self.opts = options
        self.parts = core_parts(settings)
        self.journal = Journal.in_dir(settings.state_dir, sync=settings.journal_sync)
        self.notifier = Notifier()
        self.metrics = Metrics()
        self.summary = Summary(rss_start_kb=rss_kb())
        if settings.fix_begin_string == "FIX.4.2":
            self.summary.flat_by = "the books and the orders' fills: FIX 4.2 has no position report"
        self.child: SimChild | None = None
        self.clock: MarketClock | WallClock = WallClock()
        self.gateway: LiveGateway | None = None
        self.client: FixExecutionClient | DryRunClient | None = None
        self.kernel: TradingKernel | None = None
        self.bars: BarBuilder | None = None
        self._kernel_muted = False  # the shutdown took over: the kernel's commands are not sent
        # the account after the last trading day whose end was applied (the journal's
        # "account"), and that day: a stop mid-day closes the kernel's books provisionally,
        # which must not reach the journal as the account
        self._account: AccountState | None = None
        self._account_day: str | None = None
        self._account_written: AccountState | None = None
        self._events: deque[Event] = deque()
        self._draining = False
        self._cause_ns = 0  # perf_counter_ns of the market data being handled (tick-to-trade)
        self._stop = asyncio.Event()
        self._stop_reason = ""
        self._signals = 0
        self._timer: asyncio.TimerHandle | None = None
        self._md_wall: dict[str, float] = {}
        self._md_seen = False
        self._stale: set[str] = set()
        self.tick_to_trade_ns: list[int] = []
        self._reconcile_fills: list[tuple[str, Side, int, Decimal]] = []
        self._held_logs: list[tuple[str, Mapping[str, Any]]] = []

    # ================================================================= entry

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        from fix.signals import STOP_SIGNALS

        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig.name)
        try:
            return await self._run()
        finally:
            await self._teardown()

    def _on_signal(self, name: str) -> None:
        self._signals += 1
        if self._signals > 1:
            log_event(log, "live.second_signal_exit", logging.WARNING, signal=name)
            self._journal("process.exit", {"status": EXIT_SECOND_SIGNAL, "why": "second signal"})
            self.notifier.stopping("second signal: exiting at once, broker stops left working")
            if self.child is not None:
                self.child.stop(1.0)
            os._exit(EXIT_SECOND_SIGNAL)
        self.request_stop(f"{name} received")

    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            log_event(log, "live.stop_requested", reason=reason)
            self._stop.set()

    async def _run(self) -> int:
        settings, opts = self.settings, self.opts
        self._journal("process.start", {"mode": opts.mode, "pid": os.getpid(),
                                         "flatten_only": opts.flatten_only})  # fmt: skip
        if settings.metrics_port:
            try:
                self.metrics.serve(settings.metrics_port)
            except OSError as exc:
                if opts.mode != "sim":  # an appliance without its metrics is not started
                    raise RuntimeError(f"METRICS_PORT={settings.metrics_port}: {exc}") from None
                print(f"warning: no metrics: METRICS_PORT={settings.metrics_port}: {exc}",
                      file=sys.stderr)  # fmt: skip
        host, port = settings.fix_host, settings.fix_port
        if opts.mode == "sim":
            day = opts.market_day or regular_day(self.parts.schedule, date.today())
            self.clock = MarketClock(market_start_ns(day, opts.market_time), opts.speed)
            log_event(log, "live.market_clock", day=day.isoformat(),
                      start=opts.market_time.isoformat(), speed=opts.speed)  # fmt: skip
            if not _explicit(settings, "fix_port"):
                self.notifier.status("starting the exchange simulator")
                self.child = SimChild(
                    SimSpec(
                        settings.state_dir / "sim",
                        seed=opts.seed,
                        replay=None if opts.synthetic else opts.replay,
                        speed=opts.speed,
                        market_day=day.isoformat(),
                    )
                )
                port = await asyncio.get_running_loop().run_in_executor(None, self.child.start)
                host = "127.0.0.1"
                log_event(log, "live.simulator_started", port=port,
                          market="synthetic" if opts.synthetic or opts.replay is None
                          else str(opts.replay))  # fmt: skip
        cfg = gateway_config_from_settings(settings, host=host, port=port)
        ticks = {s: i.tick_size for s, i in self.parts.instruments.items()}
        clock = self.clock
        gateway = self.gateway = LiveGateway(
            cfg,
            account=settings.fix_account,
            tick_sizes=ticks,
            resend_max_age_s=settings.fix_resend_max_age_s,
            business_day=lambda: self.parts.schedule.day_of_ns(clock.now_ns()),
        )
        gateway.clock = clock
        self.notifier.status(f"logging on to {host}:{port}")
        await gateway.start()
        try:
            await gateway.wait_for(
                lambda: gateway.logged_on or self._stop.is_set(), settings.fix_logon_timeout_s * 2
            )
        except TimeoutError:
            raise RuntimeError(f"no FIX logon to {host}:{port} within "
                               f"{settings.fix_logon_timeout_s * 2} s") from None  # fmt: skip
        if self._stop.is_set():
            self.summary.reason = self._stop_reason
            return EXIT_OK
        self.metrics.fix_up.set(1)
        await self._wait_reconciliation()
        self.notifier.status("reconciling with the venue")
        if opts.mode == "dry-run":  # observe only: the account is someone else's to manage
            self._journal("reconcile.report", {"venue_positions": gateway.venue_positions(),
                                               "dry_run": True})  # fmt: skip
        else:
            await self._reconcile_venue()
        if opts.flatten_only:
            flat = await self._confirm_flat()
            self.summary.flat_confirmed = flat
            self.summary.reason = "flatten command"
            await self._cancel_everything()
            self._write_status("stopped")
            return EXIT_OK if flat else EXIT_NOT_FLAT
        self._build_kernel()
        self._journal_state()
        self.notifier.ready(f"trading ({opts.mode}), logged on to {host}:{port}")
        self._journal("process.ready", {"host": host, "port": port})
        tasks = [
            asyncio.create_task(self._pump_updates(), name="live-updates"),
            asyncio.create_task(self._health_loop(), name="live-health"),
        ]
        if opts.duration_s is not None:
            asyncio.get_running_loop().call_later(
                opts.duration_s, self.request_stop, f"--duration {opts.duration_s:g} s passed"
            )
        await self._stop.wait()
        self.summary.reason = self._stop_reason
        status = await self._shutdown()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return status

    # ================================================================= kernel wiring

    def _build_kernel(self) -> None:
        settings, opts = self.settings, self.opts
        gateway = self._gw()
        account = self._restored_account()
        ids = OrderIdFactory(f"L{gateway._ids.run}")
        kernel = self.kernel = build_kernel_from_config(
            settings,
            self.clock,
            opts.sleeves_path,
            opts.sleeve_names,
            ids,
            account=account,
            log_sink=self._kernel_log,
            risk_sink=self._risk_event,
        )
        snapshot = self.journal.get("risk")
        restored_day: date | None = None
        if snapshot is not None:
            try:
                kernel.risk.restore(snapshot)
                day = (snapshot.get("day") or {}).get("day")  # checked by `restore`
                restored_day = date.fromisoformat(day) if day else None
                log_event(log, "live.risk_restored", state=snapshot.get("state"),
                          day=(snapshot.get("day") or {}).get("day"))  # fmt: skip
                self._apply_reconcile_fills(kernel)
                self._clear_settled_blocks(kernel)
            except ValueError as exc:
                restored_day = None
                log_event(log, "live.risk_snapshot_refused", logging.ERROR, error=str(exc))
                kernel.risk.block("journal", f"risk snapshot refused: {exc}", self._now_dt())
        self._account = kernel.account
        self._account_day = self._closed_day()
        if opts.mode == "dry-run":
            self.client = DryRunClient(self.clock, self.deliver, self._journal)
        else:
            self.client = FixExecutionClient(
                gateway, self.parts.instruments, self.clock, self.deliver, self._journal
            )
        self.client.on_sent = self._on_sent
        self.bars = BarBuilder(opts.bar_seconds * 1_000_000_000)
        gateway.market_sink = self._on_market
        symbols = sorted({s for sleeve in kernel.sleeves for s in sleeve.symbols})
        for symbol in symbols:
            gateway.subscribe(symbol)
        if restored_day is not None and not self._day_applied(restored_day):
            # the journal's day: resumed, or (over while the process was down) closed first
            self._send(kernel.resume(restored_day, self._journal_low(restored_day)))
        else:
            self._send(kernel.start())
        self._arm_timer()

    def _closed_day(self) -> str | None:
        data = self.journal.get("account_day")
        day = data.get("day") if isinstance(data, dict) else None
        return day if isinstance(day, str) else None

    def _day_applied(self, day: date) -> bool:
        """Was the end of trading day `day` already applied to the journal's account?"""
        return self._account_day is not None and self._account_day >= day.isoformat()

    def _journal_low(self, day: date) -> int:
        """The lowest net P&L journalled for `day` (0 when none was recorded)."""
        data = self.journal.get("day")
        if not isinstance(data, dict) or data.get("day") != day.isoformat():
            return 0
        low = data.get("low_cents")
        return low if isinstance(low, int) and not isinstance(low, bool) else 0

    def _journal_day(self) -> None:
        """The day in progress and its low, for a restart that finds the day over."""
        found = self.kernel.day_low() if self.kernel is not None else None
        if found is not None:
            with contextlib.suppress(JournalError):
                self.journal.put("day", {"day": found[0].isoformat(), "low_cents": found[1]})

    def _gw(self) -> LiveGateway:
        if self.gateway is None:
            raise RuntimeError("the FIX gateway is not started")
        return self.gateway

    def _kern(self) -> TradingKernel:
        if self.kernel is None:
            raise RuntimeError("the kernel is not built")
        return self.kernel

    def _apply_reconcile_fills(self, kernel: TradingKernel) -> None:
        """The fills of the startup flatten count in the day restored from the journal (its
        P&L and fees); then the venue is flat, and so are the books."""
        if kernel.risk.snapshot()["day"] is None:
            return
        self._count_direct_fills(kernel, self._reconcile_fills, "reconcile")
        kernel.risk.drain_events()

    def _count_direct_fills(
        self, kernel: TradingKernel, fills: list[tuple[str, Side, int, Decimal]], tag: str
    ) -> None:
        """Fills of flatten orders sent outside the kernel (startup reconciliation, the
        shutdown's direct flatten) count in the risk engine's day: its P&L and fees.  The
        venue was flattened by them, so any position the books still hold afterwards was
        never at the venue: it is dropped, with a `reconcile.mismatch` in the journal."""
        risk = kernel.risk
        now = self._now_dt()
        for n, (symbol, side, qty, price) in enumerate(fills, 1):
            instrument = self.parts.instruments.get(symbol)
            if instrument is None:
                continue
            risk.on_fill(f"{tag}-{n}", qty, instrument.to_ticks(price), now,
                         symbol=symbol, side=side)  # fmt: skip
        risk.unblock("unknown_fill", now)
        left = {s: p.qty for s, p in risk.positions.items() if p.qty}
        if left:  # the journal's books and the venue's disagreed: the venue is the truth
            self._journal("reconcile.mismatch", {"books_positions_left": left, "after": tag})
            log_event(log, "live.reconcile_mismatch", logging.WARNING, positions=left, after=tag)
            risk.positions = {}

    def _clear_settled_blocks(self, kernel: TradingKernel) -> None:
        """The snapshot's blocks belonged to the previous run (its shutdown, its feed, its
        stops, its unexplained fills); reconciliation has since made the venue flat with
        nothing working, so they are settled.  Halts are states, not blocks: they stay."""
        risk = kernel.risk
        cleared = sorted(risk.blocks)
        now = self._now_dt()
        for key in cleared:
            risk.unblock(key, now)
        if cleared:
            self._journal("reconcile.blocks_cleared", {"keys": cleared})
            log_event(log, "live.blocks_cleared", keys=cleared)

    def _now_dt(self) -> Any:
        return to_datetime(self.clock.now_ns())

    def deliver(self, event: Event) -> None:
        """Every event for the kernel goes through here: handled in arrival order."""
        self._events.append(event)
        self._drain()

    def _drain(self) -> None:
        if self._draining or not self._events:
            return
        self._draining = True
        kernel = self._kern()
        handled = 0
        self.journal.begin()  # the rows written while handling commit after the sends
        try:
            while self._events:
                handled += 1
                if handled > MAX_EVENTS_PER_TURN:  # never starve the loop (FIX, signals)
                    asyncio.get_running_loop().call_soon(self._continue)
                    break
                ev = self._events.popleft()
                try:
                    commands = kernel.handle(ev)
                except Exception as exc:  # a kernel bug: fail closed, never trade blind
                    log_event(log, "live.kernel_error", logging.ERROR, error=repr(exc),
                              during=type(ev).__name__)  # fmt: skip
                    self.request_stop(f"kernel error: {type(exc).__name__}: {exc}")
                    continue
                self._send(commands)
                if isinstance(ev, OrderFilled):
                    self._on_fill_done(ev)
        finally:
            self._draining = False
            self._commit_journal()
        self._arm_timer()

    def _continue(self) -> None:
        self._drain()

    def _send(self, commands: list[Command]) -> None:
        client = self.client
        if client is None or self._kernel_muted:
            return
        now = self.clock.now_ns()
        for command in commands:
            client.send(command, now)

    def _on_sent(self, command: Command) -> None:
        if self._cause_ns:  # the first order message (new, cancel or replace) per market data
            took = time.perf_counter_ns() - self._cause_ns
            self._cause_ns = 0
            self.tick_to_trade_ns.append(took)
            self.metrics.tick_to_trade.observe(took / 1e9)
            if len(self.tick_to_trade_ns) > 100_000:
                del self.tick_to_trade_ns[:50_000]
        if isinstance(command, SubmitOrder):
            self.metrics.orders.labels(result="sent").inc()

    def _on_market(self, events: list[Event]) -> None:
        gateway = self.gateway
        self._md_seen = True
        wall = time.monotonic()
        for ev in events:
            if isinstance(ev, BookDelta | TradeEvent):
                symbol = ev.symbol if isinstance(ev, BookDelta) else ev.trade.symbol
                self._md_wall[symbol] = wall
                if symbol in self._stale:
                    self._stale.discard(symbol)
                    self.deliver(MarketDataStatus(self.clock.now_ns(), symbol, True))
        # when QuickFIX handed the message over (engine thread), for tick-to-trade
        self._cause_ns = (gateway.md_received_ns if gateway is not None else 0) or (
            time.perf_counter_ns()
        )
        bars = self.bars
        for ev in events:
            self.deliver(ev)
            if bars is not None and isinstance(ev, TradeEvent):
                for bar in bars.on_trade(ev.trade):
                    self.deliver(bar)
        self._cause_ns = 0

    def _arm_timer(self) -> None:
        kernel = self.kernel
        if kernel is None:
            return
        due = kernel.next_timer_ns()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if due is None:
            return
        delay = min(self.clock.wall_delay_s(due), 1.0)
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire_timers)

    def _fire_timers(self) -> None:
        self._timer = None
        kernel = self.kernel
        if kernel is None:
            return
        if self._draining:
            self._arm_timer()
            return
        self._draining = True
        self.journal.begin()
        try:
            try:
                commands = kernel.fire_timers(self.clock.now_ns())
            except Exception as exc:
                log_event(log, "live.kernel_error", logging.ERROR, error=repr(exc),
                          during="timers")  # fmt: skip
                self.request_stop(f"kernel error: {type(exc).__name__}: {exc}")
                commands = []
            finally:
                self._draining = False
            self._send(commands)
            self._drain()
        finally:
            self._commit_journal()
        self._arm_timer()

    async def _pump_updates(self) -> None:
        gateway, client = self._gw(), self.client
        if client is None:
            raise RuntimeError("no execution client")
        while True:
            update = await gateway.updates.get()
            try:
                self._journal_update(update)
                client.on_update(update)
            except Exception as exc:  # one bad update never stops the process
                log_event(log, "live.update_error", logging.ERROR, error=repr(exc))

    def _journal_update(self, update: Any) -> None:
        order = update.order
        body: dict[str, Any] = {
            "cl_ord_id": order.cl_ord_id,
            "venue_order_id": order.order_id,
            "exec_type": update.exec_type,
            "state": str(order.state),
            "cum_qty": order.cum_qty,
            "leaves_qty": order.leaves_qty,
            "symbol": order.request.symbol,
        }
        model = self.client.model_of.get(id(order)) if self.client is not None else None
        if model is not None:
            body["order_id"] = model.order_id
            body["sleeve"] = model.sleeve
        if update.fill is not None:
            body["fill"] = {"exec_id": update.fill.exec_id, "qty": update.fill.qty,
                            "price": str(update.fill.price)}  # fmt: skip
            self._journal("fill", body)
            result = "filled" if order.is_terminal else None
        else:
            self._journal("order.update", body)
            result = {"canceled": "canceled", "rejected": "rejected"}.get(str(order.state))
        if result is not None and update.exec_type not in ("cancel_reject",):
            self.metrics.orders.labels(result=result).inc()

    def _on_fill_done(self, event: OrderFilled) -> None:
        sleeve = ""
        if self.client is not None:
            tracked = self.client.by_model.get(event.fill.order_id)
            model = self.client.model_of.get(id(tracked)) if tracked is not None else None
            sleeve = model.sleeve if model is not None else ""
        self.metrics.fills.labels(sleeve=sleeve or "none").inc()
        self._journal_state()

    def _kernel_log(self, source: str, message: str, fields: Mapping[str, Any]) -> None:
        self._log(f"{source}: {message}", {"source": source, **dict(fields)})
        if source == "kernel" and message == "day closed":
            day = str(fields.get("day", ""))
            today = self.parts.schedule.day_of_ns(self.clock.now_ns()).isoformat()
            if day >= today:  # a stop mid-day: the day is not over, the account unchanged
                self._journal("day.provisional", dict(fields))
                return
            self._journal("day.closed", dict(fields))
            if self.kernel is not None:
                self._account, self._account_day = self.kernel.account, day
            self._journal_state()

    def _risk_event(self, event: RiskEvent) -> None:
        body = {"event": event.event, "market_ts": event.ts, **dict(event.fields)}
        self._journal("risk", body)
        self._log(event.event, {k: v for k, v in body.items() if k != "event"})
        if event.event.startswith("risk.state"):
            self._journal_state()

    # ================================================================= journal

    def _journal(self, kind: str, body: Mapping[str, Any]) -> None:
        try:
            self.journal.append(kind, body, self.clock.now_ns())
        except JournalError as exc:
            log_event(log, "live.journal_failed", logging.CRITICAL, error=str(exc))
            self.request_stop(f"journal not writable: {exc}")

    def _commit_journal(self) -> None:
        """End a journal batch: its rows, then the log lines held back while sending."""
        try:
            self.journal.commit()
        except JournalError as exc:
            log_event(log, "live.journal_failed", logging.CRITICAL, error=str(exc))
            self.request_stop(f"journal not writable: {exc}")
        if self._held_logs and not self._draining:
            held, self._held_logs = self._held_logs, []
            for event, fields in held:
                log_event(log, event, **fields)

    def _log(self, event: str, fields: Mapping[str, Any]) -> None:
        """An INFO event; while events are being handled it waits until the sends are out."""
        if not log.isEnabledFor(logging.INFO):
            return
        if self._draining:
            self._held_logs.append((event, fields))
        else:
            log_event(log, event, **fields)

    def _journal_state(self) -> None:
        kernel = self.kernel
        if kernel is None:
            return
        try:
            self.journal.put("risk", kernel.risk.snapshot())
            account = self._account or kernel.account
            if account is not self._account_written:
                self.journal.put("account", asdict(account))
                if self._account_day is not None:
                    self.journal.put("account_day", {"day": self._account_day})
                self._account_written = account
        except JournalError as exc:
            log_event(log, "live.journal_failed", logging.CRITICAL, error=str(exc))
            self.request_stop(f"journal not writable: {exc}")

    def _restored_account(self) -> AccountState | None:
        data = self.journal.get("account")
        if data is None:
            return None
        try:
            return AccountState(**data)
        except TypeError as exc:
            log_event(log, "live.account_refused", logging.ERROR, error=str(exc))
            return None

    def status_fields(self, state: str) -> dict[str, Any]:
        kernel, gateway = self.kernel, self.gateway
        out: dict[str, Any] = {
            "process": state,
            "pid": os.getpid(),
            "mode": self.opts.mode,
            "market_time": to_datetime(self.clock.now_ns()).isoformat(),
            "fix_logged_on": bool(gateway is not None and gateway.logged_on),
        }
        if kernel is not None:
            risk = kernel.risk
            rules = kernel.rules
            account = kernel.account
            out.update(
                risk_state=str(risk.state),
                risk_reason=risk.state_reason,
                day_net_cents=risk.day_net_cents(),
                buffer_cents=risk.buffer_cents(),
                balance_cents=account.balance_cents,
                floor_cents=account.floor_cents,
                winning_days=account.winning_days,
                payout_eligible=is_payout_eligible(
                    rules, account.winning_days, account.balance_cents
                ),
                max_payout_cents=max_payout_cents(rules, account.balance_cents),
                positions={s: p.qty for s, p in risk.positions.items() if p.qty},
                blocks=dict(risk.blocks),
                sleeves={s.name: kernel.portfolio.net_cents(s.name) for s in kernel.sleeves},
            )
        if self.client is not None:
            out["working_orders"] = [
                {"cl_ord_id": t.cl_ord_id, "symbol": t.request.symbol, "side": t.request.side,
                 "type": t.request.ord_type, "qty": t.leaves_qty,
                 "price": None if t.price is None else str(t.price),
                 "stop": None if t.stop_px is None else str(t.stop_px)}
                for t in self.client.working
            ]  # fmt: skip
        return out

    def _write_status(self, state: str) -> None:
        with contextlib.suppress(JournalError):
            self.journal.put("status", self.status_fields(state))

    # ================================================================= health

    async def _health_loop(self) -> None:
        interval = 0.5
        if self.notifier.watchdog_s is not None:
            interval = min(interval, self.notifier.watchdog_s / 2)
        loop = asyncio.get_running_loop()
        last = loop.time()
        last_status = 0.0
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            lag = max(0.0, now - last - interval)
            last = now
            self.metrics.loop_lag.set(lag)
            healthy, why = self._check_health(lag)
            self.metrics.heartbeat.set(time.time())
            self._update_metrics()
            if healthy:
                self.notifier.watchdog()
            if isinstance(self.client, FixExecutionClient):
                self.client.retry_deferred()
            if time.monotonic() - last_status >= 1.0:
                last_status = time.monotonic()
                self._write_status("running")
                self._journal_day()
                self.notifier.status(self._status_line(why))
            if not self._events and not self._draining and self._timer is None:
                self._arm_timer()
            if self.gateway is not None and self.gateway.session_closed:
                self.request_stop(f"the venue closed its session: {self.gateway.session_closed}")

    def _check_health(self, lag: float) -> tuple[bool, str]:
        gateway, kernel = self.gateway, self.kernel
        if gateway is None or not gateway.logged_on:
            self.metrics.fix_up.set(0)
            return False, "FIX session down"
        self.metrics.fix_up.set(1)
        if lag > LOOP_LAG_BOUND_S:
            return False, f"event loop lag {lag:.2f} s"
        if not self.journal.writable():
            return False, "journal not writable"
        if kernel is not None:
            wall = time.monotonic()
            now = self.clock.now_ns()
            trading = self._trading_now(now)
            for symbol in sorted({s for sl in kernel.sleeves for s in sl.symbols}):
                age = wall - self._md_wall.get(symbol, wall - 1e9 if self._md_seen else wall)
                self.metrics.md_age.labels(symbol=symbol).set(min(age, 1e6))
                if trading and age > STALE_DATA_S and symbol not in self._stale:
                    self._stale.add(symbol)
                    self.deliver(MarketDataStatus(now, symbol, False, f"no data for {age:.0f} s"))
            if trading and self._stale:
                return False, f"market data stale: {sorted(self._stale)}"
        return True, "healthy"

    def _trading_now(self, now_ns: int) -> bool:
        """The market is open by the bot's calendar (the market clock in sim mode)."""
        kernel = self.kernel
        if kernel is None:
            return False
        window = kernel.schedule.window(kernel.schedule.day_of_ns(now_ns))
        return window.tradable and window.open_ns <= now_ns < window.close_ns

    def _status_line(self, why: str) -> str:
        kernel = self.kernel
        if kernel is None:
            return why
        net = kernel.risk.day_net_cents() / 100
        pos = {s: p.qty for s, p in kernel.risk.positions.items() if p.qty}
        return f"{kernel.risk.state} day P&L ${net:,.2f} positions {pos or 'flat'}: {why}"

    def _update_metrics(self) -> None:
        kernel, client = self.kernel, self.client
        if kernel is None:
            return
        m = self.metrics
        risk = kernel.risk
        account = kernel.account
        m.daily_pnl.set(risk.day_net_cents() / 100)
        m.balance.set(account.balance_cents / 100)
        m.mll_floor.set(account.floor_cents / 100)
        limits = risk.limits
        m.mll_buffer.set(
            (risk.equity_cents() - account.floor_cents - limits.mll_safety_margin_cents) / 100
        )
        m.dll_buffer.set((risk.day_net_cents() + limits.dll_safety_cents) / 100)
        m.margin.set(risk.worst_case_cents() / 100)
        m.set_risk_state(str(risk.state))
        m.trading_hours.set(1 if self._trading_now(self.clock.now_ns()) else 0)
        for sleeve in kernel.sleeves:
            total = kernel.portfolio.net_cents(sleeve.name)
            m.sleeve_pnl.labels(sleeve=sleeve.name, kind="realized").set(total / 100)
            for symbol in sleeve.symbols:
                m.position.labels(symbol=symbol, sleeve=sleeve.name).set(
                    kernel.portfolio.position(sleeve.name, symbol)
                )
        if client is not None:
            counts: dict[str, int] = {}
            for t in client.working:
                counts[t.request.symbol] = counts.get(t.request.symbol, 0) + 1
            for symbol in kernel.instruments:
                m.working_orders.labels(symbol=symbol).set(counts.get(symbol, 0))
        eligible = is_payout_eligible(kernel.rules, account.winning_days, account.balance_cents)
        m.payout_eligible.set(1 if eligible else 0)
        m.payout_suggested.set(
            max_payout_cents(kernel.rules, account.balance_cents) / 100 if eligible else 0
        )

    # ================================================================= reconciliation

    async def _wait_reconciliation(self, timeout: float = 10.0) -> None:
        gateway = self._gw()
        if gateway.fix42:
            return
        try:
            await gateway.wait_for(
                lambda: gateway.reconciliation.mass_status_done
                and gateway.reconciliation.positions_done,
                timeout,
            )
        except TimeoutError:
            raise RuntimeError(
                "the venue did not answer the order mass status (AF) and positions (AN) "
                f"within {timeout:g} s: not trading on unknown books"
            ) from None

    async def _reconcile_venue(self) -> None:
        """Make the venue match what this run owns (nothing): flatten positions first (the
        broker stops still protect them meanwhile), then cancel every working order."""
        gateway = self._gw()
        rec = gateway.reconciliation
        positions = await self._fix42_positions() if gateway.fix42 else gateway.venue_positions()
        working = gateway.tracker.working()
        report = {
            "venue_positions": positions,
            "venue_working": [
                {"cl_ord_id": o.cl_ord_id, "symbol": o.request.symbol, "side": o.request.side,
                 "qty": o.leaves_qty or o.qty}
                for o in working
            ],
            "journal_risk": self.journal.get("risk") is not None,
            "af_reports": len(rec.working),
        }  # fmt: skip
        self._journal("reconcile.report", report)
        log_event(log, "live.reconcile", report=report)
        if positions:
            self.summary.reconciled.append(f"flattened {positions}")
            self.notifier.status(f"reconciling: flattening {positions} found at the venue")
            ok = await self._flatten_venue(positions)
            if not ok:
                raise RuntimeError(
                    f"could not flatten the position found at the venue {positions}; "
                    "its broker stops are left working"
                )
        working = gateway.tracker.working()
        if working:
            self.summary.reconciled.append(f"cancelled {len(working)} orders")
        await self._cancel_everything()

    async def _flatten_venue(self, positions: Mapping[str, int], timeout: float = 15.0) -> bool:
        """Market orders against the venue's positions until its own report says flat (on
        FIX 4.2, which has none: until the orders' fills have taken them to zero)."""
        gateway = self._gw()
        deadline = time.monotonic() + timeout
        while positions and time.monotonic() < deadline:
            left = dict(positions)
            for symbol, net in positions.items():
                req = OrderRequest(
                    symbol=symbol, side="sell" if net > 0 else "buy", qty=abs(net),
                    ord_type="market", tif="ioc",
                )  # fmt: skip
                self._journal("flatten.order", {"symbol": symbol, "qty": -net})
                with contextlib.suppress(NotConnected):
                    order = await gateway.new_order(req, wait=True, timeout=5.0)
                    with contextlib.suppress(TimeoutError):
                        await gateway.wait_for(lambda o=order: o.is_terminal, 5.0)  # type: ignore[misc]
                    side = Side.SELL if net > 0 else Side.BUY
                    for fill in order.fills:
                        self._reconcile_fills.append((symbol, side, fill.qty, fill.price))
                        left[symbol] -= fill.qty if net > 0 else -fill.qty
            if gateway.fix42:
                positions = {s: n for s, n in left.items() if n}
            else:
                positions = await self._venue_positions()
        return not positions

    async def _fix42_positions(self, timeout: float = 10.0) -> dict[str, int]:
        """FIX 4.2 (no AF, no AN): every order the journal saw sent and not end is asked by a
        status request (H); the position is the journal's books plus the fills the venue counts
        for those orders that the journal missed.  An order the journal never recorded cannot
        be known on 4.2 (see `bot.live.fix42`).  No answer in time stops the start."""
        known = open_orders(self.journal, self.parts.instruments)
        pairs = await ask_each(self._gw(), known, timeout)
        positions = self._journal_positions()
        for order, tracked in pairs:
            missed = missed_fill(order, tracked)
            if missed is not None:
                qty, price = missed
                side = Side.BUY if order.request.side == "buy" else Side.SELL
                self._reconcile_fills.append((order.request.symbol, side, qty, price))
                symbol = order.request.symbol
                positions[symbol] = positions.get(symbol, 0) + qty * int(side)
        self._journal("reconcile.fix42", {
            "asked": [o.cl_ord_id for o, _ in pairs],
            "answers": {o.cl_ord_id: str(t.state) for o, t in pairs},
            "positions_by_books": positions,
            "unknowable": "orders the journal never recorded, and their positions",
        })  # fmt: skip
        return {s: n for s, n in positions.items() if n}

    def _journal_positions(self) -> dict[str, int]:
        """Net lots per symbol in the journal's risk snapshot (the books of the last run)."""
        positions: dict[str, int] = {}
        try:
            held = (self.journal.get("risk") or {}).get("positions") or {}
            for symbol, pos in held.items():
                net = sum(int(lot[0]) for lot in pos.get("lots", [])) * int(pos.get("sign", 0))
                if net:
                    positions[str(symbol)] = net
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise RuntimeError(f"the journal's risk positions are unreadable: {exc}") from None
        return positions

    async def _venue_positions(self, timeout: float = 5.0) -> dict[str, int]:
        gateway = self._gw()
        if gateway.fix42:  # no position report on 4.2: the books are all there is
            kernel = self.kernel
            if kernel is None:
                return {}
            return {s: p.qty for s, p in kernel.risk.positions.items() if p.qty}
        with contextlib.suppress(NotConnected):
            gateway.request_positions()
            await gateway.wait_for(lambda: gateway.reconciliation.positions_done, timeout)
            return gateway.venue_positions()
        raise NotConnected("no position report")

    async def _confirm_flat(self) -> bool:
        try:
            positions = await self._venue_positions()
        except (NotConnected, TimeoutError):
            return False
        self._journal("flat.check", {"venue_positions": positions})
        if positions:
            return await self._flatten_venue(positions)
        return True

    async def _cancel_everything(self, timeout: float = 5.0) -> bool:
        gateway = self._gw()
        for order in gateway.tracker.working():
            if order.pending_cl_ord_id is None:
                with contextlib.suppress(NotConnected):
                    run_now(gateway.cancel(order, wait=False))
        with contextlib.suppress(TimeoutError):
            await gateway.wait_for(lambda: not gateway.tracker.working(), timeout)
        return not gateway.tracker.working()

    # ================================================================= shutdown

    async def _shutdown(self) -> int:
        kernel, gateway = self._kern(), self._gw()
        reason = self._stop_reason or "stop"
        self.notifier.stopping(f"flattening: {reason}")
        self._journal("shutdown.begin", {"reason": reason})
        budget = self.settings.shutdown_timeout_s
        deadline = time.monotonic() + budget
        kernel.risk.block("shutdown", f"shutting down: {reason}", self._now_dt())
        self._send(kernel.finish())
        if self.opts.mode == "dry-run":  # nothing was sent: nothing to flatten or cancel
            self.summary.flat_confirmed = True
            self._collect_summary()
            self._journal("shutdown.end", {"dry_run": True, "reason": reason})
            self._write_status("stopped")
            return EXIT_OK
        while time.monotonic() < deadline - 3 and not kernel.risk.is_flat():
            await asyncio.sleep(0.05)
            self._fire_timers()
        flat = False
        direct = len(self._reconcile_fills)
        self._journal("shutdown.venue_check", {"books_flat": kernel.risk.is_flat()})
        # the kernel had its turn: from here only the shutdown sends (two flattens racing for
        # the same position could both fill and reverse it); its events are still applied
        self._kernel_muted = True
        if gateway.logged_on:
            try:
                positions = await self._venue_positions(
                    min(5.0, max(0.5, deadline - time.monotonic()))
                )
                flat = not positions
                if positions:
                    flat = await self._flatten_venue(
                        positions, max(1.0, deadline - time.monotonic())
                    )
            except (NotConnected, TimeoutError):
                flat = False
        if len(self._reconcile_fills) > direct:  # the kernel's flatten did not get it flat
            self._count_shutdown_flatten(kernel, self._reconcile_fills[direct:])
        self.summary.flat_confirmed = flat
        if flat:
            await self._cancel_everything(max(0.5, min(5.0, deadline - time.monotonic())))
        self._journal_day()
        with contextlib.suppress(Exception):
            kernel.close_books()
        self._collect_summary()
        self._journal_state()
        self._journal("latency.tick_to_trade", {"ns": self.tick_to_trade_ns[-20_000:]})
        self._journal("shutdown.end", {"flat_confirmed": flat, "reason": reason})
        self._write_status("stopped" if flat else "stopped NOT FLAT")
        if not flat:
            why = "flat not confirmed by the venue; broker-side stops left working"
            log_event(log, "live.not_flat", logging.CRITICAL, reason=why)
            return EXIT_NOT_FLAT
        return EXIT_OK

    def _count_shutdown_flatten(
        self, kernel: TradingKernel, fills: list[tuple[str, Side, int, Decimal]]
    ) -> None:
        """The shutdown's direct flatten is the day's too: its fills go into the risk engine's
        day P&L and fees, and its risk events into the journal like any other."""
        before = kernel.risk.day_net_cents()
        self._count_direct_fills(kernel, fills, "shutdown-flatten")
        for event in kernel.risk.drain_events():
            self._risk_event(event)
        cents = kernel.risk.day_net_cents() - before
        self.summary.direct_flatten_cents = cents
        self._journal("flatten.counted", {"fills": len(fills), "day_net_change_cents": cents})

    def _collect_summary(self) -> None:
        kernel, client = self.kernel, self.client
        s = self.summary
        s.rss_end_kb = rss_kb()
        if kernel is None:
            return
        s.orders = kernel.orders_sent
        s.fills = len(kernel.fills)
        s.refusals = dict(kernel.refusals)
        s.risk_events = dict(kernel.risk_event_counts)
        s.sleeve_pnl_cents = {sl.name: kernel.portfolio.net_cents(sl.name) for sl in kernel.sleeves}
        s.day_net_cents = kernel.risk.day_net_cents()
        if client is not None:
            s.orders = max(s.orders, client.sent)

    async def _teardown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.gateway is not None:
            with contextlib.suppress(Exception):
                await self.gateway.stop()
        self.metrics.fix_up.set(0)
        if self.child is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.child.stop)
        self._journal("process.exit", {"reason": self.summary.reason})
        self.notifier.close()
        self.journal.close()


def _explicit(settings: Settings, name: str) -> bool:
    """Was the setting given (environment or .env), rather than left at its default?"""
    return name in settings.model_fields_set


def format_summary(summary: Summary) -> str:
    def usd(cents: int) -> str:
        return f"${Decimal(cents) / 100:,.2f}"

    lines = [
        f"session ended: {summary.reason or 'stopped'}",
        "flat at the venue: "
        + (f"yes ({summary.flat_by})" if summary.flat_confirmed else "NOT CONFIRMED"),
        f"day P&L: {usd(summary.day_net_cents)}",
    ]  # fmt: skip
    for name, cents in sorted(summary.sleeve_pnl_cents.items()):
        lines.append(f"  sleeve {name}: {usd(cents)}")
    lines.append(f"  total: {usd(sum(summary.sleeve_pnl_cents.values()))}")
    if summary.direct_flatten_cents is not None:
        lines.append(f"  shutdown flatten outside the sleeves: {usd(summary.direct_flatten_cents)}")
    lines.append(f"orders: {summary.orders}  fills: {summary.fills}")
    refusals = ", ".join(f"{k} {v}" for k, v in sorted(summary.refusals.items())) or "none"
    lines.append(f"refusals: {refusals}")
    events = ", ".join(f"{k} {v}" for k, v in sorted(summary.risk_events.items())) or "none"
    lines.append(f"risk events: {events}")
    if summary.reconciled:
        lines.append(f"reconciled at start: {'; '.join(summary.reconciled)}")
    lines.append(f"memory (RSS): {summary.rss_start_kb / 1024:.0f} MB at start, "
                 f"{summary.rss_end_kb / 1024:.0f} MB at end")  # fmt: skip
    return "\n".join(lines)
