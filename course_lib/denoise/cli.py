"""Command line of Chapter 2: ``python -m course_lib denoise {train,apply,evaluate,sweep}``.

* ``train`` trains the denoiser on the embedded corpus's training voices and
  writes the checkpoint, ``metrics.json`` (history, evaluation, comparison
  table), figures and before/after WAV files of one held-out utterance.
* ``apply IN OUT --checkpoint CK`` denoises any WAV/FLAC file.
* ``evaluate --checkpoint CK`` mixes clean files with noise at an SNR and prints
  mean input/output SNR, SI-SDR and STOI.
* ``sweep --out FILE`` writes the data behind the book's static widget.

The commands appear on the Chapter 2 book pages "Training" (``train``),
"Evaluation" (``evaluate``), "Summary and exercises" (``apply``) and "Try it:
noise and SNR" (``sweep``, the data of its widget).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from course_lib.cli import non_negative_int, positive_float, positive_int
from course_lib.core import DEVICE_CHOICES, CourseError, format_command

# Shortest --table-seconds: STOI needs about 0.4 s of speech after pystoi drops the silent frames,
# and the corpus clips start with up to half a second of silence (0.6 s crops already fail on some).
TABLE_MIN_SECONDS = 1.0


def finite_float(text: str) -> float:
    """argparse type: a finite number (no ``nan`` or ``inf``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _snr_list(text: str) -> tuple[float, ...]:
    """argparse type: one finite SNR in dB or a comma list (``"5"``, ``"0,5,10"``)."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SNRs in dB like 5 or 0,5,10, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("give at least one SNR in dB")
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"SNRs must be finite numbers in dB like 5 or 0,5,10, got {text!r}")
    return values


def _table_seconds(text: str) -> float:
    """argparse type for ``--table-seconds``: at least :data:`TABLE_MIN_SECONDS` (STOI's minimum)."""
    value = positive_float(text)
    if value < TABLE_MIN_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be >= {TABLE_MIN_SECONDS:g} s, got {text}: STOI needs about 0.4 s of speech "
            "after silent frames are dropped"
        )
    return value


def _dumps(data, **kwargs) -> str:
    """``json.dumps`` that writes non-finite metrics (SI-SDR ``-inf`` of a silent output) as ``null``."""
    from course_lib.denoise.metrics import json_safe

    return json.dumps(json_safe(data), allow_nan=False, **kwargs)


DEVICE_HELP = "where to compute: auto (CUDA, then MPS, then CPU), cuda, mps or cpu (default: auto)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``denoise`` and its sub-commands to the top-level parser.

    Book pages: Chapter 2, "Training", "Evaluation", "Summary and exercises" and
    "Try it: noise and SNR" (see the module docstring).
    """
    from course_lib.denoise.train import BATCH_SIZE, NUM_EPOCHS

    parser = subparsers.add_parser("denoise", help="Chapter 2: speech denoising with a linear model")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,apply,evaluate,sweep}")

    train = commands.add_parser(
        "train", help="train on the embedded corpus; write checkpoint, metrics, figures"
    )
    train.add_argument(
        "--epochs",
        type=non_negative_int,
        default=NUM_EPOCHS,
        help=f"passes over the frames (default: {NUM_EPOCHS})",
    )
    train.add_argument(
        "--batch-size",
        type=positive_int,
        default=BATCH_SIZE,
        help=f"frames per update (default: {BATCH_SIZE})",
    )
    train.add_argument(
        "--full-batch", action="store_true", help="one update per epoch on all frames (the reference)"
    )
    train.add_argument(
        "--hiddens", type=positive_int, default=1024, help="units per hidden layer (default: 1024)"
    )
    train.add_argument("--layers", type=positive_int, default=2, help="number of hidden layers (default: 2)")
    train.add_argument("--lr", type=positive_float, default=1e-3, help="Adam learning rate (default: 0.001)")
    train.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the noise, shuffling and weights (default: 0)",
    )
    train.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help=DEVICE_HELP)
    train.add_argument(
        "--noise",
        default="mix",
        help="training noise: a kind, a comma list, or 'mix' (all five kinds; the default)",
    )
    train.add_argument(
        "--snr", type=_snr_list, default=(0.0, 5.0, 10.0), help="training SNR(s) in dB (default: 0,5,10)"
    )
    train.add_argument(
        "--context", type=non_negative_int, default=0, help="context frames on each side (default: 0)"
    )
    train.add_argument("--log-compress", action="store_true", help="log1p-compress the input magnitudes")
    train.add_argument("--mask", action="store_true", help="predict a sigmoid mask on the noisy magnitude")
    train.add_argument(
        "--train-utterances",
        type=positive_int,
        default=None,
        help="use only this many training utterances (default: all)",
    )
    train.add_argument(
        "--table-utterances",
        type=positive_int,
        default=6,
        help="test utterances in the comparison table (default: 6)",
    )
    train.add_argument(
        "--table-seconds",
        type=_table_seconds,
        default=4.0,
        help=f"crop table utterances to this many seconds, >= {TABLE_MIN_SECONDS:g} for STOI (default: 4)",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    train.add_argument("--out", default="runs/denoise", help="output folder (default: runs/denoise)")
    train.set_defaults(func=run_train)

    apply = commands.add_parser(
        "apply",
        help="denoise a WAV/FLAC file (any rate; stereo is mixed to mono)",
        description="Denoise a WAV/FLAC file. Any sample rate is accepted and kept; multi-channel "
        "(stereo) input is mixed to mono, so the output has one channel.",
    )
    apply.add_argument("input", help="noisy WAV/FLAC file (multi-channel input is mixed to mono)")
    apply.add_argument(
        "output",
        help="denoised mono file to write (.wav or .flac), at the input's sample rate; "
        "must not be the input file",
    )
    apply.add_argument("--checkpoint", required=True, help="checkpoint written by 'train'")
    apply.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help=DEVICE_HELP)
    apply.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    apply.set_defaults(func=run_apply)

    evaluate = commands.add_parser("evaluate", help="mix clean files with noise, denoise, print the metrics")
    evaluate.add_argument("--checkpoint", required=True, help="checkpoint written by 'train'")
    evaluate.add_argument(
        "--clean-dir", default=None, help="folder of clean WAV/FLAC files (default: the corpus test split)"
    )
    evaluate.add_argument(
        "--noise", default="white", help="one noise kind: white, pink, brown, babble or hum (default: white)"
    )
    evaluate.add_argument("--snr", type=finite_float, default=5.0, help="input SNR in dB (default: 5)")
    evaluate.add_argument(
        "--seed", type=non_negative_int, default=0, help="noise seed; file i uses seed + i (default: 0)"
    )
    evaluate.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help=DEVICE_HELP)
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.set_defaults(func=run_evaluate)

    sweep = commands.add_parser("sweep", help="precompute the book's static denoising widget (JSON)")
    sweep.add_argument("--out", required=True, help="JSON file to write")
    sweep.add_argument("--checkpoint", default=None, help="use this model instead of training one")
    sweep.add_argument(
        "--epochs",
        type=non_negative_int,
        default=NUM_EPOCHS,
        help=f"epochs when training here, ignored with --checkpoint (default: {NUM_EPOCHS})",
    )
    sweep.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the training and the noise (default: 0)"
    )
    sweep.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help=DEVICE_HELP)
    sweep.add_argument("--no-progress", action="store_true", help="no progress bars")
    sweep.set_defaults(func=run_sweep)


def run_train(args: argparse.Namespace) -> int:
    """``denoise train``: train, evaluate, and write checkpoint, metrics, figures and audio.

    Book page: Chapter 2, training.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.core import get_device, seed_everything
    from course_lib.denoise.audio import SAMPLE_RATE, load_corpus, save_audio
    from course_lib.denoise.evaluate import compute_comparison_table, evaluate_denoiser
    from course_lib.denoise.model import LinearDenoiser
    from course_lib.denoise.plot import plot_comparison, plot_history, plot_spectrograms
    from course_lib.denoise.stft import compute_magnitude
    from course_lib.denoise.train import make_training_set, resolve_noises, save_denoiser, train_denoiser

    kinds = resolve_noises(args.noise)
    device = get_device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    show = not args.no_progress
    train_set = load_corpus("train")[: args.train_utterances]
    test_set = load_corpus("test")
    X, y = make_training_set(
        train_set,
        noise=kinds,
        snr_db=args.snr,
        seed=args.seed,
        context=args.context,
        log_compress=args.log_compress,
        device=device,
    )
    print(f"training set: {len(train_set)} utterances x {len(kinds)} noise(s) = {X.shape[0]} frames")
    seed_everything(args.seed)
    model = LinearDenoiser(
        num_hiddens=args.hiddens,
        num_layers=args.layers,
        context=args.context,
        mask=args.mask,
        log_compress=args.log_compress,
    )
    history = train_denoiser(
        model,
        X,
        y,
        num_epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        full_batch=args.full_batch,
        seed=args.seed,
        device=args.device,
        show_progress=show,
    )
    del X, y
    model.cpu()
    settings = {
        "noise": list(kinds),
        "snr_db": list(args.snr),
        "num_epochs": args.epochs,
        "batch_size": args.batch_size,
        "full_batch": args.full_batch,
        "lr": args.lr,
        "seed": args.seed,
    }
    checkpoint = save_denoiser(out / "checkpoint.pt", model, history, **settings)
    evaluation = [
        evaluate_denoiser(model, test_set, noise=kind, snr_db=5.0, seed=args.seed)
        for kind in ("white", "pink")
    ]
    table = compute_comparison_table(
        model,
        test_set,
        seed=args.seed,
        max_utterances=args.table_utterances,
        max_seconds=args.table_seconds,
        show_progress=show,
    )
    metrics = {
        "command": format_command(args.argv),
        "config": {**settings, **model.config()},
        "train_seconds": sum(h["seconds"] for h in history),
        "history": history,
        "evaluation": evaluation,
        "table": table,
    }
    (out / "metrics.json").write_text(_dumps(metrics, indent=1))

    # One held-out utterance with white noise at 5 dB: spectrograms and audio to listen to.
    from course_lib.denoise.noise import make_noisy_pair
    from course_lib.denoise.train import denoise_waveform

    clean = test_set[0].waveform
    noisy, _ = make_noisy_pair(clean, "white", 5.0, seed=args.seed, split="test")
    denoised = denoise_waveform(model, noisy)
    for name, wave in (("clean", clean), ("noisy", noisy), ("denoised", denoised)):
        save_audio(out / f"{name}.wav", wave, SAMPLE_RATE)
    magnitudes = {
        "clean": compute_magnitude(clean),
        "noisy (white, 5 dB)": compute_magnitude(noisy),
        "denoised": compute_magnitude(denoised),
    }
    fig = plot_spectrograms(magnitudes)
    fig.savefig(out / "spectrograms.png", dpi=110)
    plt.close(fig)
    ax = plot_history(history)
    ax.figure.savefig(out / "loss.png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
    ax = plot_comparison(table, metric="si_sdr", snr_db=5.0)
    ax.figure.savefig(out / "comparison.png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
    for row in evaluation:
        print(
            f"{row['noise']} noise at 5 dB: SNR {row['input_snr']:.2f} -> {row['output_snr']:.2f} dB, "
            f"SI-SDR {row['input_si_sdr']:.2f} -> {row['output_si_sdr']:.2f} dB, "
            f"STOI {row['input_stoi']:.3f} -> {row['output_stoi']:.3f}"
        )
    print(f"checkpoint: {checkpoint}")
    print(f"metrics:    {out / 'metrics.json'}")
    print(f"figures:    {out / 'spectrograms.png'}, {out / 'loss.png'}, {out / 'comparison.png'}")
    print(f"listen:     {out / 'clean.wav'}, {out / 'noisy.wav'}, {out / 'denoised.wav'}")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    """``denoise apply IN OUT``: denoise one file, written at the input's sample rate.

    Multi-channel input is mixed to mono. The output must not be the input file,
    and an existing output is replaced only with ``--overwrite``; both are checked
    before any work is done.

    Book page: Chapter 2, summary and exercises.
    """
    import soundfile as sf

    from course_lib.core import get_device
    from course_lib.denoise.audio import load_audio, save_audio
    from course_lib.denoise.train import denoise_waveform, load_denoiser

    source = Path(args.input)
    target = Path(args.output)
    if target.suffix.lower() not in (".wav", ".flac"):
        raise CourseError(f"cannot write {args.output!r}: give an output file ending in .wav or .flac")
    if not source.is_file():
        raise CourseError(f"input file {str(source)!r} not found: give a WAV or FLAC file")
    if target.resolve() == source.resolve() or (target.exists() and target.samefile(source)):
        raise CourseError(
            f"output {args.output!r} is the input file: give another output file name, "
            "so the noisy recording is kept"
        )
    if target.exists() and not args.overwrite:
        raise CourseError(
            f"output file {args.output!r} already exists: give another name, or add --overwrite to replace it"
        )
    model, _ = load_denoiser(args.checkpoint)
    model.to(get_device(args.device))
    try:
        sample_rate = sf.info(str(source)).samplerate
    except Exception as exc:  # noqa: BLE001 - libsndfile raises several types for unreadable files
        raise CourseError(f"could not read {str(source)!r} as audio: give a WAV or FLAC file") from exc
    noisy = load_audio(source, sample_rate=sample_rate)
    denoised = denoise_waveform(model, noisy, sample_rate=sample_rate)
    written = save_audio(args.output, denoised, sample_rate)
    print(f"denoised {source} ({noisy.size / sample_rate:.2f} s at {sample_rate} Hz) -> {written}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """``denoise evaluate``: mean input/output metrics over clean files mixed with noise.

    Book page: Chapter 2, evaluation.
    """
    from course_lib.core import get_device
    from course_lib.denoise.audio import load_audio_dir, load_corpus
    from course_lib.denoise.evaluate import evaluate_denoiser
    from course_lib.denoise.train import load_denoiser, resolve_noises

    kinds = resolve_noises(args.noise) if args.noise != "mix" else ()
    if len(kinds) != 1:
        raise CourseError(
            f"evaluate takes one noise kind, got --noise {args.noise!r}: choose one of white, pink, brown, "
            "babble, hum (run evaluate once per kind)"
        )
    (kind,) = kinds
    model, _ = load_denoiser(args.checkpoint)
    model.to(get_device(args.device))
    utterances = load_audio_dir(args.clean_dir) if args.clean_dir else load_corpus("test")
    result = evaluate_denoiser(model, utterances, noise=kind, snr_db=args.snr, seed=args.seed)
    result["clean"] = args.clean_dir or "embedded corpus (test split)"
    result["checkpoint"] = str(args.checkpoint)
    if args.json:
        print(_dumps(result, indent=1))
    else:
        print(f"{result['num_files']} files, {kind} noise at {args.snr:g} dB:")
        for m, unit in (("snr", "dB"), ("segsnr", "dB"), ("si_sdr", "dB"), ("stoi", "")):
            print(
                f"  {m:7s} {result[f'input_{m}']:7.3f} -> {result[f'output_{m}']:7.3f} {unit:2s} "
                f"({result[f'{m}_improvement']:+.3f})"
            )
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    """``denoise sweep --out FILE``: write the book's static widget data.

    Book page: Chapter 2, "Try it: noise and SNR".
    """
    from course_lib.denoise.sweep import compute_sweep

    data = compute_sweep(
        checkpoint=args.checkpoint,
        num_epochs=args.epochs,
        seed=args.seed,
        device=args.device,
        show_progress=not args.no_progress,
    )
    data["command"] = format_command(args.argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_dumps(data, separators=(",", ":")))
    print(f"sweep: {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0
