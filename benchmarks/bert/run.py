"""BERT-Large on SQuAD v1.1: the MLPerf Inference benchmark through the shared harness.

    python benchmarks/bert/run.py --scenario Server
    python benchmarks/bert/run.py --scenario Offline --padding-free
    python benchmarks/bert/run.py --scenario SingleStream --accuracy --count 32 --output out/ss-acc
    python benchmarks/bert/run.py --dataset-path /data/squad --model model.onnx --scenario Offline --official

Without ``--dataset-path`` and ``--model`` it runs on the embedded default
(synthetic.py). Flags: ``--help``; the harness: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from loadgen.harness import BenchmarkSpec, Dataset, RunOptions, RunReport, main
from loadgen.harness.embedded import Embedded, add_size_argument, data_note, own_model_note, stderr_line
from loadgen.harness.hints import queries_needed, short_run_hints
from loadgen.harness.precision import CalibrationSet, find_calibration_list, list_identity
from loadgen.harness.script import benchmark_folder, imported_when_called

HERE = benchmark_folder(__file__)  # makes `import bert` work when run as a script

from bert import squad, synthetic
from bert.dataset import SquadFeatures

INPUT_NAMES = ("input_ids", "input_mask", "segment_ids")
OUTPUT_NAMES = ("output_start_logits", "output_end_logits")
SERVER_BOUND_MS = 130


def postprocess(outputs: list[np.ndarray]) -> np.ndarray:
    """(start, end) logits ``[B, L]`` -> float32 ``[B, 384 x 2]``: per position the start
    then the end logit; positions past L (a padding-free batch) hold -10000."""
    start, end = outputs
    b, seq = start.shape
    out = np.full((b, squad.MAX_SEQ_LENGTH, 2), squad.PAD_LOGIT, dtype=np.float32)
    out[:, :seq, 0] = start
    out[:, :seq, 1] = end
    return out.reshape(b, 2 * squad.MAX_SEQ_LENGTH)


def make_dataset(opts: RunOptions) -> SquadFeatures:
    assert opts.dataset_path is not None and opts.cache_dir is not None
    return SquadFeatures(
        opts.dataset_path,
        opts.cache_dir,
        vocab_file=opts.extra.get("vocab_file"),
        count=opts.count,
        padding_free=bool(opts.extra.get("padding_free")),
    )


def batch_sort_key(dataset: Dataset, opts: RunOptions):
    """Padding-free runs batch samples of similar length (see ThreadedSUT)."""
    if not opts.extra.get("padding_free"):
        return None
    lengths = dataset.lengths  # type: ignore[attr-defined]
    return lambda indices: lengths[indices]


def _check_padding_free_model(model: str) -> None:
    """A padding-free run needs an ONNX file whose sequence axis is not fixed."""
    from bert.onnx_export import onnx_input_shapes

    for name, dims in onnx_input_shapes(model).items():
        if len(dims) == 2 and isinstance(dims[1], int) and dims[1] > 0:
            raise ValueError(
                f"--padding-free: {model} fixes the sequence length of {name!r} to {dims[1]}; it needs a "
                f"model with a symbolic sequence axis (drop --padding-free for this file)"
            )


def embedded(opts: RunOptions, cache_dir: str) -> Embedded:
    n = int(opts.extra.get("synthetic_questions") or synthetic.DEFAULT_QUESTIONS)
    assets = synthetic.ensure_default_assets(cache_dir, n, log=stderr_line)
    return Embedded(
        assets.folder,
        assets.onnx_model,  # both backends read it (torch: its initializers)
        data_note(
            "SQuAD set; its answers are the fixed-seed FP32 BERT-Large's own best spans, so that model "
            "scores F1 100 by construction",
            "a SQuAD result",
        ),
        own_model_note("answers", data="SQuAD set"),
    )


def prepare(opts: RunOptions) -> RunOptions:
    """After the embedded default: the padding-free check and note, and two warm-up batches."""
    model, notes = opts.model, opts.extra["notes"]
    if opts.extra.get("padding_free"):
        if model and model.endswith(".onnx") and opts.backend == "onnxruntime":
            _check_padding_free_model(model)
        notes.append(
            "padding-free: each batch runs at the length of its longest real sequence (not 384); "
            "responses are padded back to [384, 2] with -10000"
        )
    return replace(
        opts,
        # Two warm-up batches (1 sample, then a full batch, so the batch shape's first-call
        # allocations stay out of the timed run), not the harness's three: a BERT-Large batch
        # costs seconds here.
        warmup_batches=min(opts.warmup_batches, 2),
    )


# The rules' SQuAD calibration lists (calibration/SQuAD-v1.1/README.md; shared/spec/benchmarks.md
# §0.3): 100 indices into the features of dev-v1.1.json (doc stride 128, max length 384), or 100
# question ids of dev-v1.1.json; use one of the two.
CALIBRATION_FEATURES = "bert_calibration_features.txt"
CALIBRATION_QAS_IDS = "bert_calibration_qas_ids.txt"
CALIBRATION_COUNT = 100
# int8 recipe: the Gemm (dense) and MatMul (attention) ops, except each layer's FFN output
# projection, whose input (the GELU output) has outliers a per-tensor uint8 scale cannot cover
# (measured on the real MiniLM checkpoint: the encoder output's error halves when it stays fp32).
INT8_OPS = ("Gemm", "MatMul")


def _default_calibration_list(folder: Path, n_features: int) -> Path:
    """The embedded default's calibration list, in the rules' format (feature indices, one per
    line): a fixed-seed choice of up to 100 features, written into the data folder once."""
    path = folder / CALIBRATION_FEATURES
    if not path.is_file():
        rng = np.random.default_rng(synthetic.SEED + 7)
        pick = sorted(rng.choice(n_features, size=min(CALIBRATION_COUNT, n_features), replace=False).tolist())
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(f"{i}\n" for i in pick), encoding="utf-8")
        tmp.replace(path)
    return path


def _ffn_output_nodes(model: str) -> tuple[str, ...]:
    """The FFN output projections of an onnx_export.write_onnx graph (nodes ``l<n>_out_dense``); none
    in an ONNX file from elsewhere, which is then quantized on all its Gemm/MatMul ops."""
    import onnx

    graph = onnx.load(model, load_external_data=False).graph
    return tuple(n.name for n in graph.node if n.op_type == "Gemm" and n.name.endswith("_out_dense"))


def calibration(opts: RunOptions) -> CalibrationSet:
    """The features of the rules' calibration list (feature indices, or question ids whose
    features all count), from the same dev file the run uses."""
    assert opts.dataset_path is not None and opts.cache_dir is not None
    data = SquadFeatures(opts.dataset_path, opts.cache_dir, vocab_file=opts.extra.get("vocab_file"))
    folder = data.dev_path.parent
    embedded = opts.extra.get("calibration_list") is None and (folder / "dataset.json").is_file()
    if embedded and not any((folder / n).is_file() for n in (CALIBRATION_FEATURES, CALIBRATION_QAS_IDS)):
        _default_calibration_list(folder, data.total_count)
    lst = find_calibration_list(opts, (CALIBRATION_FEATURES, CALIBRATION_QAS_IDS), [folder])
    words = lst.read_text(encoding="utf-8").split()
    if all(w.isdigit() for w in words):
        indices = [int(w) for w in words]
        bad = [i for i in indices if i >= data.total_count]
        if bad:
            raise ValueError(
                f"{lst}: feature index {bad[0]} is beyond the {data.total_count} features of {data.dev_path}"
            )
        what = f"{lst.name} ({len(indices)} features)"
    else:
        wanted = set(words)
        ids = [data.examples[f.example_index].qas_id for f in data.all_features]
        indices = [i for i, q in enumerate(ids) if q in wanted]
        unknown = wanted - set(ids)
        if unknown:
            raise ValueError(
                f"{lst}: {len(unknown)} question id(s) not in {data.dev_path}, e.g. {min(unknown)}"
            )
        what = f"{lst.name} ({len(words)} questions, {len(indices)} features)"
    exclude = _ffn_output_nodes(opts.model) if opts.model else ()

    def feeds():
        for start in range(0, len(indices), 4):
            yield data.get_batch(indices[start : start + 4])

    return CalibrationSet(
        source=what,
        identity=list_identity(lst, data.dev_path.resolve(), data.dev_path.stat().st_size),
        count=len(indices),
        feeds=feeds,
        op_types=INT8_OPS,
        exclude_nodes=exclude,
    )


def hint(report: RunReport, opts: RunOptions) -> list[str]:
    """Why a short run on a small machine is INVALID, and the flags of a VALID demonstration."""
    p = report.performance
    if p is None or p.valid or opts.official:
        return []
    if p.scenario == "Server":  # BERT's own: the flags follow the latencies just measured
        need = queries_needed(p.early_stopping) or 460
        p99_s = p.latency_ms.get("p99", p.latency_ms.get("max", 0.0)) / 1000.0
        mean_s = p.latency_ms.get("mean", 0.0) / 1000.0
        # The least-queued sample's latency estimates one sample's cost; with padding-free
        # batches the shortest sample is cheaper than the average one (about 3x on the default
        # data), hence the margin.
        service_s = max(p.latency_ms.get("min", 0.0) / 1000.0, 0.001)
        if opts.extra.get("padding_free"):
            service_s *= 3.0
        workers = opts.threads or 2
        qps = max(0.01, float(f"{0.35 * workers / service_s:.2g}"))  # about a third of what the workers do
        bound = int(np.ceil(6 * service_s))  # room for queueing at that load
        duration = int(np.ceil((need + 60) / qps))  # a margin over what early stopping needs
        bound_s = opts.max_latency_s or SERVER_BOUND_MS / 1000.0
        why = (
            f"A sample took {mean_s:.2f} s on average here (p99 {p99_s:.2f} s), so the {bound_s * 1000:g} ms bound "
            f"cannot be met on this machine"
            if p99_s > bound_s
            else f"{p.queries_issued} queries ran"
        )
        return [
            f"Server is VALID only if 99% of queries finish within the latency bound ({SERVER_BOUND_MS} ms for "
            f"BERT) and enough queries ran for early stopping (LoadGen asks for at least {need}). {why}. For a "
            f"demonstration (not an official result) relax the bound, lower the rate and run long enough: "
            f"--max-latency {bound} --qps {qps:g} --time {duration}"
            + ("" if opts.extra.get("padding_free") else " (add --padding-free: shorter sequences, faster)")
        ]
    return short_run_hints(report, opts, "bert", f"{SERVER_BOUND_MS} ms at the 99th percentile")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vocab-file", help="vocab.txt (default: beside the dev JSON)")
    p.add_argument(
        "--padding-free",
        action="store_true",
        help="run each batch at the length of its longest real sequence instead of 384 (length-bucketed batches)",
    )
    add_size_argument(
        p,
        "--synthetic-questions",
        synthetic.DEFAULT_QUESTIONS,
        "questions in the embedded synthetic data set",
    )


SPEC = BenchmarkSpec.in_folder(
    HERE,
    name="BERT-Large SQuAD v1.1",
    config_model="bert",
    make_dataset=make_dataset,
    postprocess=postprocess,
    prepare=prepare,
    embedded=embedded,
    which_model="give an ONNX file (onnxruntime) or a "
    "BertForQuestionAnswering state dict such as MLPerf's model.pytorch (torch)",
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    torch_model_factory=imported_when_called("bert.model:build_torch_model"),
    null_outputs=(((squad.MAX_SEQ_LENGTH,), "float32"), ((squad.MAX_SEQ_LENGTH,), "float32")),
    performance_sample_count=10833,
    default_max_batchsize=2,
    hint=hint,
    batch_sort_key=batch_sort_key,
    # One BERT-Large batch takes seconds on 2 idle cores and can take minutes on busy ones:
    # LoadGen's 60 s default would end such a run as stuck.
    watchdog_timeout_ms=900_000,
    calibration=calibration,
)


if __name__ == "__main__":
    sys.exit(main(SPEC, add_arguments=add_arguments))
