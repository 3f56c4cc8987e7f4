"""Training, evaluation and checkpoints for the Chapter 1 MLP.

The trainer keeps the whole data set as tensors on the device and draws
mini-batches by indexing a shuffled permutation, so no per-sample Python code
(PIL images, ``ToTensor``, ``Normalize``) runs inside the loop. Adam uses the
fused implementation where torch has one, and the per-step losses are summed on
the device, so there is one host synchronization per epoch rather than per step.

Book pages: Chapter 1, "Training" and "Evaluation".
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.core import (
    CourseError,
    get_device,
    load_checkpoint,
    make_optimizer,
    progress,
    save_checkpoint,
    seed_everything,
)
from course_lib.mnist.data import MNISTData
from course_lib.mnist.model import MLP


def _check_batch_size(batch_size: int, caller: str) -> None:
    if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise CourseError(f"{caller}: batch_size must be a positive integer, got {batch_size!r} (e.g. 1024)")


def compute_accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose largest logit is at the true label.

    Book page: Chapter 1, "Evaluation".

    Args:
        y_hat: (n, num_classes) logits or probabilities.
        y: (n,) integer labels (a tensor, or anything ``torch.as_tensor`` takes, e.g. a NumPy array).

    Returns:
        Accuracy in [0, 1].

    Raises:
        CourseError: if the shapes do not match or ``n`` is 0.
    """
    y_hat, y = torch.as_tensor(y_hat), torch.as_tensor(y)
    if y_hat.ndim != 2 or y.ndim != 1 or y_hat.shape[0] != y.shape[0]:
        raise CourseError(
            f"compute_accuracy needs y_hat (n, classes) and y (n,), got {tuple(y_hat.shape)} and "
            f"{tuple(y.shape)}: pass the model's logits and the integer labels of the same examples"
        )
    if y.shape[0] == 0:
        raise CourseError("compute_accuracy got 0 examples: pass at least one")
    return float((y_hat.argmax(dim=1) == y.to(y_hat.device)).float().mean().item())


