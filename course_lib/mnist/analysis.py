"""What the Chapter 1 network learned: its most confident examples, and 2-D maps of every layer.

The separability of a 2-D embedding is measured as the cross-validated
accuracy of a k-nearest-neighbour classifier on the embedded points, so that
"t-SNE separates the digits better than PCA" and "deeper layers separate them
better" are numbers rather than impressions.

Book pages: Chapter 1, "Best examples" and "What the layers see".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from course_lib.core import CourseError
from course_lib.mnist.model import compute_layer_outputs

EMBEDDING_METHODS = ("pca", "tsne")


def _to_numpy(a: Any, dtype: Any = np.float64) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=dtype)


def compute_best_examples(
    probs: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray, k: int = 10
) -> np.ndarray:
    """For every digit, the k examples of that digit the model is most confident about.

    Book page: Chapter 1, "Best examples".

    Args:
        probs: (n, 10) predicted class probabilities (e.g. from
            :func:`~course_lib.mnist.train.predict_proba`).
        y: (n,) true labels.
        k: Examples per digit.

    Returns:
        (10, k) int64 array: row ``c`` holds the indices (into ``probs``) of the
        k examples with true label ``c`` and the highest probability of ``c``,
        most confident first (ties keep the lower index first).

    Raises:
        CourseError: if the shapes do not match or a digit has fewer than k examples.
    """
    P = _to_numpy(probs)
    labels = _to_numpy(y, dtype=np.int64)
    if P.ndim != 2 or labels.ndim != 1 or P.shape[0] != labels.shape[0]:
        raise CourseError(
            f"compute_best_examples needs probs (n, classes) and y (n,), got {P.shape} and {labels.shape}"
        )
    num_classes = P.shape[1]
    best = np.empty((num_classes, k), dtype=np.int64)
    for c in range(num_classes):
        candidates = np.flatnonzero(labels == c)
        if len(candidates) < k:
            raise CourseError(
                f"digit {c} has only {len(candidates)} examples but k={k} were asked for: "
                "use a smaller k or more test images"
            )
        order = np.argsort(-P[candidates, c], kind="stable")
        best[c] = candidates[order[:k]]
    return best


def compute_pca(X: torch.Tensor | np.ndarray, n_components: int = 2) -> np.ndarray:
    """Project the rows of X on their first principal components.

    Computed from the SVD of the centred data, with scikit-learn's sign
    convention (``svd_flip`` with ``u_based_decision=False``, as
    ``sklearn.decomposition.PCA`` uses since version 1.5: the largest-magnitude
    entry of every principal axis is positive), so the result equals
    ``PCA(n_components).fit_transform(X)`` up to floating-point error.

    Book page: Chapter 1, "What the layers see" (PCA).

    Args:
        X: (n, d) data.
        n_components: Number of components (<= min(n, d)).

    Returns:
        (n, n_components) float64 coordinates.

    Raises:
        CourseError: if X is not 2-D or n_components is out of range.
    """
    A = _to_numpy(X)
    if A.ndim != 2:
        raise CourseError(f"compute_pca needs a 2-D array (n, d), got shape {A.shape}")
    if not 1 <= n_components <= min(A.shape):
        raise CourseError(f"n_components must be in 1..{min(A.shape)} for data of shape {A.shape}")
    centred = A - A.mean(axis=0)
    U, S, Vt = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(Vt[np.arange(Vt.shape[0]), np.argmax(np.abs(Vt), axis=1)])
    signs[signs == 0] = 1.0
    return U[:, :n_components] * (S[:n_components] * signs[:n_components])


def compute_embedding(X: torch.Tensor | np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Embed the rows of X in 2-D with scikit-learn's PCA or t-SNE.

    t-SNE (``init="pca"``, seeded) first reduces inputs wider than 50 to 50
    dimensions with PCA, the usual practice that speeds it up without changing
    the picture; its perplexity is 30, or less for very small n.

    Book page: Chapter 1, "What the layers see".

    Args:
        X: (n, d) data, e.g. one layer's outputs.
        method: ``"pca"`` or ``"tsne"``.
        seed: Random state of the estimator.

    Returns:
        (n, 2) float64 coordinates.

    Raises:
        CourseError: for an unknown method or too few points.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    A = _to_numpy(X, dtype=np.float32)
    if A.ndim != 2 or A.shape[0] < 3:
        raise CourseError(f"compute_embedding needs (n, d) data with n >= 3, got shape {A.shape}")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(A).astype(np.float64)
    if method == "tsne":
        if A.shape[1] > 50 and A.shape[0] > 50:
            A = PCA(n_components=50, random_state=seed).fit_transform(A)
        perplexity = min(30.0, (A.shape[0] - 1) / 3.0)
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
        return tsne.fit_transform(A).astype(np.float64)
    raise CourseError(f"unknown embedding method {method!r}: choose one of {', '.join(EMBEDDING_METHODS)}")


def compute_separability(
    Z: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray, k: int = 5, seed: int = 0
) -> float:
    """How well the digits separate in an embedding: cross-validated k-NN accuracy.

    A k-nearest-neighbour classifier is scored with 5-fold stratified
    cross-validation (fewer folds when a digit has fewer than 5 points; folds
    shuffled with ``seed``); 1.0 means every point's
    neighbours share its digit, 0.1 is chance for ten balanced digits.

    Book page: Chapter 1, "What the layers see".

    Args:
        Z: (n, 2) embedded points (any dimension works).
        y: (n,) labels.
        k: Neighbours.
        seed: Shuffles the folds.

    Returns:
        Mean accuracy over the folds, in [0, 1].

    Raises:
        CourseError: if there are fewer than 2 digits or a digit has fewer than 2 points.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    points = _to_numpy(Z)
    labels = _to_numpy(y, dtype=np.int64)
    if points.ndim != 2 or labels.ndim != 1 or points.shape[0] != labels.shape[0]:
        raise CourseError(
            f"compute_separability needs Z (n, 2) and y (n,), got {points.shape} and {labels.shape}"
        )
    _, counts = np.unique(labels, return_counts=True)
    if len(counts) < 2 or counts.min() < 2:
        raise CourseError(
            "compute_separability needs at least 2 digits with 2 points each: embed more images"
        )
    folds = StratifiedKFold(n_splits=int(min(5, counts.min())), shuffle=True, random_state=seed)
    scores = cross_val_score(KNeighborsClassifier(n_neighbors=k), points, labels, cv=folds)
    return float(scores.mean())


