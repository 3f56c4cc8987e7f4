"""The graded exercises: seeded inputs, how a student's function is called, the reference and the comparison.

Each :class:`Exercise` knows how to

* ``make_inputs(seed, **params)``: build the test inputs from a seed with NumPy's
  ``default_rng`` (plain arrays and numbers, identical in every process);
* ``run_student(fn, inputs)``: call the student's function on fresh torch/NumPy
  copies of the inputs and return what it produced (its return value, and for
  training exercises the model's parameters afterwards);
* ``reference(inputs)``: compute the same quantities with :mod:`course_lib`;
* ``compare(got, expected, inputs)``: return ``None`` when they agree, else a
  message that says what was expected and gives a hint.

``make_inputs`` and ``run_student`` run inside the student's kernel;
``reference`` and ``compare`` run only in the fresh verifier process started by
:mod:`course_lib.grading` (see its docstring for why).

Used by the graded notebooks ``solutions/ch1-mnist`` and ``solutions/ch2-denoising``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

N_FFT = 1024
HOP_LENGTH = 256
NUM_BINS = N_FFT // 2 + 1


# --------------------------------------------------------------------------- observations


@dataclass
class Observation:
    """What the student's code produced for one named quantity, in a form both processes share.

    Attributes:
        kind: ``"tensor"``, ``"ndarray"``, ``"float"``, ``"int"``, ``"bool"``, ``"list"``,
            ``"none"`` or ``"other"``.
        type_name: The Python type's name (for messages).
        dtype: ``str(tensor.dtype)`` / ``str(array.dtype)``, or ``""``.
        shape: The shape (``()`` for numbers, ``(len,)`` for lists).
        array: The values as a NumPy array, or ``None`` when they could not be converted.
        item_kinds: For lists, the kind of every item.
    """

    kind: str
    type_name: str
    dtype: str = ""
    shape: tuple[int, ...] = ()
    array: np.ndarray | None = None
    item_kinds: tuple[str, ...] = ()

    def describe(self) -> str:
        """Short description such as ``a torch.float64 tensor of shape (5, 784)``."""
        if self.kind == "tensor":
            return f"a {self.dtype} tensor of shape {self.shape}"
        if self.kind == "ndarray":
            return f"a NumPy {self.dtype} array of shape {self.shape}"
        if self.kind == "list":
            return f"a {self.type_name} of {self.shape[0]} items"
        if self.kind == "none":
            return "None (did you forget a return statement?)"
        if self.kind in ("float", "int", "bool"):
            return f"a Python {self.type_name} ({self.array.item() if self.array is not None else '?'})"
        return f"an object of type {self.type_name}"


def observe(value: Any) -> Observation:
    """Describe ``value`` (any Python object a student function may return) as an :class:`Observation`."""
    import torch

    type_name = type(value).__name__
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().resolve_conj().resolve_neg()
        array = array.to(torch.float32).numpy() if array.dtype == torch.bfloat16 else array.numpy()
        return Observation("tensor", type_name, str(value.dtype), tuple(value.shape), np.array(array))
    if isinstance(value, np.ndarray):
        arr = None if value.dtype == object else np.array(value)
        return Observation("ndarray", type_name, str(value.dtype), tuple(value.shape), arr)
    if isinstance(value, bool):
        return Observation("bool", type_name, "bool", (), np.array(value))
    if isinstance(value, int):
        return Observation("int", type_name, "int64", (), np.array(value, dtype=np.int64))
    if isinstance(value, float):
        return Observation("float", type_name, "float64", (), np.array(value, dtype=np.float64))
    if isinstance(value, np.generic):
        return Observation("other", f"numpy.{type_name}", str(value.dtype), (), np.array(value))
    if value is None:
        return Observation("none", "NoneType")
    if isinstance(value, (list, tuple)):
        items = [observe(item) for item in value]
        kinds = tuple(item.kind for item in items)
        array = None
        if all(item.array is not None and item.shape == () for item in items):
            array = np.array([float(item.array) for item in items], dtype=np.float64)
        return Observation("list", type_name, "", (len(value),), array, kinds)
    return Observation("other", type_name)


# --------------------------------------------------------------------------- message helpers


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def expect_tensor(
    obs: Observation, what: str, shape: tuple[int, ...], dtypes: tuple[str, ...], kinds: tuple[str, ...]
) -> str | None:
    """Check an array-like result's container type, dtype and shape; return a message or None.

    Args:
        obs: The student's result.
        what: What it is, for the message (``"flatten_normalize(images)"``).
        shape: Required shape.
        dtypes: Accepted dtype names (``"torch.float32"``, ``"float32"``, ...).
        kinds: Accepted kinds (``("tensor",)``, ``("ndarray",)`` or both).
    """
    want_kind = " or ".join("a torch tensor" if k == "tensor" else "a NumPy array" for k in kinds)
    want = f"{want_kind} of dtype {' or '.join(dtypes)} and shape {_shape_text(shape)}"
    if obs.kind not in kinds:
        hint = {
            "tensor": "convert with torch.as_tensor(...) or keep working with torch operations",
            "ndarray": "convert a tensor with .detach().cpu().numpy()",
        }[kinds[0]]
        return f"{what} should return {want}, but returned {obs.describe()}. Hint: {hint}."
    if obs.dtype not in dtypes:
        return (
            f"{what} should return {want}, but the dtype is {obs.dtype}. Hint: convert with "
            f"{'.to(torch.float32)' if 'torch.float32' in dtypes else '.astype(...)'} (or .long() / "
            ".astype(np.int64) for indices)."
        )
    if tuple(obs.shape) != tuple(shape):
        return (
            f"{what} should return {want}, but the shape is {_shape_text(obs.shape)}. "
            "Hint: check which axis you reshape, sum or index over."
        )
    return None


def compare_values(
    got: np.ndarray, expected: np.ndarray, what: str, hint: str, rtol: float = 1e-4, atol: float = 1e-5
) -> str | None:
    """Compare arrays of the same shape with a tolerance; return a message naming the worst entry, or None."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        shapes = f"expected shape {_shape_text(expected.shape)}, got {_shape_text(got.shape)}"
        return f"{what}: {shapes}. Hint: {hint}"
    g = got.astype(np.complex128 if np.iscomplexobj(got) else np.float64)
    e = expected.astype(np.complex128 if np.iscomplexobj(expected) else np.float64)
    both_inf = np.isinf(g) & np.isinf(e) & (np.sign(g) == np.sign(e)) if not np.iscomplexobj(g) else False
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(g - e) <= atol + rtol * np.abs(e)) & ~both_inf
    if not np.any(bad):
        return None
    num_bad = int(np.count_nonzero(bad))
    if g.ndim == 0:
        return f"{what}: expected {_fmt(e.item().real)}, got {_fmt(g.item().real)}. Hint: {hint}"
    idx = np.unravel_index(
        int(np.argmax(np.where(bad, np.nan_to_num(np.abs(g - e), nan=np.inf), -1))), g.shape
    )
    return (
        f"{what}: {num_bad} of {g.size} values differ from the reference; e.g. at index "
        f"{tuple(int(i) for i in idx)} expected {_fmt(e[idx].real)}, got {_fmt(g[idx].real)}. Hint: {hint}"
    )


