"""Quality measures for denoised speech: SNR, segmental SNR, SI-SDR and STOI.

All take the clean reference first and the estimate (noisy or denoised) second,
as 1-D numpy arrays or torch tensors; when the lengths differ both are cropped
to the shorter one. Improvements are ``metric(clean, denoised) - metric(clean, noisy)``.

Used by the book page "Chapter 2: evaluation" (the comparison tables).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from course_lib.core import CourseError

SEGSNR_MIN_DB = -10.0
SEGSNR_MAX_DB = 35.0
_EPS = np.finfo(np.float64).eps


def _aligned(clean, estimate) -> tuple[np.ndarray, np.ndarray]:
    """Both signals as 1-D float64 arrays cropped to the shorter length."""
    arrays = []
    for name, x in (("clean", clean), ("estimate", estimate)):
        if hasattr(x, "detach"):
            x = x.detach().cpu().numpy()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 1:
            raise CourseError(f"the {name} signal must be a 1-D waveform, got shape {x.shape}: pass one clip")
        arrays.append(x)
    length = min(len(arrays[0]), len(arrays[1]))
    if length == 0:
        raise CourseError("cannot compare empty signals: give a clean waveform and an estimate with samples")
    return arrays[0][:length], arrays[1][:length]


def _db(num: float, den: float) -> float:
    """``10 * log10(num / den)``: -inf when ``num`` is 0 (even if ``den`` is), +inf when only ``den`` is."""
    if num == 0:
        return float("-inf")
    if den == 0:
        return float("inf")
    return float(10 * np.log10(num / den))


def compute_snr(clean: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-noise ratio of an estimate, in dB.

    ``10 * log10(sum(clean**2) / sum((clean - estimate)**2))``; +inf for a perfect estimate.

    Args:
        clean: Reference waveform ``(num_samples,)``.
        estimate: Noisy or denoised waveform ``(num_samples,)``.

    Returns:
        The SNR in dB.

    Raises:
        CourseError: if a signal is empty or not 1-D, or the clean signal is silent.

    Book page: Chapter 2, evaluation.
    """
    clean, estimate = _aligned(clean, estimate)
    energy = np.sum(clean**2)
    if energy == 0:
        raise CourseError(
            "the clean signal is silent, so SNR is undefined: compare against a clip with speech"
        )
    return _db(energy, np.sum((clean - estimate) ** 2))


def compute_segmental_snr(
    clean: np.ndarray,
    estimate: np.ndarray,
    frame_length: int = 512,
    hop_length: int | None = None,
    min_db: float = SEGSNR_MIN_DB,
    max_db: float = SEGSNR_MAX_DB,
) -> float:
    """Segmental SNR: the mean over frames of each frame's SNR, in dB.

    Each frame's SNR is clamped to ``[min_db, max_db]`` (by default [-10, 35] dB,
    the usual limits, Hansen and Pellom 1998) so that silent frames (very low
    SNR) and near-perfect frames (very high) do not dominate the mean. A machine
    epsilon is added to both energies of a frame, so a frame silent in both
    signals counts as 0 dB. A trailing partial frame is ignored unless the
    signal is shorter than one frame.

    Args:
        clean: Reference waveform ``(num_samples,)``.
        estimate: Noisy or denoised waveform ``(num_samples,)``.
        frame_length: Samples per frame (512 = 32 ms at 16 kHz).
        hop_length: Samples between frame starts; ``None`` means ``frame_length``
            (non-overlapping frames).
        min_db: Lower clamp per frame.
        max_db: Upper clamp per frame.

    Returns:
        Segmental SNR in dB.

    Raises:
        CourseError: if a signal is empty or not 1-D, or the frame settings are not positive.

    Book page: Chapter 2, evaluation.
    """
    clean, estimate = _aligned(clean, estimate)
    hop_length = frame_length if hop_length is None else hop_length
    if frame_length <= 0 or hop_length <= 0:
        raise CourseError(
            f"frame_length and hop_length must be positive, got {frame_length} and {hop_length}"
        )
    if len(clean) < frame_length:
        starts = [0]
        frame_length = len(clean)
    else:
        starts = range(0, len(clean) - frame_length + 1, hop_length)
    values = []
    for start in starts:
        c = clean[start : start + frame_length]
        e = c - estimate[start : start + frame_length]
        snr = 10 * np.log10((np.sum(c**2) + _EPS) / (np.sum(e**2) + _EPS))
        values.append(min(max(snr, min_db), max_db))
    return float(np.mean(values))


