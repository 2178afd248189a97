"""The submission tree's layout (shared/spec/mlperf-rules.md §7, v6.0+), the
system description's required fields, and accuracy-log truncation.

    <division>/<submitter>/
      systems/<system>.json
      code/<benchmark>/README.md
      results/<system>/<benchmark>/<scenario>/
        performance/run_1/{mlperf_log_summary.txt, mlperf_log_detail.txt}
        accuracy/{mlperf_log_summary.txt, mlperf_log_detail.txt, mlperf_log_accuracy.json, accuracy.txt}
        measurements.json, user.conf, mlperf.conf, README.md
        TEST0x/{verify_performance.txt, [verify_accuracy.txt],
                performance/run_1/{mlperf_log_detail.txt, mlperf_log_summary.txt},
                [accuracy/{mlperf_log_accuracy.json, accuracy.txt, baseline_accuracy.txt, compliance_accuracy.txt}]}
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DIVISIONS = ("closed", "open", "network")
PERF_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")
ACCURACY_FILES = (
    "mlperf_log_summary.txt",
    "mlperf_log_detail.txt",
    "mlperf_log_accuracy.json",
    "accuracy.txt",
)
MEASUREMENT_FILES = ("measurements.json", "user.conf", "README.md")
MEASUREMENTS_FIELDS = (
    "input_data_types",
    "retraining",
    "starting_weights_filename",
    "weight_data_types",
    "weight_transformations",
)
SYSTEM_FIELDS = (
    "division",
    "submitter",
    "status",
    "system_name",
    "system_type",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_memory_capacity",
    "host_storage_capacity",
    "host_storage_type",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "framework",
    "operating_system",
    "other_software_stack",
    "host_processor_frequency",
    "host_processor_caches",
    "host_processor_interconnect",
    "host_networking",
    "host_networking_topology",
    "accelerator_frequency",
    "accelerator_host_interconnect",
    "accelerator_interconnect",
    "accelerator_interconnect_topology",
    "accelerator_memory_configuration",
    "accelerator_on-chip_memories",
    "cooling",
    "hw_notes",
    "sw_notes",
)
SYSTEM_STATUS = ("available", "preview", "rdi")
SYSTEM_TYPES = ("datacenter", "edge", "datacenter,edge", "edge,datacenter", "both")
TRUNCATE_KEEP = 4096  # bytes kept at each end of a truncated accuracy log
MAX_ACCURACY_LOG = 10 * 1024  # the checker's limit for an accuracy log in the tree
MAX_FILE = 50 * 1024 * 1024  # no file in the tree may be larger


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def truncate_accuracy_log(src: Path, dst: Path) -> str | None:
    """Copy ``src`` to ``dst``, keeping only its first and last 4096 bytes if
    it is larger than the checker allows. Returns the original's SHA-256
    (for ``hash=`` in accuracy.txt), or None if it was copied whole."""
    size = src.stat().st_size
    dst.parent.mkdir(parents=True, exist_ok=True)
    if size <= MAX_ACCURACY_LOG:
        dst.write_bytes(src.read_bytes())
        return None
    digest = sha256_file(src)
    with open(src, "rb") as f:
        head = f.read(TRUNCATE_KEEP)
        f.seek(size - TRUNCATE_KEEP)
        tail = f.read(TRUNCATE_KEEP)
    dst.write_bytes(head + tail)
    return digest
