"""End to end with nbgrader in a temporary course: release, validate, collect, autograde, feedback, grades.

One course in ``tmp_path``; the submissions are made here from the released
notebooks (correct, unanswered, partly wrong, raising, looping forever, with
edited and deleted test cells, tampering, corrupt) and graded in one autograde
call per assignment. The exact scores come from the exported grades.csv.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.grading, pytest.mark.timeout(1800)]  # a busy 2-core machine needs ~12 min

ROOT = Path(__file__).resolve().parents[1]
CH1, CH2 = "ch1-mnist", "ch2-denoising"
TIMEOUT_S = 40  # per cell in these tests: long enough for a test cell on a busy CPU, short for the loop


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course_lib.grading", "--root", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def _solution_code(solution_nb: dict, grade_id: str) -> str:
    lines = "".join(_cell(solution_nb, grade_id)["source"]).splitlines()
    return "\n".join(
        line for line in lines if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def _submission(release_nb: dict, solution_nb: dict, answers: dict[str, str]) -> dict:
    """The student version with answer cells replaced ("solution": the model answer, else the code given)."""
    nb = json.loads(json.dumps(release_nb))
    for grade_id, code in answers.items():
        _cell(nb, grade_id)["source"] = _solution_code(solution_nb, grade_id) if code == "solution" else code
    return nb


def _best_examples_visible_output() -> list:
    """The visible test's expected output of compute_best_examples, for a submission that hard-codes it."""
    import torch

    from course_lib.grading.exercises import EXERCISES
    from course_lib.mnist.analysis import compute_best_examples

    inputs = EXERCISES["compute_best_examples"].make_inputs(0)
    return compute_best_examples(
        torch.from_numpy(inputs["probs"]), torch.from_numpy(inputs["y"]), inputs["k"]
    ).tolist()


def _ch1_submissions(release_nb: dict, solution_nb: dict) -> dict[str, dict | str]:
    all_correct = {
        gid: "solution"
        for gid in (
            "flatten_normalize",
            "mlp_forward",
            "train_step",
            "compute_accuracy",
            "compute_best_examples",
            "compute_pca",
            "tsne_vs_pca",
        )
    }
    frank = _submission(
        release_nb,
        solution_nb,
        {
            "flatten_normalize": "solution",
            "mlp_forward": "solution",
            "compute_accuracy": "def compute_accuracy(y_hat, y):\n    return 1.0",
        },
    )
    # one test cell deleted, two edited to pass trivially
    frank["cells"] = [
        c
        for c in frank["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") != "test_flatten_normalize"
    ]
    _cell(frank, "test_compute_accuracy")["source"] = "pass"
    _cell(frank, "test_mlp_forward")["source"] = "print('all good')"
    tamper = """
import importlib
import numpy as np
import torch
import course_lib.grading
import course_lib.mnist.data
import course_lib.mnist.train

def flatten_normalize(images):
    return images.reshape(images.shape[0], -1).float()

course_lib.mnist.data.flatten_normalize = flatten_normalize          # the reference now agrees
course_lib.mnist.train.compute_accuracy = lambda y_hat, y: 0.5
np.allclose = lambda *args, **kwargs: True                           # every comparison "passes"
np.testing.assert_allclose = lambda *args, **kwargs: None
np.array_equal = lambda *args, **kwargs: True
torch.allclose = lambda *args, **kwargs: True
torch.manual_seed = lambda *args, **kwargs: None
course_lib.grading.check_compute_pca = lambda *args, **kwargs: None  # the checks themselves
course_lib.grading.check = lambda *args, **kwargs: None
"""
    grace = _submission(
        release_nb,
        solution_nb,
        {
            "flatten_normalize": tamper,
            "mlp_forward": "solution",
            "train_step": "def train_step(model, X, y, optimizer):\n    return 2.3",
            "compute_accuracy": "def compute_accuracy(y_hat, y):\n    return 0.5",
            "compute_best_examples": (
                "import numpy as np\n\ndef compute_best_examples(probs, y, k):\n"
                f"    return np.array({_best_examples_visible_output()})"
            ),
            "compute_pca": "def compute_pca(X, n_components=2):\n    return X[:, :n_components]",
        },
    )
    return {
        "alice": _submission(release_nb, solution_nb, all_correct),
        "bob": json.loads(json.dumps(release_nb)),
        "carol": _submission(
            release_nb,
            solution_nb,
            {  # partly wrong: 1 + 2 + 2 = 5
                "flatten_normalize": "solution",
                "mlp_forward": "def mlp_forward(X, weights, biases):\n    for W, b in zip(weights, biases):\n"
                "        X = X @ W.T + b\n    return X",
                "train_step": "solution",
                "compute_accuracy": "def compute_accuracy(y_hat, y):\n"
                "    return 100 * (y_hat.argmax(dim=1) == y).float().mean().item()",
                "compute_best_examples": "solution",
            },
        ),
        "dave": _submission(
            release_nb,
            solution_nb,
            {  # raises in two answers: 2 + 1 = 3
                "flatten_normalize": "def flatten_normalize(images):\n    raise ValueError('not today')",
                "mlp_forward": "solution",
                "compute_accuracy": "solution",
                "compute_best_examples": "def compute_best_examples(probs, y, k):\n    return [][0]",
            },
        ),
        "erin": _submission(
            release_nb,
            solution_nb,
            {  # loops forever in one answer: 1
                "flatten_normalize": "solution",
                "compute_best_examples": (
                    "def compute_best_examples(probs, y, k):\n    while True:\n        pass"
                ),
            },
        ),
        "frank": frank,  # tests restored: 1 + 2 = 3
        "grace": grace,  # tampering earns nothing; the honest mlp_forward earns 2
        "zoe": '{"cells": [{"cell_type": "code", "source": "',  # a corrupt download
    }


