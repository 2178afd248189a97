"""The checks of what describes a system: its JSON system description (the
round's fields, non-empty values, division, submitter, status, system type)
and a scenario's measurements folder (its files and measurements JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..rules import RulesVersion
from .check_result import CheckResult
from .check_runs import check_files
from .layout import (
    MEASUREMENTS_FIELDS,
    SYSTEM_FIELDS,
    SYSTEM_FIELDS_NONEMPTY,
    SYSTEM_STATUS,
    SYSTEM_TYPES,
    find_measurements_json,
)


def check_system(res: CheckResult, path: Path, division: str, submitter: str, v: RulesVersion) -> Any:
    try:
        system: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        res.add(path, f"not a readable JSON system description ({e})")
        return None
    if not isinstance(system, dict):
        res.add(path, "the system description must be a JSON object")
        return None
    required = v.system_fields if v.system_fields is not None else SYSTEM_FIELDS
    for f in required:
        if f not in system:
            res.add(path, f"required field {f!r} missing")
    if v.system_fields is None:  # the rounds of the current checkers
        for f in SYSTEM_FIELDS_NONEMPTY:
            value = system.get(f)
            if f in system and (value is None or value == "" or value == [] or value == {}):
                res.add(
                    path,
                    f"field {f!r} is empty: the checker wants a meaningful value (N/A where none applies)",
                )
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
                res.note(path, f"field {f!r} is 0, which the reference's v6.0 checker counts as empty")
    if v.system_fields_closed:
        known = set(required) | set(v.system_fields_optional)
        for f in system:
            if f not in known:
                res.add(path, f"field {f!r} is not one rules {v.name} know")
    if system.get("division") not in (None, division):
        res.add(path, f"division {system.get('division')!r} but the tree is in {division}/")
    if system.get("submitter") not in (None, submitter):
        res.add(path, f"submitter {system.get('submitter')!r} but the tree is in {submitter}/")
    if "status" in system and str(system["status"]).lower() not in SYSTEM_STATUS:
        res.add(path, f"status {system['status']!r} is not one of {', '.join(SYSTEM_STATUS)}")
    if "system_type" in system and str(system["system_type"]).lower() not in SYSTEM_TYPES:
        res.add(path, f"system_type {system['system_type']!r} is not datacenter, edge or both")
    return system


def check_measurements(res: CheckResult, paths: Any, v: RulesVersion, system: str, scenario: str) -> None:
    folder: Path = paths.measurements
    if not folder.is_dir():
        res.add(folder, f"no measurements folder (rules {v.name})")
        return
    check_files(res, folder, v.measurement_files)
    if v.layout == "v6":
        m: Path | None = folder / paths.measurements_json
        if m is not None and not m.is_file():
            res.add(m, "required file missing")
            m = None
    else:
        m = find_measurements_json(folder, system, scenario)
        if m is None:
            res.add(folder, f"no {system}_<implementation>_{scenario}.json (the measurements fields)")
    if m is None:
        return
    try:
        meas = json.loads(m.read_text(encoding="utf-8"))
        for f in MEASUREMENTS_FIELDS:
            if f not in meas:
                res.add(m, f"required field {f!r} missing")
    except json.JSONDecodeError as e:
        res.add(m, f"not valid JSON ({e.msg})")
