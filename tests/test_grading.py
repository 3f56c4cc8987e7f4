"""Unit tests of course_lib.grading: the checks, tamper resistance, the notebooks, the CLI's errors.

The end-to-end nbgrader runs are in test_grading_e2e.py.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import course_lib.grading
from course_lib.grading import cli, exercises, verify

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = {
    "ch1-mnist": ROOT / "solutions/ch1-mnist/ch1-mnist.ipynb",
    "ch2-denoising": ROOT / "solutions/ch2-denoising/ch2-denoising.ipynb",
}


def _judge_in_process(name: str, fn, cases: list[dict]) -> dict:
    """What check() does, with the verifier's judge run in this process (no subprocess, for speed)."""
    exercise = exercises.EXERCISES[name]
    observations = []
    for case in cases:
        params = {k: v for k, v in case.items() if k not in ("seed", "hidden")}
        produced = exercise.run_student(fn, exercise.make_inputs(case["seed"], **params))
        observations.append({k: exercises.observe(v) for k, v in produced.items()})
    payload = course_lib.grading._encode({"exercise": name, "cases": cases}, observations)
    return verify.judge(*verify.decode(payload))


def _notebook_parts(path: Path) -> tuple[dict, dict[str, list[dict]]]:
    """The answers of a notebook, executed into a namespace, and every test cell's cases (hidden included)."""
    nb = json.loads(path.read_text())
    namespace: dict = {}
    cases: dict[str, list[dict]] = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        if meta.get("solution") or meta.get("grade_id") == "setup":
            exec(source, namespace)  # noqa: S102 - the instructor's own solution code
        elif meta.get("grade"):
            name = meta["grade_id"].removeprefix("test_")
            local = {}
            exec(
                source.split("grading.check_")[0].replace("grading = importlib.reload", "_ = (lambda m: m)"),
                local,
            )
            cases[name] = local["cases"]
    return namespace, cases


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_solutions_pass_every_case_and_hidden_cases_exist(assignment):
    namespace, cases = _notebook_parts(ASSIGNMENTS[assignment])
    assert len(cases) >= 6
    for name, case_list in cases.items():
        assert any(c.get("hidden") for c in case_list), f"{name} has no hidden case"
        verdict = _judge_in_process(name, namespace[name], case_list)
        assert verdict == {"ok": True, "message": ""}, (name, verdict)


def _wrong_versions() -> dict[str, object]:
    """One plausible mistake per exercise, each of which the checks must catch with a hint."""
    return {
        "flatten_normalize": lambda images: images.reshape(len(images), -1).float() / 255,
        "mlp_forward": lambda X, Ws, bs: torch.relu(X @ Ws[0].T + bs[0]) @ Ws[-1].T + bs[-1],
        "train_step": lambda model, X, y, opt: torch.nn.functional.cross_entropy(model(X), y).item(),
        "compute_accuracy": lambda y_hat, y: 100 * (y_hat.argmax(1) == y).float().mean().item(),
        "compute_best_examples": lambda probs, y, k: torch.argsort(probs, dim=0, descending=True)[:k].T,
        "compute_pca": lambda X, n=2: X @ torch.linalg.svd(X, full_matrices=False)[2][:n].T,  # not centred
        "compute_magnitude": lambda w: torch.stft(
            w, 1024, 256, window=torch.ones(1024), return_complex=True
        ).abs(),
        "mix_at_snr": lambda clean, noise, snr_db: (clean + noise[: len(clean)]).astype(np.float32),
        "compute_snr": lambda clean, est: float(10 * np.log10(np.sum(clean**2) / np.sum(est**2))),
        "denoiser_forward": lambda X, Ws, bs: X @ Ws[0].T @ Ws[-1].T,
        "reconstruct_waveform": lambda mag, stft, n: torch.istft(
            mag.to(torch.complex64), 1024, 256, window=torch.hann_window(1024), length=n
        ),
        "train_denoiser": lambda model, X, y, E, lr: [0.0] * E,
    }


@pytest.mark.parametrize("name", sorted(exercises.EXERCISES))
def test_wrong_answers_fail_with_a_hint(name):
    verdict = _judge_in_process(name, _wrong_versions()[name], [{"seed": 0}])
    assert verdict["ok"] is False
    assert "Hint:" in verdict["message"] and name in verdict["message"]


def test_type_and_shape_errors_are_explained():
    verdict = _judge_in_process(
        "flatten_normalize", lambda images: images.double().reshape(-1), [{"seed": 0}]
    )
    assert "torch.float32" in verdict["message"] and "Hint" in verdict["message"]
    verdict = _judge_in_process("compute_accuracy", lambda y_hat, y: None, [{"seed": 0}])
    assert "return statement" in verdict["message"]
    verdict = _judge_in_process("mix_at_snr", lambda c, n, s: torch.from_numpy(c), [{"seed": 0}])
    assert "NumPy array" in verdict["message"]
    namespace, _ = _notebook_parts(ASSIGNMENTS["ch1-mnist"])
    verdict = _judge_in_process("compute_pca", lambda X, n=2: -namespace["compute_pca"](X, n), [{"seed": 0}])
    assert "opposite sign" in verdict["message"]


def test_hidden_case_failure_is_labelled():
    def hard_coded(images):  # right on the visible case only
        return (
            torch.zeros(5, 784)
            if len(images) != 5
            else ((images.reshape(5, -1).float() / 255) - 0.1307) / 0.3081
        )

    verdict = _judge_in_process(
        "flatten_normalize", hard_coded, [{"seed": 0}, {"seed": 9, "num_images": 2, "hidden": True}]
    )
    assert verdict["message"].startswith("Hidden test 2 of 2 failed")


