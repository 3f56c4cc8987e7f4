"""Benchmark: what bounds a Chapter 1 training step on this CPU (the ceiling for bench_mnist.py's speed-up).

``bench_mnist.py`` compares whole trainings. This script takes one training
step of the Chapter 1 MLP (batch 128) apart, in one process, alternating the
variants over several rounds and reporting medians:

* ``reference``: the reference notebook's step (PIL ``Dataset`` + ``DataLoader``
  with ``ToTensor``/``Normalize``, ``nn.Dropout``, plain Adam, ``loss.item()``),
  timed over whole epochs of the loader and divided by the number of steps.
* ``autograd``: the step of :func:`course_lib.mnist.train.train_mlp` (tensors,
  ``course_lib`` dropout, autograd, fused Adam).
* ``manual``: the same step written without autograd: forward and backward by
  hand into buffers allocated once, every matrix product writing into its
  output buffer, fused Adam. Its gradients are checked against autograd's
  before it is timed (same seed, so the same dropout masks).
* ``products``: only the matrix products of a step (forward ``addmm``, weight
  gradients, input gradients), on the same buffers: no other step can be faster
  with torch's fp32 BLAS.

It also measures how fast the BLAS multiplies a 128 x 1024 by 1024 x 1024 matrix
with one thread, with two threads, and as two one-thread products run at once
from two Python threads (what splitting the work across the cores by hand would get).

Run: ``.venv/bin/python bench/bench_mnist_ceiling.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from bench_mnist import ReferenceStyleMNIST, reference_mlp, to_uint8
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

from course_lib.mnist.data import load_mnist
from course_lib.mnist.model import _MASK_LEVELS, MLP
from course_lib.mnist.train import make_optimizer

BATCH = 128


class ManualStep:
    """One training step of an :class:`MLP` (Linear, ReLU, Dropout blocks) without autograd.

    Hidden activations are stored after ReLU and the dropout mask but before the
    dropout scale; the next layer's ``addmm`` applies the scale through
    ``alpha``, and the ReLU/dropout backward is one ``threshold_backward`` on the
    stored activations (zero exactly where ReLU or dropout zeroed a unit).
    """

    def __init__(self, model: MLP, lr: float = 1e-3) -> None:
        self.linears = [m for m in model.layers if isinstance(m, nn.Linear)]
        drops = [m.p for m in model.layers if isinstance(m, nn.Dropout)]
        if len(set(drops)) != 1:
            raise ValueError("ManualStep needs one dropout probability for all layers")
        threshold = min(round(drops[0] * _MASK_LEVELS), _MASK_LEVELS - 1)
        self.threshold = threshold - _MASK_LEVELS // 2
        self.scale = _MASK_LEVELS / (_MASK_LEVELS - threshold)
        params = []
        for lin in self.linears:
            lin.weight.grad = torch.zeros_like(lin.weight)
            lin.bias.grad = torch.zeros_like(lin.bias)
            params += [lin.weight, lin.bias]
        self.optimizer = torch.optim.Adam(params, lr=lr, fused=True)
        self.H = [torch.empty(BATCH, lin.out_features) for lin in self.linears]
        self.G = [torch.empty(BATCH, lin.in_features) for lin in self.linears]
        self.words = [torch.empty(BATCH * lin.out_features // 4, dtype=torch.int64) for lin in self.linears]

    @torch.no_grad()
    def gradients(self, X: torch.Tensor, y: torch.Tensor, products_only: bool = False) -> torch.Tensor:
        """Forward and backward for one (BATCH, 784) batch; fills every ``.grad``; returns the loss."""
        acts = [X]
        last = len(self.linears) - 1
        for k, lin in enumerate(self.linears):
            H = self.H[k]
            torch.addmm(lin.bias, acts[k], lin.weight.t(), alpha=self.scale if k else 1.0, out=H)
            if k < last:
                if not products_only:
                    words = self.words[k].random_(-(2**63), None)
                    H.relu_().masked_fill_(words.view(torch.int16).view(H.shape) < self.threshold, 0.0)
                acts.append(H)
        y_hat = self.H[last]
        if products_only:
            loss = y_hat[0, 0]
            G = torch.ones_like(y_hat)
        else:
            loss = F.cross_entropy(y_hat, y)
            G = torch.softmax(y_hat, dim=1)
            G[torch.arange(len(y)), y] -= 1.0
            G /= len(y)
        for k in range(last, -1, -1):
            lin = self.linears[k]
            if not products_only:
                torch.sum(G, dim=0, out=lin.bias.grad)
            if k and not products_only:
                G = G * self.scale
            torch.mm(G.t(), acts[k], out=lin.weight.grad)
            if k:
                G_in = torch.mm(G, lin.weight, out=self.G[k])
                G = G_in if products_only else torch.ops.aten.threshold_backward(G_in, acts[k], 0.0)
        return loss

    def step(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.gradients(X, y)
        self.optimizer.step()


def check_manual_gradients(data, seed: int = 0) -> float:
    """Largest relative difference between ManualStep's and autograd's gradients on one batch."""
    X, y = data.X_train[:BATCH], data.y_train[:BATCH]
    torch.manual_seed(seed)
    model = MLP()
    torch.manual_seed(seed + 1)
    F.cross_entropy(model(X), y).backward()
    expected = [p.grad.clone() for p in model.parameters()]
    manual = ManualStep(model)
    torch.manual_seed(seed + 1)
    manual.gradients(X, y)
    worst = 0.0
    for p, g in zip(model.parameters(), expected, strict=True):
        worst = max(worst, float((p.grad - g).abs().max() / g.abs().max()))
    return worst


def gemm_rates(repeats: int = 100) -> dict[str, float]:
    """GFLOP/s of a 128 x 1024 by 1024 x 1024 product: 1 thread, 2 threads, two 1-thread products at once."""
    flops = 2 * BATCH * 1024 * 1024 / 1e9

    def stream(n: int, rates: list[float]) -> None:
        X, W, out = torch.randn(BATCH, 1024), torch.randn(1024, 1024), torch.empty(BATCH, 1024)
        for _ in range(5):
            torch.mm(X, W.t(), out=out)
        start = time.perf_counter()
        for _ in range(n):
            torch.mm(X, W.t(), out=out)
        rates.append(n * flops / (time.perf_counter() - start))

    threads_before = torch.get_num_threads()
    result = {}
    try:
        torch.set_num_threads(1)
        rates: list[float] = []
        stream(repeats, rates)
        result["one_thread"] = rates[0]
        rates = []
        workers = [threading.Thread(target=stream, args=(repeats, rates)) for _ in range(2)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        result["two_one_thread_products_at_once"] = 2 * repeats * flops / (time.perf_counter() - start)
        torch.set_num_threads(2)
        rates = []
        stream(repeats, rates)
        result["two_threads"] = rates[0]
    finally:
        torch.set_num_threads(threads_before)
    return result


def time_steps(step: Callable[[torch.Tensor, torch.Tensor], object], batches: list, warmup: int = 5) -> float:
    """Milliseconds per call of ``step`` over ``batches``."""
    for X, y in batches[:warmup]:
        step(X, y)
    start = time.perf_counter()
    for X, y in batches:
        step(X, y)
    return 1e3 * (time.perf_counter() - start) / len(batches)


def time_reference(data, seed: int) -> float:
    """Milliseconds per step of the reference-style loop, over one epoch of its loader (after one warm-up)."""
    train_ds = ReferenceStyleMNIST(to_uint8(data.X_train), data.y_train)
    torch.manual_seed(seed)
    model = reference_mlp()
    loader = DataLoader(
        train_ds,
        batch_size=BATCH,
        sampler=RandomSampler(train_ds, generator=torch.Generator().manual_seed(seed)),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    model.train()
    times = []
    for _ in range(2):
        start = time.perf_counter()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images.view(-1, 28 * 28)), labels)
            loss.backward()
            optimizer.step()
            loss.item()
        times.append(1e3 * (time.perf_counter() - start) / len(loader))
    return times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of all variants (default: %(default)s)")
    parser.add_argument(
        "--steps", type=int, default=31, help="steps per variant and round (default: %(default)s)"
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    data = load_mnist()
    worst = check_manual_gradients(data)
    if worst > 1e-4:
        raise SystemExit(f"ManualStep's gradients differ from autograd's (relative {worst:.2e}): not timed")
    print(f"manual gradients match autograd (largest relative difference {worst:.1e})")

    gen = torch.Generator().manual_seed(0)
    batches = [
        (data.X_train[idx], data.y_train[idx])
        for idx in (torch.randint(0, len(data.y_train), (BATCH,), generator=gen) for _ in range(args.steps))
    ]
    torch.manual_seed(0)
    model = MLP()
    optimizer = make_optimizer(model)

    def autograd_step(X: torch.Tensor, y: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(X), y).backward()
        optimizer.step()

    torch.manual_seed(0)
    manual = ManualStep(MLP())
    variants: dict[str, Callable[[], float]] = {
        "reference": lambda: time_reference(data, 0),
        "autograd": lambda: time_steps(autograd_step, batches),
        "manual": lambda: time_steps(manual.step, batches),
        "products": lambda: time_steps(lambda X, y: manual.gradients(X, y, products_only=True), batches),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(args.rounds):
        names = list(variants) if r % 2 == 0 else list(variants)[::-1]
        for name in names:
            times[name].append(variants[name]())
        print(f"round {r}: " + ", ".join(f"{n} {times[n][-1]:.1f} ms" for n in variants), flush=True)
    medians = {name: statistics.median(t) for name, t in times.items()}
    rates = gemm_rates()
    step_gflop = 3 * sum(2 * BATCH * m.in_features * m.out_features for m in manual.linears) / 1e9
    step_gflop -= 2 * BATCH * manual.linears[0].in_features * manual.linears[0].out_features / 1e9
    summary = {
        "command": f"python bench/bench_mnist_ceiling.py --rounds {args.rounds} --steps {args.steps}",
        "threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "ms_per_step_median": medians,
        "ms_per_step_all": times,
        "speedup_over_reference": {n: medians["reference"] / medians[n] for n in medians if n != "reference"},
        "gflop_per_step": step_gflop,
        "products_gflop_per_s_in_step": step_gflop / medians["products"] * 1e3,
        "gemm_128x1024x1024_gflop_per_s": rates,
        "manual_gradient_max_rel_diff": worst,
    }
    print(json.dumps(summary, indent=1))
    print(
        "ms per step (median): "
        + ", ".join(f"{n} {m:.1f}" for n, m in medians.items())
        + "; step speed-up over the reference: "
        + ", ".join(f"{n} {s:.2f}x" for n, s in summary["speedup_over_reference"].items())
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
