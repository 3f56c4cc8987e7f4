"""Small helpers for the book's pages: where the project is, the committed results, one training per build.

Several pages of a chapter show the same trained model (training, evaluation,
best examples, embeddings). Each page runs in its own kernel when the book is
built, so the first page that needs the model trains it and saves a checkpoint
in the build's cache folder (``_build/.course_cache`` by default); the other
pages load it. ``make book`` deletes ``_build`` first, so every build trains
afresh from the code it documents.

Book pages: every page of both chapters that trains a model or reads a sweep.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from course_lib.core import CourseError

CACHE_ENV = "COURSE_BOOK_CACHE"
"""Environment variable that overrides the cache folder of trained models."""

__all__ = [
    "CACHE_ENV",
    "find_project_root",
    "get_cache_dir",
    "load_book_data",
    "make_cache_key",
    "make_markdown_table",
    "train_or_load_denoiser",
    "train_or_load_mlp",
]


def find_project_root(start: str | Path | None = None) -> Path:
    """Return the folder holding the book's ``_config.yml`` (the repository root).

    Args:
        start: Where to start looking (default: the current directory; a book
            page runs in its own folder, e.g. ``book/ch1``).

    Returns:
        The first folder, from ``start`` upwards, that contains ``_config.yml``.

    Raises:
        CourseError: if no such folder exists above ``start``.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file():
            return folder
    raise CourseError(
        f"no _config.yml found in {str(here)!r} or above: run the book's pages from inside the repository"
    )


def get_cache_dir(start: str | Path | None = None) -> Path:
    """Return (and create) the folder where the pages share trained models during one build.

    Args:
        start: Where to look for the project root (see :func:`find_project_root`).

    Returns:
        ``$COURSE_BOOK_CACHE`` when set, else ``<project root>/_build/.course_cache``.
    """
    override = os.environ.get(CACHE_ENV)
    folder = Path(override) if override else find_project_root(start) / "_build" / ".course_cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_book_data(name: str, start: str | Path | None = None) -> dict[str, Any]:
    """Read a committed results file of the book (``book/data/<name>.json``).

    Book pages: both chapters' "Try it" pages and the pages that show sweep results.

    Args:
        name: File name without ``.json``, e.g. ``"mnist_sweep"``.
        start: Where to look for the project root.

    Returns:
        The parsed JSON (with the ``"command"`` that produced it).

    Raises:
        CourseError: if the file is missing or not valid JSON.
    """
    from course_lib.widgets import load_sweep

    return load_sweep(find_project_root(start) / "book" / "data" / f"{name}.json")


def make_cache_key(kind: str, settings: dict[str, Any]) -> str:
    """Return a short file-name-safe key for a model kind and its training settings.

    Args:
        kind: e.g. ``"mlp"`` or ``"denoiser"``.
        settings: Plain values (numbers, strings) that determine the trained model.

    Returns:
        ``"<kind>-<12 hex digits>"``, the same for equal settings.
    """
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()[:12]
    return f"{kind}-{digest}"


def make_markdown_table(
    rows: list[dict[str, Any]],
    columns: list[tuple[str, str, str]],
) -> Any:
    """Format computed rows as a Markdown table that the book renders as a table.

    Book pages: every page that shows a table of computed numbers.

    Args:
        rows: One dict per row.
        columns: ``(key, header, format)`` per column, e.g. ``("accuracy", "test accuracy", "{:.1%}")``.

    Returns:
        An :class:`IPython.display.Markdown` object (display it, or let it be the cell's value).

    Raises:
        CourseError: if a row lacks one of the keys.
    """
    from IPython.display import Markdown

    lines = [
        "| " + " | ".join(header for _, header, _ in columns) + " |",
        "|" + "|".join("---:" for _ in columns) + "|",
    ]
    for row in rows:
        try:
            cells = [fmt.format(row[key]) for key, _, fmt in columns]
        except KeyError as exc:
            raise CourseError(f"table row {row} lacks the column {exc}: pass rows with every key") from exc
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))


def _train_or_load(
    kind: str,
    settings: dict[str, Any],
    cache_dir: str | Path | None,
    load: Callable[[Path], tuple[Any, dict[str, Any]]],
    train: Callable[[], tuple[Any, list[dict[str, Any]], dict[str, Any]]],
    save: Callable[..., Any],
) -> tuple[Any, list[dict[str, Any]], Path]:
    """Load the checkpoint cached for ``(kind, settings)``, or ``train()`` and cache the result.

    ``train()`` returns ``(model, history, extra)``; the checkpoint is
    ``save(path, model, history, **extra)``.

    The checkpoint is written under a temporary name and renamed, so an
    interrupted build never leaves a half-written file that a later build loads.
    The trained model is returned on the CPU in eval mode, as a loaded one is.
    """
    folder = Path(cache_dir) if cache_dir is not None else get_cache_dir()
    path = folder / f"{make_cache_key(kind, settings)}.pt"
    if path.is_file():
        model, checkpoint = load(path)
        return model, list(checkpoint["history"]), path
    model, history, extra = train()
    model = model.cpu().eval()
    partial = path.with_suffix(".partial")
    save(partial, model, history, **extra)
    partial.replace(path)
    return model, history, path


