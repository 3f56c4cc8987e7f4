"""Chapter 2 training: frames, training set, training loop, inference, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.core import CourseError, seed_everything
from course_lib.denoise.audio import load_corpus
from course_lib.denoise.metrics import compute_snr
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.noise import make_noisy_pair
from course_lib.denoise.stft import compute_stft
from course_lib.denoise.train import (
    denoise_waveform,
    load_denoiser,
    make_frames,
    make_training_set,
    resolve_noises,
    save_denoiser,
    train_denoiser,
    train_step,
)


def test_make_frames_stacks_context_with_edge_padding():
    magnitude = torch.arange(3 * 4, dtype=torch.float32).reshape(3, 4)  # 3 bins, 4 frames
    assert torch.equal(make_frames(magnitude), magnitude.T)
    frames = make_frames(magnitude, context=1)
    assert frames.shape == (4, 9)
    assert torch.equal(frames[2], torch.cat([magnitude[:, 1], magnitude[:, 2], magnitude[:, 3]]))
    assert torch.equal(frames[0, :3], magnitude[:, 0])  # frame -1 repeats frame 0
    assert torch.equal(frames[3, 6:], magnitude[:, 3])  # frame 4 repeats frame 3
    assert torch.allclose(make_frames(magnitude, log_compress=True), torch.log1p(magnitude.T))
    with pytest.raises(CourseError):
        make_frames(torch.rand(5))


def test_make_training_set_pairs_noisy_inputs_with_clean_targets():
    clean = [u.waveform[:8000] for u in load_corpus("train")[:2]]
    X, y = make_training_set(clean, noise="white,pink", snr_db=(0.0, 10.0), seed=1, context=1)
    num_frames = 2 * 2 * (1 + 8000 // 256)  # 2 utterances x 2 noise kinds
    assert X.shape == (num_frames, 513 * 3) and y.shape == (num_frames, 513)
    first = compute_stft(clean[0]).abs().T
    assert torch.allclose(y[: first.shape[0]], first)  # the target is the clean magnitude
    assert not torch.allclose(X[: first.shape[0], 513 : 2 * 513], first)  # the input is noisy
    X2, _ = make_training_set(clean, noise="white,pink", snr_db=(0.0, 10.0), seed=1, context=1)
    assert torch.equal(X, X2)
    assert resolve_noises("mix") == ("white", "pink", "brown", "babble", "hum")
    with pytest.raises(CourseError, match="unknown noise"):
        make_training_set(clean, noise="purple")


def test_train_step_lowers_the_loss():
    seed_everything(0)
    model = LinearDenoiser(num_bins=16, num_hiddens=32)
    X = torch.rand(64, 16)
    y = X * 0.5
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = [train_step(model, X, y, optimizer) for _ in range(30)]
    assert isinstance(losses[0], float)
    assert losses[-1] < 0.5 * losses[0]


def test_training_is_deterministic_on_cpu():
    X = torch.rand(300, 16)
    y = X * 0.3
    runs = []
    for _ in range(2):
        seed_everything(5)
        model = LinearDenoiser(num_bins=16, num_hiddens=16)
        history = train_denoiser(
            model, X, y, num_epochs=3, batch_size=32, seed=5, device="cpu", show_progress=False
        )
        runs.append(([h["train_loss"] for h in history], model.layers[0].weight.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
    assert set(history[0]) == {"epoch", "train_loss", "seconds"}
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_full_batch_and_callback_stop():
    X = torch.rand(50, 16)
    y = X * 0.3
    model = LinearDenoiser(num_bins=16, num_hiddens=16)
    history = train_denoiser(
        model,
        X,
        y,
        num_epochs=50,
        full_batch=True,
        device="cpu",
        show_progress=False,
        callback=lambda record: record["epoch"] == 4,
        X_val=X[:10],
        y_val=y[:10],
    )
    assert len(history) == 4 and "val_loss" in history[0]
    with pytest.raises(CourseError, match="num_epochs"):
        train_denoiser(model, X, y, num_epochs=-1)


@pytest.fixture(scope="module")
def trained_model() -> LinearDenoiser:
    """A small denoiser trained briefly on white noise at 5 dB (a few seconds)."""
    X, y = make_training_set(load_corpus("train")[:16], noise="white", snr_db=5.0, seed=0)
    seed_everything(0)
    model = LinearDenoiser(num_hiddens=256)
    train_denoiser(model, X, y, num_epochs=4, batch_size=128, device="cpu", show_progress=False)
    return model


def test_short_training_improves_snr_on_a_held_out_voice(trained_model):
    clean = load_corpus("test")[0].waveform
    noisy, _ = make_noisy_pair(clean, "white", 5.0, seed=123, split="test")
    denoised = denoise_waveform(trained_model, noisy)
    assert compute_snr(clean, noisy) == pytest.approx(5.0, abs=0.01)
    assert compute_snr(clean, denoised) > 6.0  # at least 1 dB better than the input


def test_denoise_waveform_keeps_length_at_any_rate(trained_model):
    rng = np.random.default_rng(0)
    for num_samples, sample_rate in ((16001, 16000), (8000 + 37, 8000), (300, 16000)):
        noisy = (0.1 * rng.standard_normal(num_samples)).astype(np.float32)
        denoised = denoise_waveform(trained_model, noisy, sample_rate=sample_rate)
        assert denoised.shape == (num_samples,) and denoised.dtype == np.float32
        assert np.isfinite(denoised).all()
    with pytest.raises(CourseError, match="mono"):
        denoise_waveform(trained_model, np.zeros((2, 100), dtype=np.float32))


def test_checkpoint_round_trip(tmp_path, trained_model):
    seed_everything(1)
    options = LinearDenoiser(num_hiddens=32, context=2, mask=True, log_compress=True)
    for model in (trained_model, options):
        path = save_denoiser(tmp_path / "ck.pt", model, [{"epoch": 1, "train_loss": 0.5}], noise=["white"])
        loaded, ckpt = load_denoiser(path)
        assert loaded.config() == model.config()
        assert ckpt["config"]["noise"] == ["white"] and ckpt["history"][0]["train_loss"] == 0.5
        X = torch.rand(4, model.in_features)
        assert torch.equal(loaded(X), model.eval()(X))
    with pytest.raises(CourseError, match="not found"):
        load_denoiser(tmp_path / "missing.pt")


def test_make_training_set_checks_waveforms_and_snrs():
    clean = load_corpus("train")[0].waveform[:8000]
    with pytest.raises(CourseError, match=r"x.mean\(axis=1\)"):
        make_training_set([np.stack([clean, clean], axis=1)])
    with pytest.raises(CourseError, match="finite"):
        make_training_set([clean], snr_db=float("nan"))
    with pytest.raises(CourseError, match="empty"):
        make_training_set([clean], snr_db=[])
    X, y = make_training_set([clean], snr_db=np.int64(5))
    X5, y5 = make_training_set([clean], snr_db=5.0)
    assert torch.equal(X, X5) and torch.equal(y, y5)
    X, _ = make_training_set([clean], snr_db=np.array([5.0]))
    assert torch.equal(X, X5)


def test_make_training_set_resamples_to_the_model_rate():
    import librosa

    from course_lib.denoise.audio import SAMPLE_RATE
    from course_lib.denoise.plot import SAMPLE_RATE as PLOT_RATE
    from course_lib.denoise.train import SAMPLE_RATE as TRAIN_RATE

    assert TRAIN_RATE is SAMPLE_RATE and PLOT_RATE is SAMPLE_RATE
    clean = load_corpus("train")[0].waveform[:16000]
    clean_8k = librosa.resample(clean, orig_sr=16000, target_sr=8000)
    _, y = make_training_set([clean], snr_db=5.0)
    _, y_8k = make_training_set([clean_8k], snr_db=5.0, sample_rate=8000)
    assert y_8k.shape == y.shape  # the same frames of 16 kHz audio, not twice as long frames
    low = slice(0, 200)  # below 3.1 kHz, where the 8 kHz copy kept everything
    assert torch.allclose(y_8k[:, low].sum(), y[:, low].sum(), rtol=0.05)
    with pytest.raises(CourseError, match="sample_rate"):
        make_training_set([clean], sample_rate=0)


def test_train_denoiser_accepts_torch_device_and_refuses_bad_lr():
    X, y = make_training_set(load_corpus("train")[:1], snr_db=5.0)
    model = LinearDenoiser(num_hiddens=8)
    history = train_denoiser(model, X, y, num_epochs=1, device=torch.device("cpu"), show_progress=False)
    assert len(history) == 1
    for lr in (float("inf"), float("nan"), 0.0):
        with pytest.raises(CourseError, match="lr must be a finite number"):
            train_denoiser(model, X, y, num_epochs=1, lr=lr, show_progress=False)
    with pytest.raises(CourseError, match="lr=1e\\+30 is too large"):
        train_denoiser(
            LinearDenoiser(num_hiddens=8), X, y, num_epochs=3, lr=1e30, batch_size=16, show_progress=False
        )


def test_save_denoiser_and_denoise_waveform_explain_wrong_arguments(tmp_path):
    with pytest.raises(CourseError, match="LinearDenoiser, got Linear"):
        save_denoiser(tmp_path / "ck.pt", torch.nn.Linear(2, 2), [])
    assert not (tmp_path / "ck.pt").exists()
    with pytest.raises(CourseError, match="n_fft=1024") as info:
        denoise_waveform(LinearDenoiser(num_hiddens=8), np.ones(4000, dtype=np.float32), n_fft=512)
    assert "make_frames" not in str(info.value)
