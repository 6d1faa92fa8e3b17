"""Normalisation throughput: MB/s of `normalize()` over the bundled corpus (target ≥ 20 MB/s).

Reference: one pass that finds, lowercases and hashes every word of the text, a floor for
any normaliser that looks each word up once in a table (ours uses the text's own words to
mend hyphen breaks, and its lines and word 4-grams to find running heads and pull quotes).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BUNDLED, Row, args_parser, emit, median, table
from briefreader.core.normalize import normalize

TARGET = 20.0  # MB/s


def word_pass(text: str) -> set[str]:
    return set(text.lower().split())


def main() -> None:
    parser = args_parser(__doc__, sizes="1", runs=7)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args()
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(BUNDLED.glob("*.txt"))}
    size = {name: len(text.encode()) / 1e6 for name, text in texts.items()}
    times: dict[str, list[float]] = {name: [] for name in texts}
    floor: dict[str, list[float]] = {name: [] for name in texts}
    for _ in range(args.runs):
        for name, text in texts.items():
            for run, timings in ((normalize, times), (word_pass, floor)):
                start = time.perf_counter()
                run(text)
                timings[name].append(time.perf_counter() - start)

    def rates(timings: dict[str, list[float]]) -> dict[str, float]:
        total = median([sum(run) for run in zip(*timings.values(), strict=True)])
        by_name = {name: size[name] / median(timings[name]) for name in texts}
        return by_name | {"": sum(size.values()) / total}

    ours, ref = rates(times), rates(floor)
    rows = [
        Row(
            "normalize() throughput",
            f"1x ({sum(size.values()):.2f} MB)",
            f"{ours['']:.1f} MB/s",
            f"{ref['']:.1f} MB/s",
            ratio=ref[""] / ours[""],
            target=f"≥ {TARGET:.0f} MB/s",
            met=ours[""] >= TARGET,
        )
    ]
    for name in texts:
        rows.append(
            Row(
                f"  {name[:40]}",
                f"{size[name] * 1000:.0f} kB",
                f"{ours[name]:.1f} MB/s",
                f"{ref[name]:.1f} MB/s",
                ratio=ref[name] / ours[name],
            )
        )
    notes = [
        f"median of {args.runs} runs over each document",
        "reference: `set(text.lower().split())`, run after each document's normalize(); "
        "Ours/ref: our time over its time",
    ]
    emit(table("Normalisation", rows, notes))
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0005) as profiler:
            for text in texts.values():
                normalize(text)
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
