"""Metrics on constructed cases whose values are known by hand."""

import numpy as np
import pytest
import torch

from course_lib.core import CourseError
from course_lib.denoise import (
    compute_metrics,
    compute_segmental_snr,
    compute_si_sdr,
    compute_snr,
    compute_stoi,
    make_noise,
)

SR = 16000


def _alternating(num_samples: int, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * np.where(np.arange(num_samples) % 2 == 0, 1.0, -1.0)


def _speech_like(seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    """Amplitude-modulated harmonic tone with pauses, so STOI has speech-like envelopes."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 2
    tone = sum(np.sin(2 * np.pi * k * 150 * t + rng.uniform(0, 6.28)) / k for k in range(1, 15))
    return (0.3 * envelope * tone).astype(np.float32)


def test_snr_hand_computed():
    clean = _alternating(1000)  # power 1
    assert compute_snr(clean, clean + 0.1) == pytest.approx(20.0, abs=1e-9)  # error power 0.01
    assert compute_snr(clean, 0.5 * clean) == pytest.approx(10 * np.log10(1 / 0.25), abs=1e-9)
    assert compute_snr(clean, np.zeros(1000)) == pytest.approx(0.0, abs=1e-12)
    assert compute_snr(clean, clean) == float("inf")


def test_snr_with_known_noise_power():
    clean = _speech_like()
    noise = make_noise("white", len(clean), seed=1).astype(np.float64)
    expected = 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum(noise**2))
    assert compute_snr(clean, clean + noise) == pytest.approx(expected, abs=1e-4)


def test_snr_crops_to_shorter_and_accepts_tensors():
    clean = _alternating(1000)
    estimate = np.concatenate([clean + 0.1, np.ones(50)])
    assert compute_snr(clean, estimate) == pytest.approx(20.0, abs=1e-9)
    assert compute_snr(torch.from_numpy(clean), torch.from_numpy(estimate)) == pytest.approx(20.0, abs=1e-6)


def test_snr_errors():
    with pytest.raises(CourseError, match="empty"):
        compute_snr(np.zeros(0), np.zeros(0))
    with pytest.raises(CourseError, match="silent"):
        compute_snr(np.zeros(10), np.ones(10))
    with pytest.raises(CourseError, match="1-D"):
        compute_snr(np.ones((2, 10)), np.ones((2, 10)))


def test_segmental_snr_clamps_each_frame():
    frame = 512
    clean = np.concatenate([_alternating(frame), _alternating(frame), _alternating(frame)])
    error = np.concatenate(
        [
            np.full(frame, 0.1),  # 20 dB
            np.full(frame, 10**-2.5),  # 50 dB -> clamped to 35
            np.full(frame, 10.0),  # -20 dB -> clamped to -10
        ]
    )
    assert compute_segmental_snr(clean, clean + error) == pytest.approx((20 + 35 - 10) / 3, abs=1e-6)
    # Unclamped, the same frames average (20 + 50 - 20) / 3.
    unclamped = compute_segmental_snr(clean, clean + error, min_db=-100, max_db=100)
    assert unclamped == pytest.approx(50 / 3, abs=1e-6)


def test_segmental_snr_differs_from_global_snr():
    frame = 512
    clean = np.concatenate([_alternating(frame, 1.0), _alternating(frame, 0.01)])
    estimate = clean + 0.01  # frame SNRs: 40 dB (-> 35) and 0 dB
    assert compute_segmental_snr(clean, estimate) == pytest.approx(17.5, abs=1e-6)
    assert compute_snr(clean, estimate) == pytest.approx(10 * np.log10((1 + 1e-4) / 2e-4), abs=1e-6)


def test_si_sdr_hand_computed_and_scale_invariant():
    t = np.arange(SR) / SR
    clean = np.sin(2 * np.pi * 100 * t)  # zero mean over whole periods
    orthogonal = np.cos(2 * np.pi * 100 * t)  # orthogonal to clean, same energy
    estimate = 2 * clean + 0.1 * orthogonal
    # target = 2 * clean, distortion = 0.1 * orthogonal: 10 log10(4 / 0.01)
    assert compute_si_sdr(clean, estimate) == pytest.approx(10 * np.log10(400), abs=1e-6)
    for scale in (0.01, 0.5, 7.0):
        assert compute_si_sdr(clean, scale * estimate) == pytest.approx(10 * np.log10(400), abs=1e-6)
    # Plain SNR punishes the scaling: error = clean + 0.1 * orthogonal.
    assert compute_snr(clean, estimate) == pytest.approx(10 * np.log10(1 / 1.01), abs=1e-6)


def test_si_sdr_zero_mean():
    t = np.arange(SR) / SR
    clean = np.sin(2 * np.pi * 100 * t)
    shifted = clean + 0.5  # a DC offset is removed before the projection
    assert compute_si_sdr(clean, shifted) > 100
    assert compute_si_sdr(clean, shifted, zero_mean=False) < 10


def test_stoi_identical_and_noisy():
    clean = _speech_like()
    assert compute_stoi(clean, clean) == pytest.approx(1.0, abs=1e-6)
    noisy = clean + make_noise("white", len(clean), seed=0) * 3
    score = compute_stoi(clean, noisy)
    assert 0.0 < score < 0.9


def test_stoi_too_short():
    with pytest.raises(CourseError, match="STOI"):
        compute_stoi(np.ones(1000), np.ones(1000))


def test_compute_metrics_keys_and_values():
    clean = _speech_like()
    noisy = clean + make_noise("pink", len(clean), seed=2)
    metrics = compute_metrics(clean, noisy)
    assert set(metrics) == {"snr", "segsnr", "si_sdr", "stoi"}
    assert metrics["snr"] == pytest.approx(compute_snr(clean, noisy))
    assert metrics["segsnr"] == pytest.approx(compute_segmental_snr(clean, noisy))
    assert metrics["si_sdr"] == pytest.approx(compute_si_sdr(clean, noisy))
    assert all(isinstance(v, float) for v in metrics.values())


def test_si_sdr_of_a_silent_or_constant_estimate_is_minus_infinity():
    from course_lib.denoise.metrics import compute_si_sdr

    clean = np.sin(np.linspace(0, 200, 16000))
    assert compute_si_sdr(clean, np.zeros_like(clean)) == float("-inf")
    constant = np.full_like(clean, 0.25)  # zero after mean removal
    assert compute_si_sdr(clean, constant) == float("-inf")
    noisy = clean + 0.3 * np.random.default_rng(0).standard_normal(clean.size)
    assert compute_si_sdr(clean, np.zeros_like(clean)) < compute_si_sdr(
        clean, noisy
    )  # silence is never better


def test_json_safe_replaces_non_finite_values_with_none():
    import json

    from course_lib.denoise.metrics import json_safe

    data = {"a": float("-inf"), "b": [np.float64("nan"), 2.0, "x"], "c": (float("inf"), 3), "d": None}
    safe = json_safe(data)
    assert safe == {"a": None, "b": [None, 2.0, "x"], "c": [None, 3], "d": None}
    json.dumps(safe, allow_nan=False)
