"""The QuickFIX binding traps, each handled: callback exceptions, SIGINT, stop(), timestamps."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

from fix.clordid import ClOrdIdSource
from fix.messages import new_order_single
from fix.orders import OrderRequest
from fix.settings import FixSessionConfig, initiator_settings_text
from tests.venue import free_port

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def test_an_exception_in_any_callback_neither_hangs_nor_kills_the_process(tmp_path: Path) -> None:
    port = free_port()
    code = f"""
        import sys, time, threading
        sys.path.insert(0, {str(ROOT)!r})
        import quickfix as fix
        from pathlib import Path
        from datetime import date
        from decimal import Decimal
        from bot.exchange.acceptor import ExchangeServer, default_venue
        from fix.app import SafeApplication
        from fix.messages import new_order_single
        from fix.orders import OrderRequest
        from fix.settings import (
            FixSessionConfig, initiator_settings_text, session_settings, ensure_dirs,
        )

        class Exploding(SafeApplication):
            def __init__(self):
                super().__init__()
                self.got = threading.Event()
            def on_logon(self, s): raise ValueError("boom in onLogon")
            def on_to_admin(self, m, s): raise KeyError("boom in toAdmin")
            def on_to_app(self, m, s): raise RuntimeError("boom in toApp")
            def on_from_admin(self, raw, s): raise ZeroDivisionError("boom in fromAdmin")
            def on_from_app(self, raw, s):
                self.got.set()
                raise ValueError("boom in fromApp")

        root = Path({str(tmp_path)!r})
        xcfg = FixSessionConfig(port={port}, sender_comp_id="SIMEXCH",
                                target_comp_id="TOPSTEPQ", state_dir=root / "x")
        ex = ExchangeServer(xcfg, default_venue(date(2026, 11, 26)))
        ex.start()
        cfg = FixSessionConfig(port={port}, state_dir=root / "g", heartbeat_s=1)
        ensure_dirs(cfg)
        s = session_settings(initiator_settings_text(cfg))
        app = Exploding()
        ini = fix.SocketInitiator(app, fix.FileStoreFactory(s), s)
        ini.start()
        sid = fix.SessionID("FIX.4.4", "TOPSTEPQ", "SIMEXCH")
        deadline = time.time() + 10
        while not ini.isLoggedOn() and time.time() < deadline:
            time.sleep(0.05)
        req = OrderRequest("MES", "buy", 1, "limit", Decimal("5000"))
        fix.Session.sendToTarget(new_order_single("c1", req, "SIM", False), sid)
        assert app.got.wait(10), "no execution report"
        time.sleep(2.5)  # heartbeats flow both ways while every callback raises
        assert ini.isLoggedOn()
        fix.Session.lookupSession(sid).logout()
        time.sleep(0.3)
        ini.stop(True)
        del ini
        ex.stop()
        print("errors", app.callback_errors)
    """
    result = _python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    errors = int(result.stdout.split("errors")[-1])
    assert errors >= 5  # every kind of callback raised, and each was contained


def test_sigint_and_sigterm_stop_the_exchange_cleanly(tmp_path: Path) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        port = free_port()
        argv = [sys.executable, "-m", "bot", "exchange", "--no-market", "--port", str(port),
                "--state-dir", str(tmp_path / sig.name)]  # fmt: skip
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "LOG_LEVEL": "INFO"},
        )
        try:
            deadline = time.monotonic() + 20
            listening = False
            assert proc.stderr is not None
            while time.monotonic() < deadline and not listening:
                line = proc.stderr.readline()
                listening = "exchange_listening" in line
            assert listening
            proc.send_signal(sig)
            _out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err  # not 130/-2: quickfix's reset of SIGINT was undone
        assert "exchange_stopped" in err and "Traceback" not in err


def test_bad_arguments_are_one_line_errors_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "exchange", "--replay", str(tmp_path / "missing.dbn")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_transact_time_has_milliseconds_and_prices_are_exact_text() -> None:
    req = OrderRequest("MES", "buy", 1, "stop_limit", Decimal("5000.25"), Decimal("5001.50"))
    raw = new_order_single("c1", req, "SIM", False).toString()
    assert re.search(r"\x0160=\d{8}-\d\d:\d\d:\d\d\.\d{3}\x01", raw)
    assert "\x0144=5000.25\x01" in raw and "\x0199=5001.5\x01" in raw
    assert "\x0121=" not in raw  # HandlInst only on FIX 4.2
    assert "\x0121=1\x01" in new_order_single("c1", req, "SIM", True).toString()


def test_settings_text_turns_on_nodelay_store_and_dictionary(tmp_path: Path) -> None:
    text = initiator_settings_text(FixSessionConfig(state_dir=tmp_path, username="u"))
    assert "SocketNodelay=Y" in text and "UseDataDictionary=Y" in text
    assert f"FileStorePath={tmp_path / 'fix' / 'store'}" in text
    assert "FIX44.xml" in text and "554" not in text and "Password" not in text


def test_clordids_are_unique_across_restarts_even_if_the_clock_steps_back(tmp_path: Path) -> None:
    state = tmp_path / "clordid.run"
    first = ClOrdIdSource(state)
    ids = {first.next() for _ in range(100)}
    state.write_text(str(first.run + 10_000))  # the saved prefix is "in the future"
    second = ClOrdIdSource(state)
    assert second.run == first.run + 10_001
    assert not ids & {second.next() for _ in range(100)}


def test_gateway_config_takes_credentials_and_state_from_settings(tmp_path: Path) -> None:
    from bot.config import load_settings
    from fix.settings import gateway_config_from_settings

    settings = load_settings(
        topstep_api_user="u1", topstep_api_pass="p1", state_dir=tmp_path / "st"
    )
    cfg = gateway_config_from_settings(settings, port=9999)
    assert cfg.username == "u1" and cfg.password.get_secret_value() == "p1"
    assert cfg.state_dir == tmp_path / "st" and cfg.port == 9999
    assert "p1" not in repr(cfg)
