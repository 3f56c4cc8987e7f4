"""Benchmark: the Chapter 1 trainer (train_mlp) against a loop written like the reference notebook.

Both train the same MLP (784 -> 5 x 1024 -> 10, dropout 0.2) with the same batch
size, learning rate, number of epochs, seed and shuffling order on the embedded
digits (4,000 train / 1,000 test), in one process, alternating which runs first
(A B B A) so that a machine shared with other jobs penalizes both alike.

* reference: a torchvision-style ``Dataset`` whose ``__getitem__`` builds a PIL
  image and applies ``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))`` (exactly
  what ``torchvision.datasets.MNIST`` does), a ``DataLoader`` with
  ``shuffle``, plain ``torch.optim.Adam`` (its default implementation on the CPU),
  fp32, ``loss.item()`` every step, and a test pass through a test ``DataLoader``
  after every epoch.
* course_lib: :func:`course_lib.mnist.train.train_mlp` (data as tensors on the
  device, fused Adam, one host sync per epoch, a test pass after every epoch).
* course_lib_bf16 (with ``--mixed-precision``): the same with
  ``mixed_precision=True`` (bf16 autocast on the CPU), which pays off on CPUs
  with native bf16 arithmetic (AVX-512 BF16 or AMX) and is slower on others.

Samples/s = training samples processed / wall time of the whole training
(test passes included for both); one round per seed, the speed-up of each
variant over the reference is the ratio of the median samples/s, the
accuracies are means over the seeds. The script
also times the matrix products of an epoch alone (the work both loops share),
which bounds the speed-up any fp32 loop can reach on the machine. Final
accuracy of both models is measured the same way (eval mode,
:func:`course_lib.mnist.train.evaluate_mlp`) on the 1,000 test digits; the
reference's own protocol (dropout left on) is reported too, and with
``--test-data-dir`` the accuracy on a second test set (e.g. the official 10,000
MNIST test digits, which are disjoint from the embedded ones).

Run: ``.venv/bin/python bench/bench_mnist.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset, RandomSampler
from torchvision import transforms

from course_lib.core import seed_everything
from course_lib.mnist.data import MEAN, STD, MNISTData, denormalize, flatten_normalize, load_mnist
from course_lib.mnist.model import MLP
from course_lib.mnist.train import evaluate_mlp, train_mlp


class ReferenceStyleMNIST(Dataset):
    """Holds uint8 digits and returns (normalized image tensor, label) like torchvision.datasets.MNIST."""

    def __init__(self, images: torch.Tensor, targets: torch.Tensor) -> None:
        self.data = images
        self.targets = targets
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        img, target = self.data[index], int(self.targets[index])
        img = Image.fromarray(img.numpy(), mode="L")
        return self.transform(img), target


def to_uint8(X: torch.Tensor) -> torch.Tensor:
    """Recover the 8-bit pixels from normalized digits (exact: checked against flatten_normalize)."""
    images = (denormalize(X) * 255).round().to(torch.uint8)
    assert torch.equal(flatten_normalize(images), X), "pixel recovery is not exact"
    return images


def reference_mlp() -> MLP:
    """The course MLP with torch's own ``nn.Dropout`` modules, as the reference notebook builds it."""
    model = MLP()
    for i, module in enumerate(model.layers):
        if isinstance(module, nn.Dropout):
            model.layers[i] = nn.Dropout(module.p)
    return model


def train_reference(data: MNISTData, num_epochs: int, lr: float, batch_size: int, seed: int) -> tuple:
    """The reference notebook's way: PIL Dataset + DataLoader, plain Adam, fp32, .item() per step."""
    train_ds = ReferenceStyleMNIST(to_uint8(data.X_train), data.y_train)
    test_ds = ReferenceStyleMNIST(to_uint8(data.X_test), data.y_test)
    torch.manual_seed(seed)
    model = reference_mlp()
    shuffle_generator = seed_everything(seed)
    # The sampler gets the seeded generator (the same shuffling order as train_mlp); the loader's own
    # generator only feeds its worker base seed, so it does not disturb the shuffling or dropout streams.
    train_loader = DataLoader(
        train_ds,
        batch_size=batch_size,
        sampler=RandomSampler(train_ds, generator=shuffle_generator),
        generator=torch.Generator().manual_seed(seed),
    )
    test_loader = DataLoader(test_ds, batch_size=1000, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = torch.nn.CrossEntropyLoss()
    history = []
    start = time.perf_counter()
    for epoch in range(num_epochs):
        model.train()
        running_loss = 0.0
        for images, labels in train_loader:
            images = images.view(-1, 28 * 28)
            optimizer.zero_grad()
            output = model(images)
            loss = criterion(output, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test_loader:
                _, predicted = torch.max(model(images.view(-1, 28 * 28)), 1)
                correct += (predicted == labels).sum().item()
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": running_loss / len(train_loader),
                "test_accuracy": correct / len(test_ds),
            }
        )
    seconds = time.perf_counter() - start
    return model, history, seconds


