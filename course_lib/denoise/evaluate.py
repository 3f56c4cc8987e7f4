"""Evaluation of the denoiser: input and output SNR, SI-SDR and STOI, and the comparison table.

Every clean utterance is mixed with seeded noise at the requested input SNR;
the metrics of the noisy mixture (the input) and of the denoised output are
averaged over the utterances. The comparison table does the same for the
classical baselines (spectral subtraction, Wiener filter) and the oracle ideal
ratio mask, per noise kind and input SNR.

Used by the book page "Chapter 2: evaluation" (metrics and the comparison table).

An output with no energy (silence) scores an SI-SDR of ``-inf`` dB, and so does
the mean over utterances that includes one; JSON writers should pass results
through :func:`course_lib.denoise.metrics.json_safe` (the command line does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from course_lib.core import CourseError, progress
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.train import SAMPLE_RATE, _waveform_of, denoise_waveform

# Names of the methods and metrics in tables and plots.
METHOD_LABELS = {
    "noisy": "noisy input",
    "spectral_subtraction": "spectral subtraction",
    "wiener": "Wiener filter",
    "model": "this model",
    "oracle_irm": "oracle IRM",
}
METRIC_LABELS = {"snr": "SNR (dB)", "segsnr": "segmental SNR (dB)", "si_sdr": "SI-SDR (dB)", "stoi": "STOI"}

METRICS = ("snr", "segsnr", "si_sdr", "stoi")
METHODS = ("noisy", "spectral_subtraction", "wiener", "model", "oracle_irm")
TABLE_NOISES = ("white", "pink", "brown", "babble", "hum")
TABLE_SNRS = (0.0, 5.0, 10.0)


def _prepare(
    utterances: Sequence[Any], max_utterances: int | None, max_seconds: float | None, sample_rate: int
):
    """Clean waveforms of the first ``max_utterances`` utterances, cropped to ``max_seconds``."""
    if len(utterances) == 0:
        raise CourseError("no utterances to evaluate on: pass load_corpus('test') or a folder of WAV files")
    chosen = list(utterances)[:max_utterances] if max_utterances else list(utterances)
    cleans = []
    for item in chosen:
        clean = _waveform_of(item)
        if max_seconds:
            clean = clean[: int(max_seconds * sample_rate)]
        if clean.size == 0 or not np.any(clean):
            raise CourseError("an utterance to evaluate on is empty or silent: remove it from the folder")
        cleans.append(clean)
    return cleans


def _mix(clean: np.ndarray, noise: str, snr_db: float, seed: int, sample_rate: int) -> np.ndarray:
    """Noisy version of ``clean``; babble talkers come from the held-out (test) voices."""
    from course_lib.denoise.noise import make_noisy_pair

    noisy, _ = make_noisy_pair(clean, noise, snr_db, seed=seed, sample_rate=sample_rate, split="test")
    return noisy


def evaluate_denoiser(
    model: LinearDenoiser,
    utterances: Sequence[Any],
    noise: str = "white",
    snr_db: float = 5.0,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    max_utterances: int | None = None,
    max_seconds: float | None = None,
    show_progress: bool = False,
) -> dict:
    """Mean input and output metrics of the denoiser over clean utterances mixed with noise.

    Utterance ``i`` is mixed with noise seeded ``seed + i`` (babble talkers from
    the corpus's test voices), denoised, and scored against its clean version.

    Args:
        model: A trained :class:`LinearDenoiser`.
        utterances: Clean utterances (:class:`~course_lib.denoise.audio.Utterance`)
            or 1-D waveforms at ``sample_rate``.
        noise: Noise kind (see :data:`course_lib.denoise.noise.NOISE_KINDS`).
        snr_db: Input SNR in dB.
        seed: Base noise seed.
        sample_rate: Rate of the waveforms.
        max_utterances: Use only the first this many utterances (``None``: all).
        max_seconds: Crop each utterance to this many seconds (``None``: whole).
        show_progress: Show a tqdm bar over the utterances.

    Returns:
        A dict with ``noise``, ``snr_db``, ``num_files``, and for every metric
        ``m`` in snr, segsnr, si_sdr, stoi: ``input_m`` (noisy), ``output_m``
        (denoised) and ``m_improvement`` (output minus input), all means. A silent
        output makes ``output_si_sdr`` ``-inf`` (not JSON: see
        :func:`course_lib.denoise.metrics.json_safe`).

    Raises:
        CourseError: if there are no utterances or the noise kind is unknown.

    Book page: Chapter 2, "Evaluation: SNR and a comparison with classical methods".
    """
    from course_lib.denoise.metrics import compute_metrics

    cleans = _prepare(utterances, max_utterances, max_seconds, sample_rate)
    inputs, outputs = [], []
    for i, clean in enumerate(progress(cleans, enabled=show_progress, desc=f"{noise} {snr_db:g} dB")):
        noisy = _mix(clean, noise, snr_db, seed + i, sample_rate)
        denoised = denoise_waveform(model, noisy, sample_rate=sample_rate)
        inputs.append(compute_metrics(clean, noisy, sample_rate))
        outputs.append(compute_metrics(clean, denoised, sample_rate))
    result: dict[str, Any] = {"noise": noise, "snr_db": float(snr_db), "num_files": len(cleans)}
    for m in METRICS:
        before = float(np.mean([r[m] for r in inputs]))
        after = float(np.mean([r[m] for r in outputs]))
        result[f"input_{m}"] = before
        result[f"output_{m}"] = after
        result[f"{m}_improvement"] = after - before
    return result


def _methods(
    model: LinearDenoiser, sample_rate: int
) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """Each table method as ``f(clean, noisy) -> estimate`` (only the oracle looks at ``clean``)."""
    from course_lib.denoise.baselines import oracle_irm, spectral_subtraction, wiener_filter

    return {
        "noisy": lambda clean, noisy: noisy,
        "spectral_subtraction": lambda clean, noisy: spectral_subtraction(noisy, sample_rate),
        "wiener": lambda clean, noisy: wiener_filter(noisy, sample_rate),
        "model": lambda clean, noisy: denoise_waveform(model, noisy, sample_rate=sample_rate),
        "oracle_irm": lambda clean, noisy: oracle_irm(clean, noisy),
    }


def compute_comparison_table(
    model: LinearDenoiser,
    utterances: Sequence[Any],
    noises: Sequence[str] = TABLE_NOISES,
    snrs: Sequence[float] = TABLE_SNRS,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    max_utterances: int | None = 6,
    max_seconds: float | None = 4.0,
    methods: Sequence[str] = METHODS,
    show_progress: bool = False,
) -> list[dict]:
    """The comparison table: every method on every noise kind and input SNR.

    Methods: the noisy input itself, spectral subtraction and the Wiener filter
    (noise estimated from the noisy signal), this model, and the oracle ideal
    ratio mask (it knows the clean speech: an oracle reference for magnitude
    masking with the noisy phase). To keep it quick, by default the first 6 utterances,
    cropped to 4 seconds, are used; every method sees the same mixtures.

    Args:
        model: A trained :class:`LinearDenoiser`.
        utterances: Clean test utterances or waveforms at ``sample_rate``.
        noises: Noise kinds (rows).
        snrs: Input SNRs in dB.
        seed: Base noise seed (utterance ``i`` uses ``seed + i``).
        sample_rate: Rate of the waveforms.
        max_utterances: Use only the first this many utterances (``None``: all).
        max_seconds: Crop each utterance to this many seconds (``None``: whole).
        methods: Subset of :data:`METHODS` to compute.
        show_progress: Show a tqdm bar over the conditions.

    Returns:
        One dict per (noise, snr_db, method) with the means ``snr``, ``segsnr``,
        ``si_sdr``, ``stoi`` and ``num_files``.

    Raises:
        CourseError: if there are no utterances or a method or noise is unknown.

    Book page: Chapter 2, "Evaluation: SNR and a comparison with classical methods".
    """
    from course_lib.denoise.metrics import compute_metrics

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise CourseError(f"unknown method(s) {unknown}: choose from {', '.join(METHODS)}")
    cleans = _prepare(utterances, max_utterances, max_seconds, sample_rate)
    functions = _methods(model, sample_rate)
    conditions = [(noise, float(snr)) for noise in noises for snr in snrs]
    rows = []
    for noise, snr in progress(conditions, enabled=show_progress, desc="comparison", unit="condition"):
        scores: dict[str, list[dict]] = {m: [] for m in methods}
        for i, clean in enumerate(cleans):
            noisy = _mix(clean, noise, snr, seed + i, sample_rate)
            for method in methods:
                estimate = np.asarray(functions[method](clean, noisy), dtype=np.float32)
                scores[method].append(compute_metrics(clean, estimate, sample_rate))
        for method in methods:
            row: dict[str, Any] = {"noise": noise, "snr_db": snr, "method": method}
            for m in METRICS:
                row[m] = float(np.mean([s[m] for s in scores[method]]))
            row["num_files"] = len(cleans)
            rows.append(row)
    return rows


def format_comparison_table(rows: Sequence[dict], metrics: Sequence[str] = ("snr", "si_sdr", "stoi")) -> str:
    """The comparison table as Markdown: one line per noise and SNR, one column per method and metric.

    Columns are named by :data:`METHOD_LABELS` (and :data:`METRIC_LABELS` when
    there is more than one metric).

    Book page: Chapter 2, "Evaluation: SNR and a comparison with classical methods".

    Args:
        rows: Rows of :func:`compute_comparison_table`.
        metrics: Metric keys, one group of method columns each.

    Returns:
        A Markdown table (display it with ``IPython.display.Markdown``).
    """
    methods = list(dict.fromkeys(r["method"] for r in rows))

    def column(method: str, metric: str) -> str:
        label = METHOD_LABELS.get(method, method)
        return label if len(metrics) == 1 else f"{label}, {METRIC_LABELS.get(metric, metric)}"

    header = ["noise", "input SNR (dB)"] + [column(m, k) for k in metrics for m in methods]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    conditions = list(dict.fromkeys((r["noise"], r["snr_db"]) for r in rows))
    index = {(r["noise"], r["snr_db"], r["method"]): r for r in rows}
    for noise, snr in conditions:
        cells = [noise, f"{snr:g}"]
        for k in metrics:
            for m in methods:
                value = index[(noise, snr, m)][k]
                cells.append("n/a" if value is None else f"{value:.2f}")  # None: a non-finite value via JSON
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
