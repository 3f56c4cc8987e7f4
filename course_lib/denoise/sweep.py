"""The data behind the book's static denoising widget, computed once and stored as JSON.

For one held-out utterance and every (noise kind, input SNR) pair, the sweep
stores the noisy mixture and the model's output as short WAV clips and as small
spectrogram images (both base64, so the page plays and shows them without a
server), with their SNR, SI-SDR and STOI, plus the training-loss curve. The
book's widget switches between them in the browser.

Used by the book page "Chapter 2: Try it: noise and SNR" (via ``book/data/denoise_sweep.json``).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import soundfile as sf
import torch

from course_lib.core import CourseError, get_device, seed_everything
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.train import (
    NUM_EPOCHS,
    SAMPLE_RATE,
    TRAIN_NOISES,
    TRAIN_SNRS,
    denoise_waveform,
    load_denoiser,
    make_training_set,
    train_denoiser,
)

SWEEP_NOISES = ("white", "pink", "babble")
SWEEP_SNRS = (0.0, 5.0, 10.0)


def encode_wav(waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> str:
    """A mono waveform as a base64 16-bit PCM WAV file (clipped to [-1, 1]).

    Book page: Chapter 2, "Try it: noise and SNR".
    """
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(waveform, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode_spectrogram(magnitude: torch.Tensor, vmax_db: float, bins_per_row: int = 4) -> str:
    """A magnitude spectrogram as a small base64 PNG (dB, 80 dB range, low frequencies at the bottom).

    The image has one pixel per frame and per ``bins_per_row`` frequency bins,
    coloured with matplotlib's "magma" map as an 8-bit palette image, which keeps
    it to a few kilobytes.

    Args:
        magnitude: ``(num_bins, num_frames)``.
        vmax_db: Top of the colour scale in dB (shared between images for comparison).
        bins_per_row: Frequency bins averaged into one image row.

    Book page: Chapter 2, "Try it: noise and SNR".
    """
    from matplotlib import colormaps
    from PIL import Image

    mag = magnitude.detach().cpu().numpy()
    num_rows = mag.shape[0] // bins_per_row
    mag = mag[: num_rows * bins_per_row].reshape(num_rows, bins_per_row, -1).mean(axis=1)
    db = 20 * np.log10(np.maximum(mag, 1e-4))
    levels = np.clip((db - (vmax_db - 80.0)) / 80.0 * 255.0, 0, 255).astype(np.uint8)[::-1]
    image = Image.fromarray(levels).convert("P")
    palette = (colormaps["magma"](np.arange(256) / 255.0)[:, :3] * 255).astype(np.uint8)
    image.putpalette(palette.ravel().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _clip_metrics(clean: np.ndarray, estimate: np.ndarray) -> dict:
    """SNR, SI-SDR and STOI of one estimate, rounded for the page."""
    from course_lib.denoise.metrics import compute_si_sdr, compute_snr, compute_stoi

    return {
        "snr": round(float(compute_snr(clean, estimate)), 2),
        "si_sdr": round(float(compute_si_sdr(clean, estimate)), 2),
        "stoi": round(float(compute_stoi(clean, estimate, SAMPLE_RATE)), 3),
    }


def compute_sweep(
    model: LinearDenoiser | None = None,
    checkpoint: str | Path | None = None,
    num_epochs: int = NUM_EPOCHS,
    noises: Sequence[str] = SWEEP_NOISES,
    snrs: Sequence[float] = SWEEP_SNRS,
    seed: int = 0,
    clip_seconds: float = 2.0,
    utterance_index: int = 0,
    device: str | torch.device = "auto",
    show_progress: bool = True,
) -> dict:
    """Denoise one held-out utterance at every noise kind and input SNR; return JSON-able data.

    The model is ``model``, else the one in ``checkpoint``, else one trained here
    with the default settings (mixed noise, ``num_epochs`` epochs).

    Args:
        model: A trained denoiser, or ``None``.
        checkpoint: A checkpoint to load when ``model`` is ``None``.
        num_epochs: Epochs when training here.
        noises: Noise kinds.
        snrs: Input SNRs in dB.
        seed: Training and noise seed.
        clip_seconds: Length of the stored clips.
        utterance_index: Which test utterance to use.
        device: Training device: ``"auto"``, ``"cuda"``, ``"mps"``, ``"cpu"`` or a :class:`torch.device`.
        show_progress: Show tqdm bars while training.

    Returns:
        A dict with ``sample_rate``, ``noises``, ``snrs``, ``utterance`` (file, voice,
        text), ``clean`` (``audio``, ``image``), ``conditions`` (one per noise and SNR:
        ``noise``, ``snr_db``, ``noisy`` and ``denoised`` each with ``audio``, ``image``
        and ``metrics`` {snr, si_sdr, stoi}, plus ``spectral_subtraction`` metrics),
        ``history`` (``epoch``, ``train_loss`` and ``seconds`` lists) and ``config`` (the model's
        settings). Audio is base64 WAV, images base64 PNG.

    Raises:
        CourseError: if the utterance index is out of range.

    Book page: Chapter 2, "Try it: noise and SNR".
    """
    matplotlib.use("Agg")
    from course_lib.denoise.audio import load_corpus
    from course_lib.denoise.baselines import spectral_subtraction
    from course_lib.denoise.noise import make_noisy_pair
    from course_lib.denoise.stft import compute_magnitude

    test_set = load_corpus("test")
    if not 0 <= utterance_index < len(test_set):
        raise CourseError(
            f"utterance_index {utterance_index} out of range: the test split has {len(test_set)}"
        )
    history: list[dict] = []
    if model is None and checkpoint is not None:
        model, ckpt = load_denoiser(checkpoint)
        history = ckpt["history"]
    elif model is None:
        X, y = make_training_set(
            load_corpus("train"),
            noise=TRAIN_NOISES,
            snr_db=TRAIN_SNRS,
            seed=seed,
            device=device if isinstance(device, torch.device) else get_device(device),
        )
        seed_everything(seed)
        model = LinearDenoiser()
        history = train_denoiser(
            model, X, y, num_epochs=num_epochs, seed=seed, device=device, show_progress=show_progress
        )
        del X, y
    model = model.cpu().eval()
    utterance = test_set[utterance_index]
    clean = utterance.waveform[: int(clip_seconds * SAMPLE_RATE)]
    clean_magnitude = compute_magnitude(clean)
    vmax_db = float(20 * torch.log10(clean_magnitude.max()).item()) + 6.0
    conditions = []
    for noise in noises:
        for snr in snrs:
            noisy, _ = make_noisy_pair(clean, noise, float(snr), seed=seed, split="test")
            denoised = denoise_waveform(model, noisy)
            subtracted = spectral_subtraction(noisy, SAMPLE_RATE)
            conditions.append(
                {
                    "noise": noise,
                    "snr_db": float(snr),
                    "noisy": {
                        "audio": encode_wav(noisy),
                        "image": encode_spectrogram(compute_magnitude(noisy), vmax_db),
                        "metrics": _clip_metrics(clean, noisy),
                    },
                    "denoised": {
                        "audio": encode_wav(denoised),
                        "image": encode_spectrogram(compute_magnitude(denoised), vmax_db),
                        "metrics": _clip_metrics(clean, denoised),
                    },
                    "spectral_subtraction": {"metrics": _clip_metrics(clean, subtracted)},
                }
            )
    return {
        "sample_rate": SAMPLE_RATE,
        "noises": list(noises),
        "snrs": [float(s) for s in snrs],
        "utterance": {"file": utterance.file, "voice": utterance.voice, "text": utterance.text},
        "clean": {"audio": encode_wav(clean), "image": encode_spectrogram(clean_magnitude, vmax_db)},
        "conditions": conditions,
        "history": {
            "epoch": [h["epoch"] for h in history],
            "train_loss": [round(h["train_loss"], 6) for h in history],
            "seconds": [round(h["seconds"], 2) for h in history],
        },
        "config": model.config(),
    }
