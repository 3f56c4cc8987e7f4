"""Seconds to autograde one correct submission of each graded notebook (target: under 60 s per notebook).

Builds a temporary course (nbgrader_config.py and solutions/ copied), releases the
assignments, submits the instructor's notebook as a student's, and times
``python -m course_lib.grading autograde ASSIGNMENT`` (nbgrader start-up, kernel
start, every cell, the verifier process of every test cell, saving the grades).

Run: ``.venv/bin/python bench/bench_autograde.py [--repeats N]``; the numbers go
to bench/RESULTS.md by hand, with the command.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "course_lib.grading", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Time the autograding of one correct submission per assignment; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="autograde runs per notebook (default 1)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", root)
        shutil.copytree(
            ROOT / "solutions", root / "solutions", ignore=shutil.ignore_patterns("*.py", "__pycache__")
        )
        proc = _cli(root, "release")
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        assignments = sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir())
        cpu = platform.processor() or platform.machine()
        print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {cpu}")
        print("| notebook | autograde seconds (each run) | score |")
        print("|---|---|---|")
        for assignment in assignments:
            folder = root / "submitted" / "bench" / assignment
            folder.mkdir(parents=True)
            for nb in (root / "solutions" / assignment).glob("*.ipynb"):
                shutil.copy(nb, folder / nb.name)
            seconds = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                proc = _cli(root, "autograde", assignment)
                seconds.append(time.perf_counter() - start)
                if proc.returncode != 0:
                    print(proc.stdout, proc.stderr[-3000:], file=sys.stderr)
                    return 1
            _cli(root, "grades")
            rows = {
                r["assignment"]: r for r in csv.DictReader(io.StringIO((root / "grades.csv").read_text()))
            }
            score = f"{float(rows[assignment]['raw_score']):g} / {float(rows[assignment]['max_score']):g}"
            print(f"| {assignment} | {', '.join(f'{s:.1f}' for s in seconds)} | {score} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
