"""Chapter 1 data: normalization, the embedded split, and the IDX reader on files written here."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.core import CourseError
from course_lib.mnist.data import MEAN, STD, denormalize, flatten_normalize, load_mnist, read_idx

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """Write ``array`` (uint8) as an IDX file, as the MNIST distribution does."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def make_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(
        np.uint8
    )


def write_mnist_folder(root: Path, layout: str, compress: bool, with_train: bool = True) -> dict:
    folder = root / "MNIST" / "raw" if layout == "raw" else root
    suffix = ".gz" if compress else ""
    arrays = {"test": make_split(12, 1)}
    names = [("test", "t10k")]
    if with_train:
        arrays["train"] = make_split(20, 2)
        names.append(("train", "train"))
    for split, prefix in names:
        images, labels = arrays[split]
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
    return arrays


def test_flatten_normalize_matches_totensor_normalize():
    images = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    X = flatten_normalize(images)
    assert X.shape == (2, 784) and X.dtype == torch.float32
    assert torch.allclose(X[0], torch.full((784,), (0 - MEAN) / STD))
    assert torch.allclose(X[1], torch.full((784,), (1 - MEAN) / STD))
    # (n, 784) input and tensors give the same result
    assert torch.equal(flatten_normalize(torch.from_numpy(images).reshape(2, 784)), X)


def test_denormalize_inverts_flatten_normalize():
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    back = denormalize(flatten_normalize(images))
    assert back.shape == (3, 28, 28)
    assert torch.allclose(back, torch.from_numpy(images).float() / 255, atol=1e-6)


def test_flatten_normalize_rejects_wrong_shape():
    with pytest.raises(CourseError, match=r"\(n, 28, 28\)"):
        flatten_normalize(np.zeros((2, 27, 28), dtype=np.uint8))


def test_embedded_split_is_stratified_seeded_and_disjoint():
    data = load_mnist()
    assert data.X_train.shape == (4000, 784) and data.X_test.shape == (1000, 784)
    assert data.X_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert torch.bincount(data.y_test).tolist() == [100] * 10
    assert torch.bincount(data.y_train).tolist() == [400] * 10
    assert abs(float(data.X_train.mean())) < 0.05 and abs(float(data.X_train.std()) - 1) < 0.05
    again = load_mnist(seed=0)
    assert torch.equal(again.X_test, data.X_test) and torch.equal(again.y_test, data.y_test)
    other = load_mnist(seed=1)
    assert not torch.equal(other.y_test, data.y_test)
    # no test image also appears in training (the 5,000 digits are distinct)
    train_rows = {row.numpy().tobytes() for row in data.X_train}
    assert not any(row.numpy().tobytes() in train_rows for row in data.X_test)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, compress):
    images, labels = make_split(5, 0)
    assert np.array_equal(read_idx(write_idx(tmp_path / "img", images, compress)), images)
    assert np.array_equal(read_idx(write_idx(tmp_path / "lab", labels, compress)), labels)


def test_read_idx_errors(tmp_path):
    with pytest.raises(CourseError, match="not found"):
        read_idx(tmp_path / "missing")
    (tmp_path / "junk").write_bytes(b"hello world, not idx")
    with pytest.raises(CourseError, match="not an IDX file"):
        read_idx(tmp_path / "junk")
    path = write_idx(tmp_path / "short", make_split(4, 0)[0])
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CourseError, match="truncated or corrupt"):
        read_idx(path)
    bad_gz = tmp_path / "bad.gz"
    bad_gz.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(CourseError, match="damaged gzip"):
        read_idx(bad_gz)


@pytest.mark.parametrize("layout", ["flat", "raw"])
@pytest.mark.parametrize("compress", [False, True])
def test_load_full_mnist_from_idx_folder(tmp_path, layout, compress):
    arrays = write_mnist_folder(tmp_path, layout, compress)
    data = load_mnist("torchvision", data_dir=tmp_path)
    assert data.X_train.shape == (20, 784) and data.X_test.shape == (12, 784)
    assert torch.equal(data.X_test, flatten_normalize(arrays["test"][0]))
    assert data.y_train.tolist() == arrays["train"][1].tolist()
    assert data.source.startswith("torchvision:")


@pytest.mark.parametrize("layout", ["flat", "raw"])
def test_load_test_files_only(tmp_path, layout):
    arrays = write_mnist_folder(tmp_path, layout, compress=True, with_train=False)
    data = load_mnist("torchvision", data_dir=tmp_path)
    assert data.X_train.shape == (0, 784) and data.y_train.shape == (0,)
    assert data.y_test.tolist() == arrays["test"][1].tolist()


def test_missing_files_error_names_files_and_fix(tmp_path):
    with pytest.raises(CourseError) as info:
        load_mnist("torchvision", data_dir=tmp_path)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte" in message and "train-labels-idx1-ubyte" in message
    assert "--download" in message


def test_mismatched_label_file_is_reported(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", make_split(6, 0)[0])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", make_split(5, 0)[1])
    with pytest.raises(CourseError, match="do not belong together"):
        load_mnist("torchvision", data_dir=tmp_path)


def test_unknown_source():
    with pytest.raises(CourseError, match="embedded"):
        load_mnist("kaggle")
