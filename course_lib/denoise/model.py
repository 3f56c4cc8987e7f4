"""The frame-wise denoiser of Chapter 2: a small multilayer perceptron on magnitude frames.

The reference model maps one noisy magnitude frame (513 bins of a 1024-point
STFT) to an estimate of the clean magnitude frame: 513 -> 1024 -> 1024 -> 513
with a ReLU after every layer, so the output is a non-negative magnitude.

Two documented options go beyond the reference:

* ``context``: the input is the centre frame together with ``context`` frames
  on each side (``num_bins * (2 * context + 1)`` inputs), so the model sees how
  the spectrum changes over time.
* ``mask``: the last layer is followed by a sigmoid instead of a ReLU, and the
  output is that mask (between 0 and 1) times the centre noisy frame, so the
  model can only attenuate what it hears.

Used by the book page "Chapter 2: model".
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.core import CourseError


class LinearDenoiser(nn.Module):
    """Multilayer perceptron from noisy magnitude frames to clean magnitude frames.

    Args:
        num_bins: Frequency bins per frame (513 for ``n_fft = 1024``).
        num_hiddens: Units in each hidden layer.
        num_layers: Number of hidden layers (2 in the reference).
        context: Frames on each side of the centre frame in the input (0 in the
            reference); the input has ``num_bins * (2 * context + 1)`` features.
        mask: If ``True``, output ``sigmoid(last layer) * centre noisy frame``
            instead of ``relu(last layer)``.
        log_compress: Tells the model that its input frames are ``log1p``
            compressed (see :func:`course_lib.denoise.train.make_frames`); only
            used with ``mask=True`` to recover the noisy centre frame as ``expm1``.

    Attributes:
        layers: ``nn.Sequential`` of ``Linear, ReLU, (Linear, ReLU) * (num_layers - 1),
            Linear, ReLU`` (the last ReLU is a Sigmoid when ``mask=True``).

    Book page: Chapter 2, model.
    """

    def __init__(
        self,
        num_bins: int = 513,
        num_hiddens: int = 1024,
        num_layers: int = 2,
        context: int = 0,
        mask: bool = False,
        log_compress: bool = False,
    ) -> None:
        super().__init__()
        if num_bins < 1 or num_hiddens < 1 or num_layers < 1:
            raise CourseError(
                f"LinearDenoiser needs num_bins, num_hiddens and num_layers >= 1, got "
                f"{num_bins}, {num_hiddens}, {num_layers}: use e.g. 513, 1024, 2"
            )
        if context < 0:
            raise CourseError(
                f"context must be >= 0 frames on each side, got {context}: use 0 for the reference"
            )
        self.num_bins = num_bins
        self.num_hiddens = num_hiddens
        self.num_layers = num_layers
        self.context = context
        self.mask = mask
        self.log_compress = log_compress
        in_features = num_bins * (2 * context + 1)
        modules: list[nn.Module] = [nn.Linear(in_features, num_hiddens), nn.ReLU()]
        for _ in range(num_layers - 1):
            modules += [nn.Linear(num_hiddens, num_hiddens), nn.ReLU()]
        modules += [nn.Linear(num_hiddens, num_bins), nn.Sigmoid() if mask else nn.ReLU()]
        self.layers = nn.Sequential(*modules)

    @property
    def in_features(self) -> int:
        """Number of input features, ``num_bins * (2 * context + 1)``."""
        return self.num_bins * (2 * self.context + 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Estimate clean magnitude frames.

        Args:
            X: Noisy input frames, shape ``(batch, num_bins * (2 * context + 1))``
                (from :func:`course_lib.denoise.train.make_frames`).

        Returns:
            y_hat: Non-negative clean magnitude estimates, shape ``(batch, num_bins)``.
        """
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise CourseError(
                f"LinearDenoiser expects frames of shape (batch, {self.in_features}), got {tuple(X.shape)}: "
                f"build them with make_frames(magnitude, context={self.context})"
            )
        out = self.layers(X)
        if not self.mask:
            return out
        start = self.context * self.num_bins
        centre = X[:, start : start + self.num_bins]
        if self.log_compress:
            centre = torch.expm1(centre)
        return out * centre

    def config(self) -> dict:
        """Plain-data settings that rebuild this model (stored in checkpoints)."""
        return {
            "kind": "LinearDenoiser",
            "num_bins": self.num_bins,
            "num_hiddens": self.num_hiddens,
            "num_layers": self.num_layers,
            "context": self.context,
            "mask": self.mask,
            "log_compress": self.log_compress,
        }
