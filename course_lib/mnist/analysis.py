"""What the Chapter 1 network learned: its training history in blocks of epochs, its most and
least confident examples, how confident its mistakes are, and 2-D maps of every layer.

The separability of a 2-D embedding is measured as the cross-validated
accuracy of a k-nearest-neighbour classifier on the embedded points, so that
"t-SNE separates the digits better than PCA" and "deeper layers separate them
better" are numbers rather than impressions.

Book pages: Chapter 1, "Training", "The best examples" and "What the layers see: PCA and
t-SNE of every layer".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from course_lib.core import CourseError
from course_lib.mnist.model import compute_layer_outputs

EMBEDDING_METHODS = ("pca", "tsne")
TSNE_PCA_DIMS = 50  # t-SNE runs on this many principal components of wider inputs


def _to_numpy(a: Any, dtype: Any = np.float64) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=dtype)


def compute_best_examples(
    probs: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray, k: int = 10, largest: bool = True
) -> np.ndarray:
    """For every digit, the k examples of that digit the model is most (or least) confident about.

    Book page: Chapter 1, "The best examples".

    Args:
        probs: (n, 10) predicted class probabilities (e.g. from
            :func:`~course_lib.mnist.train.predict_proba`).
        y: (n,) true labels.
        k: Examples per digit.
        largest: ``True`` for the k examples with the highest probability of
            their own digit (the best examples), ``False`` for the k with the
            lowest (the hardest ones).

    Returns:
        (10, k) int64 array: row ``c`` holds the indices (into ``probs``) of the
        k examples with true label ``c`` and the highest (``largest=False``:
        lowest) probability of ``c``, in that order: most confident first, or
        least confident first (ties keep the lower index first either way).

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
        scores = -P[candidates, c] if largest else P[candidates, c]
        order = np.argsort(scores, kind="stable")
        best[c] = candidates[order[:k]]
    return best


def compute_confidence(
    probs: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray, threshold: float = 0.9
) -> dict[str, float | int]:
    """How confident the model is, on all images and on the ones it gets wrong.

    The confidence of a prediction is the probability of the predicted digit
    (the largest entry of its row). A model is *overconfident* on average when
    its mean confidence exceeds its accuracy; a large share of mistakes made
    with a confidence above ``threshold`` means it is often sure and wrong.

    Book page: Chapter 1, "The best examples".

    Args:
        probs: (n, classes) predicted class probabilities.
        y: (n,) true labels.
        threshold: Confidence above which a prediction counts as confident.

    Returns:
        ``{"n", "n_errors", "accuracy", "mean_confidence", "error_mean_confidence",
        "error_share_confident", "correct_share_confident"}``: counts, the
        accuracy, the mean confidence over all images and over the mistakes,
        and the share of mistakes and of correct predictions whose confidence
        exceeds ``threshold`` (``nan`` for an empty group).

    Raises:
        CourseError: if the shapes do not match or there are no images.
    """
    P = _to_numpy(probs)
    labels = _to_numpy(y, dtype=np.int64)
    if P.ndim != 2 or labels.ndim != 1 or P.shape[0] != labels.shape[0] or P.shape[0] == 0:
        raise CourseError(
            "compute_confidence needs probs (n, classes) and y (n,) with n > 0, "
            f"got {P.shape} and {labels.shape}"
        )
    confidence = P.max(axis=1)
    wrong = P.argmax(axis=1) != labels

    def mean_or_nan(values: np.ndarray) -> float:
        return float(values.mean()) if values.size else float("nan")

    return {
        "n": int(len(labels)),
        "n_errors": int(wrong.sum()),
        "accuracy": float(1.0 - wrong.mean()),
        "mean_confidence": float(confidence.mean()),
        "error_mean_confidence": mean_or_nan(confidence[wrong]),
        "error_share_confident": mean_or_nan(confidence[wrong] > threshold),
        "correct_share_confident": mean_or_nan(confidence[~wrong] > threshold),
    }


def compute_history_blocks(history: list[dict[str, Any]], size: int = 5) -> list[dict[str, Any]]:
    """Summarize a training history in consecutive blocks of ``size`` epochs.

    A single run's test loss and accuracy jump from one epoch to the next; the
    mean over a block of epochs shows the trend, and the block's minimum and
    maximum show how large the jumps are. Compare blocks, not single epochs.

    Book pages: Chapter 1, "Training" and "Try it: dropout, depth, epochs".

    Args:
        history: Per-epoch records with ``epoch``, ``train_loss``, ``test_loss``
            and ``test_accuracy`` (as returned by
            :func:`~course_lib.mnist.train.train_mlp` or stored in the sweep).
        size: Epochs per block; the first block is shorter when the number of
            epochs is not a multiple of ``size``, so that the last block always
            holds the last ``size`` epochs.

    Returns:
        One dict per block, first epochs first: ``{"first", "last"`` (epoch
        numbers), ``"train_loss", "test_loss", "test_accuracy"`` (means),
        ``"test_loss_min", "test_loss_max", "test_accuracy_min",
        "test_accuracy_max"}``.

    Raises:
        CourseError: if the history is empty or ``size`` < 1.
    """
    if size < 1:
        raise CourseError(f"compute_history_blocks needs size >= 1, got {size}")
    if not history:
        raise CourseError("compute_history_blocks needs a non-empty history: train for at least one epoch")
    starts = list(range(len(history) - size, 0, -size))[::-1]
    bounds = [0, *starts] if starts else [0]
    blocks = []
    for start, end in zip(bounds, [*bounds[1:], len(history)], strict=True):
        part = history[start:end]
        test_loss = [h["test_loss"] for h in part]
        test_accuracy = [h["test_accuracy"] for h in part]
        blocks.append(
            {
                "first": int(part[0]["epoch"]),
                "last": int(part[-1]["epoch"]),
                "train_loss": float(np.mean([h["train_loss"] for h in part])),
                "test_loss": float(np.mean(test_loss)),
                "test_accuracy": float(np.mean(test_accuracy)),
                "test_loss_min": float(min(test_loss)),
                "test_loss_max": float(max(test_loss)),
                "test_accuracy_min": float(min(test_accuracy)),
                "test_accuracy_max": float(max(test_accuracy)),
            }
        )
    return blocks


def compute_pca(X: torch.Tensor | np.ndarray, n_components: int = 2) -> np.ndarray:
    """Project the rows of X on their first principal components.

    Computed from the SVD of the centred data, with scikit-learn's sign
    convention (``svd_flip`` with ``u_based_decision=False``, as
    ``sklearn.decomposition.PCA`` uses since version 1.5: the largest-magnitude
    entry of every principal axis is positive), so the result equals
    ``PCA(n_components).fit_transform(X)`` up to floating-point error.

    Book page: Chapter 1, "What the layers see: PCA and t-SNE of every layer".

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

    t-SNE (``init="pca"``, seeded) first reduces inputs wider than
    ``TSNE_PCA_DIMS`` (50) to that many dimensions with PCA (when there are
    more than 50 points), the usual practice: it speeds t-SNE up and drops the
    low-variance directions, mostly noise, that would blur the neighbourhoods.
    Its perplexity is 30, or less for very small n.

    Book page: Chapter 1, "What the layers see: PCA and t-SNE of every layer".

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
        if A.shape[1] > TSNE_PCA_DIMS and A.shape[0] > TSNE_PCA_DIMS:
            A = PCA(n_components=TSNE_PCA_DIMS, random_state=seed).fit_transform(A)
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

    Book page: Chapter 1, "What the layers see: PCA and t-SNE of every layer".

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

    Book page: Chapter 1, "What the layers see: PCA and t-SNE of every layer".

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
