"""Prometheus metrics of the live process (prometheus-client, `METRICS_PORT`, `/metrics`).

A registry of its own (not the library's global one), so tests and two processes never clash.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

RISK_STATES = ("ACTIVE", "REDUCING", "HALTED_DAY", "HALTED")
TICK_TO_TRADE_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 1.0,
)  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.daily_pnl = Gauge("topstep_daily_pnl_usd", "the day's net P&L", registry=r)
        self.sleeve_pnl = Gauge(
            "topstep_sleeve_pnl_usd", "P&L per sleeve", ["sleeve", "kind"], registry=r
        )
        self.balance = Gauge("topstep_balance_usd", "account balance (start of day)", registry=r)
        self.mll_floor = Gauge("topstep_mll_floor_usd", "the MLL floor", registry=r)
        self.mll_buffer = Gauge(
            "topstep_mll_buffer_usd", "equity above the floor and safety margin", registry=r
        )
        self.dll_buffer = Gauge(
            "topstep_dll_buffer_usd", "the day's loss left to the DLL safety line", registry=r
        )
        self.position = Gauge(
            "topstep_position_contracts", "open contracts", ["symbol", "sleeve"], registry=r
        )
        self.working_orders = Gauge(
            "topstep_working_orders", "orders working at the venue", ["symbol"], registry=r
        )
        self.margin = Gauge("topstep_margin_in_use_usd", "worst case reserved", registry=r)
        self.risk_state = Gauge(
            "topstep_risk_state", "1 for the current risk state", ["state"], registry=r
        )
        self.orders = Counter("topstep_orders", "orders by result", ["result"], registry=r)
        self.fills = Counter("topstep_fills", "fills by sleeve", ["sleeve"], registry=r)
        self.tick_to_trade = Histogram(
            "topstep_tick_to_trade_seconds",
            "market data received to the order it caused sent",
            buckets=TICK_TO_TRADE_BUCKETS,
            registry=r,
        )
        self.loop_lag = Gauge("topstep_event_loop_lag_seconds", "event-loop lag", registry=r)
        self.fix_up = Gauge("topstep_fix_session_up", "1 while logged on", registry=r)
        self.md_age = Gauge(
            "topstep_market_data_age_seconds", "since the last market data", ["symbol"], registry=r
        )
        self.trading_hours = Gauge(
            "topstep_trading_hours",
            "1 while the bot's calendar has the market open (stale data matters then)",
            registry=r,
        )
        self.payout_eligible = Gauge(
            "topstep_payout_eligible", "1 when a payout is allowed", registry=r
        )
        self.payout_suggested = Gauge(
            "topstep_payout_suggested_usd", "the largest payout allowed now", registry=r
        )
        self.heartbeat = Gauge(
            "topstep_heartbeat_timestamp_seconds", "wall time of the last health check", registry=r
        )
        for state in RISK_STATES:
            self.risk_state.labels(state=state).set(0)
        for result in ("sent", "filled", "canceled", "rejected", "refused"):
            self.orders.labels(result=result)

    def set_risk_state(self, current: str) -> None:
        for state in RISK_STATES:
            self.risk_state.labels(state=state).set(1 if state == current else 0)

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Start the `/metrics` HTTP server (a daemon thread).  Raises OSError (port busy)."""
        start_http_server(port, addr=addr, registry=self.registry)
