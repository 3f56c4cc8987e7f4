"""``python -m course_lib denoise ...``: outputs, JSON, sample rates and exit codes."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from course_lib.cli import main
from course_lib.denoise.audio import load_corpus


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A tiny training run through the command line (1 epoch, 2 utterances, a 1-utterance table)."""
    out = tmp_path_factory.mktemp("denoise") / "run"
    argv = ["denoise", "train", "--epochs", "1", "--hiddens", "32", "--train-utterances", "2"]
    argv += [
        "--table-utterances",
        "1",
        "--table-seconds",
        "1.5",
        "--noise",
        "white",
        "--snr",
        "5",
        "--no-progress",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    return out


def test_train_writes_checkpoint_metrics_figures_and_audio(run_dir, capsys):
    for name in ("checkpoint.pt", "metrics.json", "spectrograms.png", "loss.png", "comparison.png"):
        assert (run_dir / name).stat().st_size > 0, name
    for name in ("clean.wav", "noisy.wav", "denoised.wav"):
        info = sf.info(str(run_dir / name))
        assert info.samplerate == 16000 and info.channels == 1
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["config"]["num_hiddens"] == 32 and metrics["config"]["noise"] == ["white"]
    assert [h["epoch"] for h in metrics["history"]] == [1]
    assert {r["noise"] for r in metrics["evaluation"]} == {"white", "pink"}
    table = metrics["table"]
    assert len(table) == 5 * 3 * 5  # noises x SNRs x methods
    noisy_rows = [r for r in table if r["method"] == "noisy"]
    assert all(abs(r["snr"] - r["snr_db"]) < 0.01 for r in noisy_rows)  # inputs mixed at the exact SNR


def test_apply_keeps_the_input_rate_for_stereo_8khz(run_dir, tmp_path, capsys):
    clean = load_corpus("test")[1].waveform[:16000]
    stereo_8k = np.stack([clean[::2], 0.5 * clean[::2]], axis=1)
    source = tmp_path / "in.wav"
    sf.write(source, stereo_8k, 8000)
    target = tmp_path / "out" / "denoised.flac"
    assert (
        main(["denoise", "apply", str(source), str(target), "--checkpoint", str(run_dir / "checkpoint.pt")])
        == 0
    )
    data, rate = sf.read(target)
    assert rate == 8000 and data.ndim == 1 and data.shape[0] == stereo_8k.shape[0]
    assert str(target) in capsys.readouterr().out


def test_evaluate_on_a_folder_of_8khz_files_prints_json(run_dir, tmp_path, capsys):
    folder = tmp_path / "clean"
    folder.mkdir()
    for i, utterance in enumerate(load_corpus("test")[:2]):
        sf.write(folder / f"clip{i}.wav", utterance.waveform[:24000:2], 8000)
    argv = ["denoise", "evaluate", "--checkpoint", str(run_dir / "checkpoint.pt"), "--clean-dir", str(folder)]
    assert main(argv + ["--noise", "pink", "--snr", "10", "--seed", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["num_files"] == 2 and result["noise"] == "pink"
    assert result["input_snr"] == pytest.approx(10.0, abs=0.01)
    for key in (
        "output_snr",
        "input_si_sdr",
        "output_si_sdr",
        "input_stoi",
        "output_stoi",
        "snr_improvement",
    ):
        assert np.isfinite(result[key]), key


def test_sweep_writes_compact_json_with_audio_and_images(run_dir, tmp_path):
    out = tmp_path / "sweep.json"
    assert main(["denoise", "sweep", "--out", str(out), "--checkpoint", str(run_dir / "checkpoint.pt")]) == 0
    data = json.loads(out.read_text())
    assert data["command"].startswith("python -m course_lib")
    assert len(data["conditions"]) == 9 and data["history"]["epoch"] == [1]
    condition = data["conditions"][0]
    audio, rate = sf.read(io.BytesIO(base64.b64decode(condition["denoised"]["audio"])))
    assert rate == 16000 and 1.0 <= audio.shape[0] / rate <= 3.0
    assert base64.b64decode(condition["noisy"]["image"])[:4] == b"\x89PNG"
    assert set(condition["noisy"]["metrics"]) == {"snr", "si_sdr", "stoi"}
    assert out.stat().st_size < 3_000_000


def test_negative_epochs_exit_2_from_the_shell(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "course_lib", "denoise", "train", "--epochs", "-1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "--epochs: must be >= 0" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["denoise", "train", "--batch-size", "0"], "must be >= 1"),
        (["denoise", "train", "--noise", "purple", "--epochs", "0"], "unknown noise"),
        (["denoise", "apply", "in.wav", "out.wav", "--checkpoint", "missing.pt"], "not found"),
        (["denoise", "evaluate", "--checkpoint", "missing.pt"], "not found"),
        (["denoise", "sweep", "--out", "x.json", "--checkpoint", "missing.pt"], "not found"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        status = exc.code
    assert status == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(lines) == 1 and message in lines[0]


def test_missing_input_file_and_folder_exit_2(run_dir, tmp_path, capsys):
    ckpt = str(run_dir / "checkpoint.pt")
    assert (
        main(["denoise", "apply", str(tmp_path / "nope.wav"), str(tmp_path / "o.wav"), "--checkpoint", ckpt])
        == 2
    )
    assert main(["denoise", "evaluate", "--checkpoint", ckpt, "--clean-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "nope.wav" in err and "not found" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["denoise", "train", "--snr", "nan"], "--snr: SNRs must be finite"),
        (["denoise", "train", "--snr", "0,inf"], "--snr: SNRs must be finite"),
        (["denoise", "train", "--lr", "inf"], "--lr: must be a positive number"),
        (["denoise", "train", "--lr", "nan"], "--lr: must be a positive number"),
        (["denoise", "train", "--table-seconds", "0.2"], "--table-seconds: must be >= 1"),
        (["denoise", "evaluate", "--checkpoint", "missing.pt", "--snr", "nan"], "--snr: must be a finite"),
        (["denoise", "evaluate", "--checkpoint", "missing.pt", "--snr=-inf"], "--snr: must be a finite"),
        (["denoise", "evaluate", "--checkpoint", "missing.pt", "--noise", "white,pink"], "one noise kind"),
        (["denoise", "evaluate", "--checkpoint", "missing.pt", "--noise", "mix"], "one noise kind"),
    ],
)
def test_non_finite_numbers_short_tables_and_several_noises_exit_2(
    argv, message, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(lines) == 1 and message in lines[0], lines
    assert not list(tmp_path.iterdir())  # refused before any work: nothing written


def _wav(path: Path, seconds: float = 1.0) -> bytes:
    clean = load_corpus("test")[2].waveform[: int(seconds * 16000)]
    sf.write(str(path), clean, 16000)
    return path.read_bytes()


def test_apply_refuses_to_overwrite_its_input(tmp_path, capsys):
    source = tmp_path / "noisy.wav"
    original = _wav(source)
    for output in (str(source), str(tmp_path / "sub" / ".." / "noisy.wav")):
        argv = ["denoise", "apply", str(source), output, "--checkpoint", "missing.pt", "--overwrite"]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "is the input file" in err
    assert source.read_bytes() == original


def test_apply_refuses_an_existing_output_unless_overwrite(run_dir, tmp_path, capsys):
    source = tmp_path / "noisy.wav"
    _wav(source)
    output = tmp_path / "out.wav"
    output.write_bytes(b"keep me")
    ckpt = str(run_dir / "checkpoint.pt")
    assert main(["denoise", "apply", str(source), str(output), "--checkpoint", ckpt]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err
    assert output.read_bytes() == b"keep me"
    assert main(["denoise", "apply", str(source), str(output), "--checkpoint", ckpt, "--overwrite"]) == 0
    assert sf.info(str(output)).samplerate == 16000


def _subcommand_parsers():
    import argparse

    from course_lib.cli import build_parser

    def subparsers(parser):
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))

    denoise = subparsers(build_parser()).choices["denoise"]
    return subparsers(denoise).choices


def test_every_denoise_option_has_help_and_apply_says_stereo_is_mixed_to_mono():
    for name, parser in _subcommand_parsers().items():
        for action in parser._actions:
            assert action.help, f"denoise {name} {action.option_strings or action.dest} has no help"
        text = parser.format_help()
        dests = {a.dest for a in parser._actions}
        assert "seed" not in dests or "seed of" in text or "noise seed" in text, name
        assert "device" not in dests or "(default: auto)" in text, name
    assert "mixed to mono" in _subcommand_parsers()["apply"].format_help()
    assert "--overwrite" in _subcommand_parsers()["apply"].format_help()


def test_json_output_writes_non_finite_metrics_as_null():
    from course_lib.denoise.cli import _dumps

    text = _dumps({"output_si_sdr": float("-inf"), "si_sdr_improvement": float("nan"), "rows": [1.5]})
    assert json.loads(text) == {"output_si_sdr": None, "si_sdr_improvement": None, "rows": [1.5]}
    assert "Infinity" not in text and "NaN" not in text
