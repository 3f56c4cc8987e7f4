"""Classical denoisers to compare the learned model with, and the oracle ideal ratio mask.

All three work on the STFT of :mod:`course_lib.denoise.stft` (n_fft 1024, hop
256) and rebuild the waveform with the noisy phase, like the model does, so the
comparison is about magnitudes only.

The two classical methods need the noise's power spectrum, which they estimate
from the noisy signal itself (no clean reference): :func:`estimate_noise_psd`
ranks the frames by their energy in the speech band (300-3400 Hz) and averages
the power spectra of the quietest ``noise_fraction`` of them (10 % by default). Speech has pauses and quiet
frames, while stationary noise (white, pink, brown, hum) is there all the time,
so the quietest frames are mostly noise. Noise that changes over time (babble)
breaks this assumption, and the classical methods do badly on it.

* :func:`spectral_subtraction`: power spectral subtraction with over-subtraction
  and a spectral floor (Boll 1979; Berouti, Schwartz and Makhoul 1979).
* :func:`wiener_filter`: Wiener gain ``xi / (1 + xi)`` with the a-priori SNR
  ``xi`` from the decision-directed estimate (Ephraim and Malah 1984).
* :func:`oracle_irm`: the ideal ratio mask ``sqrt(|S|^2 / (|S|^2 + |N|^2))``
  computed from the true clean speech and noise; no real denoiser has them, so it
  is an oracle reference (not a ceiling: the clean magnitude itself, or a
  phase-sensitive mask, score higher with the same noisy phase).

Book page: Chapter 2, "Evaluation: SNR and a comparison with classical methods".
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib.core import CourseError
from course_lib.denoise.stft import HOP_LENGTH, N_FFT, compute_stft, reconstruct_waveform

SPEECH_BAND = (300.0, 3400.0)  # Hz: the telephone band, where speech energy and pauses are clearest


def _as_waveform(x, name: str) -> np.ndarray:
    """A 1-D float32 numpy waveform, or a CourseError naming the argument."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise CourseError(
            f"{name} must be a non-empty mono waveform (num_samples,), got shape {x.shape}: "
            "mix stereo to mono, e.g. x.mean(axis=1), or use load_audio"
        )
    return x


def estimate_noise_psd(
    noisy_power: torch.Tensor,
    noise_fraction: float = 0.1,
    sample_rate: int = 16000,
    band: tuple[float, float] = SPEECH_BAND,
) -> torch.Tensor:
    """Noise power spectrum from the quietest frames of a noisy power spectrogram.

    Frames are ranked by their energy inside the speech band (300-3400 Hz by
    default), where pauses in speech stand out best, and the full power spectra
    of the quietest ``noise_fraction`` of them are averaged. Ranking on the band
    only keeps the estimate unbiased outside it: ranking on the total energy
    would pick frames where a strong low-frequency noise (brown, hum) happens to
    be weak. The two frames at each end are skipped when there are more than 8,
    since they are partly the STFT's zero padding.

    Args:
        noisy_power: ``|STFT|^2`` of the noisy signal, ``(num_bins, num_frames)``.
        noise_fraction: Share of frames averaged (at least one frame).
        sample_rate: Sample rate of the signal (Hz), to locate the band.
        band: ``(low, high)`` frequencies in Hz of the band used for ranking.

    Returns:
        Tensor ``(num_bins, 1)``: the estimated noise power per bin.

    Raises:
        CourseError: if ``noise_fraction`` is not in (0, 1] or the band holds no bin.

    Book page: Chapter 2, evaluation.
    """
    if not 0 < noise_fraction <= 1:
        raise CourseError(f"noise_fraction must be in (0, 1], got {noise_fraction}: try 0.1")
    num_bins, num_frames = noisy_power.shape[-2:]
    freqs = torch.arange(num_bins, device=noisy_power.device) * sample_rate / (2 * (num_bins - 1))
    in_band = (freqs >= band[0]) & (freqs <= band[1])
    if not in_band.any():
        raise CourseError(
            f"no STFT bin lies in the band {band} Hz at {sample_rate} Hz: pass a band such as (300, 3400)"
        )
    energy = noisy_power[in_band].sum(dim=0)
    candidates = torch.arange(num_frames, device=noisy_power.device)
    if num_frames > 8:
        candidates = candidates[2:-2]
    count = max(1, int(round(noise_fraction * len(candidates))))
    quietest = candidates[torch.argsort(energy[candidates])[:count]]
    return noisy_power[:, quietest].mean(dim=1, keepdim=True)


