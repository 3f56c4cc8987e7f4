"""The Chapter 2 denoiser: layer structure, parameter count, non-negative output, options."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.core import CourseError, seed_everything
from course_lib.denoise.model import LinearDenoiser


def test_reference_shape_and_parameter_count():
    model = LinearDenoiser()
    linears = [m for m in model.layers if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(513, 1024), (1024, 1024), (1024, 513)]
    assert [type(m) for m in model.layers] == [nn.Linear, nn.ReLU] * 3
    expected = 513 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 513 + 513
    assert sum(p.numel() for p in model.parameters()) == expected


def test_layers_and_context_change_the_shape():
    model = LinearDenoiser(num_bins=65, num_hiddens=32, num_layers=3, context=2)
    linears = [m for m in model.layers if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(65 * 5, 32), (32, 32), (32, 32), (32, 65)]
    assert model(torch.rand(7, 65 * 5)).shape == (7, 65)


def test_output_is_non_negative_even_for_negative_input():
    seed_everything(0)
    model = LinearDenoiser(num_hiddens=64)
    y_hat = model(torch.randn(32, 513) * 10)
    assert y_hat.shape == (32, 513)
    assert (y_hat >= 0).all()
    assert (y_hat > 0).any()


def test_mask_output_never_exceeds_the_noisy_centre_frame():
    seed_everything(0)
    model = LinearDenoiser(num_hiddens=64, context=1, mask=True)
    X = torch.rand(16, 513 * 3) * 5
    y_hat = model(X)
    centre = X[:, 513 : 2 * 513]
    assert isinstance(model.layers[-1], nn.Sigmoid)
    assert (y_hat >= 0).all() and (y_hat <= centre + 1e-6).all()
    log_model = LinearDenoiser(num_hiddens=64, mask=True, log_compress=True)
    magnitudes = torch.rand(4, 513) * 5
    assert (log_model(torch.log1p(magnitudes)) <= magnitudes + 1e-5).all()


def test_same_seed_same_model():
    seed_everything(3)
    a = LinearDenoiser(num_hiddens=32)
    seed_everything(3)
    b = LinearDenoiser(num_hiddens=32)
    X = torch.rand(5, 513)
    assert torch.equal(a(X), b(X))


def test_bad_arguments_raise_course_errors():
    with pytest.raises(CourseError, match="context"):
        LinearDenoiser(context=-1)
    with pytest.raises(CourseError, match="num_hiddens"):
        LinearDenoiser(num_hiddens=0)
    with pytest.raises(CourseError, match="make_frames"):
        LinearDenoiser(num_hiddens=8)(torch.rand(3, 100))
