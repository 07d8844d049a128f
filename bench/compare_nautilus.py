"""Order book replay, ours against NautilusTrader's, on one file in one run (`make bench-nautilus`).

    python bench/compare_nautilus.py FILE [--rounds 3] [--passes 15] [--nt-python PYTHON]

Each round runs, one after the other, `topstep-quant bench book FILE` with the compiled core,
the same with TOPSTEP_PURE_PYTHON=1, and `bench/nautilus_book.py FILE` in NautilusTrader's
throwaway environment (`--nt-python`, made by `make bench-nautilus`).  Each is a fresh process
timing `--passes` replays with decoding excluded and reporting its median; interleaving the rounds
spreads the other load of a shared machine over all three.  Prints one JSON object: per engine
the median over rounds of the per-run medians (records/s for ours, deltas/s for NautilusTrader:
its loader skips trade records, so it applies fewer records of the same file), the ratios, and
every run's numbers.
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
    parser.add_argument("--rounds", type=int, default=3)
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

    compiled = median("compiled", "msgs_per_s")
    pure = median("pure", "msgs_per_s")
    nautilus = median("nautilus", "deltas_per_s")
    batched = median("nautilus", "batched_deltas_per_s")
    summary = {
        "file": Path(args.file).name,
        "rounds": args.rounds,
        "passes": args.passes,
        "ours_compiled_records_per_s": compiled,
        "ours_pure_records_per_s": pure,
        "nautilus_deltas_per_s": nautilus,
        "nautilus_batched_deltas_per_s": batched,
        "ratio_compiled_vs_nautilus": round(compiled / nautilus, 2),
        "ratio_compiled_vs_nautilus_batched": round(compiled / batched, 2),
        "ratio_pure_vs_nautilus": round(pure / nautilus, 2),
        "ours_book_kib_last_tenth": runs["compiled"][-1]["book_kib_by_tenth"][-1],
        "runs": runs,
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
