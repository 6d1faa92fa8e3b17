"""Normalisation throughput: MB/s of `normalize()` over the bundled corpus (target ≥ 20 MB/s)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BUNDLED, Row, args_parser, emit, median, table
from briefreader.core.normalize import normalize

TARGET = 20.0  # MB/s


def main() -> None:
    parser = args_parser(__doc__, sizes="1", runs=7)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args()
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(BUNDLED.glob("*.txt"))}
    size = {name: len(text.encode()) / 1e6 for name, text in texts.items()}
    times: dict[str, list[float]] = {name: [] for name in texts}
    for _ in range(args.runs):
        for name, text in texts.items():
            start = time.perf_counter()
            normalize(text)
            times[name].append(time.perf_counter() - start)
    total = median([sum(run) for run in zip(*times.values(), strict=True)])
    rate = sum(size.values()) / total
    rows = [
        Row(
            "normalize() throughput",
            f"1x ({sum(size.values()):.2f} MB)",
            f"{rate:.1f} MB/s",
            target=f"≥ {TARGET:.0f} MB/s",
            met=rate >= TARGET,
            ratio=None,
        )
    ]
    for name in texts:
        doc_rate = size[name] / median(times[name])
        rows.append(Row(f"  {name[:40]}", f"{size[name] * 1000:.0f} kB", f"{doc_rate:.1f} MB/s"))
    emit(table("Normalisation", rows, [f"median of {args.runs} runs over each document"]))
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0005) as profiler:
            for text in texts.values():
                normalize(text)
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
