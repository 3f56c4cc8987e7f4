"""Training and inference for the Chapter 2 denoiser.

The training set is made once: every clean training utterance is mixed with
noise at the requested SNR, both waveforms go through the STFT, and the noisy
magnitude frames (the inputs ``X``) and the clean magnitude frames (the targets
``y``) are stacked into two tensors that stay on the device for the whole run.
Training is then a loop of MSE updates with Adam, on mini-batches (the default)
or on the full batch (the reference: ``full_batch=True, num_epochs=3000``).

Inference (:func:`denoise_waveform`) computes the noisy STFT, lets the model
estimate the clean magnitude of every frame, and inverts the STFT with the noisy
phase.

Used by the book pages "Chapter 2: training" and "Chapter 2: inference".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
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
from course_lib.denoise.audio import SAMPLE_RATE  # the model's rate (16 kHz), re-exported here
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.stft import HOP_LENGTH, N_FFT, compute_stft, reconstruct_waveform

MONO_HINT = (
    "mix it to mono first, e.g. x.mean(axis=1) for a soundfile (num_samples, channels) array, "
    "or use load_audio"
)
NUM_EPOCHS = 14  # default schedule: 14 epochs of batch 256 on the mixed training set (~3,000 updates)
BATCH_SIZE = 256
TRAIN_NOISES = ("white", "pink", "brown", "babble", "hum")  # the default training noise "mix"
TRAIN_SNRS = (0.0, 5.0, 10.0)


def make_frames(noisy_magnitude: torch.Tensor, context: int = 0, log_compress: bool = False) -> torch.Tensor:
    """Turn a magnitude spectrogram into the model's input frames.

    Frame ``t`` of the result is the magnitude frame ``t`` with ``context``
    frames on each side, concatenated in time order (``t - context`` first, the
    centre frame in the middle). The first and last frames are repeated to pad
    the edges, so there is one input row per STFT frame.

    Args:
        noisy_magnitude: Non-negative tensor ``(num_bins, num_frames)``.
        context: Frames on each side of the centre frame (0: the frame alone).
        log_compress: If ``True``, apply ``log1p`` to the magnitudes (a gentler
            input scale for loud and quiet frames alike).

    Returns:
        Tensor ``(num_frames, num_bins * (2 * context + 1))`` on the input's device.

    Raises:
        CourseError: if the input is not 2-D or ``context`` is negative.

    Book page: Chapter 2, preprocessing.
    """
    if not isinstance(noisy_magnitude, torch.Tensor):
        noisy_magnitude = torch.as_tensor(np.asarray(noisy_magnitude, dtype=np.float32))
    if noisy_magnitude.ndim != 2 or noisy_magnitude.shape[1] == 0:
        raise CourseError(
            f"make_frames expects a magnitude spectrogram (num_bins, num_frames), got shape "
            f"{tuple(noisy_magnitude.shape)}: use compute_magnitude(waveform)"
        )
    if context < 0:
        raise CourseError(f"context must be >= 0 frames on each side, got {context}")
    frames = noisy_magnitude.T.to(torch.float32)  # (num_frames, num_bins)
    if log_compress:
        frames = torch.log1p(frames)
    if context == 0:
        return frames.contiguous()
    padded = torch.cat([frames[:1].expand(context, -1), frames, frames[-1:].expand(context, -1)])
    windows = padded.unfold(0, 2 * context + 1, 1)  # (num_frames, num_bins, 2 * context + 1)
    return windows.permute(0, 2, 1).reshape(frames.shape[0], -1).contiguous()


def _waveform_of(item: Any) -> np.ndarray:
    """The 1-D float32 waveform of an Utterance, or of the item itself if it is already an array.

    Raises:
        CourseError: if the waveform is not 1-D (a stereo ``(num_samples, 2)`` array, say).
    """
    waveform = getattr(item, "waveform", item)
    if isinstance(waveform, torch.Tensor):
        waveform = waveform.detach().cpu().numpy()
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.ndim != 1:
        raise CourseError(f"expected a mono waveform (num_samples,), got shape {waveform.shape}: {MONO_HINT}")
    return waveform


def _as_tuple(value: Any) -> tuple:
    """``value`` as a tuple (a single string or number, numpy scalars included, becomes a 1-tuple)."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return (value,)
    return tuple(value)


