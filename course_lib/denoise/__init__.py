# ruff: noqa: F401  (this file re-exports the public names of the sub-modules)
"""Chapter 2: audio denoising with a linear model on STFT magnitudes.

Modules: :mod:`~course_lib.denoise.stft` (STFT on torch), :mod:`~course_lib.denoise.audio`
(audio files and the embedded speech corpus), :mod:`~course_lib.denoise.noise`
(noise generation and mixing at an SNR), :mod:`~course_lib.denoise.metrics`
(SNR, segmental SNR, SI-SDR, STOI) and :mod:`~course_lib.denoise.baselines`
(spectral subtraction, Wiener filter, oracle ideal ratio mask), :mod:`~course_lib.denoise.model`
(``LinearDenoiser``), :mod:`~course_lib.denoise.train` (frames, training, denoising),
:mod:`~course_lib.denoise.evaluate` (metrics over a corpus, the comparison table),
:mod:`~course_lib.denoise.plot`, :mod:`~course_lib.denoise.sweep` (the book widget's data) and
:mod:`~course_lib.denoise.cli`.
"""

from course_lib.denoise.audio import (
    SAMPLE_RATE,
    Utterance,
    load_audio,
    load_audio_dir,
    load_corpus,
    load_corpus_manifest,
    load_librosa_example,
    play_audio,
    save_audio,
)
from course_lib.denoise.baselines import estimate_noise_psd, oracle_irm, spectral_subtraction, wiener_filter
from course_lib.denoise.evaluate import compute_comparison_table, evaluate_denoiser
from course_lib.denoise.metrics import (
    compute_metrics,
    compute_segmental_snr,
    compute_si_sdr,
    compute_snr,
    compute_stoi,
)
from course_lib.denoise.model import LinearDenoiser
from course_lib.denoise.noise import NOISE_KINDS, make_noise, make_noisy_pair, mix_at_snr, scale_noise_to_snr
from course_lib.denoise.plot import plot_comparison, plot_history, plot_spectrogram, plot_spectrograms
from course_lib.denoise.stft import (
    HOP_LENGTH,
    N_FFT,
    NUM_BINS,
    compute_istft,
    compute_magnitude,
    compute_phase,
    compute_stft,
    reconstruct_waveform,
)
from course_lib.denoise.sweep import compute_sweep
from course_lib.denoise.train import (
    denoise_waveform,
    load_denoiser,
    make_frames,
    make_training_set,
    save_denoiser,
    train_denoiser,
    train_step,
)
