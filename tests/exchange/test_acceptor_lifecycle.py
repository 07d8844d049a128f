"""Start/stop cycles of the simulator's acceptor with live sessions never crash the process.

`SocketAcceptor.stop()` has a use-after-free race (quickfix PR #740, ~40% of runs segfaulted in
the reference notes); the simulator uses `ThreadedSocketAcceptor`.  A crash kills the child
process, so this runs in one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_repeated_start_stop_with_a_logged_on_client_exits_cleanly(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.venue import TODAY, exchange_config, free_port
        from tests.exchange.rawfix import RawFixClient
        from bot.exchange.acceptor import ExchangeServer, default_venue
        for i in range(4):
            port = free_port()
            srv = ExchangeServer(exchange_config(port, Path({str(tmp_path)!r}) / str(i)),
                                 default_venue(TODAY))
            srv.start()
            client = RawFixClient(port)
            client.logon()
            srv.stop(logout_wait_s=0.5)  # stopped under a live session
            client.close()
        print("cycles ok")
        """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cycles ok" in result.stdout
