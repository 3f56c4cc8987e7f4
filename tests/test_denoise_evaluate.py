"""Chapter 2 evaluation: mean metrics, the comparison table, and its figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from matplotlib.figure import Figure

from course_lib.core import CourseError, seed_everything
from course_lib.denoise.audio import load_corpus
from course_lib.denoise.evaluate import compute_comparison_table, evaluate_denoiser, format_comparison_table
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.plot import plot_comparison, plot_history, plot_spectrogram, plot_spectrograms
from course_lib.denoise.stft import compute_magnitude


@pytest.fixture(scope="module")
def model() -> LinearDenoiser:
    seed_everything(0)
    return LinearDenoiser(num_hiddens=16).eval()


def test_evaluate_denoiser_reports_input_output_and_improvement(model):
    test = load_corpus("test")[:2]
    result = evaluate_denoiser(model, test, noise="pink", snr_db=5.0, seed=1, max_seconds=1.5)
    assert result["num_files"] == 2 and result["noise"] == "pink"
    assert result["input_snr"] == pytest.approx(5.0, abs=0.01)
    for m in ("snr", "segsnr", "si_sdr", "stoi"):
        assert result[f"{m}_improvement"] == pytest.approx(result[f"output_{m}"] - result[f"input_{m}"])
    with pytest.raises(CourseError):
        evaluate_denoiser(model, [], noise="white")


def test_comparison_table_rows_and_oracle_upper_bound(model):
    test = load_corpus("test")
    rows = compute_comparison_table(
        model, test, noises=("white", "hum"), snrs=(0, 10), max_utterances=1, max_seconds=1.5
    )
    assert len(rows) == 2 * 2 * 5
    index = {(r["noise"], r["snr_db"], r["method"]): r for r in rows}
    for noise in ("white", "hum"):
        for snr in (0.0, 10.0):
            assert index[(noise, snr, "noisy")]["snr"] == pytest.approx(snr, abs=0.01)
            assert index[(noise, snr, "oracle_irm")]["si_sdr"] > index[(noise, snr, "noisy")]["si_sdr"]
    text = format_comparison_table(rows)
    assert text.count("\n") == 2 + 4 - 1 and "oracle IRM, SI-SDR (dB)" in text
    single = format_comparison_table(rows, metrics=("stoi",))
    assert single.splitlines()[0] == (
        "| noise | input SNR (dB) | noisy input | spectral subtraction | Wiener filter | this model"
        " | oracle IRM |"
    )
    with pytest.raises(CourseError, match="unknown method"):
        compute_comparison_table(model, test, methods=("magic",))

    ax = plot_comparison(rows, metric="stoi", snr_db=10)
    assert len(ax.patches) == 2 * 5  # 2 noises x 5 methods at 10 dB


def test_plots_return_their_axes_and_figure():
    magnitude = compute_magnitude(torch.rand(8000) - 0.5)
    ax = plot_spectrogram(magnitude, title="noise")
    assert ax.get_title() == "noise" and ax.get_ylim()[1] == pytest.approx(8.0)
    fig = plot_spectrograms({"clean": magnitude, "noisy": magnitude * 2, "denoised": magnitude})
    assert [a.get_title() for a in fig.axes if a.get_title()] == ["clean", "noisy", "denoised"]
    given = Figure()
    assert plot_spectrograms({"clean": magnitude}, fig=given) is given and len(given.axes) >= 1
    with pytest.raises(CourseError, match="no magnitudes"):
        plot_spectrograms({})
    ax = plot_history(
        [{"epoch": 1, "train_loss": 1.0, "val_loss": 2.0}, {"epoch": 2, "train_loss": 0.5, "val_loss": 1.0}]
    )
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"


def test_table_and_plot_cope_with_minus_infinity_and_null():
    import matplotlib.pyplot as plt
    import numpy as np

    rows = [
        {"noise": "white", "snr_db": 5.0, "method": "noisy", "snr": 5.0, "si_sdr": 4.9, "stoi": 0.8},
        {
            "noise": "white",
            "snr_db": 5.0,
            "method": "model",
            "snr": 0.0,
            "si_sdr": float("-inf"),
            "stoi": 0.4,
        },
        {"noise": "pink", "snr_db": 5.0, "method": "noisy", "snr": 5.0, "si_sdr": 5.0, "stoi": 0.8},
        {"noise": "pink", "snr_db": 5.0, "method": "model", "snr": 0.0, "si_sdr": None, "stoi": 0.4},
    ]
    table = format_comparison_table(rows)
    assert "-inf" in table and "n/a" in table
    ax = plot_comparison(rows, metric="si_sdr")
    heights = [p.get_height() for p in ax.patches]
    assert all(np.isfinite(h) or np.isnan(h) for h in heights)
    assert np.isfinite(ax.get_ylim()).all()
    plt.close(ax.figure)