def train_or_load_mlp(
    num_layers: int = 5,
    num_hiddens: int = 1024,
    dropout: float = 0.2,
    num_epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    device: str = "auto",
    data: Any = None,
    cache_dir: str | Path | None = None,
) -> tuple[Any, list[dict[str, Any]], Path]:
    """Train the Chapter 1 MLP on the embedded digits once per build; later calls load it.

    Book pages: Chapter 1, "Training", "Evaluation", "Best examples", "What the layers see".

    Args:
        num_layers: Hidden layers.
        num_hiddens: Units per hidden layer.
        dropout: Dropout after each hidden layer.
        num_epochs: Passes over the training split.
        lr: Adam's learning rate.
        batch_size: Examples per update.
        seed: Seeds the initialization, shuffling and dropout.
        device: ``"auto"`` (cuda, mps, cpu) or a device name.
        data: An :class:`~course_lib.mnist.data.MNISTData` (default: the embedded
            split, ``load_mnist("embedded")``).
        cache_dir: Folder of the cached checkpoints (default: :func:`get_cache_dir`).

    Returns:
        ``(model, history, checkpoint_path)``: the MLP on the CPU in eval mode,
        its per-epoch history (``epoch``, ``train_loss``, ``test_loss``,
        ``test_accuracy``, ``seconds``) and the checkpoint file.
    """
    from course_lib.core import seed_everything
    from course_lib.mnist.data import load_mnist
    from course_lib.mnist.model import MLP
    from course_lib.mnist.train import load_mlp, save_mlp, train_mlp

    if data is None:
        data = load_mnist("embedded")
    settings = {
        "num_layers": int(num_layers),
        "num_hiddens": int(num_hiddens),
        "dropout": float(dropout),
        "num_epochs": int(num_epochs),
        "lr": float(lr),
        "batch_size": int(batch_size),
        "seed": int(seed),
        "data": data.source,
        "num_train": int(data.X_train.shape[0]),
    }

    def train() -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        seed_everything(seed)
        model = MLP(num_layers=num_layers, num_hiddens=num_hiddens, dropout=dropout)
        history = train_mlp(
            model,
            data,
            num_epochs=num_epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            device=device,
            show_progress=False,
        )
        return model, history, {k: v for k, v in settings.items() if k not in model.get_config()}

    return _train_or_load("mlp", settings, cache_dir, load_mlp, train, save_mlp)


def train_or_load_denoiser(
    noise: str | tuple[str, ...] = "mix",
    snr_db: float | tuple[float, ...] = (0.0, 5.0, 10.0),
    num_epochs: int = 4,
    lr: float = 1e-3,
    batch_size: int | None = None,
    seed: int = 0,
    device: str = "auto",
    num_utterances: int | None = None,
    cache_dir: str | Path | None = None,
) -> tuple[Any, list[dict[str, Any]], Path]:
    """Train the Chapter 2 denoiser on the embedded speech once per build; later calls load it.

    The training set mixes every clean training utterance with each noise kind at
    an SNR drawn from ``snr_db`` (see :func:`course_lib.denoise.train.make_training_set`).
    The book trains for a few epochs to keep its build short; the command line's
    default (``python -m course_lib denoise train``) trains longer.

    Book pages: Chapter 2, "Training", "Inference: back to a waveform", "Evaluation:
    SNR and a comparison with classical methods", "Listening", "Summary and exercises".

    Args:
        noise: A noise kind, several, or ``"mix"`` (white, pink, brown, babble, hum).
        snr_db: Input SNR in dB, or several to draw from.
        num_epochs: Passes over the training frames.
        lr: Adam's learning rate.
        batch_size: Frames per update (``None``: the library default,
            :data:`course_lib.denoise.train.BATCH_SIZE`).
        seed: Seeds the noise, the initialization and the shuffling.
        device: ``"auto"`` (cuda, mps, cpu) or a device name.
        num_utterances: Use only the first this many training utterances (``None``: all).
        cache_dir: Folder of the cached checkpoints (default: :func:`get_cache_dir`).

    Returns:
        ``(model, history, checkpoint_path)``: the :class:`~course_lib.denoise.model.LinearDenoiser`
        on the CPU in eval mode, its per-epoch history (``epoch``, ``train_loss``,
        ``seconds``) and the checkpoint file.
    """
    from course_lib.core import seed_everything
    from course_lib.denoise.audio import load_corpus
    from course_lib.denoise.model import LinearDenoiser
    from course_lib.denoise.train import (
        BATCH_SIZE,
        load_denoiser,
        make_training_set,
        save_denoiser,
        train_denoiser,
    )

    if batch_size is None:
        batch_size = BATCH_SIZE
    settings = {
        "noise": list(noise) if isinstance(noise, (tuple, list)) else noise,
        "snr_db": list(snr_db) if isinstance(snr_db, (tuple, list)) else float(snr_db),
        "num_epochs": int(num_epochs),
        "lr": float(lr),
        "batch_size": int(batch_size),
        "seed": int(seed),
        "num_utterances": num_utterances,
    }

    def train() -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
        utterances = load_corpus("train")[:num_utterances]
        X, y = make_training_set(utterances, noise=noise, snr_db=snr_db, seed=seed)
        seed_everything(seed)
        model = LinearDenoiser()
        history = train_denoiser(
            model,
            X,
            y,
            num_epochs=num_epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            device=device,
            show_progress=False,
        )
        return model, history, {"num_frames": int(X.shape[0]), **settings}

    return _train_or_load("denoiser", settings, cache_dir, load_denoiser, train, save_denoiser)
