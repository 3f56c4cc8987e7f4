"""The Chapter 1 model: a multilayer perceptron for 28x28 digits, and its layer outputs.

Book page: Chapter 1, "The model".
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.core import CourseError

# Resolution of the CPU dropout masks: 16 random bits per element.
_MASK_LEVELS = 1 << 16


def apply_dropout(X: torch.Tensor, p: float) -> torch.Tensor:
    """Zero each element of ``X`` with probability ~``p`` and scale the rest to keep the expectation.

    The same operation as :func:`torch.nn.functional.dropout` in training mode,
    with a mask that is cheaper to draw on the CPU: torch's CPU kernel draws one
    Bernoulli sample per element (``bernoulli_``), which was ~15 % of a training
    step of the Chapter 1 MLP (bench/RESULTS.md). Here one call to ``random_``
    fills 64-bit words, each word gives four 16-bit numbers, and an element is
    kept when its number is at or above ``round(p * 65536)`` (in the signed
    16-bit range). The drop probability is therefore ``round(p * 65536) / 65536``
    (0.2 -> 0.1999969), and kept elements are scaled by the exact
    ``1 / (1 - that)``, so ``E[output] = X``. Gradients flow through the mask
    (autograd saves it). Draws from torch's global RNG, so
    :func:`course_lib.core.seed_everything` makes it repeatable.

    Book page: Chapter 1, "The model".

    Args:
        X: Any tensor (e.g. (batch_size, num_hiddens) activations).
        p: Drop probability in [0, 1).

    Returns:
        Tensor of ``X``'s shape and dtype.
    """
    if not 0.0 <= p < 1.0:
        raise CourseError(f"dropout probability must be in [0, 1), got {p}: 0.2 is the course default")
    threshold = min(round(p * _MASK_LEVELS), _MASK_LEVELS - 1)
    if threshold == 0:
        return X
    n = X.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=X.device).random_(-(2**63), None)
    numbers = words.view(torch.int16)[:n].view(X.shape)
    keep = numbers >= threshold - _MASK_LEVELS // 2
    scale = _MASK_LEVELS / (_MASK_LEVELS - threshold)
    return X * keep.to(X.dtype).mul_(scale)


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` that draws its masks with :func:`apply_dropout` on the CPU.

    On other devices (and in eval mode) it is ``nn.Dropout`` unchanged: CUDA's
    fused dropout kernel is already fast. Same ``repr`` and ``p`` as ``nn.Dropout``.

    Book page: Chapter 1, "The model".
    """

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Apply dropout in training mode, identity in eval mode.

        Args:
            X: (n, num_hiddens) activations.

        Returns:
            Tensor of the same shape.
        """
        if self.training and not self.inplace and X.device.type == "cpu":
            return apply_dropout(X, self.p)
        return super().forward(X)


class MLP(nn.Module):
    """Multilayer perceptron: 784 -> num_layers x (Linear, ReLU, Dropout) -> 10 logits.

    The original notebook's text describes five hidden layers while its code
    built six; this class follows the text (``num_layers=5``) and makes the
    depth a parameter.

    ``self.layers`` is an :class:`torch.nn.Sequential` of
    ``[Linear, ReLU, Dropout] * num_layers + [Linear]`` (``Dropout`` is
    :class:`Dropout`, an ``nn.Dropout`` with cheaper masks on the CPU), so the
    :class:`~torch.nn.Linear` modules, in order, are the network's weights.
    Under mixed precision (``train_mlp(mixed_precision=True)``) the output
    layer still computes in float32.

    Book page: Chapter 1, "The model".

    Args:
        num_layers: Number of hidden layers (>= 0; 0 gives a linear classifier).
        num_hiddens: Units per hidden layer.
        dropout: Dropout probability after each hidden ReLU, in [0, 1).
        num_inputs: Input size (784 = 28 x 28 pixels).
        num_outputs: Number of classes (10 digits).
    """

    def __init__(
        self,
        num_layers: int = 5,
        num_hiddens: int = 1024,
        dropout: float = 0.2,
        num_inputs: int = 784,
        num_outputs: int = 10,
    ) -> None:
        super().__init__()
        if num_layers < 0 or num_hiddens < 1 or num_inputs < 1 or num_outputs < 1:
            raise CourseError(
                f"invalid MLP size (num_layers={num_layers}, num_hiddens={num_hiddens}, "
                f"num_inputs={num_inputs}, num_outputs={num_outputs}): use num_layers >= 0 and sizes >= 1"
            )
        if not 0.0 <= dropout < 1.0:
            raise CourseError(f"dropout must be in [0, 1), got {dropout}: 0.2 is the course default")
        self.num_layers = int(num_layers)
        self.num_hiddens = int(num_hiddens)
        self.dropout = float(dropout)
        self.num_inputs = int(num_inputs)
        self.num_outputs = int(num_outputs)
        modules: list[nn.Module] = []
        width = num_inputs
        for _ in range(num_layers):
            modules += [nn.Linear(width, num_hiddens), nn.ReLU(), Dropout(dropout)]
            width = num_hiddens
        modules.append(nn.Linear(width, num_outputs))
        self.layers = nn.Sequential(*modules)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Compute logits.

        Args:
            X: (n, num_inputs) normalized pixels.

        Returns:
            (n, num_outputs) logits in the weights' dtype (float32 also under mixed
            precision; apply softmax for probabilities).
        """
        # Under mixed precision (autocast) the hidden layers compute in bf16/fp16; the output layer
        # stays in the weights' precision (its 1024 x 10 product is 0.2 % of the model's) so that the
        # logits that feed the softmax and the loss are not rounded to 16-bit floats. (Unpacking
        # rather than slicing self.layers: a slice builds a new Sequential on every call.)
        *hidden_layers, output = self.layers
        for layer in hidden_layers:
            X = layer(X)
        with torch.autocast(X.device.type, enabled=False):
            return output(X.to(output.weight.dtype))

    def get_config(self) -> dict:
        """Return the constructor arguments (what a checkpoint needs to rebuild the model)."""
        return {
            "num_layers": self.num_layers,
            "num_hiddens": self.num_hiddens,
            "dropout": self.dropout,
            "num_inputs": self.num_inputs,
            "num_outputs": self.num_outputs,
        }


def compute_layer_outputs(model: MLP, X: torch.Tensor) -> list[torch.Tensor]:
    """Compute the representation of ``X`` at every depth of the network.

    Runs in eval mode (dropout off) without gradients; the model's training
    mode is restored afterwards.

    Book page: Chapter 1, "What the layers see" (PCA and t-SNE per layer).

    Args:
        model: An :class:`MLP`.
        X: (n, 784) normalized inputs.

    Returns:
        ``num_layers + 2`` CPU tensors: ``[X (n, 784), hidden_1 (n, num_hiddens)
        ... hidden_L (after ReLU), logits (n, 10)]``.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs = [X.detach().cpu()]
    try:
        with torch.no_grad():
            h = X.to(device)
            for module in model.layers:
                h = module(h)
                if isinstance(module, nn.ReLU):
                    outputs.append(h.cpu())
            outputs.append(h.cpu())
    finally:
        model.train(was_training)
    return outputs
