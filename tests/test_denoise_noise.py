"""Noise kinds (spectral slopes, hum, files, seeds) and mixing at an exact SNR."""

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from course_lib.core import CourseError
from course_lib.denoise import NOISE_KINDS, make_noise, make_noisy_pair, mix_at_snr

SYNTHETIC_KINDS = ("white", "pink", "brown", "hum")


def _speech_like(num_samples: int = 16000, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / 16000
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (envelope * (0.3 * np.sin(2 * np.pi * 200 * t) + 0.05 * rng.standard_normal(num_samples))).astype(
        np.float32
    )


def _snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    clean = clean.astype(np.float64)
    noise = noise.astype(np.float64)
    return float(10 * np.log10(np.sum(clean**2) / np.sum(noise**2)))


def _slope_db_per_octave(x: np.ndarray, low: float = 100.0, high: float = 4000.0) -> float:
    freqs, power = scipy.signal.welch(x, fs=16000, nperseg=4096)
    band = (freqs >= low) & (freqs <= high)
    return float(np.polyfit(np.log2(freqs[band]), 10 * np.log10(power[band]), 1)[0])


def test_noise_kinds_listed():
    assert NOISE_KINDS == ("white", "pink", "brown", "babble", "hum")


@pytest.mark.parametrize("kind", SYNTHETIC_KINDS)
def test_noise_is_seeded_and_normalized(kind):
    a = make_noise(kind, 8000, seed=1)
    b = make_noise(kind, 8000, seed=1)
    c = make_noise(kind, 8000, seed=2)
    assert a.dtype == np.float32 and a.shape == (8000,)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.sqrt(np.mean(a.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)


@pytest.mark.parametrize(("kind", "slope"), [("white", 0.0), ("pink", -3.01), ("brown", -6.02)])
def test_noise_spectral_slopes(kind, slope):
    x = make_noise(kind, 160000, seed=0)
    assert _slope_db_per_octave(x) == pytest.approx(slope, abs=0.5)


@pytest.mark.parametrize("hum_hz", [50.0, 60.0])
def test_hum_has_mains_harmonics(hum_hz):
    x = make_noise("hum", 32000, seed=0, hum_hz=hum_hz)
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / 16000)
    peaks = freqs[np.argsort(spectrum)[-3:]]
    assert sorted(np.round(peaks)) == [hum_hz, 2 * hum_hz, 3 * hum_hz]


def test_unknown_kind_lists_kinds():
    with pytest.raises(CourseError, match="white, pink, brown, babble, hum"):
        make_noise("purple", 100)


def test_noise_from_file(tmp_path):
    recording = make_noise("pink", 5000, seed=4)
    path = tmp_path / "fan.wav"
    sf.write(path, recording, 16000, subtype="FLOAT")
    x = make_noise("file", 12000, path=path, seed=0)
    assert x.shape == (12000,)
    # Tiled: the result is the recording repeated cyclically from some offset.
    offset = int(np.argmin([np.abs(np.roll(recording, -k)[:100] - x[:100]).max() for k in range(5000)]))
    assert np.allclose(x, np.take(recording, (np.arange(12000) + offset) % 5000))
    with pytest.raises(CourseError, match="path="):
        make_noise("file", 100)


@pytest.mark.parametrize("kind", SYNTHETIC_KINDS)
@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 5.0, 10.0, 20.0])
def test_mix_at_snr_is_exact(kind, snr_db):
    clean = _speech_like()
    noise = make_noise(kind, 7000, seed=5)  # shorter than clean: tiled
    noisy = mix_at_snr(clean, noise, snr_db)
    assert noisy.shape == clean.shape and noisy.dtype == np.float32
    assert _snr_db(clean, noisy.astype(np.float64) - clean) == pytest.approx(snr_db, abs=0.01)


def test_mix_at_snr_crops_long_noise():
    clean = _speech_like(4000)
    noisy = mix_at_snr(clean, make_noise("white", 20000), 3.0)
    assert noisy.shape == (4000,)
    assert _snr_db(clean, noisy.astype(np.float64) - clean) == pytest.approx(3.0, abs=0.01)


def test_mix_at_snr_silent_inputs():
    with pytest.raises(CourseError, match="clean signal is silent"):
        mix_at_snr(np.zeros(100, dtype=np.float32), np.ones(100), 5.0)
    with pytest.raises(CourseError, match="noise is silent"):
        mix_at_snr(np.ones(100, dtype=np.float32), np.zeros(100), 5.0)
    with pytest.raises(CourseError, match="empty"):
        mix_at_snr(np.ones(100, dtype=np.float32), np.zeros(0), 5.0)


@pytest.mark.parametrize("kind", SYNTHETIC_KINDS)
def test_make_noisy_pair(kind):
    clean = _speech_like()
    noisy, noise = make_noisy_pair(clean, kind, 5.0, seed=7)
    assert np.allclose(noisy, clean + noise, atol=1e-7)
    assert _snr_db(clean, noise) == pytest.approx(5.0, abs=0.01)
    again, _ = make_noisy_pair(clean, kind, 5.0, seed=7)
    assert np.array_equal(noisy, again)


# ---- babble from the embedded corpus ----


def test_babble_is_seeded_speech_from_the_split():
    a = make_noise("babble", 32000, seed=0)
    assert a.shape == (32000,) and a.dtype == np.float32
    assert np.array_equal(a, make_noise("babble", 32000, seed=0))
    assert not np.array_equal(a, make_noise("babble", 32000, seed=1))
    assert not np.array_equal(a, make_noise("babble", 32000, seed=0, split="test"))
    assert np.sqrt(np.mean(a.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)
    # Speech-shaped: most power below 4 kHz, unlike white noise.
    freqs, power = scipy.signal.welch(a, fs=16000, nperseg=1024)
    assert power[freqs < 4000].sum() / power.sum() > 0.8


def test_babble_with_one_talker_is_a_corpus_utterance():
    from course_lib.denoise import load_corpus

    one = make_noise("babble", 4000, seed=3, num_talkers=1).astype(np.float64)
    best = 0.0
    for u in load_corpus("train"):
        w = u.waveform.astype(np.float64)
        tiled = np.concatenate([w, w[: len(one)]])
        offset = int(np.argmax(scipy.signal.correlate(tiled, one, mode="valid")))
        best = max(best, np.corrcoef(tiled[offset : offset + len(one)], one)[0, 1])
    assert best > 0.9999  # a scaled, shifted copy of one training utterance


@pytest.mark.parametrize("snr_db", [0.0, 5.0, 10.0])
def test_mix_babble_at_snr_is_exact(snr_db):
    clean = _speech_like()
    noisy, noise = make_noisy_pair(clean, "babble", snr_db, seed=4)
    assert _snr_db(clean, noisy.astype(np.float64) - clean) == pytest.approx(snr_db, abs=0.01)


def test_mixing_refuses_stereo_and_non_finite_snr():
    from course_lib.denoise import scale_noise_to_snr

    clean = np.random.default_rng(0).standard_normal(2000).astype(np.float32)
    stereo = np.stack([clean, clean], axis=1)
    with pytest.raises(CourseError, match=r"mono.*x.mean\(axis=1\)"):
        make_noisy_pair(stereo, "white", 5.0)
    with pytest.raises(CourseError, match="noise must be a mono"):
        mix_at_snr(clean, np.stack([clean, clean], axis=1), 5.0)
    for snr in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(CourseError, match="finite"):
            scale_noise_to_snr(clean, clean[::-1], snr)
        with pytest.raises(CourseError, match="finite"):
            make_noisy_pair(clean, "white", snr)
