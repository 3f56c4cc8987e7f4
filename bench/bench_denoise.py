"""Benchmark: time for the Chapter 2 denoiser to reach a target training loss.

Three ways to train the same ``LinearDenoiser`` (same initial weights, same
frames: training utterances of the embedded corpus mixed with white noise at
5 dB, as in the reference) in ONE process, one after the other:

1. ``straightforward``: what a first implementation does. Every epoch
   recomputes the STFTs of the noisy and clean waveforms with librosa (numpy),
   converts the magnitudes to tensors, and makes one full-batch update with
   plain Adam (no fused kernel).
2. ``precomputed full batch``: frames computed once and kept on the device,
   fused Adam, one full-batch update per epoch (the reference schedule).
3. ``train_denoiser default``: the same precomputed frames, fused Adam,
   mini-batches of 256 (the package's default schedule).

The target loss is the lowest training loss the straightforward loop reaches
within its time budget (``--budget`` seconds), so its time to the target is its
whole budget; the other two stop as soon as their epoch loss is at or below the
target (or at the same budget). Reported: seconds to the target and the ratio.

    python bench/bench_denoise.py [--utterances 12] [--budget 120] [--device auto]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time

import librosa
import numpy as np
import torch

from course_lib.core import get_device, seed_everything
from course_lib.denoise.audio import load_corpus
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.noise import make_noisy_pair
from course_lib.denoise.stft import HOP_LENGTH, N_FFT
from course_lib.denoise.train import make_training_set, train_denoiser


def run_straightforward(model, pairs, lr, budget, device):
    """Full-batch Adam with librosa STFTs recomputed every epoch; returns [(seconds, loss)]."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, foreach=False, fused=False)
    curve = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        inputs, targets = [], []
        for noisy, clean in pairs:
            inputs.append(np.abs(librosa.stft(noisy, n_fft=N_FFT, hop_length=HOP_LENGTH)).T)
            targets.append(np.abs(librosa.stft(clean, n_fft=N_FFT, hop_length=HOP_LENGTH)).T)
        X = torch.from_numpy(np.concatenate(inputs)).to(device)
        y = torch.from_numpy(np.concatenate(targets)).to(device)
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        curve.append((time.perf_counter() - start, float(loss.item())))
    return curve


def run_fast(model, X, y, target, budget, device, full_batch):
    """train_denoiser until the epoch loss is <= target or the budget is spent."""
    start = time.perf_counter()

    def stop(record):
        return record["train_loss"] <= target or time.perf_counter() - start >= budget

    history = train_denoiser(
        model,
        X,
        y,
        num_epochs=10**6,
        full_batch=full_batch,
        device=device,
        show_progress=False,
        callback=stop,
    )
    return [(h["seconds"], h["train_loss"]) for h in history]


def seconds_to(curve, target):
    """First time at which the loss is <= target (None if never)."""
    return next((t for t, loss in curve if loss <= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=12, help="training utterances used")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds allowed per variant")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = get_device(args.device)
    utterances = load_corpus("train")[: args.utterances]
    pairs = []
    for i, u in enumerate(utterances):
        noisy, _ = make_noisy_pair(u.waveform, "white", 5.0, seed=i)
        pairs.append((noisy, u.waveform))
    X, y = make_training_set([u.waveform for u in utterances], noise="white", snr_db=5.0, seed=0)
    # Same noise as the straightforward loop's pairs: with seed 0, mixture i gets noise seed i.
    X_check = torch.cat(
        [torch.from_numpy(np.abs(librosa.stft(n, n_fft=N_FFT, hop_length=HOP_LENGTH)).T) for n, _ in pairs]
    )
    assert torch.allclose(X, X_check, atol=1e-3, rtol=1e-4), "both variants must train on the same frames"
    seed_everything(0)
    initial = LinearDenoiser()

    results = {}
    curve = run_straightforward(copy.deepcopy(initial).to(device), pairs, args.lr, args.budget, device)
    target = min(loss for _, loss in curve)
    base = seconds_to(curve, target)
    results["straightforward"] = {"epochs": len(curve), "seconds": base, "final_loss": target}
    for name, full_batch in (("precomputed full batch", True), ("train_denoiser default", False)):
        fast = run_fast(copy.deepcopy(initial), X, y, target, args.budget, args.device, full_batch)
        results[name] = {"epochs": len(fast), "seconds": fast[-1][0], "final_loss": fast[-1][1]}
        results[name]["speed_up"] = base / fast[-1][0] if fast[-1][1] <= target else None
    summary = {
        "command": "python bench/bench_denoise.py "
        + " ".join(
            f"--{k} {v}"
            for k, v in (("utterances", args.utterances), ("budget", args.budget), ("device", args.device))
        ),
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "frames": int(X.shape[0]),
        "target_loss": target,
        "results": results,
    }
    print(json.dumps(summary, indent=1))
    print(
        f"target loss {target:.4f} (lowest loss of the straightforward loop in {args.budget:g} s), "
        f"{X.shape[0]} frames"
    )
    for name, r in results.items():
        reached = r["final_loss"] <= target
        ratio = base / r["seconds"] if reached else float("nan")
        print(
            f"{name:24s} {r['epochs']:6d} epochs  {r['seconds']:7.1f} s  loss {r['final_loss']:.4f}  "
            f"{'reached' if reached else 'NOT reached'}  speed-up x{ratio:.1f}"
        )


if __name__ == "__main__":
    main()
