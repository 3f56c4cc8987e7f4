"""The dropout x depth x epochs sweep behind the book's static Chapter 1 widgets.

Each run trains an :class:`~course_lib.mnist.model.MLP` with one dropout rate
and one number of hidden layers and records its per-epoch history; the book
reads the committed result (``book/data/mnist_sweep.json``) so that its widgets
work without a kernel. Recompute it with
``python -m course_lib mnist sweep --out book/data/mnist_sweep.json``.

Book page: Chapter 1, "Try it: dropout, depth, epochs" (the widgets), which also
reads :func:`compute_sweep_summary`; the chapter's "Summary and exercises" page
quotes the same summary.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from course_lib.core import CourseError, get_device, progress
from course_lib.mnist.analysis import compute_history_blocks
from course_lib.mnist.data import load_mnist
from course_lib.mnist.model import MLP
from course_lib.mnist.train import train_mlp


def _round(value: Any, digits: int = 4) -> Any:
    """Round every float in a nested structure (keeps the committed JSON small and stable)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    return value


def compute_sweep(
    dropouts: Sequence[float] = (0.0, 0.2, 0.5),
    layer_counts: Sequence[int] = (1, 3, 5),
    num_epochs: int = 20,
    seed: int = 0,
    source: str = "embedded",
    show_progress: bool = True,
    num_hiddens: int = 1024,
    lr: float = 1e-3,
    batch_size: int = 128,
    data_dir: str | None = None,
    device: str = "auto",
    command: str | None = None,
) -> dict[str, Any]:
    """Train one MLP per (dropout, num_layers) pair and collect the histories.

    Every run starts from ``torch.manual_seed(seed)`` (same initialization
    stream, same shuffling) so that the runs differ only in the swept settings.

    Book page: Chapter 1, "Try it: dropout, depth, epochs".

    Args:
        dropouts: Dropout rates to try, each in [0, 1).
        layer_counts: Numbers of hidden layers to try.
        num_epochs: Epochs per run.
        seed: Seed of every run.
        source: Data source for :func:`~course_lib.mnist.data.load_mnist`.
        show_progress: Show a progress bar over the runs.
        num_hiddens: Units per hidden layer.
        lr: Adam's learning rate.
        batch_size: Mini-batch size.
        data_dir: Folder of the IDX files for ``source="torchvision"``.
        device: ``"auto"``, ``"cuda"``, ``"mps"`` or ``"cpu"``.
        command: The command line that produced the sweep, recorded in the result.

    Returns:
        JSON-ready dict (floats rounded to 4 decimals): ``{"command": ..., "config":
        {...}, "runs": [{"dropout", "num_layers", "history": [per-epoch dicts]}]}``.
    """
    if not dropouts or not layer_counts:
        raise CourseError("the sweep needs at least one dropout rate and one layer count")
    data = load_mnist(source, data_dir=data_dir)
    runs = []
    start = time.perf_counter()
    pairs = [(int(n), float(d)) for n in layer_counts for d in dropouts]
    for num_layers, dropout in progress(pairs, enabled=show_progress, desc="sweep runs"):
        torch.manual_seed(seed)
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
        runs.append({"dropout": dropout, "num_layers": num_layers, "history": history})
    config = {
        "dropouts": [float(d) for d in dropouts],
        "layer_counts": [int(n) for n in layer_counts],
        "num_epochs": num_epochs,
        "num_hiddens": num_hiddens,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "source": data.source,
        "n_train": int(data.X_train.shape[0]),
        "n_test": int(data.X_test.shape[0]),
        "evaluation": "test accuracy and loss in eval mode (dropout off) after every epoch",
        "total_seconds": time.perf_counter() - start,
        "torch": torch.__version__,
        "device": str(get_device(device)),
        "num_threads": torch.get_num_threads(),
    }
    return _round({"command": command, "config": config, "runs": runs})


def compute_sweep_summary(sweep: dict[str, Any], last: int = 5) -> list[dict[str, Any]]:
    """One row per run of a sweep: its means over the last ``last`` epochs.

    A single epoch of a single run is a noisy measurement (the test loss and
    accuracy jump from one epoch to the next, and another seed moves them
    too), so the book compares runs by these means, with the range of the
    test accuracy over the same epochs as a reminder of the noise.

    Book pages: Chapter 1, "Try it: dropout, depth, epochs" and "Summary and exercises".

    Args:
        sweep: The result of :func:`compute_sweep` (e.g. ``load_book_data("mnist_sweep")``).
        last: Number of final epochs to average over (all of them if a run is shorter).

    Returns:
        Rows in the sweep's order, each ``{"dropout", "num_layers", "epochs"``
        (e.g. ``"16-20"``), ``"train_loss", "test_loss", "test_accuracy"`` (means),
        ``"test_accuracy_min", "test_accuracy_max", "test_loss_min",
        "test_loss_max", "seconds_per_epoch"}`` (the mean over all epochs).

    Raises:
        CourseError: if a run has no history or ``last`` < 1.
    """
    rows = []
    for run in sweep["runs"]:
        history = run["history"]
        block = compute_history_blocks(history, size=last)[-1]
        rows.append(
            {
                "dropout": float(run["dropout"]),
                "num_layers": int(run["num_layers"]),
                "epochs": f"{block['first']}-{block['last']}",
                **{k: v for k, v in block.items() if k not in ("first", "last")},
                "seconds_per_epoch": sum(h["seconds"] for h in history) / len(history),
            }
        )
    return rows
