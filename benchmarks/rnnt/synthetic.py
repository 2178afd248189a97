"""The embedded default: synthetic utterances in LibriSpeech's layout and a
fixed-seed RNN-T whose own greedy output is the transcript.

Made once per cache folder::

    <cache>/embedded-v1-<size>-<count>/
        LibriSpeech/dev-clean/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac
        LibriSpeech/dev-clean/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt
        LibriSpeech/dev-clean/dataset.json   what this is; its reference WER (0)
        rnnt_seed0.pt                        the FP32 model (a state dict, reference names)
        onnx/rnnt_encoder.onnx, onnx/rnnt_decoder.onnx   the same weights as ONNX
        dataset.json                         written last (marks the folder complete)

The audio is 16 kHz speech-like sound of 1 to 15 s (voiced stretches with a
gliding pitch and formant-shaped harmonics, noise bursts, pauses), written as
16-bit FLAC and read back through the real reader. The model is the
reference's architecture (``small``: a quarter of its width; ``full``: its
size) with seeded weights, its last joint layer calibrated on these
utterances (``model.make_fixed_seed_model``). Each transcript is what that
model, FP32 in torch, decodes greedily from the FLAC file through the
benchmark's own path, so FP32 has a WER of 0 by construction: a pipeline and
equivalence check, not a LibriSpeech result. The data do not depend on
espeak-ng or any other speech synthesiser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
from loadgen.harness.cache import AssetFolder, build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

VERSION = 1
SEED = 0
DEFAULT_COUNT = 32
DEFAULT_SIZE = "small"
MIN_S, MAX_S = 1.0, 15.0
MODEL_FILE = f"rnnt_seed{SEED}.pt"
SPEAKERS = ((1089, 134686), (1089, 134691), (2277, 149896), (3752, 4944))
RATE = 16000


@dataclass(frozen=True)
class DefaultAssets(AssetFolder):
    count: int
    FILES: ClassVar[dict[str, str]] = {
        "data_dir": "LibriSpeech/dev-clean",
        "torch_model": MODEL_FILE,
        "onnx_dir": "onnx",
    }


default_cache_dir = partial(_cache_dir, "rnnt")


def synthetic_utterance(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Speech-like float32 audio in [-1, 1] of ``seconds`` at 16 kHz."""
    n = round(seconds * RATE)
    out = np.zeros(n, dtype=np.float64)
    pos = 0
    formants = rng.uniform((300, 900, 2300), (800, 2200, 3300))
    while pos < n:
        kind = rng.choice(3, p=(0.6, 0.2, 0.2))
        m = min(n - pos, int(rng.uniform(0.06, 0.35) * RATE))
        t = np.arange(m) / RATE
        env = np.sin(np.pi * (np.arange(m) + 0.5) / m) ** 0.5
        if kind == 0:  # voiced: harmonics of a gliding pitch, shaped by three formants
            f0 = rng.uniform(90, 220) * (1 + rng.uniform(-0.2, 0.2) * t / max(t[-1], 1e-3))
            phase = 2 * np.pi * np.cumsum(f0) / RATE
            formants = np.clip(formants * rng.uniform(0.85, 1.15, 3), 200, 3800)
            seg = np.zeros(m)
            for k in range(1, int(4000 / f0.max())):
                freq = k * f0.mean()
                gain = sum(np.exp(-(((freq - f) / 120.0) ** 2)) / (i + 1) for i, f in enumerate(formants))
                seg += (gain + 0.02) * np.sin(k * phase)
            seg *= rng.uniform(0.2, 0.6) / max(np.abs(seg).max(), 1e-9)
        elif kind == 1:  # fricative-like: high-passed noise
            noise = rng.normal(0, 1, m + 1)
            seg = (noise[1:] - 0.9 * noise[:-1]) * rng.uniform(0.02, 0.12)
        else:
            seg = np.zeros(m)
        out[pos : pos + m] += seg * env
        pos += m
    out += rng.normal(0, 2e-3, n)
    return np.clip(out, -1, 1).astype(np.float32)


