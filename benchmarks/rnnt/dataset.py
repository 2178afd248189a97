"""LibriSpeech dev-clean for RNN-T: both on-disk forms, transcripts, the Dataset.

Two forms of ``--dataset-path`` (shared/spec/benchmarks.md §4.1):

* the **converted** folder of the reference: ``dev-clean-wav.json`` (a JSON
  array; each entry has ``files`` — ``fname`` relative to the folder,
  ``duration``, ``num_samples``, ``sample_rate``, ``speed``, ... —, and
  ``original_duration``, ``original_num_samples``, ``transcript``) beside
  ``dev-clean-wav/<speaker>/<chapter>/<utt-id>.wav``; the order is the
  manifest's. A path to the ``.json`` itself works too;
* LibriSpeech **as distributed**: ``<speaker>/<chapter>/<utt-id>.flac`` and one
  ``<speaker>-<chapter>.trans.txt`` per chapter (lines ``<utt-id> <TEXT>``),
  under the given folder (``dev-clean`` or a folder above it). The order is
  speaker, chapter (numerically) and the lines of each ``trans.txt``: the
  reference ships no order for this form; convert it (``convert.py``) and
  use the shipped ``dev-clean-wav.json`` for the reference's QSL indices.

Entries longer than 15 s are dropped (``MAX_DURATION_S``); the QSL index is
the position after that. Audio is read with ``soundfile`` as float32 (int16
scaled by 1/32768), mono, 16 kHz (other rates are an error: the reference
resamples, which is not done here). Transcripts are normalised as the
reference's: ASCII, lower case, numbers and abbreviations spelled out,
punctuation other than the apostrophe turned into spaces, spaces collapsed,
characters outside the 28 labels dropped.

The samples are the waveforms (loaded untimed, in ``load``); the features
are computed inside the backend (timed). ``get_batch`` pads a batch to its
longest utterance and gives ``{"audio": [B, S] float32, "audio_len": [B]
int64}``.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from loadgen.harness import Dataset

LABELS = " abcdefghijklmnopqrstuvwxyz'"  # ids 0..27; blank = 28
SAMPLE_RATE = 16000
MAX_DURATION_S = 15.0
MANIFEST_NAME = "dev-clean-wav.json"
WAV_FOLDER = "dev-clean-wav"

_ABBREVIATIONS = [
    (re.compile(rf"\b{abbr}\.", re.IGNORECASE), full)
    for abbr, full in (
        ("mrs", "misess"),
        ("mr", "mister"),
        ("dr", "doctor"),
        ("st", "saint"),
        ("co", "company"),
        ("jr", "junior"),
        ("maj", "major"),
        ("gen", "general"),
        ("drs", "doctors"),
        ("rev", "reverend"),
        ("lt", "lieutenant"),
        ("hon", "honorable"),
        ("sgt", "sergeant"),
        ("capt", "captain"),
        ("esq", "esquire"),
        ("ltd", "limited"),
        ("col", "colonel"),
        ("ft", "fort"),
    )
]
_PUNCTUATION = str.maketrans(string.punctuation.replace("'", ""), " " * (len(string.punctuation) - 1))
_LABEL_SET = set(LABELS)


def _expand_numbers(text: str) -> str:
    if not any(ch.isdigit() for ch in text):
        return text
    try:
        import inflect  # only transcripts with digits need it; LibriSpeech's have none
    except ImportError:
        raise ValueError(
            f"transcript {text!r} has digits: spelling numbers out as the reference does needs the "
            f"'inflect' package (pip install inflect)"
        ) from None
    engine = inflect.engine()
    return re.sub(r"[0-9]+", lambda m: " " + str(engine.number_to_words(m.group(0), andword="")) + " ", text)


def normalize_transcript(text: str) -> str:
    """The reference's transcript normalisation (see the module docstring)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = _expand_numbers(text)
    for pattern, full in _ABBREVIATIONS:
        text = pattern.sub(full, text)
    text = " ".join(text.translate(_PUNCTUATION).split())
    return "".join(ch for ch in text if ch in _LABEL_SET)


def ids_to_text(ids: Sequence[int] | np.ndarray) -> str:
    """Symbol ids (0..27) -> characters."""
    try:
        return "".join(LABELS[int(i)] for i in ids)
    except IndexError:
        raise ValueError(f"symbol ids must lie in 0..{len(LABELS) - 1}, got {list(ids)}") from None


@dataclass(frozen=True)
class Entry:
    audio_path: Path
    transcript: str  # normalised
    duration_s: float


def _manifest_entries(manifest: Path) -> list[Entry]:
    root = manifest.parent
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{manifest}: not JSON ({e})") from None
    if not isinstance(data, list):
        raise ValueError(f"{manifest}: expected a JSON array of utterances")  # noqa: TRY004 - a bad file
    entries = []
    for i, item in enumerate(data):
        try:
            files = item["files"]
            chosen = next((f for f in files if float(f.get("speed", 1)) == 1.0), files[0])
            duration = float(item.get("original_duration", chosen["duration"]))
            entries.append(Entry(root / chosen["fname"], normalize_transcript(item["transcript"]), duration))
        except (KeyError, IndexError, TypeError) as e:
            raise ValueError(
                f"{manifest}: entry {i} lacks {e} (needs files[].fname, duration, transcript)"
            ) from None
    return entries


def _numeric_key(p: Path) -> tuple[Any, ...]:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in p.parts)