def expect_number(obs: Observation, what: str, kinds: tuple[str, ...] = ("float",)) -> str | None:
    """Check that a scalar result is a plain Python number (``float`` by default)."""
    if obs.kind in kinds:
        return None
    if obs.kind == "other" and obs.type_name.startswith("numpy.") and "float" in kinds:
        return None
    hint = "use .item() on a one-element tensor, or float(...)"
    return f"{what} should return a Python float, but returned {obs.describe()}. Hint: {hint}."


# --------------------------------------------------------------------------- exercises


@dataclass
class Exercise:
    """One graded function: how to test it and how to explain a failure."""

    name: str
    signature: str
    make_inputs: Callable[..., dict[str, Any]]
    run_student: Callable[[Callable, dict[str, Any]], dict[str, Any]]
    reference: Callable[[dict[str, Any]], dict[str, Any]]
    compare: Callable[[dict[str, Observation], dict[str, Any], dict[str, Any]], str | None]
    describe_inputs: Callable[[dict[str, Any]], str]


def _torch(a: np.ndarray):
    import torch

    return torch.from_numpy(np.array(a))


def _linear_weights(rng: np.random.Generator, sizes: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Random (out, in) weights and (out,) biases for consecutive Linear layers, scaled like torch's init."""
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / math.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        biases.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return weights, biases


def _load_linears(linears: list, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
    import torch

    with torch.no_grad():
        for layer, W, b in zip(linears, weights, biases, strict=True):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))


def _sequential(sizes: list[int], final_relu: bool):
    """Plain ``nn.Sequential`` of Linear/ReLU layers (the model handed to the student's training code)."""
    from torch import nn

    modules: list = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        modules.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2 or final_relu:
            modules.append(nn.ReLU())
    return nn.Sequential(*modules)