def compute_layer_embeddings(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    method: str = "pca",
    seed: int = 0,
    show_progress: bool = False,
) -> list[dict[str, Any]]:
    """2-D embedding and separability of the input, every hidden layer and the output.

    Book page: Chapter 1, "What the layers see".

    Args:
        model: A trained :class:`~course_lib.mnist.model.MLP`.
        X: (n, 784) normalized images (a few hundred to a thousand is plenty).
        y: (n,) their labels (only used for the separability).
        method: ``"pca"`` or ``"tsne"``.
        seed: Seeds the embedding and the separability folds.
        show_progress: Show a progress bar over layers (t-SNE takes seconds per layer).

    Returns:
        One dict per depth, input first: ``{"name": "input" | "hidden 1" ... | "output",
        "Z": (n, 2) array, "separability": float}``.
    """
    from course_lib.core import progress

    outputs = compute_layer_outputs(model, X)
    names = ["input"] + [f"hidden {i}" for i in range(1, len(outputs) - 1)] + ["output"]
    result = []
    for name, H in progress(
        list(zip(names, outputs, strict=True)), enabled=show_progress, desc=f"{method} per layer"
    ):
        Z = compute_embedding(H, method=method, seed=seed)
        result.append({"name": name, "Z": Z, "separability": compute_separability(Z, y, seed=seed)})
    return result
