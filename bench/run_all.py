"""Runs every bench script in turn and prints (or writes) one Markdown report."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, PYTHON, REPO, load, log, machine_markdown, wait_idle

SCRIPTS = {  # name: takes --sizes
    "normalize": False,
    "startup": False,
    "reading": False,
    "search": True,
    "indexing": True,
    "memory": True,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,30,300", help="corpus scales (default 1,30,300)")
    parser.add_argument("--runs", type=int, help="runs per figure (default: each script's own)")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCRIPTS)}")
    parser.add_argument("-o", "--out", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--idle", type=float, default=0.8, help="first wait for a 1-min load below this (0.8)"
    )
    parser.add_argument("--idle-cap", type=float, default=180, help="... at most this (180 s)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(SCRIPTS)
    parts = [f"## Machine\n\n{machine_markdown()}"]
    print(parts[0], flush=True)
    for name in names:
        cmd = [PYTHON, str(BENCH / f"{name}.py")]
        if SCRIPTS[name]:
            cmd += ["--sizes", args.sizes]
        if args.runs:
            cmd += ["--runs", str(args.runs)]
        wait_idle(args.idle, args.idle_cap)
        log(f"$ {' '.join(cmd[1:])}  (load {load():.2f})")
        start = time.perf_counter()
        out = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True).stdout
        log(f"  ({time.perf_counter() - start:.0f} s)")
        command = " ".join(["python", f"bench/{name}.py", *cmd[2:]])
        parts.append(f"`{command}` (load average {load():.2f} at the end)\n\n{out}")
        print(parts[-1], flush=True)
    if args.out:
        args.out.write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
