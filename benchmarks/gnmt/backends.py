"""GNMT's own backends: an encoder and a decoder step driven by beam search.

The harness's registry backends run one graph per ``predict``; GNMT needs
two (graphs.py) and a search loop between them, so ``run.py`` hands the
harness these classes for the names ``onnxruntime`` and ``torch`` through
``BenchmarkSpec.backends``. Both run the same ``BeamSearch`` (beam.py) over
a ``Stepper`` and differ only in who computes ``encode`` and ``step``.

``predict(batch)``: ``batch`` is ``{"source_ids": int64 [B, S], "source_lengths":
int64 [B]}``; returns ``[ids, lengths]``: int64 ``[B, T]`` target ids padded
with ``</s>``, and int64 ``[B]`` the number of ids of each translation.

A model folder (``--model``) holds ``gnmt.json`` (the sizes), ``gnmt.pt``
(torch) and ``gnmt_encoder.onnx`` + ``gnmt_decoder_step.onnx`` (onnxruntime);
convert.py writes all of them. The torch backend also takes a ``gnmt.pt`` file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from loadgen.harness import Backend, BackendOptions, Batch

from .beam import EOS_ID, BeamSearch

CONFIG_FILE = "gnmt.json"
ENCODER_FILE = "gnmt_encoder.onnx"
STEP_FILE = "gnmt_decoder_step.onnx"
INPUTS = ("source_ids", "source_lengths")
OUTPUTS = ("translation_ids", "translation_lengths")
SMALL_MODEL_UNITS = 256


def pad_translations(seqs: list[np.ndarray]) -> list[np.ndarray]:
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    ids = np.full((len(seqs), max(1, int(lengths.max(initial=0)))), EOS_ID, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    return [ids, lengths]


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no {CONFIG_FILE} (a GNMT model folder is written by convert.py)")
    return json.loads(path.read_text(encoding="utf-8"))


class _SearchBackend(Backend):
    """predict = beam search over ``self.stepper``."""

    search = BeamSearch()

    def __init__(self) -> None:
        self.stepper: Any = None
        self.tgt_vocab_size = 0

    def predict(self, batch: Batch) -> list[np.ndarray]:
        assert self.stepper is not None, "load() first"
        assert not isinstance(batch, np.ndarray), "GNMT batches are dicts"
        seqs = self.search(self.stepper, batch["source_ids"], batch["source_lengths"], self.tgt_vocab_size)
        return pad_translations(seqs)

    def close(self) -> None:
        self.stepper = None


class TorchStepper:
    def __init__(self, model: Any) -> None:
        import torch

        self.torch = torch
        self.model = model

    def encode(self, source_ids: np.ndarray, source_lengths: np.ndarray) -> tuple[np.ndarray, ...]:
        t = self.torch
        with t.inference_mode():
            out = self.model.encode(t.from_numpy(source_ids), t.from_numpy(source_lengths))
        return tuple(x.numpy() for x in out)

    def step(self, tokens, context, h, c, memory, keys, source_lengths, k: int) -> tuple[np.ndarray, ...]:
        t = self.torch
        with t.inference_mode():
            out = self.model.step(
                t.from_numpy(tokens),
                t.from_numpy(np.ascontiguousarray(context)),
                t.from_numpy(np.ascontiguousarray(h)),
                t.from_numpy(np.ascontiguousarray(c)),
                t.from_numpy(memory),
                t.from_numpy(keys),
                t.from_numpy(source_lengths),
                k,
            )
        return tuple(x.numpy() for x in out)


class GnmtTorchBackend(_SearchBackend):
    name = "torch"
    library = "torch"

    def load(self, options: BackendOptions) -> None:
        import torch

        from .model import load_model

        if not options.model_path:
            raise ValueError("the torch backend needs a GNMT model (--model: a folder or gnmt.pt)")
        model = load_model(options.model_path)
        if options.intra_op_threads:
            # Process-wide in torch. A small model's step is dozens of tiny ops
            # that threads only slow down (on a busy 2-core machine, 20x):
            # below SMALL_MODEL_UNITS one thread each.
            small = model.config.units < SMALL_MODEL_UNITS
            torch.set_num_threads(1 if small else options.intra_op_threads)
        self.tgt_vocab_size = model.config.tgt_vocab_size
        self.stepper = TorchStepper(model)


class OrtStepper:
    def __init__(self, encoder: Any, step: Any) -> None:
        self.encoder = encoder
        self.step_session = step

    def encode(self, source_ids: np.ndarray, source_lengths: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(self.encoder.run(None, {"source_ids": source_ids, "source_lengths": source_lengths}))

    def step(self, tokens, context, h, c, memory, keys, source_lengths, k: int) -> tuple[np.ndarray, ...]:
        feed = {
            "tokens": tokens,
            "context": np.ascontiguousarray(context, dtype=np.float32),
            "h": np.ascontiguousarray(h, dtype=np.float32),
            "c": np.ascontiguousarray(c, dtype=np.float32),
            "memory": memory,
            "keys": keys,
            "source_lengths": source_lengths,
            "k": np.array([k], dtype=np.int64),
        }
        return tuple(self.step_session.run(None, feed))


class GnmtOnnxBackend(_SearchBackend):
    name = "onnxruntime"
    library = "onnxruntime"

    def load(self, options: BackendOptions) -> None:
        from loadgen.harness.backend_onnxruntime import cpu_session

        if not options.model_path:
            raise ValueError("the onnxruntime backend needs a GNMT model folder (--model)")
        folder = Path(options.model_path)
        if folder.is_file():
            folder = folder.parent
        cfg = read_config(folder)
        sessions = []
        for name in (ENCODER_FILE, STEP_FILE):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder}: no {name} (convert.py writes it)")
            sessions.append(cpu_session(folder / name, options.intra_op_threads))
        self.tgt_vocab_size = int(cfg["tgt_vocab_size"])
        self.stepper = OrtStepper(*sessions)