EXPECTED_CH1 = {"alice": 10, "bob": 0, "carol": 5, "dave": 3, "erin": 1, "frank": 3, "grace": 2}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A graded course in a temporary folder; returns the root and the CLI outputs."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(
        ROOT / "solutions", root / "solutions", ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    logs = {"release": _cli(root, "release")}
    assert logs["release"].returncode == 0, logs["release"].stderr[-3000:]

    downloads = root / "lms-downloads"
    downloads.mkdir()
    subs = _ch1_submissions(
        _read(root / "exercises" / CH1 / f"{CH1}.ipynb"), _read(root / "solutions" / CH1 / f"{CH1}.ipynb")
    )
    for i, (student, nb) in enumerate(subs.items()):
        text = nb if isinstance(nb, str) else json.dumps(nb)
        name = f"{student}_{1000 + i}_{2000 + i}_{CH1}.ipynb" if i % 2 else f"{student}_{CH1}.ipynb"
        if student == "carol":  # some LMS deliver zip archives
            with zipfile.ZipFile(downloads / "carol.zip", "w") as zf:
                zf.writestr(name, text)
        else:
            (downloads / name).write_text(text)
    (downloads / f"{CH1}.ipynb").write_text(json.dumps(subs["bob"]))  # no student id: skipped
    logs["collect"] = _cli(root, "collect", CH1, str(downloads))
    logs["autograde"] = _cli(root, "autograde", CH1, "--timeout", str(TIMEOUT_S))

    # Chapter 2: the solutions and the unanswered student version, written straight into submitted/
    release2, solution2 = (
        _read(root / "exercises" / CH2 / f"{CH2}.ipynb"),
        _read(root / "solutions" / CH2 / f"{CH2}.ipynb"),
    )
    for student, nb in {"alice": solution2, "bob": release2}.items():
        folder = root / "submitted" / student / CH2
        folder.mkdir(parents=True)
        (folder / f"{CH2}.ipynb").write_text(json.dumps(nb))
    logs["autograde2"] = _cli(root, "autograde", CH2, "--timeout", str(TIMEOUT_S))
    logs["feedback"] = _cli(root, "feedback", CH1)
    logs["grades"] = _cli(root, "grades")
    return root, logs


def _scores(root: Path) -> dict[tuple[str, str], dict]:
    rows = csv.DictReader(io.StringIO((root / "grades.csv").read_text()))
    return {(r["assignment"], r["student_id"]): r for r in rows}


