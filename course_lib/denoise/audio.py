"""Audio files and the embedded speech corpus.

Reading goes through soundfile (WAV, FLAC, OGG and the other formats of
libsndfile); any sample rate is resampled to :data:`SAMPLE_RATE` with
:func:`librosa.resample` (soxr), and several channels are averaged to mono. The
embedded corpus is synthetic speech shipped inside the package
(``course_lib/data/speech``, see its ``PROVENANCE.md``), split into train and
test by sentence and by voice.

Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms" (the corpus,
loading, listening); :func:`play_audio` serves every Chapter 2 page with players.
"""

from __future__ import annotations

import csv
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import librosa
import numpy as np
import soundfile as sf

from course_lib.core import CourseError

if TYPE_CHECKING:
    from IPython.display import Audio

SAMPLE_RATE = 16000
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
CORPUS_SPLITS = ("train", "test", "all")


@dataclass
class Utterance:
    """One recording: its waveform and where it came from.

    Attributes:
        waveform: Float32 mono samples ``(num_samples,)`` at the loader's sample rate.
        file: File name (inside the corpus folder, or the user's path).
        voice: Speaker or synthesizer voice name (the file's stem for user folders).
        text: What is said ("" when unknown).
        split: ``"train"``, ``"test"`` or ``"user"``.
    """

    waveform: np.ndarray
    file: str
    voice: str
    text: str
    split: str


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read an audio file as mono float32 at ``sample_rate``.

    Args:
        path: A WAV, FLAC or OGG file (any sample rate, any number of channels).
        sample_rate: Rate to resample to (Hz).

    Returns:
        Float32 array ``(num_samples,)``; channels are averaged.

    Raises:
        CourseError: if the file is missing, not audio, or has no samples.

    Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms".
    """
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"audio file {str(path)!r} not found: check the path (WAV, FLAC or OGG files)")
    try:
        data, file_rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001 - libsndfile raises several types for unreadable files
        raise CourseError(
            f"could not read {str(path)!r} as audio ({type(exc).__name__}): "
            "give a WAV, FLAC or OGG file (convert others, e.g. with 'sox in.mp3 out.wav')"
        ) from exc
    if data.shape[0] == 0:
        raise CourseError(f"audio file {str(path)!r} has no samples: record or export it again")
    waveform = data.mean(axis=1, dtype=np.float32)
    if file_rate != sample_rate:
        waveform = librosa.resample(waveform, orig_sr=file_rate, target_sr=sample_rate)
    return np.ascontiguousarray(waveform, dtype=np.float32)


def save_audio(path: str | Path, waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write a mono waveform as WAV (float32) or FLAC (16-bit), chosen by the suffix.

    Args:
        path: Output file ending in ``.wav`` or ``.flac`` (its folder is created).
        waveform: Samples ``(num_samples,)`` in [-1, 1] (numpy or torch).
        sample_rate: Sample rate to record in the file (Hz).

    Returns:
        The path written.

    Raises:
        CourseError: for another suffix or a waveform that is not 1-D.

    Book page: Chapter 2, "Inference: back to a waveform" (``denoise apply`` on the
    command line writes the denoised speech with it).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".wav", ".flac"):
        raise CourseError(f"cannot write {str(path)!r}: use a .wav or .flac file name")
    if hasattr(waveform, "detach"):
        waveform = waveform.detach().cpu().numpy()
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.ndim != 1:
        raise CourseError(f"save_audio expects a mono waveform (num_samples,), got shape {waveform.shape}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".flac":
        sf.write(path, np.clip(waveform, -1.0, 1.0), sample_rate, subtype="PCM_16")
    else:
        sf.write(path, waveform, sample_rate, subtype="FLOAT")
    return path


def as_mono(x: Any, name: str, dtype: type = np.float64) -> np.ndarray:
    """``x`` (array, list or tensor) as a 1-D array, or a CourseError naming ``name`` if it is not.

    Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms".

    Args:
        x: Mono samples ``(num_samples,)``.
        name: What ``x`` is, for the error message (e.g. ``"clean signal"``).
        dtype: Data type of the returned array.

    Returns:
        ``(num_samples,)`` array of ``dtype``.

    Raises:
        CourseError: if ``x`` is not 1-D (e.g. a soundfile ``(num_samples, channels)`` array).
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 1:
        raise CourseError(
            f"the {name} must be a mono waveform (num_samples,), got shape {x.shape}: mix it to mono, "
            "e.g. x.mean(axis=1) for a soundfile (num_samples, channels) array, or use load_audio"
        )
    return x


