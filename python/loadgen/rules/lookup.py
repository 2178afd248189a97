"""Looking the rules up: a round by name, the rounds that have a benchmark,
model or compliance test, a model's benchmark and compliance tests in a
round (the newest by default), and the seeds a run for a round must set."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import model_rules
from .rounds import VERSION_NAMES, VERSIONS
from .schema import Benchmark, RulesError, RulesVersion, Seeds


def version(name: str) -> RulesVersion:
    """A rules version by name (``v6.0``; ``6.0`` also works)."""
    key = name if name.startswith("v") else f"v{name}"
    if key in VERSIONS:
        return VERSIONS[key]
    raise RulesError(f"unknown rules version {name!r} (known: {', '.join(VERSION_NAMES)})")


def versions_with_benchmark(name: str) -> list[str]:
    """The rules versions (oldest first) with a benchmark folder of this name."""
    return [v.name for v in VERSIONS.values() if name in v.benchmarks]


def benchmark_folder(v: RulesVersion, name: str) -> Benchmark:
    """Round ``v``'s benchmark of this submission folder name; the error for
    an unknown one names the rounds that have it, or the round's benchmarks."""
    if name in v.benchmarks:
        return v.benchmarks[name]
    others = versions_with_benchmark(name)
    if others:
        raise RulesError(
            f"{name} is not a benchmark of rules {v.name}; the rules versions that have it: "
            f"{', '.join(others)}"
        )
    known = ", ".join(sorted(v.benchmarks))
    raise RulesError(f"unknown benchmark folder {name!r} (rules {v.name} has: {known})")


def versions_with_model(config_model: str) -> list[str]:
    return [v.name for v in VERSIONS.values() if v.benchmarks_of(config_model)]


def versions_with_test(test: str) -> list[str]:
    return [v.name for v in VERSIONS.values() if test in v.tests]


def default_version(config_model: str) -> RulesVersion:
    """The newest round that has this model's benchmark."""
    names = versions_with_model(config_model)
    if not names:
        model_rules(config_model)  # raises for an unknown model
        raise RulesError(f"no rules version has a benchmark of {config_model!r}")
    return VERSIONS[names[-1]]


def resolve(config_model: str, rules_version: str | None = None) -> RulesVersion:
    """The rules version to use for a model: the one named (which must have
    the model's benchmark) or the newest that has it."""
    if rules_version is None:
        return default_version(config_model)
    v = version(rules_version)
    if not v.benchmarks_of(config_model):
        model_rules(config_model)
        names = versions_with_model(config_model)
        raise RulesError(
            f"{config_model} ({', '.join(_benchmark_names(config_model))}) is not a benchmark of rules "
            f"{v.name}; the rules versions that have it: {', '.join(names)} (the newest: {names[-1]})"
        )
    return v


def _benchmark_names(config_model: str) -> list[str]:
    names: list[str] = []
    for v in VERSIONS.values():
        for b in v.benchmarks_of(config_model):
            if b.name not in names:
                names.append(b.name)
    return names


def benchmark_rules(config_model: str, rules_version: str | None = None, target: str = "99") -> Benchmark:
    """A model's benchmark in a round; ``target`` picks bert-99 or bert-99.9."""
    v = resolve(config_model, rules_version)
    found = v.benchmarks_of(config_model)
    if len(found) == 1:
        return found[0]
    for b in found:
        if b.name.endswith(f"-{target}"):
            return b
    raise RulesError(f"target {target}: not one of {', '.join(b.name for b in found)} (rules {v.name})")


def compliance_tests_for(config_model: str, rules_version: str | None = None) -> tuple[str, ...]:
    """The compliance tests a model's (99 %) benchmark needs in a round."""
    return benchmark_rules(config_model, rules_version).tests


def check_test(test: str, v: RulesVersion) -> None:
    """Raise RulesError unless ``test`` is one of the round's compliance tests."""
    if test in v.tests:
        return
    others = versions_with_test(test)
    where = f"the rules versions with {test}: {', '.join(others)}" if others else f"no round here has {test}"
    why = " (TEST05 was removed from the requirements in November 2024)" if test == "TEST05" else ""
    raise RulesError(
        f"{test} is not a compliance test of rules {v.name}{why}; its tests: "
        f"{', '.join(v.tests) or 'none'}; {where}"
    )


@dataclass
class SeedPlan:
    """Seeds to set through TestSettings for a round, and the note that says so."""

    fields: dict[str, int] = field(default_factory=dict)
    note: str = ""


def seed_plan(v: RulesVersion, builtin: dict[str, int], test05: bool) -> SeedPlan:
    """What a run for round ``v`` must set, given the built-in mlperf.conf's
    seed fields (``qsl_rng_seed``, ..., ``test05_qsl_rng_seed``, ...)."""
    want = v.seeds.as_fields()
    if test05:
        if v.test05_seeds is None:
            check_test("TEST05", v)
        assert v.test05_seeds is not None
        want.update(v.test05_seeds.as_fields("test05_"))
    diff = {k: val for k, val in want.items() if builtin.get(k) != val}
    if not diff:
        return SeedPlan()
    which = "official and TEST05 seeds" if test05 else "seeds"
    return SeedPlan(
        diff,
        f"rules {v.name}: the round's {which} are set through TestSettings (the built-in mlperf.conf "
        f"has other seeds)",
    )


def seeds_owner(qsl: int, sample_index: int, schedule: int) -> str | None:
    """Which round's official (or TEST05) seeds these are, if any."""
    s = Seeds(qsl, sample_index, schedule)
    for v in VERSIONS.values():
        if v.seeds == s:
            return v.name
        if v.test05_seeds == s:
            return f"{v.name} TEST05"
    return None


def mlperf_conf_for(v: RulesVersion, builtin_text: str) -> str:
    """The built-in mlperf.conf with round ``v``'s seeds: the file a run for
    ``v`` used (the harness sets them through TestSettings)."""
    fields = v.seeds.as_fields()
    if v.test05_seeds is not None:
        fields.update(v.test05_seeds.as_fields("test05_"))
    out = []
    changed = False
    for line in builtin_text.splitlines():
        m = re.match(r"^(\*\.\*\.)(\w+)(\s*=\s*)(\d+)\s*$", line)
        if m and m.group(2) in fields and int(m.group(4)) != fields[m.group(2)]:
            line = f"{m.group(1)}{m.group(2)}{m.group(3)}{fields[m.group(2)]}"
            changed = True
        out.append(line)
    if changed:
        out.insert(
            0, f"# The seeds below are those of MLPerf Inference rules {v.name}; loadgen's harness set them"
        )
        out.insert(1, "# through TestSettings (its built-in mlperf.conf has another round's).")
    return "\n".join(out) + "\n"