def train_step(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """One gradient update on one mini-batch.

    Zeroes the gradients, computes the logits and the loss, backpropagates and
    lets the optimizer step. The model is put in training mode (dropout on).

    Book page: Chapter 1, "Training".

    Args:
        model: The network (e.g. :class:`MLP`), on the same device as ``X``.
        X: (batch_size, 784) normalized inputs.
        y: (batch_size,) integer labels.
        optimizer: E.g. ``torch.optim.Adam(model.parameters(), lr=1e-3)``.
        loss_fn: ``loss_fn(y_hat, y)``; cross-entropy on logits when ``None``.

    Returns:
        The mini-batch loss before the update, as a Python float.
    """
    loss_fn = loss_fn or F.cross_entropy
    model.train()
    optimizer.zero_grad(set_to_none=True)
    y_hat = model(X)
    loss = loss_fn(y_hat, y)
    loss.backward()
    optimizer.step()
    return float(loss.item())


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _autocast(device: torch.device, enabled: bool) -> tuple[contextlib.AbstractContextManager, bool]:
    """Return (autocast context, needs_grad_scaler) for mixed precision on ``device``."""
    if not enabled:
        return contextlib.nullcontext(), False
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return torch.autocast("cuda", dtype=torch.bfloat16), False
        return torch.autocast("cuda", dtype=torch.float16), True
    if device.type == "cpu":
        return torch.autocast("cpu", dtype=torch.bfloat16), False
    return torch.autocast(device.type, dtype=torch.float16), False


def evaluate_mlp(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    dropout_active: bool = False,
    batch_size: int = 1024,
    seed: int | None = None,
) -> dict[str, float | int]:
    """Accuracy and mean cross-entropy of ``model`` on ``(X, y)``.

    By default the model is evaluated in eval mode (dropout off), the standard
    way to measure a network trained with dropout. The reference notebook
    measured its test accuracy with dropout still active (it never called
    ``model.eval()``), which gives slightly lower and random numbers;
    ``dropout_active=True`` reproduces that. The model's mode is restored
    afterwards.

    Book page: Chapter 1, "Evaluation".

    Args:
        model: The network.
        X: (n, 784) normalized inputs (any device; moved in batches).
        y: (n,) integer labels.
        dropout_active: Keep dropout on, as the reference did.
        batch_size: Examples per forward pass (only affects speed and memory).
        seed: With ``dropout_active``, seeds the dropout masks (``None`` leaves torch's RNG alone).

    Returns:
        ``{"accuracy": float in [0, 1], "loss": float, "n": int}``.

    Raises:
        CourseError: if ``X`` and ``y`` do not match or are empty.
    """
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise CourseError(
            f"evaluate_mlp needs X (n, 784) and y (n,) with n > 0, "
            f"got {tuple(X.shape)} and {tuple(y.shape)}: "
            "is the test set loaded?"
        )
    _check_batch_size(batch_size, "evaluate_mlp")
    device = _model_device(model)
    was_training = model.training
    model.train(dropout_active)
    if dropout_active and seed is not None:
        torch.manual_seed(seed)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    try:
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                Xb = X[start : start + batch_size].to(device, non_blocking=True)
                yb = y[start : start + batch_size].to(device, non_blocking=True)
                y_hat = model(Xb).float()
                loss_sum += F.cross_entropy(y_hat, yb, reduction="sum").double()
                correct += (y_hat.argmax(dim=1) == yb).sum()
    finally:
        model.train(was_training)
    n = int(X.shape[0])
    return {"accuracy": float(correct.item()) / n, "loss": float(loss_sum.item()) / n, "n": n}


def predict_proba(model: nn.Module, X: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Class probabilities (softmax of the logits) in eval mode.

    Book page: Chapter 1, "Best examples".

    Args:
        model: The network.
        X: (n, 784) normalized inputs.
        batch_size: Examples per forward pass.

    Returns:
        (n, 10) float32 CPU tensor; rows sum to 1.
    """
    _check_batch_size(batch_size, "predict_proba")
    device = _model_device(model)
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                logits = model(X[start : start + batch_size].to(device)).float()
                chunks.append(torch.softmax(logits, dim=1).cpu())
    finally:
        model.train(was_training)
    if not chunks:
        return torch.empty(0, 10)
    return torch.cat(chunks)


def train_mlp(
    model: nn.Module,
    data: MNISTData,
    num_epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    device: str | torch.device = "auto",
    mixed_precision: bool = False,
    show_progress: bool = True,
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train ``model`` with cross-entropy and Adam, evaluating on the test split after every epoch.

    The training data are moved to the device once and shuffled every epoch
    with a generator seeded by ``seed``; dropout draws from torch's global RNG,
    also seeded, so two runs with the same seed on the CPU give identical
    numbers (when the model was built after the same ``torch.manual_seed``).
    The model is moved to the device and stays there.

    Book page: Chapter 1, "Training" (and the live training widget, through ``callback``).

    Args:
        model: The network, e.g. ``MLP()``.
        data: The splits from :func:`~course_lib.mnist.data.load_mnist`.
        num_epochs: Passes over the training set (0 only evaluates nothing and returns ``[]``).
        lr: Adam's learning rate.
        batch_size: Examples per update (the last batch of an epoch may be smaller).
        seed: Seeds shuffling and dropout.
        device: ``"auto"`` (cuda, mps, cpu), a device name, or a :class:`torch.device`.
        mixed_precision: bf16 autocast on the CPU, automatic mixed precision on CUDA
            (bf16, or fp16 with gradient scaling on GPUs without bf16).
        show_progress: Show a tqdm progress bar over epochs.
        callback: Called with each epoch's record right after it is computed.

    Returns:
        One dict per epoch: ``epoch`` (1-based), ``train_loss`` (mean over the
        epoch's mini-batches, dropout on), ``test_loss``, ``test_accuracy``
        (eval mode; ``None`` without a test split) and ``seconds`` (wall time of
        the epoch, training and evaluation).

    Raises:
        CourseError: for bad settings or an empty training split.
    """
    if num_epochs < 0:
        raise CourseError(f"num_epochs must be >= 0, got {num_epochs}")
    _check_batch_size(batch_size, "train_mlp")
    if not lr > 0 or not math.isfinite(lr):
        raise CourseError(f"lr must be a positive number, got {lr}: 1e-3 is the course default")
    n = int(data.X_train.shape[0])
    if n == 0:
        raise CourseError(
            f"no training digits in {data.source!r} (only test files?): "
            "add train-images-idx3-ubyte and train-labels-idx1-ubyte, or use the embedded data"
        )
    dev = device if isinstance(device, torch.device) else get_device(device)
    generator = seed_everything(seed)
    model.to(dev)
    X_train = data.X_train.to(dev)
    y_train = data.y_train.to(dev)
    has_test = data.X_test.shape[0] > 0
    X_test = data.X_test.to(dev)
    y_test = data.y_test.to(dev)
    optimizer = make_optimizer(model, lr)
    autocast, needs_scaler = _autocast(dev, mixed_precision)
    scaler = torch.amp.GradScaler(dev.type) if needs_scaler else None

    history: list[dict[str, Any]] = []
    for epoch in progress(range(1, num_epochs + 1), enabled=show_progress, desc="epochs", unit="epoch"):
        start_time = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=generator).to(dev)
        loss_sum = torch.zeros((), dtype=torch.float32, device=dev)
        num_batches = 0
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            Xb, yb = X_train[idx], y_train[idx]
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                y_hat = model(Xb)
            loss = F.cross_entropy(y_hat.float(), yb)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            loss_sum += loss.detach()
            num_batches += 1
        record: dict[str, Any] = {"epoch": epoch, "train_loss": float(loss_sum.item()) / num_batches}
        if has_test:
            metrics = evaluate_mlp(model, X_test, y_test)
            record["test_loss"] = metrics["loss"]
            record["test_accuracy"] = metrics["accuracy"]
        else:
            record["test_loss"] = None
            record["test_accuracy"] = None
        record["seconds"] = time.perf_counter() - start_time
        history.append(record)
        if callback is not None:
            callback(record)
    return history


def save_mlp(path: str | Path, model: MLP, history: list[dict[str, Any]], **extra: Any) -> Path:
    """Save an :class:`MLP` with its configuration and training history.

    Book page: Chapter 1, "Training" (checkpoints).

    Args:
        path: Checkpoint file to write (e.g. ``runs/mnist-demo/checkpoint.pt``).
        model: The trained MLP.
        history: Its per-epoch history from :func:`train_mlp`.
        **extra: Further plain settings to record (``lr``, ``seed``, ``data``, ...).

    Returns:
        The path written.
    """
    if not isinstance(model, MLP):
        raise CourseError(f"save_mlp saves an MLP, got {type(model).__name__}")
    config = {"kind": "MLP", **model.get_config(), **extra}
    return save_checkpoint(path, model, config, history)


def load_mlp(path: str | Path) -> tuple[MLP, dict[str, Any]]:
    """Rebuild an :class:`MLP` from a checkpoint written by :func:`save_mlp`.

    Book page: Chapter 1, "Evaluation".

    Args:
        path: The checkpoint file.

    Returns:
        ``(model, checkpoint)``: the model on the CPU in eval mode, and the dict
        with ``"config"``, ``"history"`` and ``"state_dict"``.

    Raises:
        CourseError: if the file is missing, unreadable, or not an MLP checkpoint.
    """
    ckpt = load_checkpoint(path)
    config = ckpt["config"]
    if config.get("kind") != "MLP":
        raise CourseError(
            f"{str(path)!r} holds a {config.get('kind')!r} model, not a Chapter 1 MLP: "
            "pass a checkpoint written by 'mnist train'"
        )
    keys = ("num_layers", "num_hiddens", "dropout", "num_inputs", "num_outputs")
    model = MLP(**{k: config[k] for k in keys if k in config})
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise CourseError(f"{str(path)!r} does not match its recorded MLP configuration: retrain it") from exc
    model.eval()
    return model, ckpt
