"""The models of the rules: what every round shares about a model (its
mlperf.conf name, headline accuracy metric and FP32 reference, how TEST01
samples and decodes it), by its mlperf.conf name."""

from __future__ import annotations

from .schema import AccuracyMetric, ModelRules, RulesError

_F1 = AccuracyMetric("F1", r"\"f1\":\s*([\d.]+)", 90.874)
ROUGE = {
    k: AccuracyMetric(k, rf"'{p}':\s*'?([\d.]+)", ref)
    for k, p, ref in (
        ("ROUGE-1", "rouge1", 38.7792),
        ("ROUGE-2", "rouge2", 15.9075),
        ("ROUGE-L", "rougeL", 24.4957),
        ("ROUGE-Lsum", "rougeLsum", 35.793),
        ("gen_len", "gen_len", 8167644.0),
    )
}

MODELS: dict[str, ModelRules] = {
    m.config_model: m
    for m in (
        ModelRules("resnet50", AccuracyMetric("accuracy", r"accuracy=([\d.]+)", 76.46), 4096, "float32"),
        ModelRules("ssd-mobilenet", AccuracyMetric("mAP", r"mAP=([\d.]+)", 22.0), 1024, "float32"),
        ModelRules("ssd-resnet34", AccuracyMetric("mAP", r"mAP=([\d.]+)", 20.0), 256, "float32"),
        ModelRules("bert", _F1, 4096, "float32"),
        ModelRules("dlrm", AccuracyMetric("AUC", r"AUC=([\d.]+)", 80.25), 4096, "float32"),
        ModelRules(
            "rnnt",
            AccuracyMetric("accuracy", r"Word Error Rate:.*accuracy=([\d.]+)%", 100.0 - 7.452253714852645),
            4096,
            "int64",
        ),
        ModelRules(
            "3d-unet", AccuracyMetric("mean DICE", r"Accuracy: mean = ([\d.]+)", 0.86170), 64, "uint8"
        ),
        ModelRules(
            "llama3_1-8b",
            ROUGE["ROUGE-1"],
            0,
            "int32",
            extra_metrics=(ROUGE["ROUGE-2"], ROUGE["ROUGE-L"], ROUGE["ROUGE-Lsum"], ROUGE["gen_len"]),
        ),
        ModelRules("gnmt", AccuracyMetric("BLEU", r"BLEU:\s*([\d.]+)", 23.9), 4096, "uint8"),
    )
}


def model_rules(config_model: str) -> ModelRules:
    """A model's round-independent facts, by its mlperf.conf name."""
    if config_model in MODELS:
        return MODELS[config_model]
    known = ", ".join(sorted(MODELS))
    raise RulesError(f"no compliance/submission rules for model {config_model!r} (known: {known})")