def _snr_values(snr_db: Any) -> tuple[float, ...]:
    """``snr_db`` (one value or several) as a non-empty tuple of finite floats, or a CourseError."""
    try:
        values = tuple(float(v) for v in _as_tuple(snr_db))
    except (TypeError, ValueError):
        raise CourseError(
            f"snr_db must be a number in dB or a list of them, got {snr_db!r}: use e.g. 5.0"
        ) from None
    if not values:
        raise CourseError("snr_db is empty: give at least one SNR in dB, e.g. 5.0 or (0.0, 5.0, 10.0)")
    if not all(math.isfinite(v) for v in values):
        raise CourseError(f"snr_db must be finite numbers in dB, got {snr_db!r}: use e.g. (0.0, 5.0, 10.0)")
    return values


def resolve_noises(noise: str | Sequence[str]) -> tuple[str, ...]:
    """Noise kinds named by ``noise``: one kind, a sequence, a comma list, or ``"mix"`` for all five.

    Args:
        noise: ``"white"``, ``"white,pink"``, ``("white", "pink")`` or ``"mix"``.

    Returns:
        The noise kinds as a tuple.

    Raises:
        CourseError: if a name is not a known noise kind.

    Book page: Chapter 2, training.
    """
    from course_lib.denoise.noise import NOISE_KINDS

    if isinstance(noise, str):
        noise = TRAIN_NOISES if noise == "mix" else tuple(n.strip() for n in noise.split(",") if n.strip())
    kinds = tuple(noise)
    unknown = [k for k in kinds if k not in NOISE_KINDS]
    if not kinds or unknown:
        raise CourseError(
            f"unknown noise kind(s) {unknown or kinds!r}: choose from {', '.join(NOISE_KINDS)} or 'mix'"
        )
    return kinds


def make_training_set(
    utterances: Sequence[Any],
    noise: str | Sequence[str] = "white",
    snr_db: float | Sequence[float] = 5.0,
    seed: int = 0,
    context: int = 0,
    log_compress: bool = False,
    sample_rate: int = SAMPLE_RATE,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix clean utterances with noise and stack their magnitude frames, once.

    Every utterance is mixed once with every noise kind in ``noise``; when
    ``snr_db`` lists several values, each mixture draws one of them (seeded).
    Each mixture gets its own noise seed, so no two mixtures share a noise
    sample. Waveforms at another rate than the model's 16 kHz are resampled to
    16 kHz first, as :func:`denoise_waveform` does at inference, so the frames
    always have the model's frequency resolution.

    Args:
        utterances: Clean utterances (:class:`course_lib.denoise.audio.Utterance`)
            or mono waveforms ``(num_samples,)`` at ``sample_rate``.
        noise: A noise kind, several (sequence or comma list), or ``"mix"`` for
            white, pink, brown, babble and hum.
        snr_db: Input SNR in dB (finite; numpy scalars accepted), or several to draw from.
        seed: Seeds the noise and the SNR draws.
        context: Context frames on each side (see :func:`make_frames`).
        log_compress: ``log1p`` the input frames (see :func:`make_frames`).
        sample_rate: Rate of the waveforms (16 kHz for the embedded corpus);
            other rates are resampled to 16 kHz.
        device: Where to keep the tensors (``None``: the CPU).

    Returns:
        ``(X, y)``: noisy input frames ``(num_frames, num_bins * (2 * context + 1))``
        and clean magnitude frames ``(num_frames, num_bins)``, float32.

    Raises:
        CourseError: if there are no utterances, a waveform is not 1-D, a noise
            kind is unknown, ``snr_db`` is empty or not finite, or ``sample_rate``
            is not positive.

    Book page: Chapter 2, training.
    """
    from course_lib.denoise.noise import make_noisy_pair

    if len(utterances) == 0:
        raise CourseError(
            "make_training_set got no utterances: pass load_corpus('train') or a list of waveforms"
        )
    kinds = resolve_noises(noise)
    snrs = _snr_values(snr_db)
    _check_sample_rate(sample_rate)
    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    mixture = 0
    for item in utterances:
        clean = _waveform_of(item)
        if sample_rate != SAMPLE_RATE:
            import librosa

            clean = librosa.resample(clean, orig_sr=sample_rate, target_sr=SAMPLE_RATE).astype(np.float32)
        clean_magnitude = compute_stft(clean).abs()
        for kind in kinds:
            snr = snrs[rng.integers(len(snrs))] if len(snrs) > 1 else snrs[0]
            noisy, _ = make_noisy_pair(
                clean, kind, snr, seed=seed * 100003 + mixture, sample_rate=SAMPLE_RATE
            )
            mixture += 1
            inputs.append(make_frames(compute_stft(noisy).abs(), context=context, log_compress=log_compress))
            targets.append(clean_magnitude.T)
    X = torch.cat(inputs).to(torch.float32)
    y = torch.cat(targets).to(torch.float32).contiguous()
    if device is not None:
        X, y = X.to(device), y.to(device)
    return X, y


def _check_sample_rate(sample_rate: Any) -> None:
    """Raise a CourseError unless ``sample_rate`` is a positive whole number of Hz."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise CourseError(
            f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}: use e.g. 16000"
        )


