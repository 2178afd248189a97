"""F1 and exact match of a BERT accuracy log, like the reference's accuracy-squad.py.

Standalone::

    python benchmarks/bert/accuracy.py --mlperf-accuracy-file mlperf_log_accuracy.json \\
        --val-data dev-v1.1.json [--vocab-file vocab.txt] [--out-file predictions.json]

(the reference's spellings ``--log_file``, ``--val_data``, ``--vocab_file``,
``--out_file``, ``--output_dtype``, ``--max_examples`` work too). It prints
the reference's line ``{"exact_match": X, "f1": Y}`` (the line submission
tools parse), then both quality targets: bert-99 (F1 >= 99 % of 90.874 =
89.965) and bert-99.9 (F1 >= 99.9 % = 90.783). For a data set folder with a
``dataset.json`` naming its own ``reference_f1`` (the embedded default: 100),
the targets are fractions of that.

Each response is float32 ``[384, 2]``: per position the start logit, then the
end logit (``--output-transposed``: ``[2, 384]``; ``--output-dtype`` for
others); a shorter one is padded to 384 with -10000, as the reference does.
Post-processing and scoring: squad.py (n-best 20, max answer 30 tokens, the
official v1.1 normalisation). Scored questions: those whose every feature
(window) has a response in the log, so a ``--count`` run is scored on the
questions it covered whole; ``--all-questions`` scores every question of the
file, a missing one as 0, as evaluate-v1.1.py does.

The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loadgen.harness.accuracy import AccuracyResult, decode, first_response_per_sample, read_accuracy_log

if __package__ in (None, ""):  # run as a script: make `import bert` work
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bert import squad
from bert.dataset import features_for, locate, reference_scores
from bert.tokenization import FullTokenizer

TARGETS = (("bert-99", 0.99), ("bert-99.9", 0.999))
DTYPES = ("float32", "float16", "float64", "int8", "int16", "int32", "int64")


@dataclass
class SquadAccuracy(AccuracyResult):
    """An AccuracyResult whose target line reports both quality targets."""

    def target_line(self) -> str:
        ref = self.reference if self.reference is not None else squad.REFERENCE_F1
        parts = []
        for name, frac in TARGETS:
            target = ref * frac
            verdict = "PASSED" if self.value >= target else "FAILED"
            parts.append(f"{name}: F1 >= {target:.3f} ({frac * 100:g}% of {ref:.3f}): {verdict}")
        return "quality targets: " + "; ".join(parts)


def response_logits(
    data: bytes, dtype: str = "float32", transposed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) logits of one response, padded to 384 with -10000."""
    values = decode(data, dtype).astype(np.float32)
    if values.size % 2:
        raise ValueError(f"a response of {values.size} values is not (start, end) pairs")
    pairs = values.reshape(2, -1).T if transposed else values.reshape(-1, 2)
    if len(pairs) < squad.MAX_SEQ_LENGTH:
        pad = np.full((squad.MAX_SEQ_LENGTH - len(pairs), 2), squad.PAD_LOGIT, np.float32)
        pairs = np.concatenate([pairs, pad])
    return np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])


def evaluate(
    responses: Mapping[int, bytes],
    examples: Sequence[squad.SquadExample],
    features: Sequence[squad.Feature],
    tokenizer: FullTokenizer,
    dtype: str = "float32",
    transposed: bool = False,
    all_questions: bool = False,
    max_examples: int | None = None,
    reference_f1: float = squad.REFERENCE_F1,
) -> tuple[SquadAccuracy, dict[str, str]]:
    """Scores the responses (qsl_idx = feature index); returns the result and the predictions."""
    for idx in responses:
        if not 0 <= idx < len(features):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(features)} features of the data set")
    logits = {i: response_logits(data, dtype, transposed) for i, data in responses.items() if data}
    by_example = squad.features_by_example(features)
    n_examples = len(examples) if max_examples is None else min(max_examples, len(examples))
    scored: list[squad.SquadExample] = []
    predictions: dict[str, str] = {}
    for ei in range(n_examples):
        fis = by_example.get(ei, [])
        complete = bool(fis) and all(fi in responses for fi in fis)
        if not complete and not all_questions:
            continue
        scored.append(examples[ei])
        if any(fi in responses for fi in fis):
            ex = examples[ei]
            predictions[ex.qas_id] = squad.predict_example(ex, fis, features, logits, tokenizer).text
    scores = squad.evaluate(scored, predictions)
    line = json.dumps({"exact_match": scores["exact_match"], "f1": scores["f1"]})
    result = SquadAccuracy(
        metric="F1 (%)",
        value=scores["f1"],
        line=line,
        reference=reference_f1,
        target=reference_f1 * TARGETS[0][1],
        target_fraction=TARGETS[0][1],
        details={
            "exact_match": scores["exact_match"],
            "f1": scores["f1"],
            "questions_scored": len(scored),
            "questions_in_file": len(examples),
            "features_logged": len(responses),
        },
    )
    return result, predictions


