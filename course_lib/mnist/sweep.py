"""The dropout x depth x epochs sweep behind the book's static Chapter 1 widgets.

Each run trains an :class:`~course_lib.mnist.model.MLP` with one dropout rate
and one number of hidden layers and records its per-epoch history; the book
reads the committed result (``book/data/mnist_sweep.json``) so that its widgets
work without a kernel. Recompute it with
``python -m course_lib mnist sweep --out book/data/mnist_sweep.json``.

Book page: Chapter 1, "Exploring dropout and depth" (widgets).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from course_lib.core import CourseError
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

    Book page: Chapter 1, "Exploring dropout and depth".

    Args:
        dropouts: Dropout rates to try, each in [0, 1).
        layer_counts: Numbers of hidden layers to try.
        num_epochs: Epochs per run.
        seed: Seed of every run.
        source: Data source for :func:`~course_lib.mnist.data.load_mnist`.
        show_progress: Print one line per finished run.
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
    for num_layers in layer_counts:
        for dropout in dropouts:
            torch.manual_seed(seed)
            model = MLP(num_layers=int(num_layers), num_hiddens=num_hiddens, dropout=float(dropout))
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
            runs.append({"dropout": float(dropout), "num_layers": int(num_layers), "history": history})
            if show_progress:
                final = history[-1]["test_accuracy"] if history else float("nan")
                print(
                    f"sweep: num_layers={num_layers} dropout={dropout}: test accuracy {final:.4f}", flush=True
                )
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
        "num_threads": torch.get_num_threads(),
    }
    return _round({"command": command, "config": config, "runs": runs})