def train_step(model: nn.Module, X: torch.Tensor, y: torch.Tensor, optimizer: torch.optim.Optimizer) -> float:
    """One MSE update of ``model`` on the batch ``(X, y)``.

    Args:
        model: The denoiser.
        X: Input frames ``(batch, in_features)``.
        y: Clean magnitude frames ``(batch, num_bins)``.
        optimizer: Optimizer over ``model``'s parameters.

    Returns:
        The batch's mean squared error before the update.

    Book page: Chapter 2, loss and optimizer.
    """
    return float(_step(model, X, y, optimizer).item())


def _step(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, optimizer: torch.optim.Optimizer
) -> torch.Tensor:
    """One update; returns the detached loss without synchronising with the device."""
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


def train_denoiser(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    num_epochs: int = NUM_EPOCHS,
    lr: float = 1e-3,
    batch_size: int = BATCH_SIZE,
    full_batch: bool = False,
    seed: int = 0,
    device: str | torch.device = "auto",
    show_progress: bool = True,
    callback: Callable[[dict], bool | None] | None = None,
    X_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
) -> list[dict]:
    """Train the denoiser with MSE and Adam; return the per-epoch history.

    The frames are moved to the device once and stay there; each epoch shuffles
    them (seeded) and makes one update per mini-batch, or a single full-batch
    update with ``full_batch=True`` (the reference: 3000 full-batch epochs).

    Args:
        model: The denoiser (moved to the device, trained in place).
        X: Input frames ``(num_frames, in_features)`` from :func:`make_training_set`.
        y: Clean magnitude frames ``(num_frames, num_bins)``.
        num_epochs: Passes over the frames.
        lr: Adam's learning rate (finite, > 0).
        batch_size: Frames per update (ignored with ``full_batch``).
        full_batch: One update per epoch on all frames, as in the reference.
        seed: Seeds the shuffling (and torch), so CPU runs repeat exactly.
        device: ``"auto"``, ``"cuda"``, ``"mps"``, ``"cpu"``, or a :class:`torch.device`.
        show_progress: Show a tqdm bar over the epochs.
        callback: Called with each epoch's history entry; returning ``True`` stops training.
        X_val: Optional validation frames, reported as ``val_loss``.
        y_val: Their clean magnitude frames.

    Returns:
        history: One dict per epoch: ``epoch``, ``train_loss`` (mean batch MSE),
        ``seconds`` (the time the epoch took, as in Chapter 1) and ``val_loss`` when validation
        frames are given.

    Raises:
        CourseError: if the settings or tensor shapes are invalid, or the loss of
            an epoch is not finite (diverged: lower ``lr``).

    Book page: Chapter 2, training.
    """
    if num_epochs < 0:
        raise CourseError(f"num_epochs must be >= 0, got {num_epochs}: use e.g. {NUM_EPOCHS}")
    if batch_size < 1:
        raise CourseError(f"batch_size must be >= 1, got {batch_size}: use e.g. {BATCH_SIZE}")
    try:
        lr_ok = math.isfinite(float(lr)) and lr > 0
    except (TypeError, ValueError):
        lr_ok = False
    if not lr_ok:
        raise CourseError(f"lr must be a finite number > 0, got {lr!r}: use e.g. 1e-3")
    if X.ndim != 2 or y.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise CourseError(
            f"X and y must be non-empty (num_frames, features) tensors with the same number of frames, "
            f"got {tuple(X.shape)} and {tuple(y.shape)}: build them with make_training_set"
        )
    generator = seed_everything(seed)
    dev = device if isinstance(device, torch.device) else get_device(device)
    model.to(dev)
    X, y = X.to(dev), y.to(dev)
    if X_val is not None and y_val is not None:
        X_val, y_val = X_val.to(dev), y_val.to(dev)
    optimizer = make_optimizer(model, lr)
    num_frames = X.shape[0]
    step_size = num_frames if full_batch else min(batch_size, num_frames)
    history: list[dict] = []
    bar = progress(range(1, num_epochs + 1), enabled=show_progress, desc="training", unit="epoch")
    for epoch in bar:
        start = time.perf_counter()
        model.train()
        if full_batch:
            total = _step(model, X, y, optimizer)
        else:
            order = torch.randperm(num_frames, generator=generator).to(dev)
            total = torch.zeros((), device=dev)
            for begin in range(0, num_frames, step_size):
                idx = order[begin : begin + step_size]
                total += _step(model, X[idx], y[idx], optimizer) * idx.numel()
            total = total / num_frames
        record = {"epoch": epoch, "train_loss": float(total.item())}
        if not math.isfinite(record["train_loss"]):
            raise CourseError(
                f"the training loss became {record['train_loss']} in epoch {epoch}: training diverged, "
                f"most likely because lr={lr:g} is too large; lower it (e.g. 1e-3) and train again"
            )
        if X_val is not None and y_val is not None:
            record["val_loss"] = compute_loss(model, X_val, y_val)
        record["seconds"] = time.perf_counter() - start
        history.append(record)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{record['train_loss']:.4g}")
        if callback is not None and callback(record):
            break
    model.eval()
    return history


