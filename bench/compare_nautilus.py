"""Order book replay, ours against NautilusTrader's, on one file in one run (`make bench-nautilus`).

    python bench/compare_nautilus.py FILE [--rounds 5] [--passes 15] [--nt-python PYTHON]

Each round runs, one after the other, `topstep-quant bench book FILE` with the compiled core,
the same with TOPSTEP_PURE_PYTHON=1, and `bench/nautilus_book.py FILE` in NautilusTrader's
throwaway environment (`--nt-python`, made by `make bench-nautilus`).  Each is a fresh process
timing `--passes` replays with decoding excluded and reporting its median; interleaving the rounds
spreads the other load of a shared machine over all three.  Prints one JSON object: per engine
the median over rounds of the per-run median pass, the best pass, and the median CPU-time rate
(records/s for ours, deltas/s for NautilusTrader: its loader skips trade records, so it applies
fewer records of the same file), the ratios of ours compiled to NautilusTrader, the book memory,
and every run's numbers.  On a shared machine the CPU-time and best-pass rates are the steadier.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _run(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=15)
    parser.add_argument("--nt-python", default="/tmp/venv-nt/bin/python")
    args = parser.parse_args()
    ours_cmd = [sys.executable, "-m", "bot", "bench", "book", args.file]
    ours_cmd += ["--passes", str(args.passes)]
    nt_cmd = [args.nt_python, str(HERE / "nautilus_book.py"), args.file]
    nt_cmd += ["--passes", str(args.passes)]
    compiled_env = {k: v for k, v in os.environ.items() if k != "TOPSTEP_PURE_PYTHON"}
    pure_env = dict(compiled_env, TOPSTEP_PURE_PYTHON="1")
    runs: dict[str, list[dict[str, Any]]] = {"compiled": [], "pure": [], "nautilus": []}
    for _ in range(args.rounds):
        runs["compiled"].append(_run(ours_cmd, compiled_env))
        runs["pure"].append(_run(ours_cmd, pure_env))
        runs["nautilus"].append(_run(nt_cmd))
    if not all(r.get("compiled") for r in runs["compiled"]):
        print("warning: the compiled core is not in use (see `make setup`)", file=sys.stderr)

    def median(engine: str, key: str) -> int:
        return int(statistics.median(r[key] for r in runs[engine]))

    def best(engine: str, key: str) -> int:
        return int(max(r[key] for r in runs[engine]))

    # engine label -> (runs, key of the median pass, of the best pass, of the CPU-time rate)
    keys = {
        "ours_compiled": ("compiled", "msgs_per_s", "best_msgs_per_s", "cpu_msgs_per_s"),
        "ours_pure": ("pure", "msgs_per_s", "best_msgs_per_s", "cpu_msgs_per_s"),
        "nautilus": ("nautilus", "deltas_per_s", "best_deltas_per_s", "cpu_deltas_per_s"),
        "nautilus_batched": (
            "nautilus",
            "batched_deltas_per_s",
            "batched_best_deltas_per_s",
            "batched_cpu_deltas_per_s",
        ),
    }
    rates = {
        name: {
            "median": median(engine, med),
            "best": best(engine, top),
            "cpu": median(engine, cpu),
        }
        for name, (engine, med, top, cpu) in keys.items()
    }
    ours = rates["ours_compiled"]
    ratios = {
        f"compiled_vs_{other}_{kind}": round(ours[kind] / rates[other][kind], 2)
        for other in ("nautilus", "nautilus_batched")
        for kind in ("median", "best", "cpu")
    }
    ratios["pure_vs_nautilus_cpu"] = round(rates["ours_pure"]["cpu"] / rates["nautilus"]["cpu"], 2)
    summary = {
        "file": Path(args.file).name,
        "rounds": args.rounds,
        "passes": args.passes,
        "per_s": rates,
        "ratios": ratios,
        "ours_book_kib_by_tenth": runs["compiled"][-1]["book_kib_by_tenth"],
        "ours_orders_by_tenth": runs["compiled"][-1]["orders_by_tenth"],
        "nautilus_max_rss_kib": runs["nautilus"][-1]["max_rss_kib"],
        "runs": runs,
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
