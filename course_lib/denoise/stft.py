"""Short-time Fourier transform on torch: magnitudes in, waveforms out.

The transform uses a Hann window of ``n_fft = 1024`` samples (513 frequency bins)
and a hop of 256 samples, centred frames with zero padding of ``n_fft // 2`` at
both ends: the same convention as :func:`librosa.stft` (``center=True,
pad_mode="constant"``), so the two agree to rounding error. Everything runs on
the device of the input tensor (a GPU when the caller put the data there).

Used by the book page "Chapter 2: preprocessing" (spectrograms) and "Chapter 2:
inference" (reconstruction from an estimated magnitude and the noisy phase).
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib.core import CourseError

N_FFT = 1024
HOP_LENGTH = 256
NUM_BINS = N_FFT // 2 + 1  # 513

ArrayLike = np.ndarray | torch.Tensor


def _to_tensor(waveform: ArrayLike) -> torch.Tensor:
    """Return ``waveform`` as a floating torch tensor on its own device (float32 for numpy input)."""
    if isinstance(waveform, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32))
    if isinstance(waveform, torch.Tensor):
        if not torch.is_floating_point(waveform):
            return waveform.to(torch.float32)
        return waveform
    raise CourseError(
        f"expected a waveform as a numpy array or torch tensor, got {type(waveform).__name__}: "
        "load audio with course_lib.denoise.load_audio"
    )


def _window(n_fft: int, reference: torch.Tensor) -> torch.Tensor:
    """Periodic Hann window (librosa's ``"hann"``) of the reference tensor's real dtype and device."""
    dtype = reference.real.dtype if torch.is_complex(reference) else reference.dtype
    return torch.hann_window(n_fft, periodic=True, dtype=dtype, device=reference.device)


def compute_stft(waveform: ArrayLike, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> torch.Tensor:
    """Complex STFT of a waveform (Hann window, centred frames with zero padding).

    Matches ``librosa.stft(waveform, n_fft=n_fft, hop_length=hop_length)`` to
    rounding error.

    Args:
        waveform: Shape ``(num_samples,)`` or ``(batch, num_samples)``; numpy
            arrays are converted to float32 tensors, tensors stay on their device.
            A 2-D array with more rows than columns is refused: it is almost
            surely a soundfile-style ``(num_samples, channels)`` recording, not a
            batch of signals shorter than the batch is large.
        n_fft: FFT size (and window length); ``n_fft // 2 + 1`` bins.
        hop_length: Samples between successive frames.

    Returns:
        Complex tensor of shape ``(num_bins, num_frames)`` (or ``(batch, num_bins,
        num_frames)``) with ``num_frames = 1 + num_samples // hop_length``.

    Raises:
        CourseError: if the waveform is not 1-D or 2-D, is empty, or looks like
            ``(num_samples, channels)``.

    Book page: Chapter 2, preprocessing.
    """
    x = _to_tensor(waveform)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise CourseError(
            f"compute_stft expects a non-empty waveform of shape (num_samples,) or (batch, num_samples), "
            f"got shape {tuple(x.shape)}: mix stereo to mono first, e.g. x.mean(axis=1), or use load_audio"
        )
    if x.ndim == 2 and x.shape[0] > x.shape[1]:
        raise CourseError(
            f"compute_stft got shape {tuple(x.shape)}, which looks like (num_samples, channels) as soundfile "
            "returns it, not (batch, num_samples): mix to mono, e.g. x.mean(axis=1), or use load_audio"
        )
    return torch.stft(
        x,
        n_fft=n_fft,
        hop_length=hop_length,
        window=_window(n_fft, x),
        center=True,
        pad_mode="constant",
        return_complex=True,
    )


def compute_istft(
    stft: torch.Tensor, hop_length: int = HOP_LENGTH, length: int | None = None
) -> torch.Tensor:
    """Inverse of :func:`compute_stft` (overlap-add with the same Hann window).

    Args:
        stft: Complex tensor ``(num_bins, num_frames)`` or ``(batch, num_bins, num_frames)``;
            ``n_fft`` is taken as ``2 * (num_bins - 1)``.
        hop_length: The hop used for the forward transform.
        length: Number of samples to return (the original length); ``None`` gives
            ``hop_length * (num_frames - 1)``.

    Returns:
        Real tensor ``(num_samples,)`` (or ``(batch, num_samples)``) on the input's device.

    Raises:
        CourseError: if ``stft`` is not a complex 2-D or 3-D tensor.

    Book page: Chapter 2, inference.
    """
    if not isinstance(stft, torch.Tensor):
        stft = torch.from_numpy(np.asarray(stft))
    if not torch.is_complex(stft) or stft.ndim not in (2, 3):
        raise CourseError(
            f"compute_istft expects a complex tensor (num_bins, num_frames), got dtype {stft.dtype} and "
            f"shape {tuple(stft.shape)}: pass the output of compute_stft"
        )
    n_fft = 2 * (stft.shape[-2] - 1)
    return torch.istft(
        stft,
        n_fft=n_fft,
        hop_length=hop_length,
        window=_window(n_fft, stft),
        center=True,
        length=length,
    )


def compute_magnitude(waveform: ArrayLike, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> torch.Tensor:
    """Magnitude spectrogram ``|STFT|`` of a waveform.

    Args:
        waveform: Shape ``(num_samples,)`` or ``(batch, num_samples)`` (not a
            ``(num_samples, channels)`` recording: see :func:`compute_stft`).
        n_fft: FFT size.
        hop_length: Samples between frames.

    Returns:
        Float32 tensor ``(num_bins, num_frames)`` (or batched), non-negative.

    Raises:
        CourseError: for the waveforms :func:`compute_stft` refuses.

    Book page: Chapter 2, preprocessing.
    """
    return compute_stft(waveform, n_fft=n_fft, hop_length=hop_length).abs().to(torch.float32)


def compute_phase(waveform: ArrayLike, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> torch.Tensor:
    """Phase ``angle(STFT)`` in radians, shape ``(num_bins, num_frames)``.

    Book page: Chapter 2, preprocessing.
    """
    return torch.angle(compute_stft(waveform, n_fft=n_fft, hop_length=hop_length))


def reconstruct_waveform(
    magnitude: ArrayLike,
    noisy_stft: torch.Tensor,
    length: int | None = None,
    hop_length: int = HOP_LENGTH,
) -> torch.Tensor:
    """Waveform from an estimated magnitude and the phase of the noisy STFT.

    Computes ``istft(magnitude * exp(i * angle(noisy_stft)))``: the estimated
    magnitude with the noisy phase, as the reference denoiser does.

    Args:
        magnitude: Non-negative ``(num_bins, num_frames)`` (or batched) estimate;
            numpy or torch, moved to ``noisy_stft``'s device.
        noisy_stft: Complex ``(num_bins, num_frames)`` STFT of the noisy waveform.
        length: Number of output samples (the noisy waveform's length).
        hop_length: The hop used for ``noisy_stft``.

    Returns:
        Real tensor ``(num_samples,)`` (or ``(batch, num_samples)``).

    Raises:
        CourseError: if the shapes of ``magnitude`` and ``noisy_stft`` differ.

    Book page: Chapter 2, inference.
    """
    mag = _to_tensor(magnitude) if isinstance(magnitude, np.ndarray) else magnitude
    if not isinstance(noisy_stft, torch.Tensor):
        noisy_stft = torch.from_numpy(np.asarray(noisy_stft))
    if tuple(mag.shape) != tuple(noisy_stft.shape):
        raise CourseError(
            f"magnitude shape {tuple(mag.shape)} differs from the noisy STFT's {tuple(noisy_stft.shape)}: "
            "estimate one magnitude per bin and frame of compute_stft(noisy)"
        )
    mag = mag.to(device=noisy_stft.device, dtype=noisy_stft.real.dtype)
    phase = torch.angle(noisy_stft)
    return compute_istft(torch.polar(mag, phase), hop_length=hop_length, length=length)