def _interleave(inputs: dict[str, Any]) -> list[np.ndarray]:
    """The initial parameters in ``model.parameters()`` order: W0, b0, W1, b1, ..."""
    return [a for pair in zip(inputs["weights"], inputs["biases"], strict=True) for a in pair]


def _param_observations(model) -> dict[str, Any]:
    return {f"param{i}": p.detach().clone() for i, p in enumerate(model.parameters())}


def _compare_params(
    got: dict[str, Observation], expected: dict[str, Any], initial: list[np.ndarray], what: str
) -> str | None:
    if len([k for k in got if k.startswith("param")]) != len(expected["params"]):
        return f"{what}: the model's parameters changed in number. Hint: do not add or replace layers."
    for i, exp in enumerate(expected["params"]):
        obs = got[f"param{i}"]
        if obs.array is None or obs.array.shape != exp.shape:
            return (
                f"{what}: the model's parameter {i} changed shape. Hint: do not replace the model's layers."
            )
        if np.allclose(obs.array, initial[i]) and not np.allclose(exp, initial[i]):
            return (
                f"{what}: the model's weights did not change. Hint: call loss.backward() and then "
                "optimizer.step() (on an optimizer built over model.parameters())."
            )
        msg = compare_values(
            obs.array,
            exp,
            f"{what}: the weights after training (parameter {i})",
            "zero the gradients before backward (optimizer.zero_grad()), take exactly one optimizer step per "
            "update, and use the loss the exercise names on the model's raw output",
            rtol=1e-3,
            atol=1e-5,
        )
        if msg:
            return msg
    return None


# ---- Chapter 1 ----------------------------------------------------------------------------


def _fn_inputs(seed: int, num_images: int = 5) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"images": rng.integers(0, 256, (num_images, 28, 28), dtype=np.uint8)}


def _fn_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(_torch(inputs["images"]))}


def _fn_ref(inputs: dict[str, Any]) -> dict[str, Any]:
    from course_lib.mnist.data import flatten_normalize

    return {"return": flatten_normalize(_torch(inputs["images"])).numpy()}


def _fn_compare(got, expected, inputs) -> str | None:
    n = inputs["images"].shape[0]
    what = f"flatten_normalize(images) for images of shape ({n}, 28, 28), uint8"
    obs = got["return"]
    msg = expect_tensor(obs, what, (n, 784), ("torch.float32",), ("tensor",))
    return msg or compare_values(
        obs.array,
        expected["return"],
        what,
        "flatten each 28x28 image to 784 values, divide by 255 to get [0, 1], then subtract 0.1307 "
        "and divide by 0.3081",
    )


def _mlp_inputs(seed: int, num_layers: int = 2, num_hiddens: int = 32, n: int = 4) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = [784] + [num_hiddens] * num_layers + [10]
    weights, biases = _linear_weights(rng, sizes)
    X = rng.standard_normal((n, 784)).astype(np.float32)
    return {"X": X, "weights": weights, "biases": biases}


def _mlp_run(fn, inputs) -> dict[str, Any]:
    return {
        "return": fn(
            _torch(inputs["X"]), [_torch(W) for W in inputs["weights"]], [_torch(b) for b in inputs["biases"]]
        )
    }


def _mlp_ref(inputs) -> dict[str, Any]:
    import torch

    from course_lib.mnist.model import MLP

    weights = inputs["weights"]
    model = MLP(
        num_layers=len(weights) - 1, num_hiddens=weights[0].shape[0] if len(weights) > 1 else 8, dropout=0.2
    )
    _load_linears([m for m in model.layers if isinstance(m, torch.nn.Linear)], weights, inputs["biases"])
    model.eval()
    with torch.no_grad():
        return {"return": model(_torch(inputs["X"])).numpy()}


def _mlp_compare(got, expected, inputs) -> str | None:
    n = inputs["X"].shape[0]
    L = len(inputs["weights"])
    what = f"mlp_forward(X, weights, biases) with X of shape ({n}, 784) and {L} weight matrices"
    obs = got["return"]
    msg = expect_tensor(obs, what, (n, 10), ("torch.float32",), ("tensor",))
    return msg or compare_values(
        obs.array,
        expected["return"],
        what,
        "for every layer compute X @ W.T + b (W has shape (out, in)); apply ReLU after every layer except "
        "the last, which returns raw logits; loop over the lists so any number of layers works",
    )