@torch.no_grad()
def compute_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 8192) -> float:
    """Mean squared error of ``model`` on all frames ``(X, y)``, evaluated in chunks.

    Book page: Chapter 2, training.
    """
    model.eval()
    device = next(model.parameters()).device
    total = 0.0
    for begin in range(0, X.shape[0], batch_size):
        y_hat = model(X[begin : begin + batch_size].to(device))
        total += float(((y_hat - y[begin : begin + batch_size].to(device)) ** 2).sum().item())
    return total / (X.shape[0] * y.shape[1])


def _check_bins(model: nn.Module, num_bins: int) -> None:
    """Raise a CourseError if the model was built for another number of frequency bins (FFT size)."""
    expected = getattr(model, "num_bins", num_bins)
    if num_bins != expected:
        raise CourseError(
            f"the STFT has {num_bins} frequency bins (n_fft={2 * (num_bins - 1)}) but the model was built "
            f"for {expected} (n_fft={2 * (expected - 1)}): use n_fft={2 * (expected - 1)}, the model's "
            "FFT size (the default), or train a model for the other size"
        )


@torch.no_grad()
def compute_denoised_magnitude(model: LinearDenoiser, noisy_stft: torch.Tensor) -> torch.Tensor:
    """The model's clean magnitude estimate for a noisy STFT.

    Args:
        model: A trained :class:`LinearDenoiser`.
        noisy_stft: Complex ``(num_bins, num_frames)``.

    Returns:
        Non-negative ``(num_bins, num_frames)`` on ``noisy_stft``'s device.

    Raises:
        CourseError: if ``noisy_stft`` has another number of bins than the model.

    Book page: Chapter 2, inference.
    """
    _check_bins(model, noisy_stft.shape[-2])
    model.eval()
    device = next(model.parameters()).device
    frames = make_frames(
        noisy_stft.abs().to(device),
        context=getattr(model, "context", 0),
        log_compress=getattr(model, "log_compress", False),
    )
    return model(frames).T.to(noisy_stft.device)


