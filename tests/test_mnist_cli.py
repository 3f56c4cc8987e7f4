"""Chapter 1 command line: train/evaluate/figures/sweep outputs, JSON, exit codes and one-line errors."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest
import torch

from course_lib.mnist.cli import FIGURE_FILES, main


def write_test_idx_files(folder, n: int = 12) -> np.ndarray:
    """Write only the two gzipped t10k IDX files into folder/MNIST/raw; return the labels."""
    rng = np.random.default_rng(0)
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    for name, array in (("t10k-images-idx3-ubyte.gz", images), ("t10k-labels-idx1-ubyte.gz", labels)):
        header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        (raw / name).write_bytes(gzip.compress(header + array.tobytes()))
    return labels


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    argv = ["mnist", "train", "--epochs", "1", "--layers", "1", "--hiddens", "32", "--out", str(out)]
    assert main([*argv, "--num-embed", "100", "--no-progress", "--device", "cpu"]) == 0
    return out


def test_train_writes_checkpoint_metrics_and_figures(run_dir, capsys):
    assert (run_dir / "checkpoint.pt").is_file()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["command"].startswith("python -m course_lib mnist train --epochs 1")
    assert metrics["config"]["num_layers"] == 1 and metrics["data"]["n_test"] == 1000
    assert len(metrics["history"]) == 1 and 0.5 < metrics["test"]["accuracy"] <= 1.0
    assert set(metrics["separability"]) == {"pca", "tsne"}
    assert list(metrics["separability"]["tsne"]) == ["input", "hidden 1", "output"]
    for name in FIGURE_FILES:
        assert (run_dir / name).stat().st_size > 1000, name


def test_evaluate_json_matches_training_metrics(run_dir, capsys):
    capsys.readouterr()
    assert main(["mnist", "evaluate", "--checkpoint", str(run_dir / "checkpoint.pt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert result["n"] == 1000
    assert result["accuracy"] == pytest.approx(metrics["test"]["accuracy"])


def test_evaluate_on_test_only_idx_folder(run_dir, tmp_path, capsys):
    labels = write_test_idx_files(tmp_path)
    capsys.readouterr()
    argv = ["mnist", "evaluate", "--checkpoint", str(run_dir / "checkpoint.pt"), "--json"]
    assert main([*argv, "--data", "torchvision", "--data-dir", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == len(labels) == 12
    assert result["accuracy"] in {k / 12 for k in range(13)}


def test_figures_from_checkpoint(run_dir, tmp_path, capsys):
    argv = ["mnist", "figures", "--checkpoint", str(run_dir / "checkpoint.pt"), "--out", str(tmp_path)]
    assert main([*argv, "--num-embed", "60", "--no-progress", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["figures"]) == len(FIGURE_FILES)
    assert all((tmp_path / name).is_file() for name in FIGURE_FILES)


def test_sweep_json(tmp_path):
    out = tmp_path / "sweep.json"
    argv = [
        "mnist",
        "sweep",
        "--epochs",
        "1",
        "--dropouts",
        "0,0.5",
        "--layer-counts",
        "1",
        "--hiddens",
        "16",
    ]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    sweep = json.loads(out.read_text())
    assert sweep["command"].startswith("python -m course_lib mnist sweep --epochs 1")
    assert [(r["dropout"], r["num_layers"]) for r in sweep["runs"]] == [(0.0, 1), (0.5, 1)]
    record = sweep["runs"][0]["history"][0]
    assert set(record) == {"epoch", "train_loss", "test_loss", "test_accuracy", "seconds"}
    assert record["test_accuracy"] == round(record["test_accuracy"], 4)


@pytest.mark.parametrize(
    "argv",
    [
        ["mnist", "train", "--epochs", "-1"],
        ["mnist", "train", "--dropout", "1.0"],
        ["mnist", "train", "--dropout", "-0.1"],
        ["mnist", "train", "--lr", "0"],
        ["mnist", "train", "--data", "kaggle"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_missing_checkpoint_one_line_error(tmp_path, capsys):
    assert main(["mnist", "evaluate", "--checkpoint", str(tmp_path / "none.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: checkpoint") and "not found" in err and "\n" not in err


def test_missing_idx_files_one_line_error(run_dir, tmp_path, capsys):
    argv = ["mnist", "evaluate", "--checkpoint", str(run_dir / "checkpoint.pt")]
    assert main([*argv, "--data", "torchvision", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "t10k-images-idx3-ubyte" in err and "--download" in err and "\n" not in err


def test_help_lists_every_flag(capsys):
    with pytest.raises(SystemExit) as info:
        main(["mnist", "train", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    flags = "--epochs --layers --hiddens --dropout --batch-size --lr --seed --device --data --data-dir"
    for flag in [*flags.split(), "--download", "--out", "--json", "--mixed-precision", "--no-progress"]:
        assert flag in text, flag
    with pytest.raises(SystemExit):
        main(["mnist", "evaluate", "--help"])
    text = capsys.readouterr().out
    assert "--checkpoint" in text and "--dropout-active" in text


def test_train_output_folder_is_reproducible(run_dir, tmp_path):
    argv = ["mnist", "train", "--epochs", "1", "--layers", "1", "--hiddens", "32", "--out", str(tmp_path)]
    assert main([*argv, "--no-figures", "--no-progress", "--device", "cpu"]) == 0
    a = torch.load(run_dir / "checkpoint.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "checkpoint.pt", weights_only=True)["state_dict"]
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
