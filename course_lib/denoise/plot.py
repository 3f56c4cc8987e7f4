"""Figures for Chapter 2: spectrograms, the training curve, and the comparison table as bars.

Every function takes computed data (see :mod:`course_lib.denoise.train` and
:mod:`course_lib.denoise.evaluate`) and only draws it.

Used by the book pages "Chapter 2: preprocessing", "training", "inference" and "evaluation".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.core import CourseError
from course_lib.denoise.audio import SAMPLE_RATE
from course_lib.denoise.evaluate import METHOD_LABELS, METRIC_LABELS
from course_lib.denoise.stft import HOP_LENGTH


def _to_db(magnitude: np.ndarray | torch.Tensor, floor_db: float = -80.0) -> np.ndarray:
    """``20 log10`` of a magnitude, relative to its maximum, floored at ``floor_db``."""
    if isinstance(magnitude, torch.Tensor):
        magnitude = magnitude.detach().cpu().numpy()
    magnitude = np.abs(np.asarray(magnitude, dtype=np.float64))
    return 20 * np.log10(np.maximum(magnitude, 10 ** (floor_db / 20)))


def plot_spectrogram(
    magnitude: np.ndarray | torch.Tensor,
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    ax: Axes | None = None,
    title: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Axes:
    """Draw a magnitude spectrogram in decibels (time in seconds, frequency in kHz).

    Args:
        magnitude: Non-negative ``(num_bins, num_frames)``.
        sample_rate: Sample rate (Hz), for the frequency axis.
        hop_length: STFT hop, for the time axis.
        ax: Axes to draw on (a new figure if ``None``).
        title: Axes title.
        vmin: Lower end of the colour scale in dB (default: 80 dB below ``vmax``).
        vmax: Upper end in dB (default: the maximum).

    Returns:
        The axes.

    Book page: Chapter 2, preprocessing.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    db = _to_db(magnitude)
    num_bins, num_frames = db.shape
    vmax = float(db.max()) if vmax is None else vmax
    vmin = vmax - 80.0 if vmin is None else vmin
    extent = (0.0, num_frames * hop_length / sample_rate, 0.0, sample_rate / 2000)
    image = ax.imshow(db, origin="lower", aspect="auto", extent=extent, vmin=vmin, vmax=vmax, cmap="magma")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (kHz)")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="dB")
    return ax


def plot_spectrograms(
    magnitudes: Mapping[str, np.ndarray | torch.Tensor],
    sample_rate: int = SAMPLE_RATE,
    hop_length: int = HOP_LENGTH,
    fig: Figure | None = None,
) -> Figure:
    """Spectrograms stacked on a shared colour scale (e.g. clean, noisy, denoised).

    Args:
        magnitudes: Title -> magnitude ``(num_bins, num_frames)``, drawn top to bottom.
        sample_rate: Sample rate (Hz).
        hop_length: STFT hop.
        fig: Figure to draw into (a new one when ``None``), as for the other grid plots.

    Returns:
        The figure.

    Raises:
        CourseError: if ``magnitudes`` is empty.

    Book page: Chapter 2, "Inference: back to a waveform".
    """
    names = list(magnitudes)
    if not names:
        raise CourseError("plot_spectrograms got no magnitudes: pass a dict {title: (num_bins, num_frames)}")
    fig = fig or plt.figure(figsize=(8, 2.4 * len(names)))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)
    vmax = max(float(_to_db(m).max()) for m in magnitudes.values())
    for ax, name in zip(axes[:, 0], names, strict=True):
        plot_spectrogram(
            magnitudes[name], sample_rate, hop_length, ax=ax, title=name, vmin=vmax - 80, vmax=vmax
        )
    for ax in axes[:-1, 0]:
        ax.set_xlabel("")
    fig.tight_layout()
    return fig


def plot_history(history: Sequence[Mapping], ax: Axes | None = None) -> Axes:
    """Training (and validation) loss per epoch on a log scale.

    Args:
        history: Entries with ``epoch``, ``train_loss`` and optionally ``val_loss``.
        ax: Axes to draw on.

    Returns:
        The axes.

    Book page: Chapter 2, training.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["train_loss"] for h in history], label="training loss")
    if history and "val_loss" in history[0]:
        ax.plot(epochs, [h["val_loss"] for h in history], label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE of magnitudes")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return ax


def plot_comparison(
    rows: Sequence[Mapping],
    metric: str = "si_sdr",
    ax: Axes | None = None,
    snr_db: float | None = None,
) -> Axes:
    """Grouped bars of one metric: one group per noise (and input SNR), one bar per method.

    Args:
        rows: The comparison table from
            :func:`course_lib.denoise.evaluate.compute_comparison_table`.
        metric: ``"snr"``, ``"segsnr"``, ``"si_sdr"`` or ``"stoi"``.
        ax: Axes to draw on.
        snr_db: Only the rows at this input SNR (``None``: every SNR).
            Non-finite values (the ``-inf`` SI-SDR of a silent output) and
            ``None`` (from JSON) get no bar.

    Returns:
        The axes.

    Book page: Chapter 2, evaluation.
    """
    if snr_db is not None:
        rows = [r for r in rows if float(r["snr_db"]) == float(snr_db)]
    conditions = list(dict.fromkeys((r["noise"], r["snr_db"]) for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(conditions) + 2), 3.8))
    index = {(r["noise"], r["snr_db"], r["method"]): r[metric] for r in rows}
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(conditions))
    for j, method in enumerate(methods):
        values = [index.get((noise, snr, method), np.nan) for noise, snr in conditions]
        values = [v if v is not None and np.isfinite(v) else np.nan for v in values]  # -inf SI-SDR: no bar
        ax.bar(
            x + (j - (len(methods) - 1) / 2) * width, values, width, label=METHOD_LABELS.get(method, method)
        )
    if snr_db is None:
        labels = [f"{noise}\n{snr:g} dB" for noise, snr in conditions]
    else:
        labels = [noise for noise, _ in conditions]
    ax.set_xticks(x, labels)
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    if snr_db is not None:
        ax.set_title(f"input SNR {snr_db:g} dB")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.legend(fontsize="small", ncols=min(len(methods), 5), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.grid(True, axis="y", alpha=0.3)
    return ax
