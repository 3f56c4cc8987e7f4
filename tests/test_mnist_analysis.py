"""Chapter 1 analysis and figures: best examples, PCA (equal to scikit-learn), t-SNE, separability."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from course_lib.core import CourseError
from course_lib.mnist.analysis import (
    compute_best_examples,
    compute_confidence,
    compute_embedding,
    compute_history_blocks,
    compute_layer_embeddings,
    compute_pca,
    compute_separability,
)
from course_lib.mnist.model import MLP
from course_lib.mnist.plot import plot_best_examples, plot_embeddings, plot_history, plot_separability
from course_lib.mnist.sweep import compute_sweep_summary

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# 3 classes; class 0 rows: 0 (p=.9), 3 (p=.6), 5 (p=.95); class 1 rows: 1 (.2), 4 (.8);
# class 2 rows: 2 (.5), 6 (.7), 7 (.7) -> a tie, kept in index order.
HAND_MADE_PROBS = np.array(
    [
        [0.90, 0.05, 0.05],
        [0.70, 0.20, 0.10],
        [0.25, 0.25, 0.50],
        [0.60, 0.30, 0.10],
        [0.10, 0.80, 0.10],
        [0.95, 0.00, 0.05],
        [0.10, 0.20, 0.70],
        [0.20, 0.10, 0.70],
    ]
)
HAND_MADE_Y = np.array([0, 1, 2, 0, 1, 0, 2, 2])


def test_best_examples_hand_made_case():
    # 3 classes, k=2; class 0 rows: 0 (p=.9), 3 (p=.6), 5 (p=.95); class 1 rows: 1 (.2), 4 (.8);
    # class 2 rows: 2 (.5), 6 (.7), 7 (.7) -> tie kept in index order.
    probs, y = HAND_MADE_PROBS, HAND_MADE_Y
    best = compute_best_examples(probs, y, k=2)
    assert best.shape == (3, 2)
    assert best.tolist() == [[5, 0], [4, 1], [6, 7]]
    assert compute_best_examples(torch.tensor(probs), torch.tensor(y), k=1).tolist() == [[5], [4], [6]]


def test_best_examples_too_few():
    with pytest.raises(CourseError, match="digit 1 has only 1"):
        compute_best_examples(np.eye(2)[[0, 0, 1]], np.array([0, 0, 1]), k=2)


@pytest.mark.parametrize("shape", [(200, 30), (40, 300), (1200, 12)])
def test_pca_equals_sklearn(shape):
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape) @ rng.normal(size=(shape[1], shape[1])) + 3.0
    ours = compute_pca(X, n_components=2)
    theirs = PCA(n_components=2).fit_transform(X)
    assert ours.shape == (shape[0], 2)
    np.testing.assert_allclose(ours, theirs, atol=1e-6 * np.abs(theirs).max())


def test_pca_errors():
    with pytest.raises(CourseError):
        compute_pca(np.zeros(5))
    with pytest.raises(CourseError):
        compute_pca(np.zeros((3, 4)), n_components=4)


def _blobs(n_per: int = 20, dim: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=6.0, size=(10, dim))
    y = np.repeat(np.arange(10), n_per)
    return centers[y] + rng.normal(size=(len(y), dim)), y


def test_tsne_shape_and_seed_stability():
    X, _ = _blobs(n_per=6)
    a = compute_embedding(X, method="tsne", seed=0)
    b = compute_embedding(X, method="tsne", seed=0)
    assert a.shape == (60, 2)
    np.testing.assert_array_equal(a, b)
    _, y = _blobs(n_per=6)
    assert compute_separability(a, y) > 0.9  # well-separated clusters stay separated
    assert compute_embedding(X, method="pca").shape == (60, 2)
    with pytest.raises(CourseError, match="pca"):
        compute_embedding(X, method="umap")


def test_separability_separated_vs_random():
    X, y = _blobs()
    separated = compute_separability(compute_pca(X), y)
    shuffled = compute_separability(np.random.default_rng(0).normal(size=(len(y), 2)), y)
    assert separated > 0.9
    assert shuffled < 0.3
    assert compute_separability(X[:, :2], y, seed=3) == compute_separability(X[:, :2], y, seed=3)


def test_layer_embeddings_and_figures():
    torch.manual_seed(0)
    model = MLP(num_layers=2, num_hiddens=16)
    X, y = torch.randn(60, 784), torch.arange(60) % 10
    results = compute_layer_embeddings(model, X, y, method="pca")
    assert [r["name"] for r in results] == ["input", "hidden 1", "hidden 2", "output"]
    assert all(r["Z"].shape == (60, 2) and 0.0 <= r["separability"] <= 1.0 for r in results)

    fig = plot_embeddings(results, y, title="PCA")
    panels = [ax for ax in fig.axes if ax.collections]
    assert len(panels) == 4 and "separability" not in panels[0].get_title()
    assert "k-NN" in panels[0].get_title() and len(fig.legends) == 1
    plt.close(fig)

    probs = torch.softmax(torch.randn(60, 10), dim=1)
    best = compute_best_examples(probs, y, k=3)
    fig = plot_best_examples(X, best, probs=probs)
    assert len(fig.axes) == 30
    plt.close(fig)

    history = [
        {"epoch": e, "train_loss": 1 / e, "test_loss": 1.1 / e, "test_accuracy": 0.8 + e / 100}
        for e in (1, 2)
    ]
    ax = plot_history(history)
    assert len(ax.lines) == 2 and len(ax.figure.axes) == 2
    plt.close(ax.figure)
    ax = plot_separability(results, results)
    assert len(ax.lines) == 3  # PCA, t-SNE, chance
    plt.close(ax.figure)


def test_worst_examples_are_the_reverse_order():
    probs, y = HAND_MADE_PROBS, HAND_MADE_Y
    # class 0: 3 (.6) < 0 (.9) < 5 (.95); class 1: 1 (.2) < 4 (.8); class 2: 2 (.5) < 6 = 7 (.7, index order).
    assert compute_best_examples(probs, y, k=2, largest=False).tolist() == [[3, 0], [1, 4], [2, 6]]
    with pytest.raises(CourseError, match="digit 1 has only 2"):
        compute_best_examples(probs, y, k=3, largest=False)


def test_confidence_hand_made_case():
    probs = np.array(
        [
            [0.95, 0.05],  # label 0, right, confident
            [0.60, 0.40],  # label 0, right
            [0.97, 0.03],  # label 1, wrong, confident
            [0.70, 0.30],  # label 1, wrong
        ]
    )
    result = compute_confidence(torch.tensor(probs), torch.tensor([0, 0, 1, 1]), threshold=0.9)
    assert result["n"] == 4 and result["n_errors"] == 2
    assert result["accuracy"] == pytest.approx(0.5)
    assert result["mean_confidence"] == pytest.approx((0.95 + 0.60 + 0.97 + 0.70) / 4)
    assert result["error_mean_confidence"] == pytest.approx((0.97 + 0.70) / 2)
    assert result["error_share_confident"] == pytest.approx(0.5)
    assert result["correct_share_confident"] == pytest.approx(0.5)
    no_errors = compute_confidence(np.eye(3), np.arange(3))
    assert no_errors["n_errors"] == 0 and np.isnan(no_errors["error_share_confident"])
    with pytest.raises(CourseError):
        compute_confidence(np.eye(3), np.arange(2))


def _history(test_loss):
    return [
        {"epoch": i + 1, "train_loss": 1.0 / (i + 1), "test_loss": t, "test_accuracy": 1.0 - t}
        for i, t in enumerate(test_loss)
    ]


def test_history_blocks():
    blocks = compute_history_blocks(_history([0.5, 0.3, 0.4, 0.2, 0.6, 0.1, 0.2]), size=3)
    assert [(b["first"], b["last"]) for b in blocks] == [(1, 1), (2, 4), (5, 7)]
    last = blocks[-1]
    assert last["test_loss"] == pytest.approx(0.3)
    assert (last["test_loss_min"], last["test_loss_max"]) == (0.1, 0.6)
    assert last["test_accuracy"] == pytest.approx(0.7)
    assert (last["test_accuracy_min"], last["test_accuracy_max"]) == pytest.approx((0.4, 0.9))
    assert last["train_loss"] == pytest.approx((1 / 5 + 1 / 6 + 1 / 7) / 3)
    assert [(b["first"], b["last"]) for b in compute_history_blocks(_history([0.1, 0.2]), size=5)] == [(1, 2)]
    with pytest.raises(CourseError):
        compute_history_blocks([], size=5)
    with pytest.raises(CourseError):
        compute_history_blocks(_history([0.1]), size=0)


def test_sweep_summary_uses_the_last_epochs():
    history = [dict(h, seconds=0.5) for h in _history([0.5, 0.4, 0.3, 0.2])]
    sweep = {"runs": [{"dropout": 0.2, "num_layers": 3, "history": history}]}
    (row,) = compute_sweep_summary(sweep, last=2)
    assert (row["dropout"], row["num_layers"], row["epochs"]) == (0.2, 3, "3-4")
    assert row["test_loss"] == pytest.approx(0.25)
    assert row["test_accuracy_min"] == pytest.approx(0.7)
    assert row["seconds_per_epoch"] == pytest.approx(0.5)
