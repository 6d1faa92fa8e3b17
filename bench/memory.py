"""Peak RSS of the TUI process (index ready, one search) at each size, vs a bare Textual app."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora
from _common import (
    BENCH,
    PYTHON,
    Row,
    args_parser,
    child_env,
    emit,
    log,
    mb,
    median,
    run_measured,
    sizes_of,
    table,
)

TARGETS = {1: 150, 300: 400}  # MB
QUERY = '"peace agreement"'


def peak(mode: str, workspace: Path | None) -> int:
    """Peak RSS (KiB) of one headless launch that exits once the index is ready."""
    result = tempfile.mktemp(prefix="memory-", suffix=".json")
    env = child_env(BENCH_RESULT=result, BENCH_HEADLESS="1", BENCH_SEARCH=QUERY)
    cmd = [PYTHON, str(BENCH / "_launch.py"), mode, *([str(workspace)] if workspace else [])]
    try:
        return run_measured(cmd, env=env)[1]
    finally:
        Path(result).unlink(missing_ok=True)


def main() -> None:
    parser = args_parser(__doc__, runs=3)
    parser.add_argument("--cold-sizes", default="1,30", help="sizes also run with no index (1,30)")
    args = parser.parse_args()
    bare = median([peak("bare", None) for _ in range(args.runs)])
    rows = [Row("bare Textual app (Header, Static, Footer)", "—", mb(bare))]
    for size in sizes_of(args.sizes):
        label = f"{size}x ({corpora.megabytes(size):.0f} MB)" if size > 1 else "1x (0.37 MB)"
        warm = median([peak("warm", corpora.indexed_workspace(size)) for _ in range(args.runs)])
        target = TARGETS.get(size)
        rows.append(Row("TUI, warm index", label, mb(warm), mb(bare), warm / bare,
                        f"≤ {target} MB" if target else "",
                        warm / 1024 <= target if target else None))  # fmt: skip
        log(f"{size}x warm: {mb(warm)}")
        if str(size) in args.cold_sizes.split(","):
            scratch = corpora.scratch("memory-")
            cold = peak("cold", corpora.fresh_workspace(size, scratch))
            shutil.rmtree(scratch, ignore_errors=True)
            rows.append(Row("TUI, cold (builds the index)", label, mb(cold), mb(bare), cold / bare))
            log(f"{size}x cold: {mb(cold)}")
    emit(table("Memory: peak RSS of the TUI process", rows, [
        "`python bench/_launch.py warm|cold WS` headless: the app starts as `briefreader WS` "
        f"does, waits for the document and the index, runs one search (`{QUERY}`, "
        "100 hits) and exits; peak = the process's ru_maxrss (= VmHWM) from wait4; warm: "
        f"median of {args.runs} runs; cold: one run on a workspace with no index",
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
