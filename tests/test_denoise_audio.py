"""Audio IO: resampling, stereo to mono, error messages, user folders, librosa examples offline."""

import librosa
import numpy as np
import pytest
import soundfile as sf

from course_lib.core import CourseError
from course_lib.denoise import (
    SAMPLE_RATE,
    load_audio,
    load_audio_dir,
    load_corpus,
    load_corpus_manifest,
    load_librosa_example,
    save_audio,
)
from course_lib.denoise.audio import get_corpus_dir, play_audio


def _tone(freq: float, sample_rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _dominant_frequency(x: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sample_rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("file_rate", [8000, 44100])
def test_load_audio_resamples_to_16k(tmp_path, file_rate):
    path = tmp_path / f"tone_{file_rate}.wav"
    sf.write(path, _tone(440.0, file_rate), file_rate)
    x = load_audio(path)
    assert SAMPLE_RATE == 16000
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - 16000) <= 1
    assert abs(_dominant_frequency(x, 16000) - 440.0) < 2.0
    assert 0.3 < np.sqrt(np.mean(x[1000:-1000] ** 2)) < 0.4  # amplitude 0.5 sine: RMS 0.354 kept


def test_load_audio_keeps_16k_samples_exactly(tmp_path):
    x = _tone(300.0, 16000, 0.5)
    path = tmp_path / "a.flac"
    sf.write(path, x, 16000, subtype="PCM_16")
    assert np.abs(load_audio(path) - x).max() < 1e-4


def test_load_audio_mixes_stereo_to_mono(tmp_path):
    left = _tone(440.0, 16000)
    stereo = np.stack([left, 0.5 * left], axis=1)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, 16000, subtype="FLOAT")
    x = load_audio(path)
    assert x.shape == (16000,)
    assert np.allclose(x, 0.75 * left, atol=1e-6)


def test_load_audio_custom_rate(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(440.0, 16000), 16000)
    assert abs(len(load_audio(path, sample_rate=8000)) - 8000) <= 1


def test_load_audio_missing_file(tmp_path):
    with pytest.raises(CourseError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_load_audio_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(CourseError, match="no samples"):
        load_audio(path)


def test_load_audio_non_audio_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n")
    with pytest.raises(CourseError, match="notes.wav"):
        load_audio(path)


def test_save_audio_round_trip(tmp_path):
    x = _tone(500.0, 16000, 0.25)
    wav = save_audio(tmp_path / "out" / "x.wav", x)
    flac = save_audio(tmp_path / "x.flac", x)
    assert np.array_equal(load_audio(wav), x)
    assert np.abs(load_audio(flac) - x).max() < 1e-4
    assert sf.info(flac).subtype == "PCM_16"
    with pytest.raises(CourseError, match=".wav or .flac"):
        save_audio(tmp_path / "x.mp3", x)


def test_load_audio_dir(tmp_path):
    sf.write(tmp_path / "b.wav", _tone(440.0, 8000), 8000)
    sf.write(tmp_path / "a.flac", _tone(220.0, 22050), 22050)
    (tmp_path / "readme.txt").write_text("ignored")
    utterances = load_audio_dir(tmp_path)
    assert [u.voice for u in utterances] == ["a", "b"]
    assert all(u.split == "user" and abs(len(u.waveform) - 16000) <= 1 for u in utterances)


def test_load_audio_dir_without_audio(tmp_path):
    (tmp_path / "readme.txt").write_text("no audio here")
    with pytest.raises(CourseError, match="no WAV"):
        load_audio_dir(tmp_path)
    with pytest.raises(CourseError, match="not found"):
        load_audio_dir(tmp_path / "missing")


def test_load_librosa_example_offline_error(monkeypatch):
    def offline(name):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(librosa, "ex", offline)
    with pytest.raises(CourseError, match="libri1.*internet"):
        load_librosa_example("libri1")


def test_load_librosa_example_from_cache(monkeypatch, tmp_path):
    path = tmp_path / "cached.wav"
    sf.write(path, _tone(440.0, 22050), 22050)
    monkeypatch.setattr(librosa, "ex", lambda name: str(path))
    x = load_librosa_example("libri1")
    assert abs(len(x) - 16000) <= 1


# ---- the embedded corpus ----


def test_corpus_manifest_integrity():
    rows = load_corpus_manifest()
    assert {"file", "voice", "text", "split", "seconds"} <= set(rows[0])
    train = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] == "test"]
    assert len(train) + len(test) == len(rows) and train and test
    assert not {r["voice"] for r in train} & {r["voice"] for r in test}
    assert not {r["text"] for r in train} & {r["text"] for r in test}
    assert len({r["voice"] for r in train}) >= 4 and len({r["voice"] for r in test}) >= 2
    assert sum(float(r["seconds"]) for r in rows) >= 180
    assert len({r["file"] for r in rows}) == len(rows)
    folder = get_corpus_dir()
    assert sorted(p.name for p in folder.glob("*.flac")) == sorted(r["file"] for r in rows)
    assert (folder / "PROVENANCE.md").is_file()
    assert sum(p.stat().st_size for p in folder.iterdir()) < 5.5e6


def test_corpus_files_load_at_16k():
    rows = {r["file"]: r for r in load_corpus_manifest()}
    utterances = load_corpus("all")
    assert len(utterances) == len(rows)
    for u in utterances:
        info = sf.info(get_corpus_dir() / u.file)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert u.waveform.dtype == np.float32
        assert len(u.waveform) / 16000 == pytest.approx(float(rows[u.file]["seconds"]), abs=1e-3)
        peak = np.abs(u.waveform).max()
        assert 20 * np.log10(peak) == pytest.approx(-1.0, abs=0.05)  # peak-normalized to -1 dBFS
        assert u.voice == rows[u.file]["voice"] and u.text == rows[u.file]["text"]


def test_load_corpus_splits():
    train, test = load_corpus("train"), load_corpus("test")
    assert {u.split for u in train} == {"train"} and {u.split for u in test} == {"test"}
    assert len(train) + len(test) == len(load_corpus_manifest())
    with pytest.raises(CourseError, match="train, test, all"):
        load_corpus("validation")


def test_play_audio_embeds_clipped_wav_without_normalizing():
    import torch
    from IPython.display import Audio

    quiet = 0.1 * _tone(440.0, SAMPLE_RATE, seconds=0.1)
    player = play_audio(quiet)
    assert isinstance(player, Audio)
    assert player.data[:4] == b"RIFF"
    louder = play_audio(torch.as_tensor(3.0 * quiet), sample_rate=8000)  # tensors work; > 1 is clipped
    assert isinstance(louder, Audio) and louder.data != player.data
    assert play_audio(np.full(100, 5.0, dtype=np.float32)).data == play_audio(np.ones(100)).data


@pytest.mark.parametrize(
    ("waveform", "message"),
    [(np.zeros((2, 100)), "mono waveform"), (np.zeros(0), "empty"), (np.float32(0.5), "mono waveform")],
)
def test_play_audio_rejects_non_mono_or_empty_input(waveform, message):
    with pytest.raises(CourseError, match=message):
        play_audio(waveform)


def test_play_audio_rejects_a_non_positive_sample_rate():
    with pytest.raises(CourseError, match="sample_rate"):
        play_audio(np.zeros(10), sample_rate=0)
