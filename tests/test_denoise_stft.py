"""STFT on torch: parity with librosa, exact inversion, magnitude/phase reconstruction."""

import librosa
import numpy as np
import pytest
import torch

from course_lib.core import CourseError
from course_lib.denoise import (
    HOP_LENGTH,
    N_FFT,
    NUM_BINS,
    compute_istft,
    compute_magnitude,
    compute_stft,
    reconstruct_waveform,
)


def _signal(num_samples: int = 16000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / 16000
    x = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(num_samples)
    return x.astype(np.float32)


def test_constants():
    assert (N_FFT, HOP_LENGTH, NUM_BINS) == (1024, 256, 513)


@pytest.mark.parametrize("num_samples", [16000, 12345, 3000])
def test_stft_matches_librosa(num_samples):
    x = _signal(num_samples)
    ours = compute_stft(x)
    ref = librosa.stft(x, n_fft=1024, hop_length=256)
    assert torch.is_complex(ours)
    assert ours.shape == ref.shape == (513, 1 + num_samples // 256)
    assert np.abs(ours.numpy() - ref).max() < 1e-4


def test_stft_accepts_tensor_and_batch():
    x = _signal(8000)
    batch = torch.from_numpy(np.stack([x, 2 * x]))
    spec = compute_stft(batch)
    assert spec.shape == (2, 513, 1 + 8000 // 256)
    assert torch.allclose(spec[1], 2 * compute_stft(x), atol=1e-4)


@pytest.mark.parametrize("num_samples", [16000, 12345])
def test_istft_round_trip(num_samples):
    x = _signal(num_samples)
    y = compute_istft(compute_stft(x), length=num_samples)
    assert y.shape == (num_samples,)
    assert np.abs(y.numpy() - x).max() < 1e-5


def test_magnitude_is_abs_of_stft():
    x = _signal(8000)
    mag = compute_magnitude(x)
    assert mag.dtype == torch.float32 and mag.shape == (513, 32)
    assert (mag >= 0).all()
    assert np.allclose(mag.numpy(), np.abs(librosa.stft(x, n_fft=1024, hop_length=256)), atol=1e-4)


def test_reconstruct_with_true_magnitude_and_phase_is_exact():
    x = _signal(9000)
    spec = compute_stft(x)
    y = reconstruct_waveform(spec.abs(), spec, length=len(x))
    assert y.shape == (9000,)
    assert np.abs(y.numpy() - x).max() < 1e-5


def test_reconstruct_uses_noisy_phase():
    x = _signal(9000, seed=1)
    noisy = x + 0.3 * np.random.default_rng(2).standard_normal(len(x)).astype(np.float32)
    noisy_stft = compute_stft(noisy)
    clean_mag = compute_magnitude(x)
    y = reconstruct_waveform(clean_mag, noisy_stft, length=len(x))
    # The result has the noisy phase: its STFT phase matches the noisy one where the magnitude is large.
    expected = compute_istft(torch.polar(clean_mag, torch.angle(noisy_stft)), length=len(x))
    assert torch.allclose(y, expected, atol=1e-6)
    assert not torch.allclose(y, torch.from_numpy(x), atol=1e-2)


def test_reconstruct_shape_mismatch_raises():
    spec = compute_stft(_signal(8000))
    with pytest.raises(CourseError, match="shape"):
        reconstruct_waveform(torch.ones(513, 3), spec)


def test_stft_rejects_bad_shape():
    with pytest.raises(CourseError, match="mono"):
        compute_stft(np.zeros((2, 3, 100), dtype=np.float32))


def test_stft_refuses_a_soundfile_style_stereo_array_but_keeps_batches():
    x = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    stereo = np.stack([x, 0.5 * x], axis=1)  # (num_samples, channels), as soundfile.read returns it
    with pytest.raises(CourseError, match=r"x.mean\(axis=1\)"):
        compute_magnitude(stereo)
    assert compute_magnitude(stereo.T).shape == (2, 513, 1 + 4000 // 256)  # (batch, num_samples) is fine
    assert compute_magnitude(stereo.mean(axis=1)).shape == (513, 1 + 4000 // 256)