def score_for_harness(accuracy_log: str, dataset, opts) -> AccuracyResult:
    """The harness's accuracy hook, on the Dataset the run used. ``--count`` keeps a
    prefix of the features, so QSL indices are feature indices; all features are
    passed, so that a question cut by ``--count`` counts as incomplete."""
    responses = first_response_per_sample(read_accuracy_log(accuracy_log))
    result, predictions = evaluate(
        responses,
        dataset.examples,
        dataset.all_features,
        dataset.tokenizer,
        reference_f1=dataset.reference_f1,
    )
    out = Path(accuracy_log).parent / "predictions.json"
    out.write_text(json.dumps(predictions, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="SQuAD v1.1 F1 / exact match of an MLPerf BERT accuracy log")
    p.add_argument("--mlperf-accuracy-file", "--log-file", "--log_file", dest="log_file", required=True)
    p.add_argument(
        "--val-data", "--val_data", dest="val_data", required=True, help="dev-v1.1.json (or its folder)"
    )
    p.add_argument(
        "--vocab-file", "--vocab_file", dest="vocab_file", help="vocab.txt (default: beside the dev file)"
    )
    p.add_argument("--out-file", "--out_file", dest="out_file", help="write the predictions {id: text} here")
    p.add_argument("--output-dtype", "--output_dtype", dest="output_dtype", default="float32", choices=DTYPES)
    p.add_argument(
        "--output-transposed", "--output_transposed", dest="output_transposed", action="store_true"
    )
    p.add_argument(
        "--max-examples", "--max_examples", dest="max_examples", type=int, help="the first N questions"
    )
    p.add_argument(
        "--all-questions", action="store_true", help="score every question of the file (missing ones: 0)"
    )
    p.add_argument("--cache-dir", help="where the features are cached (default ~/.cache/loadgen/bert)")
    p.add_argument(
        "--reference-f1", type=float, help="FP32 reference F1 (default: dataset.json, else 90.874)"
    )
    args = p.parse_args(argv)
    try:
        dev, vocab = locate(args.val_data, args.vocab_file)
    except FileNotFoundError as e:
        p.error(str(e))
    from loadgen.harness.cache import default_cache_dir

    tokenizer = FullTokenizer(vocab)
    examples = squad.read_squad_examples(dev)
    feats = features_for(dev, vocab, args.cache_dir or default_cache_dir("bert"), tokenizer, examples)
    responses = first_response_per_sample(read_accuracy_log(args.log_file))
    ref = args.reference_f1 if args.reference_f1 is not None else reference_scores(dev)[0]
    result, predictions = evaluate(
        responses,
        examples,
        feats.features,
        tokenizer,
        args.output_dtype,
        args.output_transposed,
        args.all_questions,
        args.max_examples,
        ref,
    )
    if args.out_file:
        Path(args.out_file).write_text(json.dumps(predictions, indent=1, ensure_ascii=False) + "\n", "utf-8")
    d = result.details
    if d["questions_scored"] < d["questions_in_file"]:
        print(
            f"note: {d['questions_scored']} of {d['questions_in_file']} questions scored (those whose every window "
            f"is in the log); --all-questions scores the rest as 0",
            file=sys.stderr,
        )
    print(result.line)
    print(result.target_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
