"""Greedy RNN-T decoding, and the two backends that run features + encoder +
the greedy loop over the prediction/joint step.

``greedy_decode`` is the one loop for both backends (shared/spec/benchmarks.md
§4.4), batched over utterances. For each encoder frame, each utterance
repeatedly runs the step (prediction net on its last symbol and state, then
the joint with the frame) and takes the arg-max of the logits: a blank ends
the frame; any other symbol is emitted, and only then does the utterance's
prediction state advance to the one after that symbol. At most 30 symbols per
frame (then the next frame, as the reference's cap). Each round of the loop
runs the step once on the utterances still busy on the current frame.

``RNNTTorchBackend`` and ``RNNTOnnxBackend`` are harness ``Backend``s (the
benchmark registers them as ``torch`` and ``onnxruntime`` through
``BenchmarkSpec.backends``). Both compute the features in torch on the padded
batch (featurization is timed work: it runs inside ``predict``), then the
encoder and the step in their runtime, and return ``[symbols [B, U] int64,
counts [B] int64]``: row ``i`` holds utterance ``i``'s ``counts[i]``
symbols, padded with blanks.

Threads: onnxruntime's encoder session takes the harness's intra-op count
(its step session one thread: the step is tiny); torch runs on one intra-op
thread in both backends (see ``_setup_torch``), so the torch backend's
parallelism comes from the harness's workers (Offline, Server, MultiStream).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import numpy as np
from loadgen.harness import Backend, BackendOptions

MAX_SYMBOLS_PER_FRAME = 30
BLANK = 28

# (frames [n, H], last symbols [n], h [L, n, P], c [L, n, P]) -> (logits [n, K], h, c)
StepFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def greedy_decode(
    encoded: np.ndarray,
    lengths: np.ndarray,
    step: StepFn,
    state_shape: tuple[int, int],
    blank: int = BLANK,
    max_symbols: int = MAX_SYMBOLS_PER_FRAME,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy decoding of a batch.

    ``encoded``: ``[T, B, H]`` encoder output; ``lengths``: valid frames per
    utterance; ``step``: the prediction + joint step; ``state_shape``: (layers,
    hidden) of the prediction state. The symbol fed before the first emission
    is ``blank`` (the step treats it as the zero start vector).
    Returns ``symbols [B, U]`` (padded with ``blank``) and ``counts [B]``.
    """
    t_max, batch = encoded.shape[0], encoded.shape[1]
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths of shape {lengths.shape} for a batch of {batch}")
    if batch and int(lengths.max()) > t_max:
        raise ValueError(f"a length of {int(lengths.max())} frames exceeds the {t_max} encoded frames")
    layers, hidden = state_shape
    h = np.zeros((layers, batch, hidden), dtype=np.float32)
    c = np.zeros_like(h)
    last = np.full(batch, blank, dtype=np.int64)
    out: list[list[int]] = [[] for _ in range(batch)]
    for t in range(t_max):
        busy = np.flatnonzero(lengths > t)
        if busy.size == 0:
            break
        frames = encoded[t]
        for _ in range(max_symbols):
            logits, h_new, c_new = step(frames[busy], last[busy], h[:, busy], c[:, busy])
            best = np.asarray(logits).argmax(axis=1)
            emitted = best != blank
            if not emitted.any():
                break
            sel = busy[emitted]
            syms = best[emitted]
            last[sel] = syms
            h[:, sel] = np.asarray(h_new)[:, emitted]
            c[:, sel] = np.asarray(c_new)[:, emitted]
            for b, s in zip(sel.tolist(), syms.tolist()):
                out[b].append(s)
            busy = sel
    counts = np.array([len(o) for o in out], dtype=np.int64)
    symbols = np.full((batch, int(counts.max()) if batch else 0), blank, dtype=np.int64)
    for b, o in enumerate(out):
        symbols[b, : len(o)] = o
    return symbols, counts


# ---------------------------------------------------------------------------
# Backends.


