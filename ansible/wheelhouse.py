"""Build the wheelhouse the bot role ships: every runtime wheel, so the target compiles nothing.

Run on the control node (same architecture and Python as the target: Debian 12, CPython 3.11):

    python3 ansible/wheelhouse.py ansible/wheelhouse

- every other package of `requirements.lock` is fetched by `pip wheel` with the lock's hashes
  required (a wheel as served; a pure-Python sdist such as sdnotify built into one; pip's cache
  makes a second run fast);
- quickfix has only a source distribution (about 10 minutes to compile): its wheel is taken from
  uv's cache, where `make setup` left it after building it from the hash-checked sdist, and built
  with pip only when absent;
- the project's own wheel (the mypyc-compiled core) is built with `uv build`.

It writes `requirements.txt` beside the wheels (one `name==version --hash=sha256:...` line per
wheel) and packs both into `wheelhouse.tar`, so the target installs with
`pip --no-index --require-hashes` and nothing unverified.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
ARCHIVE = "wheelhouse.tar"
BUILT_HERE = ("quickfix",)  # sdist only: compiled once on the control node


def fail(message: str) -> None:
    print(f"wheelhouse: {message}", file=sys.stderr)
    raise SystemExit(1)


def run(*cmd: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        fail(f"{' '.join(cmd[:4])} ... failed: {proc.stderr.strip()[-1500:]}")
    return proc.stdout


def lock_entries(text: str) -> list[tuple[str, str]]:
    """(normalised name, requirement block) of a `uv pip compile --generate-hashes` file; a name
    may come twice, under different environment markers."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name = re.split(r"[=<>; ]", line, maxsplit=1)[0].lower().replace("_", "-")
            blocks.append((name, [line]))
        elif line.startswith("    --hash") and blocks:
            blocks[-1][1].append(line)
    return [(name, "\n".join(lines)) for name, lines in blocks]


def cached_wheel(name: str, version: str) -> Path | None:
    """The wheel uv built from the lock's sdist (`make setup`), if its cache still holds it."""
    cache = Path(run(sys.executable, "-m", "uv", "cache", "dir").strip())
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(cache.glob(f"sdists-*/pypi/{name}/{version}/*/{name}-{version}-{tag}-*.whl"))
    return found[-1] if found else None


def main(out: Path) -> None:
    if sys.version_info[:2] != (3, 11):
        fail(f"run with CPython 3.11 (the target's); this is {sys.version.split()[0]}")
    blocks = lock_entries(LOCK.read_text())
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "binary.txt"
        binary.write_text("\n".join(b for n, b in blocks if n not in BUILT_HERE) + "\n")
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--require-hashes",
            "-r", str(binary), "-w", str(out))  # fmt: skip
        for name in BUILT_HERE:
            block = next(b for n, b in blocks if n == name)
            pin = re.search(r"==([^ ;\\]+)", block)
            if pin is None:
                fail(f"{name} is not pinned in {LOCK.name}")
            version = pin.group(1)
            wheel = cached_wheel(name, version)
            if wheel is not None:
                shutil.copy2(wheel, out / wheel.name)
            else:
                print(f"wheelhouse: compiling {name} {version} (about 10 minutes)", file=sys.stderr)
                req = Path(tmp) / f"{name}.txt"
                req.write_text(block + "\n")
                run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--require-hashes", "-r", str(req), "-w", str(out))  # fmt: skip
        run(sys.executable, "-m", "uv", "build", "--quiet", "--wheel", "-o", str(out), str(ROOT))
    lines = []
    for wheel in sorted(out.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} --hash=sha256:{digest}")
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    missing = sorted({n for n, _ in blocks} - names)
    if missing:
        fail(f"no wheel for {', '.join(missing)}")
    (out / "requirements.txt").write_text("\n".join(lines) + "\n")
    # one archive for the role to ship (one transfer, not one round trip per wheel)
    with tarfile.open(out / ARCHIVE, "w") as tar:
        for path in sorted(out.iterdir()):
            if path.name != ARCHIVE:
                tar.add(path, arcname=path.name)
    print(f"wheelhouse: {len(lines)} wheels in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: python3 ansible/wheelhouse.py OUT_DIR")
    main(Path(sys.argv[1]).resolve())
