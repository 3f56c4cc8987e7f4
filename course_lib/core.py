"""Pieces shared by both chapters: device choice, seeding, checkpoints, progress bars.

Used by every page of the book that trains a model (see ``book/intro.md`` for
how to run on a GPU).
"""

from __future__ import annotations

import random
import shlex
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm

T = TypeVar("T")

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


class CourseError(Exception):
    """A problem with the user's input (a file, an argument, a checkpoint).

    The message names the problem and how to fix it. The command line prints it
    on one line and exits with status 2; library callers can catch it.
    """


def get_device(name: str = "auto") -> torch.device:
    """Return the torch device to compute on.

    Args:
        name: ``"auto"`` picks CUDA, then Apple's MPS, then the CPU; ``"cuda"``,
            ``"mps"`` or ``"cpu"`` force one (an error if it is not available).

    Returns:
        The chosen :class:`torch.device`.

    Raises:
        CourseError: if ``name`` is unknown or the forced device is not available.
    """
    if name not in DEVICE_CHOICES:
        raise CourseError(f"unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    has_mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if has_mps:
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CourseError("device 'cuda' requested but no CUDA GPU is visible: use --device auto or cpu")
    if name == "mps" and not has_mps:
        raise CourseError("device 'mps' requested but Apple MPS is not available: use --device auto or cpu")
    return torch.device(name)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch so that runs on the CPU repeat exactly.

    Args:
        seed: Any non-negative integer.

    Returns:
        A CPU :class:`torch.Generator` seeded with ``seed``, for shuffling.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def progress(iterable: Iterable[T], *, enabled: bool = True, **kwargs: Any) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm progress bar (a widget in Jupyter, text elsewhere).

    Args:
        iterable: What to iterate over.
        enabled: ``False`` silences the bar.
        **kwargs: Passed to :func:`tqdm.auto.tqdm` (``desc``, ``total``, ...).
    """
    return iter(tqdm(iterable, disable=not enabled, **kwargs))


def save_checkpoint(path: str | Path, model: torch.nn.Module, config: dict, history: dict | list) -> Path:
    """Save weights, the configuration that rebuilds the model, and the training history.

    Args:
        path: File to write (its folder is created).
        model: The trained model.
        config: Plain data (numbers, strings) that the chapter's loader needs to
            rebuild the model, including a ``"kind"`` key naming the model class.
        history: The per-epoch training history.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": 1, "config": config, "history": history, "state_dict": state}, path)
    return path


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Args:
        path: The checkpoint file.

    Returns:
        A dict with ``"config"``, ``"history"`` and ``"state_dict"`` (on the CPU).

    Raises:
        CourseError: if the file is missing or is not a checkpoint of this package.
    """
    path = Path(path)
    if not path.is_file():
        raise CourseError(
            f"checkpoint {str(path)!r} not found: train one first ('train --out DIR' writes one)"
        )
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not our file"
        raise CourseError(
            f"checkpoint {str(path)!r} could not be read ({type(exc).__name__}): "
            "pass a file written by 'train --out DIR'"
        ) from exc
    if not isinstance(ckpt, dict) or not {"config", "history", "state_dict"} <= set(ckpt):
        raise CourseError(
            f"{str(path)!r} is not a course_lib checkpoint (missing config/history/state_dict): "
            "retrain with 'train --out DIR'"
        )
    return ckpt


def format_command(argv: Sequence[str] | None = None) -> str:
    """The command line as typed, ``python -m course_lib ...``, for the provenance of output files.

    Args:
        argv: The arguments after ``python -m course_lib`` (default: ``sys.argv[1:]``).

    Returns:
        One shell-quoted line.
    """
    argv = sys.argv[1:] if argv is None else argv
    return "python -m course_lib " + " ".join(shlex.quote(str(a)) for a in argv)


def make_optimizer(model: torch.nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    """Adam over ``model``'s trainable parameters, with torch's fused kernel where it exists.

    Falls back to the multi-tensor implementation where the fused one is not
    available (older torch, or a device without it). Both chapters use it.

    Book pages: Chapter 1, "Loss and optimizer" and "Training"; Chapter 2, "Loss and optimizer".

    Args:
        model: The network; its parameters should already be on their device.
        lr: Learning rate.

    Returns:
        A ``torch.optim.Adam``.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, foreach=True)
