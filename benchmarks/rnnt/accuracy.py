"""Word error rate of an RNN-T accuracy log, like the reference's accuracy_eval.py.

Standalone::

    python accuracy.py --log_dir OUTPUT_DIR --dataset_dir DATA [--manifest dev-clean-wav.json]
        [--output_dtype int64]

``DATA`` is either form the benchmark reads (the converted folder with
``dev-clean-wav.json``, or LibriSpeech ``dev-clean`` as distributed); the
references are its transcripts in QSL order (utterances over 15 s dropped),
normalised as the reference does. Each response is the emitted symbol ids
(int64 by default), turned into characters with the label list
``" abcdefghijklmnopqrstuvwxyz'"``. The WER is computed by ``jiwer``: the sum
of word-level edit distances over the sum of reference words. It prints the
reference's line::

    Word Error Rate: <100 wer>%, accuracy=<100 (1 - wer)>%

and the quality target: accuracy >= 99 % of (100 - 7.452253714852645), i.e.
91.622 %. A data folder whose ``dataset.json`` names a ``reference_wer`` (the
embedded synthetic set: 0) uses that reference instead.

The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from loadgen.harness.accuracy import AccuracyResult, decode, first_response_per_sample, read_accuracy_log
from loadgen.harness.embedded import reference_from
from loadgen.harness.script import benchmark_folder

benchmark_folder(__file__)  # `import rnnt` also when run as a script

from rnnt.dataset import LABELS, ids_to_text, select_entries

REFERENCE_WER = 7.452253714852645  # percent, the FP32 reference model on dev-clean (<= 15 s)
TARGET_FRACTION = 0.99
DTYPES = ("int64", "int32")


def reference_wer_for(data_dir: str | Path) -> float:
    return reference_from(data_dir, "reference_wer", REFERENCE_WER)


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER (a fraction) by jiwer: total edits / total reference words."""
    import jiwer

    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    if not references:
        raise ValueError("no utterances to score")
    for i, r in enumerate(references):
        if not r.split():
            raise ValueError(f"reference {i} has no words: the WER is undefined for it")
    return float(jiwer.wer(list(references), list(hypotheses)))


def accuracy_line(wer: float) -> str:
    return f"Word Error Rate: {100.0 * wer}%, accuracy={100.0 * (1.0 - wer)}%"


def evaluate(
    responses: Mapping[int, bytes],
    transcripts: Sequence[str],
    dtype: str = "int64",
    reference_wer: float = REFERENCE_WER,
    verbose: bool = False,
) -> AccuracyResult:
    """WER over the logged samples: ``responses[qsl_idx]`` against ``transcripts[qsl_idx]``."""
    refs, hyps = [], []
    for idx in sorted(responses):
        if idx >= len(transcripts):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(transcripts)} utterances of the data set")
        ids = decode(responses[idx], dtype)
        hyp = ids_to_text(ids)
        refs.append(transcripts[idx])
        hyps.append(hyp)
        if verbose and " ".join(hyp.split()) != " ".join(transcripts[idx].split()):
            print(f"qsl_idx {idx}:\n  ref: {transcripts[idx]}\n  hyp: {hyp}")
    wer = word_error_rate(refs, hyps)
    reference_acc = 100.0 - reference_wer
    return AccuracyResult(
        metric="accuracy (100 - WER, %)",
        value=100.0 * (1.0 - wer),
        line=accuracy_line(wer),
        reference=reference_acc,
        target=reference_acc * TARGET_FRACTION,
        target_fraction=TARGET_FRACTION,
        details={
            "wer_percent": 100.0 * wer,
            "utterances": len(refs),
            "words": sum(len(r.split()) for r in refs),
        },
    )


def score_for_harness(accuracy_log: str, dataset: Any, opts: Any) -> AccuracyResult:
    """The harness's hook: references from the Dataset the run used (so
    ``--count`` lines up with the QSL indices)."""
    responses = first_response_per_sample(read_accuracy_log(accuracy_log))
    return evaluate(responses, dataset.transcripts, reference_wer=reference_wer_for(dataset.data_path))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="WER of an MLPerf RNN-T accuracy log")
    p.add_argument("--log_dir", "--log-dir", help="folder with mlperf_log_accuracy.json")
    p.add_argument("--mlperf-accuracy-file", help="the accuracy log itself (instead of --log_dir)")
    p.add_argument("--dataset_dir", "--dataset-dir", required=True, help="the data set folder the run used")
    p.add_argument("--manifest", help="the manifest (default: DATASET_DIR/dev-clean-wav.json if present)")
    p.add_argument("--output_dtype", "--output-dtype", default="int64", choices=DTYPES)
    p.add_argument("--count", type=int, help="the --count the run used (first N utterances)")
    p.add_argument("--verbose", action="store_true", help="print each utterance with errors")
    args = p.parse_args(argv)
    if bool(args.log_dir) == bool(args.mlperf_accuracy_file):
        p.error("give one of --log_dir and --mlperf-accuracy-file")
    log = args.mlperf_accuracy_file or str(Path(args.log_dir) / "mlperf_log_accuracy.json")
    source = args.manifest or args.dataset_dir
    try:
        transcripts = [e.transcript for e in select_entries(source, args.count)]
        responses = first_response_per_sample(read_accuracy_log(log))
        result = evaluate(
            responses, transcripts, args.output_dtype, reference_wer_for(args.dataset_dir), args.verbose
        )
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(result.line)
    print(result.target_line())
    return 0 if result.passed else 1


__all__ = ["LABELS", "REFERENCE_WER", "accuracy_line", "evaluate", "main", "word_error_rate"]

if __name__ == "__main__":
    sys.exit(main())
