"""Noise generation (seeded numpy) and mixing clean speech with noise at an exact SNR.

Kinds of noise:

* ``white``: Gaussian, flat spectrum.
* ``pink``: power falling as 1/f (-3 dB per octave), by shaping white noise's
  spectrum with ``1/sqrt(f)`` in the FFT domain.
* ``brown``: power falling as 1/f^2 (-6 dB per octave), shaping with ``1/f``.
* ``babble``: several talkers at once, summed from corpus utterances of one
  split (the train split by default, so that test-time babble can use the test
  voices and training never hears them).
* ``hum``: mains hum at 50 Hz (``hum_hz=60`` for America) with harmonics whose
  amplitude falls as ``1/k``.
* ``file``: a user's noise recording (``path=``), tiled or cropped to length.

Every generated noise is scaled to an RMS of :data:`NOISE_RMS`; :func:`mix_at_snr`
rescales it anyway to the requested SNR.

Used by the book page "Chapter 2: preprocessing" (noise kinds, mixing).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_lib.core import CourseError
from course_lib.denoise.audio import SAMPLE_RATE, as_mono, load_audio, load_corpus

NOISE_KINDS = ("white", "pink", "brown", "babble", "hum")
NOISE_RMS = 0.1
BABBLE_TALKERS = 6


def _shaped_noise(rng: np.random.Generator, num_samples: int, exponent: float) -> np.ndarray:
    """White Gaussian noise whose power spectrum is shaped as ``1/f**exponent`` (DC removed)."""
    spectrum = np.fft.rfft(rng.standard_normal(num_samples))
    freqs = np.fft.rfftfreq(num_samples)
    gain = np.zeros_like(freqs)
    gain[1:] = freqs[1:] ** (-exponent / 2)  # amplitude ~ f^(-exponent/2) -> power ~ f^-exponent
    return np.fft.irfft(spectrum * gain, n=num_samples)


def _tile(x: np.ndarray, num_samples: int, offset: int = 0) -> np.ndarray:
    """Repeat ``x`` cyclically from ``offset`` to exactly ``num_samples`` samples."""
    return np.take(x, (np.arange(num_samples) + offset) % len(x))


@lru_cache(maxsize=4)
def _corpus_waveforms(split: str, sample_rate: int) -> tuple[np.ndarray, ...]:
    """The corpus waveforms of one split, read once per process (babble draws from them often)."""
    waveforms = tuple(u.waveform for u in load_corpus(split, sample_rate=sample_rate))
    for w in waveforms:
        w.flags.writeable = False
    return waveforms


def _babble(
    rng: np.random.Generator, num_samples: int, sample_rate: int, split: str, num_talkers: int
) -> np.ndarray:
    """Sum of ``num_talkers`` corpus utterances of equal RMS, each tiled from a random offset."""
    utterances = _corpus_waveforms(split, sample_rate)
    if not utterances:
        raise CourseError(
            f"corpus split {split!r} is empty: babble needs speech, use split='train' or 'test'"
        )
    picks = rng.choice(len(utterances), size=min(num_talkers, len(utterances)), replace=False)
    total = np.zeros(num_samples)
    for index in picks:
        speech = utterances[index].astype(np.float64)
        speech = speech / (np.sqrt(np.mean(speech**2)) + 1e-12)  # every talker equally loud
        total += _tile(speech, num_samples, offset=int(rng.integers(len(speech))))
    return total


def _hum(
    rng: np.random.Generator, num_samples: int, sample_rate: int, hum_hz: float, num_harmonics: int
) -> np.ndarray:
    """Harmonics ``k * hum_hz`` below Nyquist with amplitude ``1/k`` and random phases."""
    t = np.arange(num_samples) / sample_rate
    total = np.zeros(num_samples)
    for k in range(1, num_harmonics + 1):
        if k * hum_hz >= sample_rate / 2:
            break
        total += np.sin(2 * np.pi * k * hum_hz * t + rng.uniform(0, 2 * np.pi)) / k
    return total


def make_noise(
    kind: str,
    num_samples: int,
    sample_rate: int = SAMPLE_RATE,
    seed: int = 0,
    path: str | Path | None = None,
    *,
    split: str = "train",
    hum_hz: float = 50.0,
    num_harmonics: int = 10,
    num_talkers: int = BABBLE_TALKERS,
) -> np.ndarray:
    """Generate ``num_samples`` of noise of one kind, the same for the same seed.

    Args:
        kind: One of :data:`NOISE_KINDS`, or ``"file"`` with ``path``.
        num_samples: Length of the result.
        sample_rate: Sample rate (Hz); matters for ``hum``, ``babble`` and ``file``.
        seed: Seed of the numpy generator (also picks the babble talkers and offsets).
        path: The noise recording for ``kind="file"`` (tiled or cropped from a
            seeded offset).
        split: Corpus split the babble talkers come from (``"train"`` or ``"test"``).
        hum_hz: Mains frequency for ``hum`` (50 or 60).
        num_harmonics: Number of hum harmonics, including the fundamental.
        num_talkers: Number of simultaneous babble talkers.

    Returns:
        Float32 array ``(num_samples,)`` with RMS :data:`NOISE_RMS` (the file noise
        keeps its own level).

    Raises:
        CourseError: for an unknown kind, a non-positive length, a missing ``path``,
            or a silent noise file.

    Book page: Chapter 2, preprocessing.
    """
    if num_samples <= 0:
        raise CourseError(f"num_samples must be positive, got {num_samples}: pass len(clean)")
    rng = np.random.default_rng(seed)
    if kind == "file":
        if path is None:
            raise CourseError("noise kind 'file' needs path=...: give a WAV/FLAC noise recording")
        recording = load_audio(path, sample_rate=sample_rate)
        if not np.any(recording):
            raise CourseError(f"noise file {str(path)!r} is silent: give a recording that contains noise")
        return _tile(recording, num_samples, offset=int(rng.integers(len(recording)))).astype(np.float32)
    if kind == "white":
        noise = rng.standard_normal(num_samples)
    elif kind == "pink":
        noise = _shaped_noise(rng, num_samples, 1.0)
    elif kind == "brown":
        noise = _shaped_noise(rng, num_samples, 2.0)
    elif kind == "babble":
        noise = _babble(rng, num_samples, sample_rate, split, num_talkers)
    elif kind == "hum":
        noise = _hum(rng, num_samples, sample_rate, hum_hz, num_harmonics)
    else:
        raise CourseError(
            f"unknown noise kind {kind!r}: choose one of {', '.join(NOISE_KINDS)} or 'file' (with path=)"
        )
    rms = np.sqrt(np.mean(noise**2))
    if rms == 0:
        raise CourseError(f"{kind} noise of {num_samples} samples is silent: use a longer signal")
    return (noise * (NOISE_RMS / rms)).astype(np.float32)


def scale_noise_to_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Tile or crop ``noise`` to ``len(clean)`` and scale it to the requested SNR.

    After scaling, ``10 * log10(sum(clean**2) / sum(noise**2)) == snr_db``.

    Args:
        clean: Clean waveform ``(num_samples,)``.
        noise: Noise waveform of any length.
        snr_db: Target signal-to-noise ratio in dB.

    Returns:
        Float32 scaled noise ``(num_samples,)``.

    Raises:
        CourseError: if either signal is empty, silent or not 1-D, or ``snr_db``
            is not a finite number.

    Book page: Chapter 2, preprocessing.
    """
    clean = as_mono(clean, "clean signal")
    noise = as_mono(noise, "noise")
    try:
        snr_db = float(snr_db)
    except (TypeError, ValueError):
        raise CourseError(f"snr_db must be a number in dB, got {snr_db!r}: use e.g. 5.0") from None
    if not math.isfinite(snr_db):
        raise CourseError(f"snr_db must be a finite number in dB, got {snr_db}: use e.g. 5.0")
    if clean.size == 0 or noise.size == 0:
        raise CourseError("cannot mix empty signals: give a clean waveform and a noise with samples")
    noise = _tile(noise, clean.size)
    clean_energy = np.sum(clean**2)
    noise_energy = np.sum(noise**2)
    if clean_energy == 0:
        raise CourseError("the clean signal is silent, so its SNR is undefined: pick a recording with speech")
    if noise_energy == 0:
        raise CourseError("the noise is silent (over the clean signal's length): pick another noise or seed")
    gain = np.sqrt(clean_energy / (noise_energy * 10 ** (snr_db / 10)))
    return (noise * gain).astype(np.float32)


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Add noise to clean speech at exactly ``snr_db`` (energy ratio over the whole clip).

    The noise is tiled or cropped to ``len(clean)``. The sum is not clipped (that
    would change the SNR); it can exceed [-1, 1] at low SNR.

    Args:
        clean: Clean waveform ``(num_samples,)``.
        noise: Noise waveform of any length.
        snr_db: Signal-to-noise ratio in dB.

    Returns:
        Float32 noisy waveform ``(num_samples,)``.

    Raises:
        CourseError: if either signal is empty, silent or not 1-D, or ``snr_db`` is not finite.

    Book page: Chapter 2, preprocessing.
    """
    scaled = scale_noise_to_snr(clean, noise, snr_db)
    return (as_mono(clean, "clean signal").astype(np.float32) + scaled).astype(np.float32)


def make_noisy_pair(
    clean: np.ndarray,
    kind: str,
    snr_db: float,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    **noise_kwargs,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate noise of a kind and mix it with ``clean`` at ``snr_db``.

    Args:
        clean: Clean waveform ``(num_samples,)``.
        kind: A noise kind (see :func:`make_noise`).
        snr_db: Signal-to-noise ratio in dB.
        seed: Noise seed.
        sample_rate: Sample rate (Hz).
        **noise_kwargs: Passed to :func:`make_noise` (``path``, ``split``, ``hum_hz``, ...).

    Returns:
        ``(noisy, noise)``, both float32 ``(num_samples,)``, with ``noisy = clean + noise``
        and ``noise`` already scaled to the SNR.

    Raises:
        CourseError: if ``clean`` is not a mono 1-D waveform (mix stereo to mono
            first), is empty or silent, or ``snr_db`` is not finite.

    Book page: Chapter 2, preprocessing.
    """
    clean = as_mono(clean, "clean signal").astype(np.float32)
    raw = make_noise(kind, len(clean), sample_rate=sample_rate, seed=seed, **noise_kwargs)
    noise = scale_noise_to_snr(clean, raw, snr_db)
    return (clean + noise).astype(np.float32), noise