def _step_inputs(
    seed: int, optimizer: str = "sgd", lr: float = 0.1, n: int = 8, num_hiddens: int = 16
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    weights, biases = _linear_weights(rng, [784, num_hiddens, 10])
    return {
        "X": rng.standard_normal((n, 784)).astype(np.float32),
        "y": rng.integers(0, 10, n).astype(np.int64),
        "weights": weights,
        "biases": biases,
        "optimizer": optimizer,
        "lr": float(lr),
    }


def _make_optimizer(params, name: str, lr: float):
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, foreach=False)


def _step_run(fn, inputs) -> dict[str, Any]:
    import torch

    sizes = [784, inputs["weights"][0].shape[0], 10]
    model = _sequential(sizes, final_relu=False)
    _load_linears([m for m in model if isinstance(m, torch.nn.Linear)], inputs["weights"], inputs["biases"])
    for p in model.parameters():  # stale gradients: a step that forgets zero_grad() uses them
        p.grad = torch.ones_like(p)
    optimizer = _make_optimizer(model.parameters(), inputs["optimizer"], inputs["lr"])
    loss = fn(model, _torch(inputs["X"]), _torch(inputs["y"]), optimizer)
    return {"return": loss, **_param_observations(model)}


def _step_ref(inputs) -> dict[str, Any]:
    import torch

    from course_lib.mnist.model import MLP
    from course_lib.mnist.train import train_step

    model = MLP(num_layers=1, num_hiddens=inputs["weights"][0].shape[0], dropout=0.0)
    _load_linears(
        [m for m in model.layers if isinstance(m, torch.nn.Linear)], inputs["weights"], inputs["biases"]
    )
    optimizer = _make_optimizer(model.parameters(), inputs["optimizer"], inputs["lr"])
    loss = train_step(model, _torch(inputs["X"]), _torch(inputs["y"]), optimizer)
    return {"return": loss, "params": [p.detach().numpy() for p in model.parameters()]}


def _step_compare(got, expected, inputs) -> str | None:
    setting = f"{inputs['optimizer']} (lr={inputs['lr']}) on a batch of {len(inputs['y'])}"
    what = f"train_step(model, X, y, optimizer) with {setting}"
    obs = got["return"]
    msg = expect_number(obs, what)
    if msg:
        return msg
    msg = compare_values(
        obs.array,
        np.float64(expected["return"]),
        f"{what}: the returned loss",
        "return the cross-entropy (torch.nn.functional.cross_entropy on the logits, mean over the batch) "
        "computed before the update, as loss.item()",
    )
    return msg or _compare_params(got, expected, _interleave(inputs), what)


def _acc_inputs(seed: int, n: int = 20, all_correct: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y_hat = rng.standard_normal((n, 10)).astype(np.float32)
    y = rng.integers(0, 10, n).astype(np.int64)
    if all_correct:
        y = y_hat.argmax(axis=1).astype(np.int64)
    else:  # make sure roughly half are right, so counting errors show
        right = rng.random(n) < 0.5
        y[right] = y_hat.argmax(axis=1)[right]
    return {"y_hat": y_hat, "y": y}


def _acc_ref(inputs) -> dict[str, Any]:
    from course_lib.mnist.train import compute_accuracy

    return {"return": compute_accuracy(_torch(inputs["y_hat"]), _torch(inputs["y"]))}


def _acc_compare(got, expected, inputs) -> str | None:
    what = f"compute_accuracy(y_hat, y) for {len(inputs['y'])} examples"
    obs = got["return"]
    msg = expect_number(obs, what)
    return msg or compare_values(
        obs.array,
        np.float64(expected["return"]),
        what,
        "the prediction is the index of the largest logit in each row (argmax over dim=1); return the "
        "fraction of rows where it equals y, a number in [0, 1] (not a percentage)",
        rtol=0,
        atol=1e-6,
    )


def _best_inputs(seed: int, k: int = 3, per_class: int = 6) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(10), per_class)).astype(np.int64)
    logits = rng.standard_normal((len(y), 10)) * 2.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return {"probs": probs.astype(np.float32), "y": y, "k": int(k)}


def _best_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(_torch(inputs["probs"]), _torch(inputs["y"]), inputs["k"])}


def _best_ref(inputs) -> dict[str, Any]:
    from course_lib.mnist.analysis import compute_best_examples

    return {
        "return": np.asarray(compute_best_examples(_torch(inputs["probs"]), _torch(inputs["y"]), inputs["k"]))
    }


