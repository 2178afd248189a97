"""RNN-T on LibriSpeech dev-clean: the MLPerf Inference speech benchmark through the shared harness.

    python benchmarks/rnnt/run.py --scenario Offline
    python benchmarks/rnnt/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/rnnt/run.py --backend torch --model rnnt.pt \\
        --dataset-path /data/LibriSpeech/dev-clean --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). Each sample is a waveform; the features, the encoder and the
greedy decoding all run inside the backend (timed). The response is the
emitted symbol ids as int64. Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from loadgen.harness import BenchmarkSpec, RunOptions, RunReport, main
from loadgen.harness.embedded import Embedded, add_size_argument, data_note, own_model_note, stderr_line
from loadgen.harness.script import benchmark_folder

HERE = benchmark_folder(__file__)  # makes `import rnnt` work when run as a script

from rnnt import synthetic
from rnnt.dataset import LibriSpeech

SERVER_BOUND_MS = 1000  # mlperf.conf: rnnt.Server.target_latency


def postprocess(outputs: list[np.ndarray]) -> list[bytes]:
    """``[symbols [B, U], counts [B]]`` -> each utterance's ids as int64 bytes (no blanks)."""
    symbols, counts = outputs
    symbols = np.ascontiguousarray(symbols, dtype=np.int64)
    return [symbols[i, : int(n)].tobytes() for i, n in enumerate(counts)]


def make_dataset(opts: RunOptions) -> LibriSpeech:
    assert opts.dataset_path is not None
    return LibriSpeech(opts.dataset_path, count=opts.count)


def embedded(opts: RunOptions, cache_dir: str) -> Embedded:
    n = int(opts.extra.get("synthetic_utterances") or synthetic.DEFAULT_COUNT)
    size = str(opts.extra.get("embedded_model") or synthetic.DEFAULT_SIZE)
    max_s = float(opts.extra.get("synthetic_max_seconds") or synthetic.MAX_S)
    assets = synthetic.ensure_default_assets(
        cache_dir, count=n, size=size, log=stderr_line, max_seconds=max_s
    )
    return Embedded(
        assets.data_dir,
        {"onnxruntime": assets.onnx_dir, "torch": assets.torch_model},
        data_note(
            f"data set ({n} utterances of 1-15 s, FLAC in LibriSpeech's layout; transcripts = the "
            f"fixed-seed FP32 {size} model's own greedy output, so FP32 has WER 0 by construction)",
            "a LibriSpeech result",
        ),
        own_model_note("transcripts", "the WER"),
    )


def hint(report: RunReport, opts: RunOptions) -> list[str]:
    p = report.performance
    if p is None or p.valid or opts.official:
        return []
    if p.scenario == "MultiStream":
        per_query_s = p.latency_ms.get("mean", 0.0) / 1000.0
        return [
            (
                f"MultiStream needs at least 662 queries for its 99th-percentile early-stopping estimate; at "
                f"{per_query_s:.2f} s per query that is about {662 * per_query_s:.0f} s: run with "
                f"--time {max(20, int(662 * per_query_s * 1.1) + 1)} (or --official) for a VALID result."
            )
        ]
    if p.scenario == "Server":
        return [
            (
                f"Server is VALID only if 99% of queries finish within {SERVER_BOUND_MS} ms and enough "
                f"queries ran for early stopping (about 460 with none late): lower --qps, or lengthen the "
                f"run with --time."
            )
        ]
    if p.scenario == "Offline" and any("expected QPS" in r for r in p.invalid_reasons):
        return [
            f"Offline ran out of samples before min_duration: set rnnt.Offline.target_qps (or --qps) near {p.metric:.1f}."
        ]
    return []


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_size_argument(
        p, "--synthetic-utterances", synthetic.DEFAULT_COUNT, "size of the embedded synthetic data set"
    )
    p.add_argument(
        "--embedded-model",
        choices=("small", "full"),
        default=synthetic.DEFAULT_SIZE,
        help="width of the embedded fixed-seed model: small (a quarter) or full (the reference's)",
    )


SPEC = BenchmarkSpec.in_folder(
    HERE,
    precision_unsupported={
        "int8": (
            "onnxruntime's static (QDQ) quantizer does not quantize LSTM ops (only its dynamic mode does, which is not calibrated), and the LSTMs are nearly all of RNN-T's compute"
        ),
    },
    name="RNN-T",
    config_model="rnnt",
    make_dataset=make_dataset,
    postprocess=postprocess,
    embedded=embedded,
    which_model="give the checkpoint rnnt.pt or a state dict (torch), "
    "or the folder of the two ONNX graphs written by benchmarks/rnnt/export.py (onnxruntime)",
    null_outputs=(((1,), "int64"), ((), "int64")),
    performance_sample_count=2513,
    default_max_batchsize=8,
    hint=hint,
    backends={"torch": "rnnt.decoder:RNNTTorchBackend", "onnxruntime": "rnnt.decoder:RNNTOnnxBackend"},
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
