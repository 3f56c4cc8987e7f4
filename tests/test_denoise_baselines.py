"""Classical baselines and the oracle mask on held-out corpus speech with white noise at 5 dB."""

import numpy as np
import pytest
import torch

from course_lib.core import CourseError
from course_lib.denoise import (
    compute_si_sdr,
    compute_snr,
    compute_stft,
    estimate_noise_psd,
    load_corpus,
    make_noise,
    make_noisy_pair,
    oracle_irm,
    spectral_subtraction,
    wiener_filter,
)


@pytest.fixture(scope="module")
def pairs():
    """Three test-split utterances (unheard voices) mixed with white noise at 5 dB."""
    utterances = load_corpus("test")[:3]
    return [
        (u.waveform, make_noisy_pair(u.waveform, "white", 5.0, seed=i)[0]) for i, u in enumerate(utterances)
    ]


def _mean_gain(pairs, denoise, metric=compute_snr):
    return float(
        np.mean([metric(clean, denoise(clean, noisy)) - metric(clean, noisy) for clean, noisy in pairs])
    )


def test_baselines_improve_snr_and_oracle_beats_them(pairs):
    ss = _mean_gain(pairs, lambda c, n: spectral_subtraction(n))
    wf = _mean_gain(pairs, lambda c, n: wiener_filter(n))
    oracle = _mean_gain(pairs, oracle_irm)
    assert ss > 3.0
    assert wf > 3.0
    assert oracle > max(ss, wf) + 2.0
    ss_sdr = _mean_gain(pairs, lambda c, n: spectral_subtraction(n), compute_si_sdr)
    oracle_sdr = _mean_gain(pairs, oracle_irm, compute_si_sdr)
    assert ss_sdr > 3.0 and oracle_sdr > ss_sdr


def test_outputs_are_float32_same_length_and_deterministic(pairs):
    clean, noisy = pairs[0]
    for out in (spectral_subtraction(noisy), wiener_filter(noisy), oracle_irm(clean, noisy)):
        assert out.dtype == np.float32 and out.shape == noisy.shape
        assert np.isfinite(out).all()
    assert np.array_equal(spectral_subtraction(noisy), spectral_subtraction(noisy))
    assert np.array_equal(wiener_filter(noisy), wiener_filter(noisy))


def test_noise_psd_estimate_from_quiet_frames():
    # Speech-like bursts in the middle, stationary white noise throughout: the quietest
    # frames are noise only, so the estimate matches the true white-noise power per bin.
    noise = make_noise("white", 48000, seed=0)
    burst = np.zeros(48000, dtype=np.float32)
    burst[16000:32000] = np.sin(2 * np.pi * 300 * np.arange(16000) / 16000)
    power = compute_stft(noise + burst).abs() ** 2
    estimate = estimate_noise_psd(power, 0.2).squeeze(1)
    expected = np.mean(noise.astype(np.float64) ** 2) * np.sum(np.hanning(1025)[:1024] ** 2)
    assert estimate.shape == (513,)
    assert torch.median(estimate).item() == pytest.approx(expected, rel=0.15)
    with pytest.raises(CourseError, match="noise_fraction"):
        estimate_noise_psd(power, 0.0)


def test_oracle_without_noise_returns_clean(pairs):
    clean, _ = pairs[0]
    tiny = clean + 1e-6 * make_noise("white", len(clean), seed=1)
    assert compute_snr(clean, oracle_irm(clean, tiny)) > 60


def test_baseline_input_errors(pairs):
    clean, noisy = pairs[0]
    with pytest.raises(CourseError, match="length"):
        oracle_irm(clean, noisy[:-10])
    with pytest.raises(CourseError, match="mono"):
        spectral_subtraction(np.stack([noisy, noisy]))


def test_noise_psd_estimate_unbiased_for_brown_noise():
    # Ranking frames by speech-band energy (not total energy) keeps the strong low
    # bins of brown noise from being underestimated.
    noise = make_noise("brown", 64000, seed=0)
    burst = np.zeros(64000, dtype=np.float32)
    burst[20000:44000] = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(24000) / 16000)
    noisy_power = compute_stft(noise + burst).abs() ** 2
    true_power = (compute_stft(noise).abs() ** 2)[:, 2:-2].mean(dim=1)
    estimate = estimate_noise_psd(noisy_power, 0.3).squeeze(1)
    low = slice(1, 8)  # 16-110 Hz, where brown noise has most of its power
    ratio = (estimate[low].sum() / true_power[low].sum()).item()
    assert 0.5 < ratio < 2.0
