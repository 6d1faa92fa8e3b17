"""Shared helpers for the bench scripts: statistics, Markdown tables, subprocess peaks, machine."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BUNDLED = REPO / "corpus"
PYTHON = sys.executable


def args_parser(doc: str, sizes: str = "1,30,300", runs: int = 5) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument(
        "--sizes", default=sizes, help=f"corpus scales, e.g. 1,30 (default {sizes})"
    )
    parser.add_argument("--runs", type=int, default=runs, help=f"runs per figure (default {runs})")
    return parser


def sizes_of(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (the maximum when there are fewer than 20 values)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def mb(kib: float) -> str:
    return f"{kib / 1024:.0f} MB"


@dataclass
class Row:
    measure: str
    size: str
    ours: str
    reference: str = "—"
    ratio: float | None = None  # ours / reference
    target: str = ""
    met: bool | None = None


def grid(title: str, headers: list[str], rows: list[list[str]], notes: list[str] = ()) -> str:
    """A Markdown table under a heading, with notes as a list below it."""
    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def met(ok: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[ok]


def table(title: str, rows: list[Row], notes: list[str] = ()) -> str:
    headers = ["Measure", "Size", "Ours", "Reference", "Ours/ref", "Target", "Met"]
    cells = [
        [r.measure, r.size, r.ours, r.reference,
         f"{r.ratio:.2f}x" if r.ratio is not None else "—", r.target or "—", met(r.met)]
        for r in rows
    ]  # fmt: skip
    return grid(title, headers, cells, notes)


def emit(text: str) -> None:
    print(text, flush=True)


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for measured child processes: bytecode is cached (as in an installed
    package), in a folder of its own so that the source tree stays clean."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cache = Path(os.environ.get("BRIEFREADER_BENCH_CACHE") or tempfile.gettempdir())
    return env | {"PYTHONPYCACHEPREFIX": str(cache / "briefreader-bench-pycache")} | extra


def run_measured(cmd: list[str], *, env: dict | None = None, timeout: float = 7200) -> tuple:
    """Run a child process; return (wall seconds, peak RSS in KiB, stdout). The peak is the
    child's own ru_maxrss, from wait4, so other children do not blur it."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, env=env or child_env(), cwd=REPO, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-2000:]}")
    return wall, usage.ru_maxrss, out


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines()
                  if ln.startswith("model name")), platform.processor())  # fmt: skip
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    try:
        import yaml

        libyaml = "with libyaml" if yaml.__with_libyaml__ else "pure Python"
    except ImportError:
        libyaml = "absent"
    return {
        "CPU": f"{model}, {os.cpu_count()} cores",
        "RAM": f"{mem_kib / 1024**2:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Textual": metadata.version("textual"),
        "Whoosh": f"whoosh-reloaded {metadata.version('whoosh-reloaded')}",
        "PyYAML": f"{metadata.version('pyyaml')} ({libyaml})",
        "Code": _git_state(),
        "Load average (1 min) when measured": f"{load():.2f}",
    }


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_idle(below: float, cap: float = 900) -> None:
    """Wait (up to `cap` s) for other work on the machine to calm down: a 2-core machine
    shared with a test run gives figures that mean little."""
    deadline = time.monotonic() + cap
    while load() >= below and time.monotonic() < deadline:
        log(f"load average {load():.2f} ≥ {below}: waiting …")
        time.sleep(20)


def _git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout

    head = git("log", "-1", "--format=%h %s").strip()[:70] or "unknown"
    dirty = len(git("status", "--porcelain", "--", "src").splitlines())
    return f"{head}" + (f" (+ {dirty} uncommitted files in src/)" if dirty else "")


def machine_markdown() -> str:
    return "\n".join(f"- {k}: {v}" for k, v in machine().items()) + "\n"