def test_exercises_are_exactly_what_generate_assignment_produces(course):
    root, _ = course
    generated = sorted(
        p.relative_to(root / "exercises") for p in (root / "exercises").rglob("*") if p.is_file()
    )
    committed = sorted(
        p.relative_to(ROOT / "exercises") for p in (ROOT / "exercises").rglob("*") if p.is_file()
    )
    assert generated == committed, "exercises/ is out of date: run 'make release'"
    for rel in generated:
        assert _read(root / "exercises" / rel) == _read(ROOT / "exercises" / rel), (
            f"{rel} drifted: run 'make release'"
        )


def test_collect_imports_lms_downloads(course):
    root, logs = course
    assert logs["collect"].returncode == 0, logs["collect"].stderr[-3000:]
    collected = sorted(p.parent.parent.name for p in (root / "submitted").glob(f"*/{CH1}/{CH1}.ipynb"))
    assert collected == sorted([*EXPECTED_CH1, "zoe"])
    assert "skipped" in logs["collect"].stdout


def test_autograde_scores_every_submission_and_reports_the_corrupt_one(course):
    root, logs = course
    out = logs["autograde"]
    assert out.returncode == 1, out.stdout + out.stderr[-3000:]
    assert "FAILED zoe" in out.stdout and "not a readable notebook" in out.stdout
    assert "7 of 8 submissions" in out.stdout
    scores = _scores(root)
    for student, expected in EXPECTED_CH1.items():
        row = scores[(CH1, student)]
        assert float(row["raw_score"]) == expected, (student, row)
        assert float(row["max_score"]) == 12  # 10 autograded + 2 for the written answer
    assert logs["autograde2"].returncode == 0, logs["autograde2"].stderr[-3000:]
    assert float(scores[(CH2, "alice")]["raw_score"]) == 10
    assert float(scores[(CH2, "bob")]["raw_score"]) == 0


def test_infinite_loop_times_out_and_the_rest_is_graded(course):
    root, _ = course
    nb = _read(root / "autograded" / "erin" / CH1 / f"{CH1}.ipynb")
    errors = [o for o in _cell(nb, "test_compute_best_examples")["outputs"] if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] in ("KeyboardInterrupt", "CellTimeoutError")


def test_deleted_and_edited_test_cells_are_restored(course):
    root, _ = course
    nb = _read(root / "autograded" / "frank" / CH1 / f"{CH1}.ipynb")
    assert "check_flatten_normalize" in "".join(_cell(nb, "test_flatten_normalize")["source"])
    assert "check_compute_accuracy" in "".join(_cell(nb, "test_compute_accuracy")["source"])


def test_feedback_explains_failures(course):
    root, logs = course
    assert logs["feedback"].returncode == 0, logs["feedback"].stderr[-3000:]
    html = (root / "feedback" / "carol" / CH1 / f"{CH1}.html").read_text()
    assert "Hint:" in html and "not a percentage" in html


def test_solutions_pass_validate_and_student_versions_fail_only_with_not_implemented(course):
    from nbgrader.validator import Validator
    from traitlets.config.loader import PyFileConfigLoader

    root, _ = course
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.Execute.timeout = 300
    for assignment in (CH1, CH2):
        solution = Validator(config=config).validate(
            str(root / "solutions" / assignment / f"{assignment}.ipynb")
        )
        assert solution == {}, solution
        config.Validator.validate_all = True  # report errors in every code cell, not only the graded ones
        student = Validator(config=config).validate(
            str(root / "exercises" / assignment / f"{assignment}.ipynb")
        )
        config.Validator.validate_all = False
        failed = student["failed"]
        code = [cell for cell in failed if "YOUR ANSWER HERE" not in cell["source"]]
        written = [cell for cell in failed if "YOUR ANSWER HERE" in cell["source"]]
        assert len(code) >= 6 and len(written) >= 1
        for cell in code:  # every executed cell that failed, failed because the answer is missing
            assert "NotImplementedError" in cell["raw_error"], cell["raw_error"][-2000:]
        assert all(cell["raw_error"] == "You did not provide a response." for cell in written)
