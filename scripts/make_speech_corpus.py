"""Synthesize the embedded speech corpus of Chapter 2 with espeak-ng (maintainers only).

Run from the repository root (``make corpus``)::

    .venv/bin/python scripts/make_speech_corpus.py

It needs the ``espeak-ng`` program (Debian package ``espeak-ng``); nothing at run
time does. Each sentence below is spoken by espeak-ng with one of several voices
(an accent plus a voice variant), a speed and a pitch; the 22.05 kHz output is
trimmed of leading and trailing silence, resampled to 16 kHz (librosa, soxr),
peak-normalized to -1 dBFS and written as 16-bit mono FLAC to
``course_lib/data/speech`` with ``manifest.csv`` and ``PROVENANCE.md``.

The split is by sentence AND by voice: the test sentences and the test voices
never occur in the train split, so test scores measure unheard words and
speakers. Everything (sentences, voice assignment, speeds, pitches) is fixed or
drawn from a seeded generator, so two runs with the same espeak-ng version give
the same manifest and audio.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "course_lib" / "data" / "speech"
SAMPLE_RATE = 16000
PEAK_DBFS = -1.0
TRIM_TOP_DB = 40  # silence threshold below the peak for trimming the ends
PAD_SECONDS = 0.1  # silence kept at each end after trimming
SEED = 2024
SPEED_RANGE = (140, 185)  # words per minute (espeak-ng -s)
PITCH_RANGE = (35, 65)  # espeak-ng -p, 0-99 (50 is the voice's default)

# Voices are "accent+variant" as espeak-ng's -v option takes them. Accents and
# variants of the test voices never appear in a train voice.
TRAIN_VOICES = (
    "en-us+m1",
    "en-us+f2",
    "en-gb+m3",
    "en-gb+f4",
    "en-gb-x-rp+m7",
    "en-gb-x-rp+f5",
    "en-gb-scotland+f1",
    "en-029+m2",
)
TEST_VOICES = (
    "en-us-nyc+m4",
    "en-gb-x-gbclan+f3",
    "en-gb-x-gbcwmd+m6",
)
VOICES_PER_TRAIN_SENTENCE = 2
VOICES_PER_TEST_SENTENCE = 2

# Plain sentences written for this corpus (in the manner of phonetically varied
# test sentences); the project releases them with the audio under CC0.
TRAIN_SENTENCES = (
    "The quiet river carried small boats past the old mill.",
    "A cold wind swept the dry leaves across the yard.",
    "She placed the blue cup on the edge of the table.",
    "The farmer checked the fence before the storm arrived.",
    "Bright lamps lit the narrow street after sunset.",
    "He painted the wooden gate a deep shade of green.",
    "The children counted the ducks on the pond twice.",
    "Fresh bread was sold at the corner shop each morning.",
    "A thin layer of frost covered the car windows.",
    "The clock in the hall struck nine and then stopped.",
    "We packed the tent, the stove and a map of the hills.",
    "The baker dusted the loaves with a little flour.",
    "A gray cat slept all day on the warm step.",
    "The train left the station five minutes late.",
    "Heavy rain filled the ditch beside the road.",
    "The teacher wrote the date at the top of the board.",
    "Our neighbor grows tomatoes and beans in tall pots.",
    "The old map showed a path through the marsh.",
    "A loud bell rang when the doors began to close.",
    "He tied the rope twice around the metal post.",
    "The soup tasted better on the second day.",
    "Ten sheep rested in the shade of the oak tree.",
    "The letter arrived with a torn corner and no stamp.",
    "She tuned the guitar before the concert began.",
    "The kite rose high above the sandy beach.",
    "Wet boots were left by the back door to dry.",
    "A sharp knife makes the work quick and safe.",
    "The bridge was closed while the workers fixed the rail.",
    "Smoke from the chimney curled into the pale sky.",
    "The library keeps its rare books in a locked room.",
)
TEST_SENTENCES = (
    "The glass jar held buttons of every color.",
    "A faint light glowed in the window of the cabin.",
    "The dog barked at the mail van every afternoon.",
    "Warm tea and toast make a simple breakfast.",
    "The sailor pulled the wet net onto the deck.",
    "A red truck waited at the end of the drive.",
    "The garden gate creaked when the wind blew.",
    "She read the recipe aloud while he stirred the pot.",
    "The hikers rested on a flat rock near the stream.",
    "Two owls called to each other in the dark woods.",
    "The price of apples rose after the late frost.",
    "He swept the floor and opened every window.",
)

LICENSE_NOTE = """\
# Embedded speech corpus: provenance and license

Synthetic English speech for the audio-denoising chapter, made by
`scripts/make_speech_corpus.py` with the espeak-ng speech synthesizer.

## License

The audio files, `manifest.csv` and the sentences in the generator script are
released under **CC0 1.0 Universal** (public domain dedication). The sentences
were written for this corpus. espeak-ng itself is GPL-3.0-or-later; the sound it
synthesizes is program output, not a copy of espeak-ng, and is not covered by
its license. Nothing in this package runs or links espeak-ng.

## How it was made

- Generator: `{espeak_version}` (Debian package `espeak-ng`), called once per
  utterance as `espeak-ng -v VOICE -s SPEED -p PITCH -w OUT.wav "TEXT"`
  (VOICE, SPEED and PITCH are in `manifest.csv`).
