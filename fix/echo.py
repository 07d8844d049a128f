"""A bare QuickFIX echo acceptor: every D is answered at once with an ER (150=0).

The floor of a loopback FIX round trip on this machine, for `bench fix-rtt`:
`python -m fix.echo PORT STATE_DIR` runs until stdin closes or SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import quickfix as fix

from fix.app import SafeApplication
from fix.build import message
from fix.settings import FixSessionConfig, acceptor_settings_text, ensure_dirs, session_settings
from fix.wire import FixFields


class EchoApp(SafeApplication):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._sids: dict[str, Any] = {}

    def on_from_app(self, raw: str, session: str) -> None:
        f = FixFields.parse(raw)
        if f.msg_type != "D":
            return
        self.count += 1
        er = message(
            "8",
            [
                (37, str(self.count)), (11, f.get(11) or ""), (17, f"E{self.count}"),
                (150, "0"), (39, "0"), (55, f.get(55) or ""), (54, f.get(54) or "1"),
                (151, f.get(38) or "0"), (14, "0"), (6, "0"),
            ],
        )  # fmt: skip
        sid = self._sids.get(session)
        if sid is None:
            from fix.app import session_id_from_text

            sid = self._sids[session] = session_id_from_text(session)
        fix.Session.sendToTarget(er, sid)


def main(argv: list[str]) -> int:
    port, state = int(argv[0]), Path(argv[1])
    cfg = FixSessionConfig(
        port=port, sender_comp_id="SIMEXCH", target_comp_id="TOPSTEPQ", state_dir=state
    )
    ensure_dirs(cfg)
    settings = session_settings(acceptor_settings_text(cfg))
    app = EchoApp()
    acceptor = fix.ThreadedSocketAcceptor(app, fix.MemoryStoreFactory(), settings)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _s, _f: done.set())
    acceptor.start()
    print("ready", flush=True)
    done.wait()
    acceptor.stop(True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
