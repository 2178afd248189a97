"""GNMT on WMT16 English->German (newstest2014): the MLPerf Inference v0.5 benchmark on the shared harness.

    python benchmarks/gnmt/run.py --scenario Offline
    python benchmarks/gnmt/run.py --scenario SingleStream --accuracy --output out/ss-acc
    python benchmarks/gnmt/run.py --dataset-path nmt/data --model models/gnmt --scenario Offline

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). The model folder comes from convert.py. Beam search (width
10) runs inside the timed ``predict`` for both backends (backends.py).
Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from loadgen.harness import BenchmarkSpec, RunOptions, main
from loadgen.harness.embedded import Embedded, add_size_argument, data_note, own_model_note, stderr_line
from loadgen.harness.script import benchmark_folder

HERE = benchmark_folder(__file__)  # makes `import gnmt` work when run as a script

from gnmt import synthetic
from gnmt.backends import INPUTS, OUTPUTS, GnmtOnnxBackend, GnmtTorchBackend
from gnmt.dataset import PERFORMANCE_REPEAT, NewsTest
from gnmt.text import Vocabulary, join_bpe


class Detokenize:
    """Backend outputs -> responses: target ids -> pieces -> BPE joins removed -> UTF-8 (timed).

    The target vocabulary is the data set's; ``make_dataset`` sets it."""

    def __init__(self) -> None:
        self.vocab: Vocabulary | None = None

    def __call__(self, outputs: list[np.ndarray]) -> list[bytes]:
        assert self.vocab is not None, "make_dataset sets the target vocabulary"
        ids, lengths = outputs
        pieces = self.vocab.pieces
        return [join_bpe(pieces(row[:n])).encode("utf-8") for row, n in zip(ids, lengths.tolist())]


postprocess = Detokenize()


def make_dataset(opts: RunOptions) -> NewsTest:
    assert opts.dataset_path is not None
    repeat = 1 if opts.accuracy else int(opts.extra.get("repeat") or PERFORMANCE_REPEAT)
    data = NewsTest(
        opts.dataset_path, count=opts.count, repeat=repeat, source_text=opts.extra.get("source_text")
    )
    postprocess.vocab = data.tgt_vocab
    return data


def embedded(opts: RunOptions, cache_dir: str) -> Embedded:
    n = int(opts.extra.get("synthetic_sentences") or synthetic.DEFAULT_SENTENCES)
    units = int(opts.extra.get("synthetic_units") or synthetic.DEFAULT_UNITS)
    assets = synthetic.ensure_default_assets(cache_dir, n=n, units=units, log=stderr_line)
    return Embedded(
        assets.data_dir,
        assets.model_dir,
        data_note(
            f"corpus ({n} sentences) and a fixed-seed GNMT with {units} units (the MLPerf model has "
            f"1024); the references are the FP32 model's own beam-search output, so FP32 scores BLEU 100",
            "a translation result",
        ),
        own_model_note("references", "BLEU", "corpus"),
    )


def prepare(opts: RunOptions) -> RunOptions:
    """After the embedded default: the note on the performance set's repeats."""
    if not opts.accuracy:
        repeat = int(opts.extra.get("repeat") or PERFORMANCE_REPEAT)
        opts.extra["notes"].append(
            f"performance set: the sentences repeated {repeat} times, as the reference's .large file"
        )
    return opts


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_size_argument(
        p, "--synthetic-sentences", synthetic.DEFAULT_SENTENCES, "size of the embedded synthetic corpus"
    )
    p.add_argument(
        "--synthetic-units",
        type=int,
        default=synthetic.DEFAULT_UNITS,
        help="LSTM units of the embedded fixed-seed model (the MLPerf model has 1024)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=PERFORMANCE_REPEAT,
        help="performance mode: the sentences repeated this many times (the reference's .large: 1300)",
    )
    p.add_argument("--source-text", help="raw English, one sentence per line, instead of the .en file")
    p.add_argument("--reference", help="references for --accuracy (default: the folder's .de file)")


SPEC = BenchmarkSpec.in_folder(
    HERE,
    precision_unsupported={
        "int8": (
            "onnxruntime's static (QDQ) quantizer does not quantize LSTM ops (only its dynamic mode does, which is not calibrated), and the LSTMs are nearly all of GNMT's compute"
        ),
    },
    name="GNMT",
    config_model="gnmt",
    make_dataset=make_dataset,
    postprocess=postprocess,
    prepare=prepare,
    embedded=embedded,
    which_model="give a GNMT model folder (convert.py)",
    inputs=INPUTS,
    outputs=OUTPUTS,
    null_outputs=(((1,), "int64"), ((), "int64")),
    performance_sample_count=3903900,
    default_max_batchsize=16,
    server_bound="250 ms at the 97th percentile, v0.5's GNMT value, in user.conf",
    server_demo="--time 60, or a lower --qps if the latencies are over the bound",
    backends={"onnxruntime": GnmtOnnxBackend, "torch": GnmtTorchBackend},
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