def _best_compare(got, expected, inputs) -> str | None:
    k = inputs["k"]
    what = f"compute_best_examples(probs, y, k={k}) for {len(inputs['y'])} examples"
    obs = got["return"]
    int_dtypes = ("torch.int64", "torch.int32", "int64", "int32")
    msg = expect_tensor(obs, what, (10, k), int_dtypes, ("tensor", "ndarray"))
    if msg:
        return msg
    exp = expected["return"]
    for c in range(10):
        if not np.array_equal(obs.array[c], exp[c]):
            labels = inputs["y"][obs.array[c].astype(np.int64) % len(inputs["y"])]
            hint = (
                "only examples whose true label is c may appear in row c"
                if np.any(labels != c)
                else "sort the candidates of digit c by their probability of c, highest first, and keep k"
            )
            return (
                f"{what}: row {c} should be {exp[c].tolist()} (indices into probs), got "
                f"{obs.array[c].tolist()}. Hint: {hint}."
            )
    return None


def _pca_inputs(seed: int, n: int = 40, d: int = 6, n_components: int = 2) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    scales = np.linspace(5.0, 0.5, d)
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = (rng.standard_normal((n, d)) * scales) @ rotation + rng.standard_normal(d) * 3
    return {"X": X.astype(np.float32), "n_components": int(n_components)}


def _pca_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(_torch(inputs["X"]), inputs["n_components"])}


def _pca_ref(inputs) -> dict[str, Any]:
    from course_lib.mnist.analysis import compute_pca

    return {"return": np.asarray(compute_pca(inputs["X"].astype(np.float64), inputs["n_components"]))}


def _pca_compare(got, expected, inputs) -> str | None:
    n, d = inputs["X"].shape
    m = inputs["n_components"]
    what = f"compute_pca(X, n_components={m}) for X of shape ({n}, {d})"
    obs = got["return"]
    float_dtypes = ("torch.float32", "torch.float64", "float32", "float64")
    msg = expect_tensor(obs, what, (n, m), float_dtypes, ("tensor", "ndarray"))
    if msg:
        return msg
    exp = expected["return"]
    scale = float(np.abs(exp).max())
    for j in range(m):
        if np.allclose(obs.array[:, j], -exp[:, j], atol=1e-3 * scale) and not np.allclose(exp[:, j], 0):
            return (
                f"{what}: component {j} has the opposite sign of the reference. Hint: flip the sign of every "
                "principal axis (row of Vt) so that its entry of largest absolute value is positive."
            )
    return compare_values(
        obs.array,
        exp,
        what,
        "centre the columns (subtract the mean of every feature), take the SVD X_c = U S Vt, and return "
        "X_c @ Vt[:n_components].T (equivalently U * S) with the sign convention above",
        rtol=1e-3,
        atol=1e-3 * scale,
    )


# ---- Chapter 2 ----------------------------------------------------------------------------


def _mag_inputs(seed: int, num_samples: int = 4000) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / 16000
    waveform = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t) + 0.05 * rng.standard_normal(num_samples)
    return {"waveform": waveform.astype(np.float32)}


def _mag_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(_torch(inputs["waveform"]))}


def _mag_ref(inputs) -> dict[str, Any]:
    from course_lib.denoise.stft import compute_magnitude

    return {
        "return": compute_magnitude(_torch(inputs["waveform"]), n_fft=N_FFT, hop_length=HOP_LENGTH).numpy()
    }


def _mag_compare(got, expected, inputs) -> str | None:
    n = len(inputs["waveform"])
    frames = 1 + n // HOP_LENGTH
    what = f"compute_magnitude(waveform) for a waveform of {n} samples"
    obs = got["return"]
    msg = expect_tensor(obs, what, (NUM_BINS, frames), ("torch.float32",), ("tensor",))
    scale = float(np.abs(expected["return"]).max())
    return msg or compare_values(
        obs.array,
        expected["return"],
        what,
        "use torch.stft with n_fft=1024, hop_length=256, window=torch.hann_window(1024), center=True, "
        "pad_mode='constant', return_complex=True, then take .abs()",
        rtol=1e-3,
        atol=1e-4 * scale,
    )


def _mix_inputs(
    seed: int, num_samples: int = 3000, noise_samples: int = 5000, snr_db: float = 5.0
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / 16000
    clean = 0.5 * np.sin(2 * np.pi * 440 * t) * rng.uniform(0.5, 1.0, num_samples)
    return {
        "clean": clean.astype(np.float32),
        "noise": (0.2 * rng.standard_normal(noise_samples)).astype(np.float32),
        "snr_db": float(snr_db),
    }


def _mix_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(np.array(inputs["clean"]), np.array(inputs["noise"]), inputs["snr_db"])}