def train_course_lib(
    data: MNISTData, num_epochs: int, lr: float, batch_size: int, seed: int, mixed_precision: bool
) -> tuple:
    torch.manual_seed(seed)
    model = MLP()
    start = time.perf_counter()
    history = train_mlp(
        model,
        data,
        num_epochs=num_epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
        device="cpu",
        mixed_precision=mixed_precision,
        show_progress=False,
    )
    return model, history, time.perf_counter() - start


def time_gemms_only(
    model: MLP,
    n_train: int,
    n_test: int,
    batch_size: int,
    repeats: int = 3,
    dtype: torch.dtype = torch.float32,
) -> float:
    """Seconds per epoch that the matrix products of one epoch take on their own (a lower bound on any loop).

    Every training step of an MLP does, per Linear layer of shape (in, out):
    the forward ``addmm`` (batch x in x out), the weight gradient (out x batch x
    in) and, for all but the first layer, the input gradient (batch x out x in);
    the per-epoch test pass does the forward products on the test set. Both
    loops must do exactly these products; here they run alone (random operands,
    hot caches, no other work), so ``n_train / this`` bounds the samples/s that
    any fp32 trainer of this model can reach with torch's BLAS on this machine.
    With ``dtype=torch.bfloat16`` the same products run in bf16, the precision
    that autocast gives them in ``train_mlp(mixed_precision=True)``.
    """
    linears = [m for m in model.layers if isinstance(m, nn.Linear)]
    gen = torch.Generator().manual_seed(0)
    shapes = [(m.in_features, m.out_features) for m in linears]
    weights = [torch.randn(o, i, generator=gen).to(dtype) for i, o in shapes]
    biases = [torch.randn(o, generator=gen).to(dtype) for _, o in shapes]
    acts = [torch.randn(batch_size, i, generator=gen).to(dtype) for i, _ in shapes]
    grads = [torch.randn(batch_size, o, generator=gen).to(dtype) for _, o in shapes]
    test_acts = [torch.randn(n_test, i, generator=gen).to(dtype) for i, _ in shapes]

    def one_step() -> None:
        for k, (W, b, a, g) in enumerate(zip(weights, biases, acts, grads, strict=True)):
            torch.addmm(b, a, W.t())
            torch.mm(g.t(), a)
            if k > 0:
                torch.mm(g, W)

    def test_pass() -> None:
        for W, b, a in zip(weights, biases, test_acts, strict=True):
            torch.addmm(b, a, W.t())

    steps = -(-n_train // batch_size)
    for _ in range(3):
        one_step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            one_step()
        test_pass()
        best = min(best, time.perf_counter() - start)
    return best


def sample_std(values: list[float]) -> float:
    """Standard deviation over the seeds (ddof=1); 0 for a single seed."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per training (default: %(default)s)")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1],
        help="one round per seed, both loops trained with it, alternating which goes first (default: 0 1)",
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--mixed-precision", action="store_true", help="also time train_mlp with bf16 autocast"
    )
    parser.add_argument(
        "--test-data-dir",
        default=None,
        help="also measure every final model on the test IDX files in this folder "
        "(e.g. the official 10k MNIST test set; see load_mnist)",
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_mnist()
    extra_test = load_mnist("torchvision", args.test_data_dir) if args.test_data_dir else None
    n = int(data.X_train.shape[0])

    def make_variants(seed: int) -> dict:
        variants = {
            "reference": lambda: train_reference(data, args.epochs, args.lr, args.batch_size, seed),
            "course_lib": lambda: train_course_lib(data, args.epochs, args.lr, args.batch_size, seed, False),
        }
        if args.mixed_precision:
            variants["course_lib_bf16"] = lambda: train_course_lib(
                data, args.epochs, args.lr, args.batch_size, seed, True
            )
        return variants

    names = list(make_variants(0))
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for r, seed in enumerate(args.seeds):
        variants = make_variants(seed)
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            model, history, secs = variants[name]()
            final = evaluate_mlp(model, data.X_test, data.y_test)
            active = evaluate_mlp(model, data.X_test, data.y_test, dropout_active=True, seed=seed)
            run = {
                "seed": seed,
                "seconds": secs,
                "samples_per_s": args.epochs * n / secs,
                "accuracy_eval_mode": final["accuracy"],
                "accuracy_dropout_active": active["accuracy"],
                "final_train_loss": history[-1]["train_loss"],
            }
            if extra_test is not None:
                run["accuracy_extra_test"] = evaluate_mlp(model, extra_test.X_test, extra_test.y_test)[
                    "accuracy"
                ]
            runs[name].append(run)
            print(
                f"seed {seed} {name:16s} {secs:8.1f} s  {args.epochs * n / secs:8.1f} samples/s  "
                f"test acc {final['accuracy']:.4f} (dropout on: {active['accuracy']:.4f})"
                + (f", extra test set {run['accuracy_extra_test']:.4f}" if extra_test is not None else ""),
                flush=True,
            )
    gemm_seconds = time_gemms_only(MLP(), n, int(data.X_test.shape[0]), args.batch_size)
    summary = {
        "command": "python bench/bench_mnist.py "
        + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items()
            if v not in (None, False) and k != "json"
        ),
        "cpu_model": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "onednn_bf16_supported": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "n_train": n,
        "epochs": args.epochs,
        "gemm_only_samples_per_s": n / gemm_seconds,
    }
    if args.mixed_precision:
        bf16_seconds = time_gemms_only(
            MLP(), n, int(data.X_test.shape[0]), args.batch_size, dtype=torch.bfloat16
        )
        summary["gemm_only_bf16_samples_per_s"] = n / bf16_seconds
    for name in names:
        speeds = [run["samples_per_s"] for run in runs[name]]
        accs = [run["accuracy_eval_mode"] for run in runs[name]]
        mean_active = float(np.mean([run["accuracy_dropout_active"] for run in runs[name]]))
        summary[name] = {
            "median_samples_per_s": float(np.median(speeds)),
            "mean_accuracy_eval_mode": float(np.mean(accs)),
            "std_accuracy_eval_mode": sample_std(accs),
            "mean_accuracy_dropout_active": mean_active,
            "runs": runs[name],
        }
        if extra_test is not None:
            extra = [run["accuracy_extra_test"] for run in runs[name]]
            summary[name]["mean_accuracy_extra_test"] = float(np.mean(extra))
            summary[name]["std_accuracy_extra_test"] = sample_std(extra)
    ref = summary["reference"]
    summary["speedup_bound_gemm_only"] = summary["gemm_only_samples_per_s"] / ref["median_samples_per_s"]
    if args.mixed_precision:
        summary["speedup_bound_gemm_only_bf16"] = (
            summary["gemm_only_bf16_samples_per_s"] / ref["median_samples_per_s"]
        )
    for name in names[1:]:
        ours = summary[name]
        ours["speedup"] = ours["median_samples_per_s"] / ref["median_samples_per_s"]
        ours["speedups_per_seed"] = [
            a["samples_per_s"] / b["samples_per_s"]
            for a, b in zip(runs[name], runs["reference"], strict=True)
        ]
        ours["accuracy_gap_points"] = 100 * (ours["mean_accuracy_eval_mode"] - ref["mean_accuracy_eval_mode"])
        if extra_test is not None:
            ours["accuracy_gap_points_extra_test"] = 100 * (
                ours["mean_accuracy_extra_test"] - ref["mean_accuracy_extra_test"]
            )
    print(json.dumps(summary, indent=1))
    for name in names[1:]:
        ours = summary[name]
        print(
            f"{name}: speed-up (median samples/s) {ours['speedup']:.2f}x, per seed "
            + ", ".join(f"{x:.2f}x" for x in ours["speedups_per_seed"])
            + f"; accuracy (mean over {len(args.seeds)} seeds, eval mode) "
            f"{ref['mean_accuracy_eval_mode']:.4f} (reference) vs {ours['mean_accuracy_eval_mode']:.4f}, "
            f"gap {ours['accuracy_gap_points']:+.2f} points"
            + (
                f"; extra test set {ref['mean_accuracy_extra_test']:.4f} vs "
                f"{ours['mean_accuracy_extra_test']:.4f}, gap {ours['accuracy_gap_points_extra_test']:+.2f}"
                if extra_test is not None
                else ""
            )
        )
    print(
        f"GEMM-only bound: fp32 {summary['speedup_bound_gemm_only']:.2f}x"
        + (f", bf16 {summary['speedup_bound_gemm_only_bf16']:.2f}x" if args.mixed_precision else "")
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