def _librispeech_entries(root: Path) -> list[Entry]:
    import soundfile as sf

    trans_files = sorted(root.rglob("*.trans.txt"), key=lambda p: _numeric_key(p.relative_to(root)))
    entries = []
    for trans in trans_files:
        for line_no, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            utt, _, text = line.strip().partition(" ")
            audio = trans.parent / f"{utt}.flac"
            if not audio.is_file():
                raise FileNotFoundError(f"{trans}:{line_no}: {audio.name} is listed but missing")
            info = sf.info(str(audio))
            entries.append(Entry(audio, normalize_transcript(text), info.frames / info.samplerate))
    return entries


def read_entries(path: str | Path) -> list[Entry]:
    """All utterances of a data set folder (either form), before the 15 s filter."""
    p = Path(path)
    if p.is_file() and p.suffix == ".json":
        return _manifest_entries(p)
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such data set folder")
    if (p / MANIFEST_NAME).is_file():
        return _manifest_entries(p / MANIFEST_NAME)
    entries = _librispeech_entries(p)
    if not entries:
        raise ValueError(f"{p}: neither {MANIFEST_NAME} nor any LibriSpeech *.trans.txt found")
    return entries


def select_entries(path: str | Path, count: int | None = None) -> list[Entry]:
    """The QSL's utterances: manifest order, those over 15 s dropped, the first ``count``."""
    kept = [e for e in read_entries(path) if e.duration_s <= MAX_DURATION_S]
    if count is not None:
        kept = kept[:count]
    if not kept:
        raise ValueError(f"{path}: no utterance of at most {MAX_DURATION_S} s")
    return kept


def read_audio(path: str | Path) -> np.ndarray:
    """float32 mono samples at 16 kHz (int16 files scaled by 1/32768)."""
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path}: sample rate {rate} Hz; the model takes {SAMPLE_RATE} Hz audio")
    if data.shape[1] != 1:
        raise ValueError(f"{path}: {data.shape[1]} channels; expected mono")
    return np.ascontiguousarray(data[:, 0])


class LibriSpeech(Dataset):
    """The QSL's utterances of ``data_path`` (either form); ``count``: the first N."""

    name = "librispeech"

    def __init__(self, data_path: str | Path, count: int | None = None) -> None:
        self.data_path = str(data_path)
        self.entries = select_entries(data_path, count)
        self.transcripts = [e.transcript for e in self.entries]
        self._audio: dict[int, np.ndarray] = {}

    @property
    def total_count(self) -> int:
        return len(self.entries)

    def label(self, index: int) -> str:
        return self.transcripts[index]

    def load(self, indices: Sequence[int]) -> None:
        from rnnt.features import MIN_SAMPLES

        for i in indices:
            if i not in self._audio:
                audio = read_audio(self.entries[i].audio_path)
                if audio.size < MIN_SAMPLES:
                    raise ValueError(
                        f"{self.entries[i].audio_path}: {audio.size} samples; at least {MIN_SAMPLES}"
                    )
                self._audio[i] = audio

    def unload(self, indices: Sequence[int]) -> None:
        for i in indices:
            self._audio.pop(i, None)

    def get_batch(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        waves = [self._audio[i] for i in indices]
        lengths = np.array([w.size for w in waves], dtype=np.int64)
        audio = np.zeros((len(waves), int(lengths.max())), dtype=np.float32)
        for row, w in zip(audio, waves):
            row[: w.size] = w
        return {"audio": audio, "audio_len": lengths}


# ---------------------------------------------------------------------------
# flac -> the reference's wav layout and manifest.


def convert_librispeech(src: str | Path, dst: str | Path, log: Any = None) -> Path:
    """Write ``dst/dev-clean-wav/<speaker>/<chapter>/<utt-id>.wav`` (16-bit PCM,
    rate unchanged) and ``dst/dev-clean-wav.json`` for the LibriSpeech folder
    ``src``; transcripts lower-cased and stripped, as the reference's converter
    writes them. Returns the manifest's path."""
    import soundfile as sf

    src, dst = Path(src), Path(dst)
    entries = _librispeech_entries(src)
    if not entries:
        raise ValueError(f"{src}: no LibriSpeech *.trans.txt found")
    texts = {}
    for trans in src.rglob("*.trans.txt"):
        for line in trans.read_text(encoding="utf-8").splitlines():
            utt, _, text = line.strip().partition(" ")
            if utt:
                texts[utt] = text.lower().strip()
    manifest = []
    for n, e in enumerate(entries, start=1):
        data, rate = sf.read(str(e.audio_path), dtype="int16")
        rel = e.audio_path.relative_to(e.audio_path.parents[2]).with_suffix(".wav")
        out = dst / WAV_FOLDER / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out), data, rate, subtype="PCM_16")
        frames = int(data.shape[0])
        duration = frames / rate
        info = {
            "channels": 1 if data.ndim == 1 else int(data.shape[1]),
            "sample_rate": float(rate),
            "bitrate": float(rate * 16),
            "duration": duration,
            "num_samples": frames,
            "encoding": "Signed Integer PCM",
            "silent": False,
            "fname": str(Path(WAV_FOLDER) / rel),
            "speed": 1,
        }
        manifest.append(
            {
                "files": [info],
                "original_duration": duration,
                "original_num_samples": frames,
                "transcript": texts[e.audio_path.stem],
            }
        )
        if log is not None and n % 200 == 0:
            log(f"converted {n}/{len(entries)}")
    path = dst / MANIFEST_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
