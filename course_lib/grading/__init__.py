"""Checks behind the graded exercises (nbgrader), and the instructor's command line.

A test cell of ``solutions/<assignment>/<assignment>.ipynb`` looks like::

    import importlib, course_lib.grading
    grading = importlib.reload(course_lib.grading)  # a fresh copy, whatever earlier cells did
    cases = [{"seed": 0}]
    ### BEGIN HIDDEN TESTS
    cases += [{"seed": 4721, "num_images": 1, "hidden": True}]
    ### END HIDDEN TESTS
    grading.check_flatten_normalize(flatten_normalize, cases)

``check_*`` returns ``None`` when the student's function agrees with
:mod:`course_lib` on every case and raises :class:`AssertionError` otherwise,
with a message that says what was expected and gives a hint. An exception
raised by the student's own code (``NotImplementedError`` in an unanswered
exercise) propagates unchanged.

How a check runs (see :mod:`course_lib.grading.exercises` for the exercises):

1. In the kernel, with :mod:`course_lib.grading.exercises` reloaded from its
   file: build each case's inputs from its seed, call the student's function on
   fresh copies, and record what it produced (its return value, and
   for training exercises the model's parameters afterwards).
2. In a *fresh* Python process (``python -I``: no user site, no ``PYTHONPATH``,
   not the notebook's folder on ``sys.path``, a clean environment), started
   after the student's code ran: rebuild the inputs from the seeds, compute the
   expected values with a fresh import of :mod:`course_lib`, compare with that
   process's own NumPy, and send back only a verdict and a message.
3. In the kernel: raise :class:`AssertionError` with the message if the verdict
   is a failure.

Threat model. Student code runs in the same kernel before the test cells and
may try to make a wrong answer pass. What a check defends against, and how:

* Reassigning reference functions (``course_lib.mnist.data.flatten_normalize =
  my_version``) or anything else in the kernel's :mod:`course_lib`: the expected
  values are computed in the fresh process, which never sees the kernel's objects.
* Reassigning comparison or random functions (``np.allclose``,
  ``np.testing.assert_allclose``, ``torch.allclose``, ``torch.manual_seed``,
  ``np.random.default_rng``, ...): inputs are rebuilt and outputs compared in the
  fresh process; tampering with the kernel's copies can only change what the
  student's own function receives, which makes it disagree with the reference.
* Reassigning this module's functions (``course_lib.grading.check_pca = lambda
  *a: None``): every test cell reloads the module from its file first, which
  rebinds every name in it.
* Patching how a check calls the student's function or records its result
  (``EXERCISES["compute_pca"].run_student = ...``, ``exercises.observe = ...``,
  replacing an entry of ``EXERCISES``): :func:`check` reloads
  :mod:`course_lib.grading.exercises` from its file before using it.
* Hard-coding the visible test's expected output: hidden cases (seeds and
  shapes that appear only in the instructor's notebook) must agree too.
* Editing or deleting test cells: nbgrader restores them from the gradebook
  before autograding (``OverwriteCells``, with ``add_missing_cells``).
* Infinite loops: nbgrader's per-cell timeout interrupts the cell.
* Replacing the plumbing of a check by plain reassignment (``subprocess.run =
  fake``, ``json.loads = fake``): a check verifies that these functions are
  still the ones defined in their modules' source files, and fails otherwise.

Out of scope (a check cannot defend against them from inside the same kernel;
run the autograder in a container with a read-only installation if students
may attempt them): rewriting Python's import machinery (``sys.modules``,
``builtins.__import__``, ``importlib.reload``), forging functions that pass the
check above, or replacing ``os``/``sys.executable``; hiding errors through
IPython's internals; writing to the interpreter's or the installed package's
files; and answers that call the :mod:`course_lib` reference themselves, which
behave exactly like correct answers (the exercise text forbids it and the
instructor sees it when reviewing).

Used by the graded notebooks (``solutions/`` and ``exercises/``); the
instructor's workflow (release, collect, autograde, feedback, grades) is
:mod:`course_lib.grading.cli`, run as ``python -m course_lib.grading``.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

VERIFIER_TIMEOUT_S = 300
"""Longest a verifier process may take (the notebook's per-cell timeout usually ends it sooner)."""

_VERIFIER_CODE = "from course_lib.grading.verify import main; main()"


def _verifier_env() -> dict[str, str]:
    """A minimal environment for the verifier: nothing the student's code set in ``os.environ`` leaks in."""
    env = {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.defpath,
        "HOME": os.path.expanduser("~"),
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    return env


def _assert_untouched() -> None:
    """Fail the check if the plumbing a check relies on was replaced by code in the kernel.

    Catches plain reassignment (``subprocess.run = fake``): every function used
    to start the verifier and read its verdict must still be defined in its own
    module's source file.
    """
    import json as json_module
    import subprocess as subprocess_module

    def origin(fn: Any) -> str:
        code = getattr(fn, "__code__", None)
        return os.path.realpath(code.co_filename) if code is not None else ""

    expected = {
        "subprocess.run": (subprocess_module.run, subprocess_module.__file__),
        "subprocess.Popen.__init__": (subprocess_module.Popen.__init__, subprocess_module.__file__),
        "subprocess.Popen.communicate": (subprocess_module.Popen.communicate, subprocess_module.__file__),
        "json.loads": (json_module.loads, json_module.__file__),
    }
    for name, (fn, path) in expected.items():
        if origin(fn) != os.path.realpath(path):
            raise AssertionError(
                f"the grading environment was modified ({name} was replaced), so this test cannot run. "
                "Hint: remove the code that reassigns it, restart the kernel and run all cells."
            )


def _encode(request: dict[str, Any], observations: list[dict[str, Any]]) -> bytes:
    """Serialize the request and the student's observations (JSON header line + a pickle-free ``.npz``)."""
    import numpy as np

    header = dict(request, observations=[])
    arrays: dict[str, Any] = {}
    for i, case in enumerate(observations):
        meta = {}
        for key, obs in case.items():
            meta[key] = {
                "kind": obs.kind,
                "type_name": obs.type_name,
                "dtype": obs.dtype,
                "shape": list(obs.shape),
                "item_kinds": list(obs.item_kinds),
                "has_array": obs.array is not None,
            }
            if obs.array is not None:
                arrays[f"c{i}__{key}"] = obs.array
        header["observations"].append(meta)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return json.dumps(header).encode() + b"\n" + buffer.getvalue()


def _run_verifier(payload: bytes) -> dict[str, Any]:
    """Send ``payload`` to a fresh verifier process and return its verdict."""
    proc = subprocess.run(
        [sys.executable, "-I", "-c", _VERIFIER_CODE],
        input=payload,
        capture_output=True,
        timeout=VERIFIER_TIMEOUT_S,
        env=_verifier_env(),
        cwd=tempfile.gettempdir(),
        check=False,
    )
    lines = proc.stdout.decode(errors="replace").strip().splitlines()
    try:
        verdict = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        verdict = None
    if proc.returncode != 0 or not isinstance(verdict, dict):
        tail = proc.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(
            "the grader could not compute the reference values (a problem with the course installation, "
            f"not with your answer; tell your instructor). Verifier exit status {proc.returncode}:\n{tail}"
        )
    return verdict


def check(name: str, student_fn: Callable, cases: Sequence[dict[str, Any]] | None = None) -> None:
    """Check ``student_fn`` against the :mod:`course_lib` reference of exercise ``name``.

    Args:
        name: The exercise (a key of :data:`course_lib.grading.exercises.EXERCISES`).
        student_fn: The student's function.
        cases: Test cases, each a dict with a ``"seed"``, optionally ``"hidden": True``
            and the exercise's size parameters; ``[{"seed": 0}]`` when omitted.

    Raises:
        AssertionError: with an explanation and a hint, if any case disagrees.
        Exception: whatever the student's function raises, unchanged.
    """
    # Re-executed from its file on every check: code in the kernel may have patched the cached module
    # (``EXERCISES[name].run_student``, ``observe``, ...). This copy only builds inputs and records outputs.
    exercises = importlib.reload(importlib.import_module("course_lib.grading.exercises"))
    if name not in exercises.EXERCISES:
        raise ValueError(f"unknown exercise {name!r}: choose one of {', '.join(exercises.EXERCISES)}")
    exercise = exercises.EXERCISES[name]
    if not callable(student_fn):
        raise AssertionError(
            f"expected a function {exercise.signature}, got {type(student_fn).__name__}. "
            "Hint: run the cell that defines it (and keep its name)."
        )
    cases = [dict(case) for case in (cases or [{"seed": 0}])]
    observations = []
    for case in cases:
        params = {k: v for k, v in case.items() if k not in ("seed", "hidden")}
        inputs = exercise.make_inputs(int(case["seed"]), **params)
        produced = exercise.run_student(student_fn, inputs)
        observations.append({key: exercises.observe(value) for key, value in produced.items()})
    _assert_untouched()
    verdict = _run_verifier(_encode({"exercise": name, "cases": cases}, observations))
    if not verdict.get("ok"):
        raise AssertionError(str(verdict.get("message", "the answer does not match the reference")))


def _make_check(name: str) -> Callable[..., None]:
    def check_exercise(student_fn: Callable, cases: Sequence[dict[str, Any]] | None = None) -> None:
        check(name, student_fn, cases)

    check_exercise.__name__ = check_exercise.__qualname__ = f"check_{name}"
    check_exercise.__doc__ = f"Check the student's ``{name}`` (see :func:`check`)."
    return check_exercise


check_flatten_normalize = _make_check("flatten_normalize")
check_mlp_forward = _make_check("mlp_forward")
check_train_step = _make_check("train_step")
check_compute_accuracy = _make_check("compute_accuracy")
check_compute_best_examples = _make_check("compute_best_examples")
check_compute_pca = _make_check("compute_pca")
check_compute_magnitude = _make_check("compute_magnitude")
check_mix_at_snr = _make_check("mix_at_snr")
check_compute_snr = _make_check("compute_snr")
check_denoiser_forward = _make_check("denoiser_forward")
check_reconstruct_waveform = _make_check("reconstruct_waveform")
check_train_denoiser = _make_check("train_denoiser")

__all__ = [
    "check",
    "check_compute_accuracy",
    "check_compute_best_examples",
    "check_compute_magnitude",
    "check_compute_pca",
    "check_compute_snr",
    "check_denoiser_forward",
    "check_flatten_normalize",
    "check_mix_at_snr",
    "check_mlp_forward",
    "check_reconstruct_waveform",
    "check_train_denoiser",
    "check_train_step",
]
