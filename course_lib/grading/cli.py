"""The instructor's workflow on top of nbgrader: ``python -m course_lib.grading COMMAND``.

Commands (run in the course root, the folder holding ``nbgrader_config.py``, or
pass ``--root DIR``):

* ``release [ASSIGNMENT ...]``: write the student versions ``exercises/<a>/`` from
  ``solutions/<a>/`` (``nbgrader generate_assignment``; solutions, hidden tests
  and outputs removed) and record the assignment in ``gradebook.db``.
* ``collect ASSIGNMENT DOWNLOADS``: import the files downloaded from the LMS
  (notebooks or ``.zip`` archives named as ``nbgrader_config.py`` describes) into
  ``submitted/<student>/<assignment>/`` (``nbgrader zip_collect``).
* ``autograde ASSIGNMENT``: execute and grade every submission (``nbgrader
  autograde``). A corrupt or crashing notebook is reported for its student and the
  others are graded; the exit status is 1 when any submission failed.
* ``feedback ASSIGNMENT``: HTML feedback per student in ``feedback/`` (``nbgrader
  generate_feedback``).
* ``grades``: export every score to ``grades.csv`` (``nbgrader export``).

Documented in ``solutions/README.md``; the Makefile's ``release``, ``collect``,
``autograde``, ``feedback`` and ``grades`` targets call these commands.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from course_lib.core import CourseError

SOURCE = "solutions"
RELEASE = "exercises"


def find_root(root: str | Path) -> Path:
    """Return the course root (the folder with ``nbgrader_config.py``) or raise CourseError."""
    path = Path(root).resolve()
    if not (path / "nbgrader_config.py").is_file():
        raise CourseError(
            f"no nbgrader_config.py in {str(path)!r}: run from the course root or pass --root DIR"
        )
    return path


def list_assignments(root: Path) -> list[str]:
    """The assignments: the folders of ``solutions/`` that hold a notebook."""
    source = root / SOURCE
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def _check_assignment(root: Path, assignment: str) -> None:
    if assignment not in list_assignments(root):
        known = ", ".join(list_assignments(root)) or "none"
        raise CourseError(
            f"unknown assignment {assignment!r} (known: {known}): use a folder name of solutions/"
        )


def run_nbgrader(root: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader ARGS`` in ``root``, with this interpreter's folder first on PATH.

    nbgrader calls ``alembic`` by name, which lives next to the interpreter in a
    virtual environment.
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", os.defpath)
    env.setdefault("MPLBACKEND", "Agg")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        text=True,
        capture_output=capture,
        check=False,
    )


def _in_gradebook(root: Path, assignment: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    db = root / "gradebook.db"
    if not db.is_file():
        return False
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            return len(gb.find_assignment(assignment).notebooks) > 0
        except MissingEntry:
            return False


def release(root: Path, assignments: list[str]) -> int:
    """Generate ``exercises/<a>`` for every assignment (all of them when the list is empty)."""
    for assignment in assignments or list_assignments(root):
        _check_assignment(root, assignment)
        proc = run_nbgrader(root, "generate_assignment", assignment, "--force")
        if proc.returncode != 0:
            raise CourseError(
                f"nbgrader generate_assignment {assignment} failed (see its log above): fix the notebook"
            )
        print(f"released {assignment}: {RELEASE}/{assignment}/")
    return 0


def _register(root: Path, assignment: str) -> None:
    """Record the assignment in the gradebook without touching exercises/ (a fresh checkout has no db)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = run_nbgrader(
            root, "generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={tmp}"
        )
    if proc.returncode != 0:
        raise CourseError(
            f"could not record {assignment} in the gradebook: run 'make release' and check its log"
        )


def collect(root: Path, assignment: str, downloads: str | Path) -> int:
    """Copy the LMS downloads into downloaded/<a>/archive and collect them into submitted/."""
    _check_assignment(root, assignment)
    downloads = Path(downloads)
    if not downloads.is_dir():
        raise CourseError(
            f"downloads folder {str(downloads)!r} not found: pass the folder the LMS files were saved to"
        )
    files = [p for p in sorted(downloads.iterdir()) if p.is_file() and p.suffix in (".ipynb", ".zip")]
    if not files:
        raise CourseError(
            f"no .ipynb or .zip files in {str(downloads)!r}: download the submissions there first"
        )
    archive = root / "downloaded" / assignment / "archive"
    shutil.rmtree(root / "downloaded" / assignment, ignore_errors=True)
    archive.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, archive / path.name)
    if not _in_gradebook(root, assignment):
        _register(root, assignment)
    proc = run_nbgrader(root, "zip_collect", assignment, "--force", capture=True)
    sys.stderr.write(proc.stderr)
    skipped = re.findall(
        r"Skipped (?:submission with no match information provided|notebook with invalid name).*", proc.stderr
    )
    if proc.returncode != 0:
        raise CourseError(f"nbgrader zip_collect {assignment} failed (see its log above)")
    submitted = sorted(p.parent.parent.name for p in (root / "submitted").glob(f"*/{assignment}/*.ipynb"))
    print(f"collected {assignment}: {len(submitted)} students in submitted/ ({', '.join(submitted)})")
    for line in skipped:
        print(f"skipped: {line}  (name it <student_id>_<notebook>.ipynb)")
    return 0


