"""Whole-process start-up to briefreader (warm, cold index) vs a bare Textual app."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora
from _common import BENCH, PYTHON, REPO, Row, args_parser, child_env, emit, log, median, ms, table

COLUMNS, LINES = 120, 40


def launch(mode: str, workspace: Path | None, headless: bool) -> dict[str, float]:
    """Run bench/_launch.py once; the milestones in seconds since just before the spawn."""
    result = Path(tempfile.mkstemp(prefix="startup-", suffix=".json")[1])
    env = child_env(BENCH_RESULT=str(result), TERM="xterm-256color", COLORTERM="truecolor")
    cmd = [PYTHON, str(BENCH / "_launch.py"), mode, *([str(workspace)] if workspace else [])]
    if headless:
        env["BENCH_HEADLESS"] = "1"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    tail = bytearray()

    def drain() -> None:  # a terminal reads what the app writes, or the app blocks
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            tail[:] = (tail + chunk)[-4000:]

    reader = threading.Thread(target=drain, daemon=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO)
    reader.start()
    code = proc.wait(timeout=600)
    end = time.monotonic()
    os.close(slave)
    reader.join(timeout=2)
    os.close(master)
    try:
        marks = json.loads(result.read_text() or "{}")
    finally:
        result.unlink(missing_ok=True)
    if code or "paint" not in marks:
        raise RuntimeError(f"{mode} failed ({code}): {tail.decode(errors='replace')[-1500:]}")
    times = {k: v - start for k, v in marks.items() if isinstance(v, float)}
    if "document" in times:  # ready: both on screen, whichever came last
        times["ready"] = max(times["document"], times["index"])
    return times | {"exit": end - start, "heavy": marks["heavy_at_paint"]}


def rounds(modes: dict[str, Callable[[], Path | None]], runs: int, headless: bool) -> dict:
    """`runs` launches of each mode, interleaved (the machine's speed drifts over minutes),
    after one warm-up launch of each (OS caches, .pyc)."""
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    for round_ in range(runs + 1):
        for mode, workspace in modes.items():
            timings = launch(mode, workspace(), headless)
            if round_:
                results[mode].append(timings)
    return results


def main() -> None:
    parser = args_parser(__doc__, sizes="1", runs=7)
    parser.add_argument(
        "--headless", action="store_true", help="no terminal (Textual's headless driver)"
    )
    args = parser.parse_args()
    scratch = corpora.scratch("startup-")
    warm_ws = corpora.clone(corpora.indexed_workspace(1), scratch)
    by_mode = rounds(
        {
            "bare": lambda: None,
            "warm": lambda: warm_ws,
            "cold": lambda: corpora.fresh_workspace(1, scratch),
        },
        args.runs,
        args.headless,
    )
    bare, warm, cold = by_mode["bare"], by_mode["warm"], by_mode["cold"]
    shutil.rmtree(scratch, ignore_errors=True)

    def m(runs: list[dict], key: str) -> float:
        return median([r[key] for r in runs])

    ref = m(bare, "paint")
    rows = [Row("bare Textual app (Header, Static, Footer): first paint", "—", ms(ref))]
    for label, runs, key, target in [
        ("warm index: first paint", warm, "paint", None),
        ("warm index: document shown, index ready", warm, "ready", 1.5),
        ("cold (no index): library shown", cold, "library", 1.5),
        ("cold (no index): document shown", cold, "document", None),
        ("cold (no index): index built (background)", cold, "index", None),
    ]:
        figure = m(runs, key)
        rows.append(Row(label, "1x", ms(figure), ms(ref), figure / ref,
                        f"≤ {target}x bare" if target else "",
                        figure / ref <= target if target else None))  # fmt: skip
    rows.append(Row("process exit after ready (warm)", "1x", ms(m(warm, "exit")),
                    ms(m(bare, "exit")), m(warm, "exit") / m(bare, "exit")))  # fmt: skip
    heavy = ", ".join(warm[-1]["heavy"]) or "none"
    where = "headless (`App.run(headless=True)`)" if args.headless else f"a {COLUMNS}x{LINES} pty"
    emit(table("Start-up (whole process)", rows, [
        f"`python bench/_launch.py MODE WS` run in {where}, the three modes interleaved after "
        f"a warm-up run of each, median of {args.runs}; time from just before the spawn to "
        "each milestone painted; the launcher calls `briefreader.cli.main()` with an "
        "auto-pilot that exits once the last milestone is on screen",
        f"heavy modules already imported at the first paint (warm): {heavy}",
    ]))  # fmt: skip
    log(json.dumps({"bare": bare[-1], "warm": warm[-1], "cold": cold[-1]}))


if __name__ == "__main__":
    main()
