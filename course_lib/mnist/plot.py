"""Figures for Chapter 1. Every function takes computed data and draws it; nothing is trained here.

Book pages: Chapter 1, "Training", "The best examples" and "What the layers see: PCA and
t-SNE of every layer".
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.core import CourseError
from course_lib.mnist.data import denormalize


def _as_images(X: Any) -> np.ndarray:
    """(n, 28, 28) images in [0, 1] from normalized (n, 784) / (n, 28, 28) floats or uint8 pixels."""
    A = X.detach().cpu() if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    if A.dtype == torch.uint8:
        return (A.reshape(-1, 28, 28).float() / 255.0).numpy()
    if A.ndim == 3 and float(A.min()) >= 0.0 and float(A.max()) <= 1.0:
        return A.float().numpy()
    return denormalize(A).numpy()


def plot_best_examples(
    X_or_images: torch.Tensor | np.ndarray,
    indices: np.ndarray,
    probs: torch.Tensor | np.ndarray | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Grid of the most confident examples: one row per digit, most confident on the left.

    Book page: Chapter 1, "The best examples".

    Args:
        X_or_images: (n, 784) normalized inputs, (n, 28, 28) uint8 pixels, or
            (n, 28, 28) images already in [0, 1].
        indices: (10, k) indices into ``X_or_images``, from
            :func:`~course_lib.mnist.analysis.compute_best_examples`.
        probs: Optional (n, 10) probabilities; each image is then titled with
            the probability of its row's digit.
        fig: Figure to draw into (a new one when ``None``).

    Returns:
        The figure.
    """
    images = _as_images(X_or_images)
    indices = np.asarray(indices)
    if indices.ndim != 2:
        raise CourseError(f"indices must be (num_digits, k), got shape {indices.shape}")
    rows, cols = indices.shape
    P = (
        None
        if probs is None
        else np.asarray(probs.detach().cpu() if isinstance(probs, torch.Tensor) else probs)
    )
    fig = fig or plt.figure(figsize=(1.0 * cols, 1.1 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            idx = int(indices[r, c])
            ax.imshow(images[idx], cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if P is not None:
                ax.set_title(f"{P[idx, r]:.3f}", fontsize=7, pad=2)
            if c == 0:
                ax.set_ylabel(str(r), rotation=0, labelpad=10, fontsize=10)
    fig.suptitle("Most confident test examples per digit")
    return fig


def plot_embeddings(
    embeddings: list[dict[str, Any]],
    y: torch.Tensor | np.ndarray,
    title: str = "2-D embeddings per layer",
    fig: Figure | None = None,
) -> Figure:
    """Grid of 2-D embeddings (input, hidden layers, output), coloured by digit.

    Book page: Chapter 1, "What the layers see: PCA and t-SNE of every layer".

    Args:
        embeddings: From :func:`~course_lib.mnist.analysis.compute_layer_embeddings`:
            dicts with ``"name"``, ``"Z"`` (n, 2) and ``"separability"``.
        y: (n,) labels, for the colours.
        title: Figure title (e.g. the method's name).
        fig: Figure to draw into (a new one when ``None``).

    Returns:
        The figure (one panel per layer, the k-NN separability in each panel's title,
        one legend for the digits).
    """
    labels = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
    n = len(embeddings)
    if n == 0:
        raise CourseError("plot_embeddings got no embeddings: compute them with compute_layer_embeddings")
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig = fig or plt.figure(figsize=(3.2 * cols + 1.2, 3.0 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    cmap = plt.get_cmap("tab10")
    for ax, emb in zip(axes, embeddings, strict=False):
        Z = np.asarray(emb["Z"])
        for digit in range(10):
            mask = labels == digit
            ax.scatter(Z[mask, 0], Z[mask, 1], s=4, color=cmap(digit), label=str(digit), alpha=0.8)
        ax.set_title(f"{emb['name']}\nk-NN acc. {emb['separability']:.2f}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.set_axis_off()
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, title="digit", loc="outside right center", markerscale=3)
    fig.suptitle(title)
    return fig


def plot_history(history: list[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Training curves: train and test loss (left axis) and test accuracy (right axis) per epoch.

    Book page: Chapter 1, "Training".

    Args:
        history: Per-epoch records from :func:`~course_lib.mnist.train.train_mlp`.
        ax: Axes to draw into (new when ``None``).

    Returns:
        The loss axes (the accuracy axes is its twin).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    if not history:
        raise CourseError("plot_history got an empty history: train for at least one epoch")
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="train loss")
    if history[0].get("test_loss") is not None:
        ax.plot(epochs, [h["test_loss"] for h in history], "s-", label="test loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    lines, names = ax.get_legend_handles_labels()
    if history[0].get("test_accuracy") is not None:
        acc_ax = ax.twinx()
        acc_ax.plot(
            epochs, [h["test_accuracy"] for h in history], "^-", color="tab:green", label="test accuracy"
        )
        acc_ax.set_ylabel("test accuracy")
        more_lines, more_names = acc_ax.get_legend_handles_labels()
        lines, names = lines + more_lines, names + more_names
    ax.legend(lines, names, loc="center right")
    ax.set_title("Training history")
    return ax


def plot_separability(
    pca_list: list[dict[str, Any]], tsne_list: list[dict[str, Any]], ax: Axes | None = None
) -> Axes:
    """k-NN separability per layer for PCA and t-SNE embeddings, side by side.

    Book page: Chapter 1, "What the layers see: PCA and t-SNE of every layer".

    Args:
        pca_list: :func:`~course_lib.mnist.analysis.compute_layer_embeddings` with ``method="pca"``.
        tsne_list: The same with ``method="tsne"``.
        ax: Axes to draw into (new when ``None``).

    Returns:
        The axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for results, label, marker in ((pca_list, "PCA", "o-"), (tsne_list, "t-SNE", "s-")):
        if results:
            ax.plot(range(len(results)), [r["separability"] for r in results], marker, label=label)
    names = [r["name"] for r in (pca_list or tsne_list)]
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("5-NN accuracy in 2-D")
    ax.set_ylim(0.0, 1.02)
    ax.axhline(0.1, color="gray", lw=0.8, ls=":", label="chance")
    ax.legend()
    ax.set_title("How well each layer separates the digits")
    return ax