def _mix_ref(inputs) -> dict[str, Any]:
    from course_lib.denoise.noise import mix_at_snr

    return {"return": mix_at_snr(inputs["clean"], inputs["noise"], inputs["snr_db"])}


def _mix_compare(got, expected, inputs) -> str | None:
    n, m = len(inputs["clean"]), len(inputs["noise"])
    what = f"mix_at_snr(clean, noise, snr_db={inputs['snr_db']}) with {n} clean and {m} noise samples"
    obs = got["return"]
    msg = expect_tensor(obs, what, (n,), ("float32",), ("ndarray",))
    if msg:
        return msg
    noise_part = obs.array.astype(np.float64) - inputs["clean"]
    if np.any(noise_part != 0):
        snr = 10 * np.log10(np.sum(inputs["clean"].astype(np.float64) ** 2) / np.sum(noise_part**2))
        if abs(snr - inputs["snr_db"]) > 0.05:
            return (
                f"{what}: the mixture's SNR is {snr:.3f} dB instead of {inputs['snr_db']} dB. "
                "Hint: scale the noise by sqrt(sum(clean**2) / (sum(noise**2) * 10**(snr_db / 10))), "
                "computing the noise energy over the tiled or cropped noise."
            )
    return compare_values(
        obs.array,
        expected["return"],
        what,
        "repeat the noise (np.resize or np.tile) or crop it to len(clean) starting at sample 0, scale it to "
        "the SNR, and return clean + scaled noise as float32",
        rtol=1e-4,
        atol=1e-5,
    )


def _snr_inputs(
    seed: int, num_samples: int = 2000, noise_level: float = 0.3, perfect: bool = False
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    clean = (0.5 * rng.standard_normal(num_samples)).astype(np.float32)
    estimate = clean if perfect else clean + noise_level * rng.standard_normal(num_samples).astype(np.float32)
    return {"clean": clean, "estimate": estimate.astype(np.float32)}


def _snr_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(np.array(inputs["clean"]), np.array(inputs["estimate"]))}


def _snr_ref(inputs) -> dict[str, Any]:
    from course_lib.denoise.metrics import compute_snr

    return {"return": compute_snr(inputs["clean"], inputs["estimate"])}


def _snr_compare(got, expected, inputs) -> str | None:
    perfect = np.array_equal(inputs["clean"], inputs["estimate"])
    what = f"compute_snr(clean, estimate) for {len(inputs['clean'])} samples" + (
        " (a perfect estimate)" if perfect else ""
    )
    obs = got["return"]
    msg = expect_number(obs, what)
    return msg or compare_values(
        obs.array,
        np.float64(expected["return"]),
        what,
        "SNR = 10 * log10(sum(clean**2) / sum((clean - estimate)**2)) in dB, computed in float64; "
        "a perfect estimate (zero error) has an SNR of float('inf')",
        rtol=1e-4,
        atol=1e-4,
    )