def compute_si_sdr(clean: np.ndarray, estimate: np.ndarray, zero_mean: bool = True) -> float:
    """Scale-invariant signal-to-distortion ratio (Le Roux et al., 2019), in dB.

    The estimate is projected on the clean signal, ``target = alpha * clean`` with
    ``alpha = <estimate, clean> / <clean, clean>``, and the rest is distortion:
    ``10 * log10(|target|^2 / |estimate - target|^2)``. Scaling the estimate does
    not change the value, unlike :func:`compute_snr`. An estimate with no
    energy (all zeros, or exactly constant with ``zero_mean``) or orthogonal to the clean
    signal keeps none of the speech and scores ``-inf`` dB.

    Args:
        clean: Reference waveform ``(num_samples,)``.
        estimate: Noisy or denoised waveform ``(num_samples,)``.
        zero_mean: Remove each signal's mean first (the paper's recommendation).

    Returns:
        SI-SDR in dB (``-inf`` for a silent estimate, ``+inf`` for a perfect one).

    Raises:
        CourseError: if a signal is empty or not 1-D, or the clean signal is silent.

    Book page: Chapter 2, evaluation.
    """
    clean, estimate = _aligned(clean, estimate)
    if zero_mean:
        clean = clean - clean.mean()
        estimate = estimate - estimate.mean()
    energy = np.sum(clean**2)
    if energy == 0:
        raise CourseError(
            "the clean signal is silent (or constant), so SI-SDR is undefined: use a clip with speech"
        )
    alpha = np.dot(estimate, clean) / energy
    target = alpha * clean
    return _db(np.sum(target**2), np.sum((estimate - target) ** 2))


def compute_stoi(
    clean: np.ndarray, estimate: np.ndarray, sample_rate: int = 16000, extended: bool = False
) -> float:
    """Short-time objective intelligibility (Taal et al., 2011) via pystoi.

    Roughly 0.4 (unintelligible) to 1 (identical to the clean speech). pystoi
    resamples to 10 kHz and drops silent frames itself.

    Args:
        clean: Reference waveform ``(num_samples,)``.
        estimate: Noisy or denoised waveform ``(num_samples,)``.
        sample_rate: Sample rate of both signals (Hz).
        extended: Compute extended STOI (Jensen and Taal, 2016) instead.

    Returns:
        The STOI score.

    Raises:
        CourseError: if a signal is empty, not 1-D, or too short for STOI.

    Book page: Chapter 2, evaluation.
    """
    # Imported here: pystoi takes about 2 s to import, which every other metric would pay.
    from pystoi import stoi as _pystoi

    clean, estimate = _aligned(clean, estimate)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score = float(_pystoi(clean, estimate, sample_rate, extended=extended))
    if any("Not enough STFT frames" in str(w.message) for w in caught):
        raise CourseError(
            f"STOI needs at least about 0.4 s of non-silent speech, got {len(clean) / sample_rate:.2f} s "
            "(after pystoi drops silent frames): use a longer clip"
        )
    return score


def compute_metrics(clean: np.ndarray, estimate: np.ndarray, sample_rate: int = 16000) -> dict[str, float]:
    """All four measures of one estimate.

    Args:
        clean: Reference waveform ``(num_samples,)``.
        estimate: Noisy or denoised waveform ``(num_samples,)``.
        sample_rate: Sample rate (Hz), for STOI.

    Returns:
        ``{"snr": ..., "segsnr": ..., "si_sdr": ..., "stoi": ...}`` (dB, dB, dB, score).

    Book page: Chapter 2, evaluation.
    """
    return {
        "snr": compute_snr(clean, estimate),
        "segsnr": compute_segmental_snr(clean, estimate),
        "si_sdr": compute_si_sdr(clean, estimate),
        "stoi": compute_stoi(clean, estimate, sample_rate=sample_rate),
    }


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (``inf``, ``-inf``, ``nan``) replaced by ``None``.

    SI-SDR is ``-inf`` for a silent estimate and an improvement can be ``nan``
    (``-inf - -inf``); ``json.dumps`` would write those as ``-Infinity`` and
    ``NaN``, which are not valid JSON. Dicts, lists and tuples are converted
    recursively; everything else is returned unchanged.

    Args:
        value: Metrics, a comparison table, or any JSON-able structure.

    Returns:
        The same structure, safe for ``json.dumps(..., allow_nan=False)`` (missing
        values become ``null``).

    Book page: Chapter 2, evaluation.
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value