def spectral_subtraction(
    noisy: np.ndarray,
    sample_rate: int = 16000,
    *,
    over_subtraction: float = 2.0,
    floor: float = 0.02,
    noise_fraction: float = 0.1,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
) -> np.ndarray:
    """Denoise by subtracting the estimated noise power from each frame.

    ``|S|^2 = max(|Y|^2 - over_subtraction * N, floor * |Y|^2)``, then the
    waveform is rebuilt with the noisy phase. Over-subtraction reduces the
    "musical noise" of leftover spectral peaks; the floor keeps a little noise
    rather than holes.

    Args:
        noisy: Noisy waveform ``(num_samples,)``.
        sample_rate: Sample rate (Hz), for the noise estimate's speech band.
        over_subtraction: Factor on the noise estimate (1 = plain subtraction).
        floor: Lowest power kept, as a share of the noisy power.
        noise_fraction: Share of quietest frames for the noise estimate.
        n_fft: FFT size.
        hop_length: Hop between frames.

    Returns:
        Float32 denoised waveform ``(num_samples,)``.

    Book page: Chapter 2, evaluation.
    """
    noisy = _as_waveform(noisy, "noisy")
    spec = compute_stft(noisy, n_fft=n_fft, hop_length=hop_length)
    power = spec.abs() ** 2
    noise_psd = estimate_noise_psd(power, noise_fraction, sample_rate)
    clean_power = torch.maximum(power - over_subtraction * noise_psd, floor * power)
    out = reconstruct_waveform(clean_power.sqrt(), spec, length=len(noisy), hop_length=hop_length)
    return out.numpy().astype(np.float32)


def wiener_filter(
    noisy: np.ndarray,
    sample_rate: int = 16000,
    *,
    smoothing: float = 0.98,
    min_gain: float = 0.1,
    noise_fraction: float = 0.1,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
) -> np.ndarray:
    """Denoise with a Wiener gain and a decision-directed a-priori SNR.

    For each frame ``t``: the a-posteriori SNR ``gamma = |Y|^2 / N``; the
    a-priori SNR ``xi = smoothing * |S_{t-1}|^2 / N + (1 - smoothing) * max(gamma - 1, 0)``;
    the gain ``G = max(xi / (1 + xi), min_gain)`` and ``|S_t| = G |Y_t|``.

    Args:
        noisy: Noisy waveform ``(num_samples,)``.
        sample_rate: Sample rate (Hz), for the noise estimate's speech band.
        smoothing: Weight of the previous frame's estimate in ``xi`` (0.98 is usual).
        min_gain: Lowest gain, so that no bin is silenced completely.
        noise_fraction: Share of quietest frames for the noise estimate.
        n_fft: FFT size.
        hop_length: Hop between frames.

    Returns:
        Float32 denoised waveform ``(num_samples,)``.

    Book page: Chapter 2, evaluation.
    """
    noisy = _as_waveform(noisy, "noisy")
    spec = compute_stft(noisy, n_fft=n_fft, hop_length=hop_length).to(torch.complex128)
    power = spec.abs() ** 2
    noise_psd = estimate_noise_psd(power, noise_fraction, sample_rate).squeeze(1).clamp_min(1e-12)
    gamma = power / noise_psd[:, None]
    gains = torch.empty_like(power)
    previous = torch.zeros_like(noise_psd)  # |S_{t-1}|^2 / N
    for t in range(power.shape[1]):
        xi = smoothing * previous + (1 - smoothing) * (gamma[:, t] - 1).clamp_min(0)
        gain = (xi / (1 + xi)).clamp_min(min_gain)
        gains[:, t] = gain
        previous = gain**2 * gamma[:, t]
    magnitude = gains * spec.abs()
    out = reconstruct_waveform(magnitude, spec, length=len(noisy), hop_length=hop_length)
    return out.numpy().astype(np.float32)


def oracle_irm(
    clean: np.ndarray, noisy: np.ndarray, *, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH
) -> np.ndarray:
    """Apply the ideal ratio mask, computed from the true clean speech and noise.

    ``mask = sqrt(|S|^2 / (|S|^2 + |N|^2))`` with ``N = STFT(noisy - clean)``,
    applied to the noisy magnitude, with the noisy phase. It needs the clean
    signal, so it is an oracle reference for methods that scale noisy magnitudes
    (not an upper bound: the clean magnitude with the noisy phase scores higher).

    Args:
        clean: Clean waveform ``(num_samples,)``.
        noisy: Noisy waveform of the same length.
        n_fft: FFT size.
        hop_length: Hop between frames.

    Returns:
        Float32 waveform ``(num_samples,)``.

    Raises:
        CourseError: if the lengths differ.

    Book page: Chapter 2, evaluation.
    """
    clean = _as_waveform(clean, "clean")
    noisy = _as_waveform(noisy, "noisy")
    if len(clean) != len(noisy):
        raise CourseError(
            f"clean ({len(clean)} samples) and noisy ({len(noisy)}) differ in length: "
            "pass the pair made by make_noisy_pair"
        )
    spec = compute_stft(noisy, n_fft=n_fft, hop_length=hop_length)
    clean_power = compute_stft(clean, n_fft=n_fft, hop_length=hop_length).abs() ** 2
    noise_power = compute_stft(noisy - clean, n_fft=n_fft, hop_length=hop_length).abs() ** 2
    mask = torch.sqrt(clean_power / (clean_power + noise_power).clamp_min(1e-12))
    out = reconstruct_waveform(mask * spec.abs(), spec, length=len(noisy), hop_length=hop_length)
    return out.numpy().astype(np.float32)
