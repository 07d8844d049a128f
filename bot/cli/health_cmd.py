"""`topstep-quant health`: is the running bot alive?  For a container HEALTHCHECK or a probe.

Reads the bot's own `/metrics` on 127.0.0.1:METRICS_PORT.  Healthy means the heartbeat, which
the event loop's health check writes every half second, is fresh and the FIX session is logged
on.  An answering metrics server alone proves nothing: it is a thread of its own and keeps
answering while the event loop is stuck.  Exit 0 healthy, 1 not (one line saying why).
"""

from __future__ import annotations

import argparse
import time
import urllib.request

from bot.cli.argtypes import positive_float
from bot.cli.errors import UserInputError
from bot.config import Settings

HEARTBEAT = "topstep_heartbeat_timestamp_seconds"
FIX_UP = "topstep_fix_session_up"


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    health = commands.add_parser("health", help="exit 0 if the running bot is healthy (metrics)")
    health.add_argument("--max-age", type=positive_float, default=15.0, metavar="SECONDS",
                        help="oldest heartbeat that counts as alive (default 15)")  # fmt: skip
    health.add_argument("--timeout", type=positive_float, default=3.0, metavar="SECONDS")
    health.set_defaults(handler=run_health)


def samples(text: str) -> dict[str, float]:
    """Unlabelled samples of a Prometheus text exposition, by name (enough for the two gauges)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or "{" in line:
            continue
        name, _, value = line.partition(" ")
        try:
            out[name] = float(value.split(" ")[0])
        except ValueError:
            continue
    return out


def verdict(text: str, now: float, max_age: float) -> str | None:
    """None when healthy, else why not."""
    values = samples(text)
    beat = values.get(HEARTBEAT)
    if beat is None:
        return f"no {HEARTBEAT} in the metrics (not the bot?)"
    if beat <= 0:
        return "no heartbeat yet (starting or reconciling)"
    if now - beat > max_age:
        return f"heartbeat {now - beat:.0f} s old (event loop stuck?)"
    if values.get(FIX_UP) != 1:
        return "FIX session down"
    return None


def run_health(args: argparse.Namespace, settings: Settings) -> int:
    port = settings.metrics_port
    if not port:
        raise UserInputError("METRICS_PORT=0: the bot serves no metrics to check")
    url = f"http://127.0.0.1:{port}/metrics"
    try:  # an http URL on loopback that this function builds: bandit's B310 does not apply
        with urllib.request.urlopen(url, timeout=args.timeout) as answer:  # nosec B310
            text = answer.read().decode("utf-8", "replace")
    except OSError as exc:
        print(f"unhealthy: no metrics at {url}: {exc}")
        return 1
    why = verdict(text, time.time(), args.max_age)
    print("healthy" if why is None else f"unhealthy: {why}")
    return 0 if why is None else 1
