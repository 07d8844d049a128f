"""Running out of file descriptors does not stop the simulator accepting logons for good.

QuickFIX's threaded acceptor ends its accept loop on the first failed `accept()`; the guard in
front survives the same and the health check restarts QuickFIX's acceptor.  The simulator runs
in a child process with a low RLIMIT_NOFILE, told by the test when to use up its descriptors.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from tests.exchange.rawfix import RawFixClient
from tests.fdlimit import start_child
from tests.venue import free_port

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from tests.fdlimit import exhaust, limit_descriptors, release
limit_descriptors(256)
from bot.exchange.acceptor import ExchangeServer, ListenerSettings, default_venue
from tests.venue import TODAY, exchange_config
listener = ListenerSettings(health_interval_s=0.3, probe_timeout_s=0.5)
srv = ExchangeServer(exchange_config({port}, Path({state!r})), default_venue(TODAY),
                     listener=listener)
srv.start()
print(json.dumps({{"acceptor_port": srv.acceptor_port}}), flush=True)
held = []
for line in sys.stdin:
    if line.strip() == "exhaust":
        exhaust(held)
        time.sleep(0.7)
        exhaust(held)  # again: a probe in flight frees its socket when it ends
        print("exhausted", flush=True)
    elif line.strip() == "release":
        release(held)
        print("released", flush=True)
    else:
        print(json.dumps({{"restarts": srv.acceptor_restarts,
                          "accept_errors": srv.guard.stats.accept_errors}}), flush=True)
        srv.stop(0.5)
        break
"""


def _logs_on(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        client = RawFixClient(port)
        try:
            client.logon()
        except (AssertionError, OSError):
            time.sleep(0.3)
            continue
        finally:
            client.close()
        return True
    return False


def test_the_simulator_recovers_from_file_descriptor_exhaustion(tmp_path: Path) -> None:
    port = free_port()
    child = start_child(CHILD, tmp_path / "child.log", port=port, state=str(tmp_path / "x"))
    assert child.stdin is not None and child.stdout is not None
    try:
        acceptor_port = json.loads(child.stdout.readline())["acceptor_port"]
        assert _logs_on(port, time.monotonic() + 10)
        child.stdin.write("exhaust\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "exhausted"
        # connections arrive while no descriptor is free: at QuickFIX itself, then the guard
        stuck = [socket.create_connection(("127.0.0.1", acceptor_port), 2)]
        time.sleep(0.5)
        stuck.append(socket.create_connection(("127.0.0.1", port), 2))
        time.sleep(0.5)
        child.stdin.write("release\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "released"
        for sock in stuck:
            sock.close()
        assert _logs_on(port, time.monotonic() + 20), (tmp_path / "child.log").read_text()[-3000:]
        child.stdin.write("stats\n")
        child.stdin.flush()
        stats = json.loads(child.stdout.readline())
        assert stats["restarts"] >= 1, stats
    finally:
        child.kill()
        child.wait(10)


GUARD_CHILD = """
import sys
sys.path.insert(0, {root!r})
from tests.fdlimit import exhaust, limit_descriptors, release
limit_descriptors(128)
from bot.exchange.guard import FixGuard
guard = FixGuard("127.0.0.1", {port}, {backend})
guard.start()
print("ready", flush=True)
sys.stdin.readline()
held = exhaust([])
print("exhausted", flush=True)
sys.stdin.readline()
release(held)
print("released", flush=True)
sys.stdin.readline()
print(guard.stats.accept_errors, flush=True)
guard.stop()
"""


def test_the_guard_keeps_accepting_after_running_out_of_descriptors(tmp_path: Path) -> None:
    backend = socket.create_server(("127.0.0.1", 0))
    port = free_port()
    child = start_child(
        GUARD_CHILD, tmp_path / "guard.log", port=port, backend=backend.getsockname()[1]
    )
    assert child.stdin is not None and child.stdout is not None

    def say(word: str) -> str:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(word + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    try:
        assert child.stdout.readline().strip() == "ready"
        assert say("exhaust") == "exhausted"
        client = socket.create_connection(("127.0.0.1", port), 2)  # queued: accept fails
        time.sleep(0.5)
        assert say("release") == "released"
        backend.settimeout(5)
        relayed, _ = backend.accept()  # the guard accepted it after all and relays it
        client.sendall(b"8=FIX.4.4\x019=5\x0135=A\x0110=000\x01")
        relayed.settimeout(5)
        assert relayed.recv(100).startswith(b"8=FIX.4.4")
        assert int(say("stats")) >= 1  # accept() did fail, and the guard carried on
        client.close()
        relayed.close()
    finally:
        child.kill()
        child.wait(10)
        backend.close()