@torch.no_grad()
def denoise_waveform(
    model: LinearDenoiser,
    noisy: np.ndarray | torch.Tensor,
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
) -> np.ndarray:
    """Denoise a waveform: STFT, model on every magnitude frame, inverse STFT with the noisy phase.

    A waveform at another rate than the model's 16 kHz is resampled to 16 kHz
    for the model and the result back to ``sample_rate``.

    Args:
        model: A trained :class:`LinearDenoiser`.
        noisy: Mono waveform ``(num_samples,)``.
        sample_rate: Rate of ``noisy``.
        n_fft: FFT size; must match the model (``model.num_bins == n_fft // 2 + 1``,
            1024 for the default model).
        hop_length: STFT hop.

    Returns:
        denoised: Float32 numpy array ``(num_samples,)``, the same length and rate as ``noisy``.

    Raises:
        CourseError: if the waveform is not a non-empty 1-D signal, ``sample_rate``
            is not positive, or ``n_fft`` does not match the model.

    Book page: Chapter 2, inference.
    """
    if isinstance(noisy, torch.Tensor):
        noisy = noisy.detach().cpu().numpy()
    noisy = np.asarray(noisy, dtype=np.float32)
    if noisy.ndim != 1 or noisy.size == 0:
        raise CourseError(
            f"denoise_waveform expects a non-empty mono waveform (num_samples,), got shape {noisy.shape}: "
            "load it with load_audio, which mixes stereo to mono"
        )
    _check_sample_rate(sample_rate)
    _check_bins(model, n_fft // 2 + 1)
    num_samples = noisy.size
    if sample_rate != SAMPLE_RATE:
        import librosa

        noisy = librosa.resample(noisy, orig_sr=sample_rate, target_sr=SAMPLE_RATE).astype(np.float32)
    device = next(model.parameters()).device
    noisy_stft = compute_stft(torch.from_numpy(noisy).to(device), n_fft=n_fft, hop_length=hop_length)
    magnitude = compute_denoised_magnitude(model, noisy_stft)
    denoised = reconstruct_waveform(magnitude, noisy_stft, length=noisy.size, hop_length=hop_length)
    denoised = denoised.detach().cpu().numpy().astype(np.float32)
    if sample_rate != SAMPLE_RATE:
        import librosa

        denoised = librosa.resample(denoised, orig_sr=SAMPLE_RATE, target_sr=sample_rate).astype(np.float32)
        denoised = np.pad(denoised, (0, max(0, num_samples - denoised.size)))[:num_samples]
    return denoised


def save_denoiser(path: str | Path, model: LinearDenoiser, history: list[dict], **extra: Any) -> Path:
    """Save a trained denoiser with the settings that rebuild it.

    Args:
        path: Checkpoint file to write.
        model: The trained :class:`LinearDenoiser`.
        history: Its training history.
        **extra: Plain data stored in the config too (training noise, SNR, seed, ...).

    Returns:
        The path written.

    Raises:
        CourseError: if ``model`` is not a :class:`LinearDenoiser`.

    Book page: Chapter 2, training.
    """
    if not isinstance(model, LinearDenoiser):
        raise CourseError(
            f"save_denoiser saves a LinearDenoiser, got {type(model).__name__}: pass the model trained "
            "with train_denoiser (save other models with torch.save)"
        )
    return save_checkpoint(path, model, {**extra, **model.config()}, history)


def load_denoiser(path: str | Path) -> tuple[LinearDenoiser, dict]:
    """Rebuild a denoiser saved by :func:`save_denoiser`.

    Args:
        path: The checkpoint file.

    Returns:
        ``(model, ckpt)``: the model in eval mode on the CPU, and the checkpoint dict
        (``config``, ``history``, ``state_dict``).

    Raises:
        CourseError: if the file is missing, unreadable, or holds another kind of model.

    Book page: Chapter 2, inference.
    """
    ckpt = load_checkpoint(path)
    config = ckpt["config"]
    if config.get("kind") != "LinearDenoiser":
        raise CourseError(
            f"{str(path)!r} holds a {config.get('kind')!r} model, not a denoiser: "
            "train one with 'python -m course_lib denoise train --out DIR'"
        )
    model = LinearDenoiser(
        num_bins=config["num_bins"],
        num_hiddens=config["num_hiddens"],
        num_layers=config["num_layers"],
        context=config.get("context", 0),
        mask=config.get("mask", False),
        log_compress=config.get("log_compress", False),
    )
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise CourseError(f"{str(path)!r} has weights that do not fit its config: retrain it") from exc
    model.eval()
    return model, ckpt