def play_audio(waveform: Any, sample_rate: int = SAMPLE_RATE, normalize: bool = False) -> Audio:
    """An audio player for a notebook or book page, with the waveform embedded as WAV data.

    By default the samples are clipped to [-1, 1], as a WAV file would store them,
    and not normalized, so players of the same page compare in loudness (a
    denoised signal sounds as loud as it really is).

    Args:
        waveform: Mono samples ``(num_samples,)`` (numpy array, list or torch tensor).
        sample_rate: Sample rate of the waveform (Hz).
        normalize: Scale the loudest sample to full scale instead of clipping.

    Returns:
        An :class:`IPython.display.Audio` object (display it, or let it be the cell's value).

    Raises:
        CourseError: if the waveform is not 1-D, is empty, or the sample rate is not positive.

    Book pages: Chapter 2, "Preprocessing: speech, noise and spectrograms",
    "Inference: back to a waveform", "Listening" and "Try it: noise and SNR" (the
    live widget).
    """
    from IPython.display import Audio

    waveform = as_mono(waveform, "waveform to play", np.float32)
    if waveform.size == 0:
        raise CourseError("play_audio got an empty waveform (0 samples): check how it was cut or loaded")
    if sample_rate <= 0:
        raise CourseError(f"sample_rate must be a positive number of Hz, got {sample_rate}")
    if not normalize:
        waveform = np.clip(waveform, -1.0, 1.0)
    return Audio(waveform, rate=int(sample_rate), normalize=normalize)


def get_corpus_dir() -> Path:
    """Folder of the embedded speech corpus (inside the installed package).

    Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms".
    """
    return Path(str(importlib.resources.files("course_lib") / "data" / "speech"))


def load_corpus_manifest() -> list[dict[str, str]]:
    """Rows of the embedded corpus's ``manifest.csv`` (``file, voice, text, split, seconds``).

    Raises:
        CourseError: if the corpus is missing from the installation.

    Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms".
    """
    manifest = get_corpus_dir() / "manifest.csv"
    if not manifest.is_file():
        raise CourseError(
            f"the embedded speech corpus is missing ({manifest} not found): reinstall course_lib "
            "('pip install -e .') or regenerate it with 'make corpus'"
        )
    with open(manifest, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_corpus(split: str = "train", sample_rate: int = SAMPLE_RATE) -> list[Utterance]:
    """Load the embedded synthetic speech corpus.

    The train and test splits share neither sentences nor voices, so the test
    split measures how a denoiser does on unheard speakers and words.

    Args:
        split: ``"train"``, ``"test"`` or ``"all"``.
        sample_rate: Rate to resample to (the corpus is stored at 16 kHz).

    Returns:
        The utterances, in manifest order.

    Raises:
        CourseError: for an unknown split or a missing corpus.

    Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms".
    """
    if split not in CORPUS_SPLITS:
        raise CourseError(f"unknown corpus split {split!r}: choose one of {', '.join(CORPUS_SPLITS)}")
    folder = get_corpus_dir()
    return [
        Utterance(
            waveform=load_audio(folder / row["file"], sample_rate=sample_rate),
            file=row["file"],
            voice=row["voice"],
            text=row["text"],
            split=row["split"],
        )
        for row in load_corpus_manifest()
        if split == "all" or row["split"] == split
    ]


def load_audio_dir(path: str | Path, sample_rate: int = SAMPLE_RATE) -> list[Utterance]:
    """Load every WAV, FLAC and OGG file of a folder (not recursive), sorted by name.

    Args:
        path: The folder.
        sample_rate: Rate to resample to.

    Returns:
        One :class:`Utterance` per file, with ``split="user"`` and the file stem as voice.

    Raises:
        CourseError: if the folder is missing or holds no audio file, or a file is unreadable.

    Book page: Chapter 2, "Evaluation: SNR and a comparison with classical methods"
    (``denoise evaluate --clean-dir`` on your own recordings).
    """
    path = Path(path)
    if not path.is_dir():
        raise CourseError(f"audio folder {str(path)!r} not found: give a folder of WAV/FLAC files")
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise CourseError(f"no WAV, FLAC or OGG files in {str(path)!r}: put your recordings there")
    return [
        Utterance(waveform=load_audio(p, sample_rate), file=str(p), voice=p.stem, text="", split="user")
        for p in files
    ]


def load_librosa_example(name: str = "libri1", sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One of librosa's example recordings (e.g. ``"libri1"``, ``"libri2"``, ``"libri3"``).

    The first call downloads the file (librosa keeps it in its cache folder, see
    ``LIBROSA_DATA_DIR``); later calls work offline.

    Args:
        name: A key of :func:`librosa.util.list_examples`.
        sample_rate: Rate to resample to.

    Returns:
        Float32 mono waveform ``(num_samples,)``.

    Raises:
        CourseError: if the example is unknown or cannot be downloaded (offline).

    Book page: Chapter 2, "Preprocessing: speech, noise and spectrograms" (real
    recordings, for your own experiments).
    """
    try:
        file = librosa.ex(name)
    except Exception as exc:  # noqa: BLE001 - pooch/requests raise many types when offline
        raise CourseError(
            f"librosa example {name!r} is unavailable ({type(exc).__name__}: {exc}): it is downloaded once "
            "and then cached, so connect to the internet for the first use, or use the embedded corpus "
            "(load_corpus) or your own files (load_audio_dir)"
        ) from exc
    return load_audio(file, sample_rate=sample_rate)