def test_check_runs_the_verifier_in_a_fresh_process_and_resists_tampering(monkeypatch):
    """One subprocess round trip with the obvious in-kernel tampering applied first."""
    import course_lib.mnist.data as data

    def wrong(images):
        return images.reshape(len(images), -1).float()

    monkeypatch.setattr(data, "flatten_normalize", wrong)  # the reference now agrees with the wrong answer
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(torch, "manual_seed", lambda *a, **k: None)
    monkeypatch.setattr(course_lib.grading, "check_flatten_normalize", lambda *a, **k: None)
    grading = importlib.reload(course_lib.grading)  # what every test cell does first
    with pytest.raises(AssertionError, match="Hint"):
        grading.check_flatten_normalize(wrong)


def test_check_ignores_patches_to_the_kernels_exercises_module(monkeypatch):
    """Code in a student cell may patch how a check calls the answer or records what it returned."""

    def wrong(y_hat, y):
        return 0.0

    def correct(y_hat, y):
        return (y_hat.argmax(dim=1) == y).float().mean().item()

    inputs = exercises.EXERCISES["compute_accuracy"].make_inputs(0)
    right_value = correct(torch.as_tensor(inputs["y_hat"]), torch.as_tensor(inputs["y"]))
    real_observe = exercises.observe

    def run_the_correct_answer(m):
        exercise = exercises.EXERCISES["compute_accuracy"]
        real_run = exercise.run_student
        m.setattr(exercise, "run_student", lambda fn, i: real_run(correct, i))

    def replace_the_entry(m):
        real = exercises.EXERCISES["compute_accuracy"]
        fake = exercises.Exercise(**dict(vars(real), run_student=lambda fn, i: {"return": right_value}))
        m.setitem(exercises.EXERCISES, "compute_accuracy", fake)

    def forge_the_observation(m):
        m.setattr(exercises, "observe", lambda value: real_observe(right_value))

    for patch in (run_the_correct_answer, replace_the_entry, forge_the_observation):
        with monkeypatch.context() as m:
            patch(m)
            grading = importlib.reload(course_lib.grading)  # what every test cell does first
            with pytest.raises(AssertionError, match="expected"):
                grading.check_compute_accuracy(wrong)
    importlib.reload(course_lib.grading).check_compute_accuracy(correct)  # unpatched: the answer passes


def test_check_refuses_to_run_when_its_plumbing_was_replaced(monkeypatch):
    import subprocess

    class Faked:
        returncode = 0
        stdout = b'{"ok": true, "message": ""}'
        stderr = b""

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Faked())
    grading = importlib.reload(course_lib.grading)
    with pytest.raises(AssertionError, match="subprocess.run was replaced"):
        grading.check_compute_accuracy(lambda y_hat, y: 0.5)


def test_check_passes_a_correct_answer_and_propagates_the_students_error():
    grading = importlib.reload(course_lib.grading)
    grading.check_compute_accuracy(lambda y_hat, y: (y_hat.argmax(dim=1) == y).float().mean().item())

    def unanswered(y_hat, y):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        grading.check_compute_accuracy(unanswered)
    with pytest.raises(AssertionError, match="expected a function"):
        grading.check_compute_accuracy(None)


def test_verifier_environment_ignores_the_kernels_environment(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/nonexistent")
    monkeypatch.setenv("LD_PRELOAD", "/nonexistent.so")
    env = course_lib.grading._verifier_env()
    assert "PYTHONPATH" not in env and "LD_PRELOAD" not in env
    assert env["PATH"].startswith(str(Path(sys.executable).parent))


def test_committed_notebooks_equal_the_generator_output():
    sys.path.insert(0, str(ROOT / "solutions"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    assert make_notebooks.main(["--check"]) == 0


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_notebooks_are_stripped_and_graded(assignment):
    nb = json.loads(ASSIGNMENTS[assignment].read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    metas = [c["metadata"].get("nbgrader", {}) for c in nb["cells"]]
    auto = [m for m in metas if m.get("grade") and not m.get("solution")]
    manual = [m for m in metas if m.get("grade") and m.get("solution")]
    assert len(auto) >= 6 and all(m["points"] > 0 for m in auto)
    assert len(manual) >= 1
    answers = [c for c in code if c["metadata"].get("nbgrader", {}).get("solution")]
    assert all("### BEGIN SOLUTION" in "".join(c["source"]) for c in answers)


def test_cli_reports_bad_input_with_status_2(tmp_path, capsys):
    assert cli.main(["--root", str(tmp_path), "grades"]) == 2
    assert "no nbgrader_config.py" in capsys.readouterr().err
    assert cli.main(["--root", str(ROOT), "autograde", "no-such-assignment"]) == 2
    assert "unknown assignment" in capsys.readouterr().err
    assert cli.main(["--root", str(ROOT), "collect", "ch1-mnist", str(tmp_path / "missing")]) == 2
    assert "downloads folder" in capsys.readouterr().err


def test_observe_describes_student_results():
    assert exercises.observe(torch.zeros(2, 3)).describe() == "a torch.float32 tensor of shape (2, 3)"
    assert (
        exercises.observe(np.zeros(4, dtype=np.float32)).describe() == "a NumPy float32 array of shape (4,)"
    )
    assert exercises.observe(0.5).kind == "float"
    assert exercises.observe([1.0, 2.0]).array.tolist() == [1.0, 2.0]
    assert exercises.observe(object()).kind == "other"
