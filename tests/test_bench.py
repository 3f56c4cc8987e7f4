"""Checks of the benchmark scripts' own machinery (not of their timings, which live in bench/RESULTS.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from course_lib.mnist.data import flatten_normalize, load_mnist

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_mnist  # noqa: E402
import bench_mnist_ceiling  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data():
    return load_mnist()


def test_manual_step_gradients_equal_autograd(data) -> None:
    assert bench_mnist_ceiling.check_manual_gradients(data, seed=3) < 1e-5


def test_manual_step_products_only_touches_no_rng(data) -> None:
    torch.manual_seed(0)
    step = bench_mnist_ceiling.ManualStep(bench_mnist.MLP())
    X, y = data.X_train[:128], data.y_train[:128]
    state = torch.get_rng_state()
    step.gradients(X, y, products_only=True)
    assert torch.equal(state, torch.get_rng_state())
    step.gradients(X, y)
    assert not torch.equal(state, torch.get_rng_state())


def test_reference_dataset_returns_the_course_normalization(data) -> None:
    images = bench_mnist.to_uint8(data.X_test[:8])
    ds = bench_mnist.ReferenceStyleMNIST(images, data.y_test[:8])
    x, label = ds[5]
    assert x.shape == (1, 28, 28)
    assert label == int(data.y_test[5])
    torch.testing.assert_close(x.view(-1), flatten_normalize(images[5:6])[0])
