"""Chapter 1 model and training: shapes, parameter counts, determinism, accuracy, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.core import CourseError
from course_lib.mnist.data import MNISTData, load_mnist
from course_lib.mnist.model import MLP, Dropout, apply_dropout, compute_layer_outputs
from course_lib.mnist.train import (
    compute_accuracy,
    evaluate_mlp,
    load_mlp,
    predict_proba,
    save_mlp,
    train_mlp,
    train_step,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data() -> MNISTData:
    return load_mnist()


@pytest.fixture(scope="module")
def small_data(data) -> MNISTData:
    """1,000 training digits, the full 1,000-digit test split."""
    return MNISTData(data.X_train[:1000], data.y_train[:1000], data.X_test, data.y_test, "embedded[:1000]")


def test_default_mlp_layout_and_parameter_count():
    model = MLP()
    kinds = [type(m) for m in model.layers]
    assert kinds == [nn.Linear, nn.ReLU, Dropout] * 5 + [nn.Linear]
    assert repr(model.layers[2]) == repr(nn.Dropout(0.2))
    linears = [m for m in model.layers if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 1024)] + [(1024, 1024)] * 4 + [
        (1024, 10)
    ]
    expected = (784 * 1024 + 1024) + 4 * (1024 * 1024 + 1024) + (1024 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == expected == 5_012_490
    assert all(m.p == 0.2 for m in model.layers if isinstance(m, nn.Dropout))


def test_apply_dropout_drops_the_stated_fraction_and_keeps_the_mean():
    torch.manual_seed(0)
    X = torch.full((1000, 1000), 3.0)
    out = apply_dropout(X, 0.2)
    kept = out != 0
    assert out.shape == X.shape and out.dtype == X.dtype
    # 10^6 draws: the dropped fraction is 0.2 within ~5 standard deviations (0.0004 each).
    assert abs(1 - kept.float().mean().item() - 0.2) < 0.002
    assert torch.allclose(out[kept], torch.tensor(3.0 / (1 - 13107 / 65536)))
    assert abs(out.mean().item() - 3.0) < 0.01
    # Neighbours share a 64-bit draw (lags 1-3) or not (lag 4 and more): their masks must be independent,
    # covariance 0 within ~4 standard deviations (about 0.0005 each here).
    k = kept.flatten().float()
    for lag in (1, 2, 3, 4, 1000):
        covariance = (k[:-lag] * k[lag:]).mean() - k[:-lag].mean() * k[lag:].mean()
        assert abs(covariance.item()) < 0.002, (lag, covariance.item())
    # Masks differ between positions of one call and between calls; a seed repeats them.
    assert 0.15 < kept[:, :500].float().mean() < 0.85 and not torch.equal(kept, apply_dropout(X, 0.2) != 0)
    torch.manual_seed(5)
    a = apply_dropout(X, 0.5)
    torch.manual_seed(5)
    assert torch.equal(a, apply_dropout(X, 0.5))
    assert abs((a == 0).float().mean().item() - 0.5) < 0.002
    assert apply_dropout(X, 0.0) is X
    with pytest.raises(CourseError, match=r"\[0, 1\)"):
        apply_dropout(X, 1.0)


def test_dropout_module_gradient_follows_the_mask_and_eval_is_identity():
    torch.manual_seed(1)
    layer = Dropout(0.3)
    X = torch.randn(64, 33, requires_grad=True)  # numel not a multiple of 4
    out = layer(X)
    out.sum().backward()
    scale = 65536 / (65536 - round(0.3 * 65536))
    kept = out != 0
    assert torch.allclose(X.grad, kept.float() * scale)
    assert torch.allclose(out[kept], X[kept] * scale)
    layer.eval()
    assert torch.equal(layer(X), X)


def test_forward_and_layer_output_shapes():
    model = MLP(num_layers=3, num_hiddens=32, dropout=0.5)
    X = torch.randn(7, 784)
    assert model(X).shape == (7, 10)
    outputs = compute_layer_outputs(model, X)
    assert [tuple(o.shape) for o in outputs] == [(7, 784), (7, 32), (7, 32), (7, 32), (7, 10)]
    assert all((o >= 0).all() for o in outputs[1:-1])  # after ReLU
    model.eval()
    assert torch.allclose(outputs[-1], model(X))  # eval mode: no dropout
    assert model.training is False  # mode restored (it was eval)


def test_linear_classifier_and_bad_sizes():
    assert [type(m) for m in MLP(num_layers=0).layers] == [nn.Linear]
    with pytest.raises(CourseError, match="dropout"):
        MLP(dropout=1.0)
    with pytest.raises(CourseError, match="num_layers"):
        MLP(num_layers=-1)


def test_compute_accuracy():
    y_hat = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0], [1.0, 0.0]])
    assert compute_accuracy(y_hat, torch.tensor([0, 1, 1, 0])) == 0.75
    with pytest.raises(CourseError):
        compute_accuracy(y_hat, torch.tensor([0, 1]))
    # NumPy labels (as sklearn and the analysis code produce them) work too.
    assert compute_accuracy(y_hat, np.array([0, 1, 1, 0])) == 0.75


@pytest.mark.parametrize("batch_size", [0, -5, 2.5])
def test_batch_size_must_be_a_positive_integer(small_data, batch_size):
    model = MLP(num_layers=1, num_hiddens=8)
    X, y = small_data.X_test[:10], small_data.y_test[:10]
    with pytest.raises(CourseError, match="evaluate_mlp: batch_size must be a positive integer"):
        evaluate_mlp(model, X, y, batch_size=batch_size)
    with pytest.raises(CourseError, match="predict_proba: batch_size"):
        predict_proba(model, X, batch_size=batch_size)
    with pytest.raises(CourseError, match="train_mlp: batch_size"):
        train_mlp(model, small_data, num_epochs=1, batch_size=batch_size, show_progress=False)
    assert evaluate_mlp(model, X, y, batch_size=np.int64(3))["n"] == 10


def test_train_step_reduces_loss_on_a_batch(data):
    torch.manual_seed(0)
    model = MLP(num_layers=1, num_hiddens=64, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    X, y = data.X_train[:128], data.y_train[:128]
    losses = [train_step(model, X, y, optimizer) for _ in range(20)]
    assert isinstance(losses[0], float)
    assert losses[-1] < 0.5 * losses[0]


def _train_small(small_data, seed: int) -> tuple[MLP, list]:
    torch.manual_seed(seed)
    model = MLP(num_layers=2, num_hiddens=64, dropout=0.2)
    history = train_mlp(model, small_data, num_epochs=2, seed=seed, device="cpu", show_progress=False)
    return model, history


def test_training_is_deterministic_on_cpu(small_data):
    model_a, history_a = _train_small(small_data, seed=3)
    model_b, history_b = _train_small(small_data, seed=3)
    model_c, history_c = _train_small(small_data, seed=4)
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in history_a]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in history_b]
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert history_c[-1]["train_loss"] != history_a[-1]["train_loss"]


def test_short_training_reaches_stated_accuracy(data):
    """3 epochs of a 1 x 256 MLP on the 4,000 embedded training digits: >= 88% on the 1,000 test digits."""
    torch.manual_seed(0)
    model = MLP(num_layers=1, num_hiddens=256, dropout=0.2)
    records = []
    history = train_mlp(
        model, data, num_epochs=3, seed=0, device="cpu", show_progress=False, callback=records.append
    )
    assert records == history and [h["epoch"] for h in history] == [1, 2, 3]
    assert set(history[0]) == {"epoch", "train_loss", "test_loss", "test_accuracy", "seconds"}
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_accuracy"] >= 0.88
    result = evaluate_mlp(model, data.X_test, data.y_test)
    assert result["n"] == 1000 and result["accuracy"] == pytest.approx(history[-1]["test_accuracy"])
    probs = predict_proba(model, data.X_test[:50])
    assert probs.shape == (50, 10) and torch.allclose(probs.sum(1), torch.ones(50), atol=1e-5)


def test_evaluate_with_dropout_active_differs_and_restores_mode(small_data):
    torch.manual_seed(0)
    model = MLP(num_layers=2, num_hiddens=32, dropout=0.5)
    model.train()
    eval_mode = evaluate_mlp(model, small_data.X_test, small_data.y_test)
    active = evaluate_mlp(model, small_data.X_test, small_data.y_test, dropout_active=True, seed=0)
    again = evaluate_mlp(model, small_data.X_test, small_data.y_test, dropout_active=True, seed=0)
    assert active == again and active["loss"] != eval_mode["loss"]
    assert model.training is True


def test_train_mlp_errors(small_data):
    model = MLP(num_layers=1, num_hiddens=8)
    with pytest.raises(CourseError, match="num_epochs"):
        train_mlp(model, small_data, num_epochs=-1, show_progress=False)
    test_only = MNISTData(
        torch.empty(0, 784),
        torch.empty(0, dtype=torch.int64),
        small_data.X_test,
        small_data.y_test,
        "torchvision:x",
    )
    with pytest.raises(CourseError, match="no training digits"):
        train_mlp(model, test_only, num_epochs=1, show_progress=False)
    assert train_mlp(model, small_data, num_epochs=0, show_progress=False) == []


def test_checkpoint_round_trip(tmp_path, small_data):
    torch.manual_seed(1)
    model = MLP(num_layers=2, num_hiddens=16, dropout=0.3)
    history = [{"epoch": 1, "train_loss": 1.0, "test_loss": 0.9, "test_accuracy": 0.5, "seconds": 0.1}]
    path = save_mlp(tmp_path / "run" / "checkpoint.pt", model, history, lr=1e-3, seed=1)
    loaded, ckpt = load_mlp(path)
    assert loaded.get_config() == model.get_config()
    assert ckpt["history"] == history and ckpt["config"]["seed"] == 1
    model.eval()
    assert torch.equal(loaded(small_data.X_test[:5]), model(small_data.X_test[:5]))


def test_load_mlp_errors(tmp_path):
    with pytest.raises(CourseError, match="not found"):
        load_mlp(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CourseError, match="could not be read"):
        load_mlp(tmp_path / "junk.pt")


def test_mixed_precision_runs_on_cpu(small_data):
    torch.manual_seed(0)
    model = MLP(num_layers=1, num_hiddens=32)
    history = train_mlp(
        model, small_data, num_epochs=1, mixed_precision=True, device="cpu", show_progress=False
    )
    assert 0.0 < history[0]["train_loss"] < 3.0 and history[0]["test_accuracy"] > 0.3
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay fp32


def test_output_layer_stays_float32_under_autocast():
    torch.manual_seed(0)
    model = MLP(num_layers=2, num_hiddens=32).eval()
    X = torch.randn(8, 784)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        hidden = model.layers[:-1](X)
        y_hat = model(X)
    assert hidden.dtype == torch.bfloat16  # the hidden layers do run in bf16
    assert y_hat.dtype == torch.float32
    torch.testing.assert_close(y_hat, model.layers[-1](hidden.float()))
    assert torch.equal(model(X), model.layers(X))  # without autocast: the plain float32 network
    model.double()
    assert model(X.double()).dtype == torch.float64  # a float64 model stays float64
