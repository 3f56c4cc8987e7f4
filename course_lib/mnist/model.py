"""The Chapter 1 model: a multilayer perceptron for 28x28 digits, and its layer outputs.

Book page: Chapter 1, "The model".
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.core import CourseError


class MLP(nn.Module):
    """Multilayer perceptron: 784 -> num_layers x (Linear, ReLU, Dropout) -> 10 logits.

    The original notebook's text describes five hidden layers while its code
    built six; this class follows the text (``num_layers=5``) and makes the
    depth a parameter.

    ``self.layers`` is an :class:`torch.nn.Sequential` of
    ``[Linear, ReLU, Dropout] * num_layers + [Linear]``, so the
    :class:`~torch.nn.Linear` modules, in order, are the network's weights.

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
            modules += [nn.Linear(width, num_hiddens), nn.ReLU(), nn.Dropout(dropout)]
            width = num_hiddens
        modules.append(nn.Linear(width, num_outputs))
        self.layers = nn.Sequential(*modules)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Compute logits.

        Args:
            X: (n, num_inputs) normalized pixels.

        Returns:
            (n, num_outputs) logits (apply softmax for probabilities).
        """
        return self.layers(X)

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