def _den_inputs(
    seed: int, num_layers: int = 2, num_bins: int = 65, num_hiddens: int = 32, n: int = 6
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = [num_bins] + [num_hiddens] * num_layers + [num_bins]
    weights, biases = _linear_weights(rng, sizes)
    X = np.abs(rng.standard_normal((n, num_bins))).astype(np.float32)
    return {"X": X, "weights": weights, "biases": biases}


def _den_ref(inputs) -> dict[str, Any]:
    import torch

    from course_lib.denoise.model import LinearDenoiser

    weights = inputs["weights"]
    model = LinearDenoiser(
        num_bins=weights[-1].shape[0], num_hiddens=weights[0].shape[0], num_layers=len(weights) - 1
    )
    _load_linears([m for m in model.layers if isinstance(m, torch.nn.Linear)], weights, inputs["biases"])
    with torch.no_grad():
        return {"return": model(_torch(inputs["X"])).numpy()}


def _den_compare(got, expected, inputs) -> str | None:
    n, bins = inputs["X"].shape
    L = len(inputs["weights"])
    what = f"denoiser_forward(X, weights, biases) with X of shape ({n}, {bins}) and {L} weight matrices"
    obs = got["return"]
    msg = expect_tensor(obs, what, (n, bins), ("torch.float32",), ("tensor",))
    if msg:
        return msg
    if np.any(obs.array < 0):
        return (
            f"{what}: the output has negative values, but magnitudes cannot be negative. Hint: the denoiser "
            "applies ReLU after every layer, the last one included."
        )
    return compare_values(
        obs.array,
        expected["return"],
        what,
        "for every layer compute X @ W.T + b followed by ReLU (the last layer too); loop over the lists",
    )


def _rec_inputs(seed: int, num_frames: int = 12, length: int | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    length = (num_frames - 1) * HOP_LENGTH if length is None else length
    noisy_stft = (
        rng.standard_normal((NUM_BINS, num_frames)) + 1j * rng.standard_normal((NUM_BINS, num_frames))
    ).astype(np.complex64)
    noisy_stft[0].imag = 0  # DC and Nyquist bins of a real signal's STFT are real
    noisy_stft[-1].imag = 0
    magnitude = np.abs(rng.standard_normal((NUM_BINS, num_frames))).astype(np.float32)
    return {"magnitude": magnitude, "noisy_stft": noisy_stft, "length": int(length)}


def _rec_run(fn, inputs) -> dict[str, Any]:
    return {"return": fn(_torch(inputs["magnitude"]), _torch(inputs["noisy_stft"]), inputs["length"])}


def _rec_ref(inputs) -> dict[str, Any]:
    from course_lib.denoise.stft import reconstruct_waveform

    out = reconstruct_waveform(
        _torch(inputs["magnitude"]), _torch(inputs["noisy_stft"]), length=inputs["length"]
    )
    return {"return": out.numpy()}


def _rec_compare(got, expected, inputs) -> str | None:
    length = inputs["length"]
    what = (
        f"reconstruct_waveform(magnitude, noisy_stft, length={length}) for "
        f"{inputs['magnitude'].shape[1]} frames"
    )
    obs = got["return"]
    msg = expect_tensor(obs, what, (length,), ("torch.float32",), ("tensor",))
    scale = float(np.abs(expected["return"]).max())
    return msg or compare_values(
        obs.array,
        expected["return"],
        what,
        "combine the magnitude with the noisy phase, magnitude * exp(1j * angle(noisy_stft)) (torch.polar), "
        "then invert with torch.istft(n_fft=1024, hop_length=256, window=torch.hann_window(1024), "
        "center=True, length=length)",
        rtol=1e-3,
        atol=1e-4 * scale,
    )


def _loop_inputs(
    seed: int, num_epochs: int = 3, lr: float = 1e-3, n: int = 16, num_bins: int = 33, num_hiddens: int = 24
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    weights, biases = _linear_weights(rng, [num_bins, num_hiddens, num_hiddens, num_bins])
    y = np.abs(rng.standard_normal((n, num_bins))).astype(np.float32)
    X = (y + np.abs(0.5 * rng.standard_normal((n, num_bins)))).astype(np.float32)
    return {
        "X": X,
        "y": y,
        "weights": weights,
        "biases": biases,
        "num_epochs": int(num_epochs),
        "lr": float(lr),
    }


def _loop_run(fn, inputs) -> dict[str, Any]:
    import torch

    sizes = [w.shape[1] for w in inputs["weights"]] + [inputs["weights"][-1].shape[0]]
    model = _sequential(sizes, final_relu=True)
    _load_linears([m for m in model if isinstance(m, torch.nn.Linear)], inputs["weights"], inputs["biases"])
    losses = fn(model, _torch(inputs["X"]), _torch(inputs["y"]), inputs["num_epochs"], inputs["lr"])
    return {"return": losses, **_param_observations(model)}


def _loop_ref(inputs) -> dict[str, Any]:
    import torch

    from course_lib.denoise.model import LinearDenoiser
    from course_lib.denoise.train import train_step

    weights = inputs["weights"]
    model = LinearDenoiser(
        num_bins=weights[-1].shape[0], num_hiddens=weights[0].shape[0], num_layers=len(weights) - 1
    )
    _load_linears([m for m in model.layers if isinstance(m, torch.nn.Linear)], weights, inputs["biases"])
    optimizer = torch.optim.Adam(model.parameters(), lr=inputs["lr"], foreach=False)
    X, y = _torch(inputs["X"]), _torch(inputs["y"])
    losses = [train_step(model, X, y, optimizer) for _ in range(inputs["num_epochs"])]
    return {"return": losses, "params": [p.detach().numpy() for p in model.parameters()]}


def _loop_compare(got, expected, inputs) -> str | None:
    E = inputs["num_epochs"]
    what = f"train_denoiser(model, X, y, num_epochs={E}, lr={inputs['lr']}) on {len(inputs['X'])} frames"
    obs = got["return"]
    if obs.kind != "list" or any(k != "float" for k in obs.item_kinds):
        return (
            f"{what} should return a list of {E} Python floats (one loss per epoch), but returned "
            f"{obs.describe()}. Hint: append loss.item() to a list once per epoch."
        )
    if obs.shape != (E,):
        count = f"{E} losses (one per epoch), got {obs.shape[0]}"
        return f"{what} should return {count}. Hint: loop over range(num_epochs)."
    msg = compare_values(
        obs.array,
        np.asarray(expected["return"], dtype=np.float64),
        f"{what}: the per-epoch losses",
        "create torch.optim.Adam(model.parameters(), lr=lr) once, before the loop; every epoch take one "
        "full-batch step on the mean squared error (torch.nn.functional.mse_loss(model(X), y)) and record "
        "the loss before the step",
        rtol=1e-3,
        atol=1e-6,
    )
    return msg or _compare_params(got, expected, _interleave(inputs), what)


def _shapes(**arrays: Any) -> str:
    return ", ".join(f"{k}: {tuple(np.shape(v))}" for k, v in arrays.items())


EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in [
        Exercise(
            "flatten_normalize",
            "flatten_normalize(images)",
            _fn_inputs,
            _fn_run,
            _fn_ref,
            _fn_compare,
            lambda i: _shapes(images=i["images"]),
        ),
        Exercise(
            "mlp_forward",
            "mlp_forward(X, weights, biases)",
            _mlp_inputs,
            _mlp_run,
            _mlp_ref,
            _mlp_compare,
            lambda i: _shapes(X=i["X"]) + f", {len(i['weights'])} layers",
        ),
        Exercise(
            "train_step",
            "train_step(model, X, y, optimizer)",
            _step_inputs,
            _step_run,
            _step_ref,
            _step_compare,
            lambda i: _shapes(X=i["X"], y=i["y"]),
        ),
        Exercise(
            "compute_accuracy",
            "compute_accuracy(y_hat, y)",
            _acc_inputs,
            lambda fn, i: {"return": fn(_torch(i["y_hat"]), _torch(i["y"]))},
            _acc_ref,
            _acc_compare,
            lambda i: _shapes(y_hat=i["y_hat"], y=i["y"]),
        ),
        Exercise(
            "compute_best_examples",
            "compute_best_examples(probs, y, k)",
            _best_inputs,
            _best_run,
            _best_ref,
            _best_compare,
            lambda i: _shapes(probs=i["probs"], y=i["y"]) + f", k={i['k']}",
        ),
        Exercise(
            "compute_pca",
            "compute_pca(X, n_components)",
            _pca_inputs,
            _pca_run,
            _pca_ref,
            _pca_compare,
            lambda i: _shapes(X=i["X"]) + f", n_components={i['n_components']}",
        ),
        Exercise(
            "compute_magnitude",
            "compute_magnitude(waveform)",
            _mag_inputs,
            _mag_run,
            _mag_ref,
            _mag_compare,
            lambda i: _shapes(waveform=i["waveform"]),
        ),
        Exercise(
            "mix_at_snr",
            "mix_at_snr(clean, noise, snr_db)",
            _mix_inputs,
            _mix_run,
            _mix_ref,
            _mix_compare,
            lambda i: _shapes(clean=i["clean"], noise=i["noise"]) + f", snr_db={i['snr_db']}",
        ),
        Exercise(
            "compute_snr",
            "compute_snr(clean, estimate)",
            _snr_inputs,
            _snr_run,
            _snr_ref,
            _snr_compare,
            lambda i: _shapes(clean=i["clean"], estimate=i["estimate"]),
        ),
        Exercise(
            "denoiser_forward",
            "denoiser_forward(X, weights, biases)",
            _den_inputs,
            _mlp_run,
            _den_ref,
            _den_compare,
            lambda i: _shapes(X=i["X"]) + f", {len(i['weights'])} layers",
        ),
        Exercise(
            "reconstruct_waveform",
            "reconstruct_waveform(magnitude, noisy_stft, length)",
            _rec_inputs,
            _rec_run,
            _rec_ref,
            _rec_compare,
            lambda i: _shapes(magnitude=i["magnitude"]) + f", length={i['length']}",
        ),
        Exercise(
            "train_denoiser",
            "train_denoiser(model, X, y, num_epochs, lr)",
            _loop_inputs,
            _loop_run,
            _loop_ref,
            _loop_compare,
            lambda i: _shapes(X=i["X"], y=i["y"]) + f", num_epochs={i['num_epochs']}",
        ),
    ]
}
"""Every graded function, by the name the notebooks use."""
