"""The submission tree's layouts (shared/spec/mlperf-rules.md §7), the
system description's required fields, and accuracy-log truncation.

Which layout a tree has is a property of its rules version
(``loadgen.rules``, ``RulesVersion.layout``):

v6.0 and later ("v6")::

    <division>/<submitter>/
      systems/<system>.json
      src/<benchmark>/README.md
      results/<system>/<benchmark>/<scenario>/
        performance/run_1/{mlperf_log_summary.txt, mlperf_log_detail.txt}
        accuracy/{mlperf_log_summary.txt, mlperf_log_detail.txt, mlperf_log_accuracy.json, accuracy.txt}
        measurements.json, user.conf, mlperf.conf, README.md
        TEST0x/{verify_performance.txt, [verify_accuracy.txt],
                performance/run_1/{mlperf_log_detail.txt, mlperf_log_summary.txt},
                [accuracy/{mlperf_log_accuracy.json, accuracy.txt, baseline_accuracy.txt, compliance_accuracy.txt}]}

v2.0 to v5.1 ("split"): results/ holds performance/ and accuracy/ only;
``measurements/<system>/<benchmark>/<scenario>/`` holds
``<system>_<implementation>_<scenario>.json`` (the measurements fields), user.conf,
README.md (and mlperf.conf up to v4.1); ``compliance/<system>/<benchmark>/<scenario>/TEST0x/``
the compliance tests; the code is in ``code/<benchmark>/<implementation>/``.

v0.5 ("v0.5"): as "split" without compliance/; Server has performance/run_1 to
run_5, and each performance run keeps its mlperf_log_accuracy.json.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..rules import RulesVersion

DIVISIONS = ("closed", "open", "network")
PERF_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")
ACCURACY_FILES = (
    "mlperf_log_summary.txt",
    "mlperf_log_detail.txt",
    "mlperf_log_accuracy.json",
    "accuracy.txt",
)
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
    # Required by the reference's checkers (submission_checker_old.py and the
    # v6.0 submission_checker), found by running the latter on a packed tree.
    "host_memory_configuration",
    "host_network_card_count",
    "system_type_detail",
)
# Fields the reference's checkers also want non-empty (a numeric 0 counts
# as empty there).
SYSTEM_FIELDS_NONEMPTY = (
    "division",
    "submitter",
    "system_type",
    "status",
    "system_name",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_memory_capacity",
    "host_memory_configuration",
    "host_storage_capacity",
    "host_storage_type",
    "host_networking",
    "host_network_card_count",
    "host_networking_topology",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "accelerator_host_interconnect",
    "accelerator_memory_configuration",
    "accelerator_interconnect",
    "cooling",
    "framework",
    "operating_system",
    "other_software_stack",
)
SYSTEM_STATUS = ("available", "preview", "rdi")
SYSTEM_TYPES = ("datacenter", "edge", "datacenter,edge", "edge,datacenter", "both")
TRUNCATE_KEEP = 4096  # bytes kept at each end of a truncated accuracy log
MAX_ACCURACY_LOG = 10 * 1024  # the checker's limit for an accuracy log in the tree
MAX_FILE = 50 * 1024 * 1024  # no file in the tree may be larger


IMPLEMENTATION = "loadgen"  # the implementation name in split layouts (code/<benchmark>/loadgen/)


@dataclass(frozen=True)
class ScenarioPaths:
    """Where one scenario's parts go in a tree of a given rules version."""

    results: Path  # performance/ and accuracy/
    measurements: Path  # user.conf, README.md, mlperf.conf, the measurements JSON
    measurements_json: str  # its file name
    compliance: Path | None  # the TEST0x/ folders (None: the round has no compliance folder)


def scenario_paths(root: Path, v: RulesVersion, system: str, benchmark: str, scenario: str) -> ScenarioPaths:
    results = root / "results" / system / benchmark / scenario
    if v.layout == "v6":
        return ScenarioPaths(results, results, "measurements.json", results)
    measurements = root / "measurements" / system / benchmark / scenario
    name = f"{system}_{IMPLEMENTATION}_{scenario}.json"
    compliance = None if v.layout == "v0.5" else root / "compliance" / system / benchmark / scenario
    return ScenarioPaths(results, measurements, name, compliance)


def code_dir(root: Path, v: RulesVersion, benchmark: str) -> Path:
    """The benchmark's code folder: src/<benchmark> (v6.0+) or code/<benchmark>/<implementation>."""
    if v.layout == "v6":
        return root / "src" / benchmark
    return root / "code" / benchmark / IMPLEMENTATION


def find_measurements_json(folder: Path, system: str, scenario: str) -> Path | None:
    """A split layout's measurements JSON as the checkers look for it:
    ``<system>_*_<scenario>.json``, else ``<system>*.json``."""
    if not folder.is_dir():
        return None
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    for n in names:
        if n.startswith(system) and n.endswith(f"_{scenario}.json"):
            return folder / n
    for n in names:
        if n.startswith(system) and n.endswith(".json"):
            return folder / n
    return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def truncate_accuracy_log(src: Path, dst: Path) -> tuple[str, bool]:
    """Copy ``src`` to ``dst``, keeping only its first and last 4096 bytes if
    it is larger than the checker allows. Returns the original's SHA-256 (for
    the ``hash=`` line of accuracy.txt, which the checkers want for every
    accuracy log, truncated or not) and whether it was truncated."""
    size = src.stat().st_size
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest = sha256_file(src)
    if size <= MAX_ACCURACY_LOG:
        dst.write_bytes(src.read_bytes())
        return digest, False
    with open(src, "rb") as f:
        head = f.read(TRUNCATE_KEEP)
        f.seek(size - TRUNCATE_KEEP)
        tail = f.read(TRUNCATE_KEEP)
    dst.write_bytes(head + tail)
    return digest, True