def _split_batch(batch: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(batch, Mapping) or "audio" not in batch or "audio_len" not in batch:
        raise ValueError("an RNN-T batch is a dict with 'audio' [B, S] float32 and 'audio_len' [B] int64")
    return np.asarray(batch["audio"], dtype=np.float32), np.asarray(batch["audio_len"], dtype=np.int64)


class _RNNTBackend(Backend):
    """features (torch) -> encode -> greedy_decode(step)."""

    featurizer: Any
    state_shape: tuple[int, int]

    def _setup_torch(self) -> None:
        """torch (the features; the torch backend's model too) runs on one
        intra-op thread, whatever the harness offers: RNN-T is a chain of small
        sequential ops (LSTM steps, the greedy loop) where torch's thread pool
        costs more in wake-ups than it gains. Measured on the loaded 2-core
        machine, 8 utterances one at a time with the torch backend: 2.5-3.2 s
        on one thread, 50-62 s on two. (torch's setting is process-wide.)"""
        import torch

        from rnnt.features import Featurizer

        torch.set_num_threads(1)
        self.featurizer = Featurizer()

    def encode(self, features: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def step(
        self, frames: np.ndarray, symbols: np.ndarray, h: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def load(self, options: BackendOptions) -> None:
        raise NotImplementedError

    def predict(self, batch: Any) -> list[np.ndarray]:
        import torch

        audio, audio_len = _split_batch(batch)
        with torch.inference_mode():
            feats, feat_len = self.featurizer(torch.from_numpy(audio), torch.from_numpy(audio_len))
        encoded, enc_len = self.encode(feats.numpy(), feat_len.numpy())
        return self.decode(encoded, enc_len)

    def decode(self, encoded: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        symbols, counts = greedy_decode(encoded, lengths, self.step, self.state_shape)
        return [symbols, counts]


class RNNTTorchBackend(_RNNTBackend):
    """``--model``: a state dict file (ours) or the reference checkpoint ``rnnt.pt``."""

    name = "torch"
    library = "torch"

    def __init__(self) -> None:
        self.model: Any = None

    def load(self, options: BackendOptions) -> None:
        from rnnt.model import EncoderGraph, FusedDecoderStep, load_model

        if not options.model_path:
            raise ValueError("the torch backend needs an RNN-T state dict or checkpoint (--model)")
        self._setup_torch()
        model = load_model(options.model_path)
        self.model = model
        self.encoder = EncoderGraph(model).eval()
        self.decoder = FusedDecoderStep(model).eval()
        self.state_shape = (model.cfg.pred_layers, model.cfg.pred_hidden)

    def encode(self, features: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.inference_mode():
            enc, enc_len = self.encoder(torch.from_numpy(features), torch.from_numpy(lengths))
        return enc.numpy(), enc_len.numpy()

    def decode(self, encoded: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        import torch

        with torch.inference_mode():  # once for the loop, not per step
            return super().decode(encoded, lengths)

    def step(
        self, frames: np.ndarray, symbols: np.ndarray, h: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        logits, h2, c2 = self.decoder(
            torch.from_numpy(frames), torch.from_numpy(symbols), torch.from_numpy(h), torch.from_numpy(c)
        )
        return logits.numpy(), h2.numpy(), c2.numpy()

    def close(self) -> None:
        self.model = None


class RNNTOnnxBackend(_RNNTBackend):
    """``--model``: a folder with ``rnnt_encoder.onnx`` and ``rnnt_decoder.onnx``
    (``python benchmarks/rnnt/export.py`` writes them from a checkpoint)."""

    name = "onnxruntime"
    library = "onnxruntime"

    def __init__(self) -> None:
        self.encoder: Any = None
        self.decoder: Any = None

    def load(self, options: BackendOptions) -> None:
        from loadgen.harness.backend_onnxruntime import cpu_session

        from rnnt.model import DECODER_FILE, ENCODER_FILE

        if not options.model_path:
            raise ValueError(
                "the onnxruntime backend needs the folder of the two RNN-T ONNX graphs (--model)"
            )
        folder = Path(options.model_path)
        if folder.is_file() and folder.suffix == ".onnx":
            folder = folder.parent
        if not folder.is_dir():
            raise ValueError(
                f"{options.model_path}: the onnxruntime backend takes a folder with {ENCODER_FILE} and "
                f"{DECODER_FILE}; write it from a checkpoint with benchmarks/rnnt/export.py"
            )
        for name in (ENCODER_FILE, DECODER_FILE):
            if not (folder / name).is_file():
                raise ValueError(f"{folder}: no {name} (write the graphs with benchmarks/rnnt/export.py)")
        self._setup_torch()
        self.encoder = cpu_session(folder / ENCODER_FILE, options.intra_op_threads)
        self.decoder = cpu_session(
            folder / DECODER_FILE, 1
        )  # the step is tiny: more threads only cost wake-ups
        h_in = self.decoder.get_inputs()[2].shape
        self.state_shape = (int(h_in[0]), int(h_in[2]))

    def encode(self, features: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        enc, enc_len = self.encoder.run(None, {"features": features, "feature_lengths": lengths})
        return enc, enc_len

    def step(
        self, frames: np.ndarray, symbols: np.ndarray, h: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        logits, h2, c2 = self.decoder.run(
            None, {"encoder_frame": frames, "symbol": symbols, "h_in": h, "c_in": c}
        )
        return logits, h2, c2

    def close(self) -> None:
        self.encoder = self.decoder = None