def _corrupt_submissions(root: Path, assignment: str) -> dict[str, str]:
    """Submissions whose notebooks cannot be read, mapped to the reason."""
    import nbformat

    bad = {}
    for path in sorted((root / "submitted").glob(f"*/{assignment}/*.ipynb")):
        student = path.parent.parent.name
        try:
            nbformat.read(path, as_version=4)
        except Exception as exc:  # noqa: BLE001 - any failure to read means the file is broken
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            bad[student] = (
                f"{path.relative_to(root)} is not a readable notebook ({type(exc).__name__}: {reason[:200]})"
            )
    return bad


def graded_by_nbgrader(root: Path, assignment: str) -> set[str]:
    """Students whose autograded notebooks exist (nbgrader removes them when grading fails)."""
    return {p.parent.parent.name for p in (root / "autograded").glob(f"*/{assignment}/*.ipynb")}


def autograde(root: Path, assignment: str, timeout: int | None = None) -> int:
    """Autograde every submission of ``assignment``; report per student; 1 if any failed."""
    _check_assignment(root, assignment)
    students = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}"))
    if not students:
        raise CourseError(f"no submissions of {assignment} in submitted/: run 'collect' first")
    if not _in_gradebook(root, assignment):
        _register(root, assignment)
    corrupt = _corrupt_submissions(root, assignment)
    extra = [f"--Execute.timeout={timeout}", f"--ExecutePreprocessor.timeout={timeout}"] if timeout else []
    proc = run_nbgrader(root, "autograde", assignment, "--force", *extra, capture=True)
    sys.stderr.write(proc.stderr)
    failed = dict.fromkeys(
        re.findall(r"There was an error processing assignment '[^']*' for student '([^']*)'", proc.stderr), ""
    )
    failed.update({s: corrupt[s] for s in corrupt if s not in graded_by_nbgrader(root, assignment)})
    for student in failed:
        failed[student] = corrupt.get(student) or "its notebook could not be executed (see the log above)"
    graded = [s for s in students if s not in failed]
    print(f"autograded {assignment}: {len(graded)} of {len(students)} submissions ({', '.join(graded)})")
    for student, reason in failed.items():
        print(f"FAILED {student}: {reason}; ask the student to resubmit, the others were graded")
    if proc.returncode != 0 and not failed:
        raise CourseError(f"nbgrader autograde {assignment} failed (see its log above)")
    return 1 if failed else 0


def feedback(root: Path, assignment: str) -> int:
    """Write HTML feedback for every autograded submission of ``assignment``."""
    _check_assignment(root, assignment)
    proc = run_nbgrader(root, "generate_feedback", assignment, "--force")
    if proc.returncode != 0:
        raise CourseError(f"nbgrader generate_feedback {assignment} failed: autograde the submissions first")
    pages = sorted((root / "feedback").glob(f"*/{assignment}/*.html"))
    print(f"feedback for {assignment}: {len(pages)} pages in feedback/<student>/{assignment}/")
    return 0


def grades(root: Path, out: str | Path = "grades.csv") -> int:
    """Export the gradebook (every assignment and student) to a CSV file."""
    if not (root / "gradebook.db").is_file():
        raise CourseError("no gradebook.db yet: release and autograde an assignment first")
    out = (root / out).resolve()
    proc = run_nbgrader(root, "export", f"--CsvExportPlugin.to={out}")
    if proc.returncode != 0 or not out.is_file():
        raise CourseError("nbgrader export failed (see its log above)")
    print(f"grades: {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m course_lib.grading`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grading",
        description="Graded exercises (nbgrader): release, collect, autograde, feedback, grades.",
    )
    parser.add_argument("--root", default=".", help="course root holding nbgrader_config.py (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="write exercises/ from solutions/")
    p.add_argument("assignments", nargs="*", help="assignments (default: all)")
    p = sub.add_parser("collect", help="import LMS downloads into submitted/")
    p.add_argument("assignment")
    p.add_argument("downloads", help="folder with the downloaded .ipynb / .zip files")
    p = sub.add_parser("autograde", help="grade every submission of an assignment")
    p.add_argument("assignment")
    p.add_argument(
        "--timeout", type=int, default=None, help="per-cell timeout in seconds (default: the config's)"
    )
    p = sub.add_parser("feedback", help="HTML feedback for every graded submission")
    p.add_argument("assignment")
    p = sub.add_parser("grades", help="export grades.csv")
    p.add_argument("--out", default="grades.csv", help="CSV file, relative to the root (default: grades.csv)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (2 on a CourseError)."""
    args = build_parser().parse_args(argv)
    try:
        root = find_root(args.root)
        if args.command == "release":
            return release(root, args.assignments)
        if args.command == "collect":
            return collect(root, args.assignment, args.downloads)
        if args.command == "autograde":
            return autograde(root, args.assignment, args.timeout)
        if args.command == "feedback":
            return feedback(root, args.assignment)
        return grades(root, args.out)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