- Post-processing: leading and trailing silence trimmed (librosa.effects.trim,
  top_db={trim_top_db}) and {pad_seconds} s of silence kept at each end; resampled
  from espeak-ng's 22050 Hz to {sample_rate} Hz with librosa {librosa_version}
  (soxr_hq); peak-normalized to {peak_dbfs} dBFS; written as 16-bit mono FLAC with
  soundfile {soundfile_version} ({libsndfile_version}).
- Seed for speeds and pitches: {seed}.
- Command: `.venv/bin/python scripts/make_speech_corpus.py` (or `make corpus`).

## Contents

| split | utterances | sentences | voices | seconds |
|---|---|---|---|---|
{table}

Train voices: {train_voices}.
Test voices: {test_voices}.
The splits share no sentence and no voice.
"""


def synthesize(text: str, voice: str, speed: int, pitch: int, workdir: Path) -> tuple[np.ndarray, int]:
    """Run espeak-ng once; return its waveform (float32) and sample rate."""
    wav = workdir / "utterance.wav"
    cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text]
    subprocess.run(cmd, check=True, capture_output=True)
    waveform, rate = sf.read(wav, dtype="float32")
    if waveform.ndim != 1 or waveform.size == 0:
        raise RuntimeError(f"espeak-ng produced no mono audio for voice {voice!r}")
    return waveform, rate


def postprocess(waveform: np.ndarray, rate: int) -> np.ndarray:
    """Trim silence, resample to 16 kHz, pad, and peak-normalize to PEAK_DBFS."""
    trimmed, _ = librosa.effects.trim(waveform, top_db=TRIM_TOP_DB)
    resampled = librosa.resample(trimmed, orig_sr=rate, target_sr=SAMPLE_RATE, res_type="soxr_hq")
    pad = np.zeros(int(PAD_SECONDS * SAMPLE_RATE), dtype=np.float32)
    padded = np.concatenate([pad, resampled.astype(np.float32), pad])
    peak = np.max(np.abs(padded))
    return (padded * (10 ** (PEAK_DBFS / 20) / peak)).astype(np.float32)


def plan_utterances() -> list[dict]:
    """The fixed list of (split, text, voice, speed, pitch), in output order."""
    rng = np.random.default_rng(SEED)
    plan = []
    for split, sentences, voices, per_sentence in (
        ("train", TRAIN_SENTENCES, TRAIN_VOICES, VOICES_PER_TRAIN_SENTENCE),
        ("test", TEST_SENTENCES, TEST_VOICES, VOICES_PER_TEST_SENTENCE),
    ):
        for i, text in enumerate(sentences):
            for j in range(per_sentence):
                # Consecutive sentences rotate through the voices, so every voice speaks
                # about the same number of sentences and no sentence twice in one voice.
                voice = voices[(i * per_sentence + j) % len(voices)]
                plan.append(
                    {
                        "split": split,
                        "text": text,
                        "voice": voice,
                        "speed": int(rng.integers(SPEED_RANGE[0], SPEED_RANGE[1] + 1)),
                        "pitch": int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1)),
                    }
                )
    return plan


def main() -> int:
    """Synthesize every utterance and write the audio, manifest and provenance note."""
    if shutil.which("espeak-ng") is None:
        print("espeak-ng not found: install it (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    assert not set(TRAIN_SENTENCES) & set(TEST_SENTENCES), "a sentence is in both splits"
    assert not set(TRAIN_VOICES) & set(TEST_VOICES), "a voice is in both splits"
    espeak_version = (
        subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True, text=True)
        .stdout.split("Data at")[0]
        .strip()
    )

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("*.flac"):
        old.unlink()
    rows = []
    counters = {"train": 0, "test": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for item in plan_utterances():
            waveform, rate = synthesize(item["text"], item["voice"], item["speed"], item["pitch"], Path(tmp))
            audio = postprocess(waveform, rate)
            name = f"{item['split']}_{counters[item['split']]:03d}.flac"
            counters[item["split"]] += 1
            sf.write(OUT_DIR / name, audio, SAMPLE_RATE, subtype="PCM_16", format="FLAC")
            rows.append({"file": name, **item, "seconds": f"{len(audio) / SAMPLE_RATE:.3f}"})
            print(f"{name}  {item['voice']:<22} {rows[-1]['seconds']} s  {item['text']}")

    fields = ["file", "voice", "text", "split", "seconds", "speed", "pitch"]
    with open(OUT_DIR / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row[k] for k in fields})

    table = []
    for split in ("train", "test"):
        part = [r for r in rows if r["split"] == split]
        seconds = sum(float(r["seconds"]) for r in part)
        table.append(
            f"| {split} | {len(part)} | {len({r['text'] for r in part})} | "
            f"{len({r['voice'] for r in part})} | {seconds:.1f} |"
        )
    (OUT_DIR / "PROVENANCE.md").write_text(
        LICENSE_NOTE.format(
            espeak_version=espeak_version,
            trim_top_db=TRIM_TOP_DB,
            pad_seconds=PAD_SECONDS,
            sample_rate=SAMPLE_RATE,
            librosa_version=librosa.__version__,
            peak_dbfs=PEAK_DBFS,
            soundfile_version=sf.__version__,
            libsndfile_version=sf.__libsndfile_version__,
            seed=SEED,
            table="\n".join(table),
            train_voices=", ".join(TRAIN_VOICES),
            test_voices=", ".join(TEST_VOICES),
        ),
        encoding="utf-8",
    )
    total = sum(float(r["seconds"]) for r in rows)
    print(f"{len(rows)} files, {total:.1f} s in {OUT_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