def _write_flacs(
    data_dir: Path, count: int, rng: np.random.Generator, max_seconds: float
) -> list[tuple[str, Path]]:
    import soundfile as sf

    written = []
    for i in range(count):
        spk, chap = SPEAKERS[i % len(SPEAKERS)]
        utt = f"{spk}-{chap}-{i // len(SPEAKERS):04d}"
        path = data_dir / str(spk) / str(chap) / f"{utt}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        audio = synthetic_utterance(rng, float(rng.uniform(MIN_S, max_seconds)))
        sf.write(str(path), audio, RATE, subtype="PCM_16", format="FLAC")
        written.append((utt, path))
    return written


def ensure_default_assets(
    cache_dir: str | Path,
    count: int = DEFAULT_COUNT,
    size: str = DEFAULT_SIZE,
    log: Callable[[str], Any] = print,
    max_seconds: float = MAX_S,
) -> DefaultAssets:
    """The default data set and model under ``cache_dir``, made if missing.
    ``max_seconds`` shortens the utterances (the tests' tiny sets)."""
    tag = "" if max_seconds == MAX_S else f"-max{max_seconds:g}s"
    folder = Path(cache_dir) / f"embedded-v{VERSION}-{size}-{count}{tag}"
    if (folder / "dataset.json").is_file():
        return DefaultAssets(folder, count)
    log(f"making the embedded RNN-T default ({count} synthetic utterances, {size} model) in {folder}")
    build_once(folder, lambda tmp: build(tmp, count, size, log, max_seconds))
    return DefaultAssets(folder, count)


def build(
    folder: Path, count: int, size: str, log: Callable[[str], Any] = print, max_seconds: float = MAX_S
) -> None:
    """Write the assets into ``folder`` (dataset.json last)."""
    import torch
    from loadgen.harness import BackendOptions

    from rnnt import model as rnnt_model
    from rnnt.dataset import LABELS, read_audio
    from rnnt.decoder import RNNTTorchBackend
    from rnnt.features import Featurizer

    if size not in rnnt_model.EMBEDDED_CONFIGS:
        raise ValueError(f"embedded model size {size!r}: choose one of {sorted(rnnt_model.EMBEDDED_CONFIGS)}")
    assets = DefaultAssets(folder, count)
    torch.set_num_threads(1)  # as the backends do (decoder.py): small sequential ops
    rng = np.random.default_rng(SEED)
    if not MIN_S <= max_seconds <= MAX_S:
        raise ValueError(f"max_seconds = {max_seconds}: must lie in [{MIN_S}, {MAX_S}]")
    utterances = _write_flacs(assets.data_dir, count, rng, max_seconds)

    featurizer = Featurizer()

    def features(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
        audio = torch.from_numpy(read_audio(path)).unsqueeze(0)
        return featurizer(audio, torch.tensor([audio.shape[1]]))

    calibration = [features(p) for _, p in utterances[:8]]
    model = rnnt_model.make_fixed_seed_model(rnnt_model.EMBEDDED_CONFIGS[size], calibration, seed=SEED)
    torch.save(model.state_dict(), str(assets.torch_model))
    rnnt_model.export_onnx(model, assets.onnx_dir)

    # Transcripts: the saved FP32 model's greedy output, one utterance at a
    # time through the benchmark's torch backend.
    backend = RNNTTorchBackend()
    backend.load(BackendOptions(model_path=str(assets.torch_model)))
    lines: dict[Path, list[str]] = {}
    n_words = 0
    for utt, path in utterances:
        audio = read_audio(path)
        symbols, counts = backend.predict({"audio": audio[None], "audio_len": np.array([audio.size])})
        text = " ".join("".join(LABELS[s] for s in symbols[0, : counts[0]]).split())
        if not text.replace("'", ""):
            raise RuntimeError(f"the fixed-seed model decodes {path.name} to no word; change SEED")
        n_words += len(text.split())
        lines.setdefault(path.parent / f"{path.parent.parent.name}-{path.parent.name}.trans.txt", []).append(
            f"{utt} {text.upper()}"
        )
    for trans, rows in lines.items():
        trans.write_text("\n".join(rows) + "\n", encoding="utf-8")
    info = {
        "what": "synthetic utterances; transcripts = the fixed-seed FP32 model's own greedy output",
        "reference_wer": 0.0,
        "utterances": count,
        "words": n_words,
        "model": {
            "size": size,
            "seed": SEED,
            **rnnt_model.RNNTConfig.from_state_dict(model.state_dict()).__dict__,
        },
    }
    (assets.data_dir / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    (folder / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log(f"embedded default: {count} utterances, {n_words} words")
