"""``loadgen`` offers the reference ``mlperf_loadgen`` API: names, enums, fields,
defaults, constructors and signatures, compared against the installed reference
module (mlcommons-loadgen 6.0.17).

Only introspection happens here; nothing is run with the reference in this
process.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import loadgen
import pytest

ref = pytest.importorskip("mlperf_loadgen")

# pybind11's bind_vector classes of the reference. Even constructing one raises
# RecursionError in the reference build, so no caller can depend on them; our
# module leaves them out on purpose (reported, not required).
UNUSABLE_IN_REFERENCE = {"VectorQuerySample", "VectorQuerySampleResponse"}

SETTINGS_CLASSES = ["TestSettings", "LogSettings", "LogOutputSettings"]
ENUMS = ["TestScenario", "TestMode", "LoggingMode"]


def public_names(module_or_obj) -> set[str]:
    return {n for n in dir(module_or_obj) if not (n.startswith("__") and n.endswith("__"))}


def data_fields(obj) -> dict[str, object]:
    """The non-callable public attributes of a pybind11 object."""
    out = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(obj, name)
        if callable(value) and not hasattr(value, "__members__") and not hasattr(type(value), "__members__"):
            continue
        out[name] = value
    return out


def comparable(value):
    """Enum members of the two modules compare by (name, value)."""
    if hasattr(type(value), "__members__"):
        return (type(value).__name__, value.name, int(value))
    return (type(value).__name__, value)


def test_loadgen_is_the_installed_wheel_not_the_source_tree():
    source = Path(__file__).resolve().parents[1] / "python" / "loadgen"
    installed = Path(loadgen.__file__).resolve().parent
    assert installed != source, "the suite must test the installed wheel, not python/loadgen"
    assert "site-packages" in installed.parts, installed
    assert hasattr(loadgen, "_core")


def test_every_public_reference_name_exists_in_loadgen():
    missing = public_names(ref) - UNUSABLE_IN_REFERENCE - public_names(loadgen)
    assert missing == set()


def test_version_is_a_dotted_string():
    assert isinstance(loadgen.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", loadgen.__version__)


def test_module_docstring_matches_reference():
    assert loadgen.__doc__.strip().startswith(ref.__doc__.strip())


@pytest.mark.parametrize("enum_name", ENUMS)
def test_enum_members_and_values_match_reference(enum_name):
    ours = {name: int(member) for name, member in getattr(loadgen, enum_name).__members__.items()}
    theirs = {name: int(member) for name, member in getattr(ref, enum_name).__members__.items()}
    assert ours == theirs


@pytest.mark.parametrize("enum_name", ENUMS)
def test_enum_is_constructible_from_int_and_has_name_and_value(enum_name):
    ours, theirs = getattr(loadgen, enum_name), getattr(ref, enum_name)
    for member in theirs.__members__.values():
        mine = ours(int(member))
        assert mine.name == member.name
        assert mine.value == member.value


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
def test_enum_member_does_not_equal_its_int(module):
    # pybind11 enums are not IntEnums: code must compare with members.
    assert (module.TestScenario.Server == 2) is False
    assert module.TestScenario.Server == module.TestScenario(2)


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
def test_assigning_an_int_to_an_enum_field_raises_type_error(module):
    ts = module.TestSettings()
    with pytest.raises(TypeError):
        ts.scenario = 2


@pytest.mark.parametrize("cls", SETTINGS_CLASSES)
def test_settings_fields_and_defaults_match_a_fresh_reference_instance(cls):
    ours = data_fields(getattr(loadgen, cls)())
    theirs = data_fields(getattr(ref, cls)())
    missing = set(theirs) - set(ours)
    assert missing == set(), f"{cls} lacks fields {sorted(missing)}"
    for name, value in theirs.items():
        if name == "log_output":  # a nested settings object, compared below
            continue
        assert comparable(ours[name]) == comparable(value), f"{cls}.{name}"


def test_log_settings_nested_output_defaults_match_reference():
    ours = data_fields(loadgen.LogSettings().log_output)
    theirs = data_fields(ref.LogSettings().log_output)
    assert {k: comparable(v) for k, v in ours.items()} == {k: comparable(v) for k, v in theirs.items()}


def test_extension_fields_of_test_settings_are_only_additions():
    extra = set(data_fields(loadgen.TestSettings())) - set(data_fields(ref.TestSettings()))
    # Extensions are documented in test_settings.h; none may shadow a reference field.
    assert "watchdog_timeout_ms" in extra
    assert all(not name.startswith("server_target") for name in extra)


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
def test_log_output_is_returned_by_reference(module):
    ls = module.LogSettings()
    ls.log_output.outdir = "somewhere"
    ls.log_output.prefix_with_datetime = True
    assert ls.log_output.outdir == "somewhere"
    assert ls.log_output.prefix_with_datetime is True


def unsigned_fields() -> list[str]:
    """TestSettings fields the reference stores as uint64 (they reject -1)."""
    names = []
    probe = ref.TestSettings()
    for name, value in data_fields(probe).items():
        if type(value) is not int:
            continue
        try:
            setattr(probe, name, -1)
        except TypeError:
            names.append(name)
    return names


def test_reference_has_unsigned_fields_to_check():
    assert {"min_duration_ms", "min_query_count", "qsl_rng_seed"} <= set(unsigned_fields())


@pytest.mark.parametrize("field", unsigned_fields())
def test_negative_value_for_unsigned_field_raises_type_error(field):
    ts = loadgen.TestSettings()
    before = getattr(ts, field)
    with pytest.raises(TypeError):
        setattr(ts, field, -1)
    assert getattr(ts, field) == before


@pytest.mark.parametrize("field", ["qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed"])
def test_unsigned_field_accepts_full_64_bit_seed(field):
    ts = loadgen.TestSettings()
    setattr(ts, field, 18209322760996052031)
    assert getattr(ts, field) == 18209322760996052031


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
def test_query_sample_constructors(module):
    s = module.QuerySample(7, 3)
    assert (s.id, s.index) == (7, 3)
    empty = module.QuerySample()
    empty.id, empty.index = 11, 12
    assert (empty.id, empty.index) == (11, 12)
    copy = pickle.loads(pickle.dumps(s))
    assert (copy.id, copy.index) == (7, 3)


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
def test_query_sample_response_positional_constructors(module):
    r3 = module.QuerySampleResponse(1, 2, 3)
    assert (r3.id, r3.data, r3.size, r3.n_tokens) == (1, 2, 3, 0)
    r4 = module.QuerySampleResponse(1, 2, 3, 4)
    assert (r4.id, r4.data, r4.size, r4.n_tokens) == (1, 2, 3, 4)
    r0 = module.QuerySampleResponse()
    assert (r0.size, r0.n_tokens) == (0, 0)


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.QuerySampleResponse(id=1, data=2, size=3),
        lambda m: m.QuerySample(id=1, index=2),
        lambda m: m.QuerySampleResponse(-1, 0, 0),
        lambda m: m.QuerySampleResponse(1, 0, -3),
        lambda m: m.QuerySample(1, -2),
    ],
    ids=[
        "response-keywords",
        "sample-keywords",
        "response-negative-id",
        "response-negative-size",
        "sample-negative-index",
    ],
)
def test_bad_constructor_arguments_raise_type_error(module, make):
    with pytest.raises(TypeError):
        make(module)


SIGNATURE = re.compile(r"^(\w+)\((.*)\) -> (\S+)$")


def signature(fn) -> tuple[list[tuple[str, str | None]], str]:
    """(parameter names with default values, return type) from the first line
    of a pybind11 docstring; parameter types are not compared (pybind11
    versions spell them differently)."""
    first = fn.__doc__.strip().splitlines()[0]
    m = SIGNATURE.match(first)
    assert m, f"unexpected signature line: {first!r}"
    params = []
    depth, current = 0, ""
    for ch in m.group(2) + ",":
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            if current.strip():
                name, _, rest = current.strip().partition(":")
                default = rest.split("=", 1)[1].strip() if "=" in rest else None
                params.append((name.strip(), default))
            current = ""
        else:
            current += ch
    return params, m.group(3).rsplit(".", 1)[-1]


def docstring_text(fn) -> str:
    """The docstring's prose after the signature, without whitespace (our text
    fixes the reference's missing space in 'ofIssueQuery')."""
    return re.sub(r"\s+", "", "\n".join(fn.__doc__.strip().splitlines()[1:]))


REFERENCE_FUNCTIONS = sorted(
    n for n in public_names(ref) if callable(getattr(ref, n)) and not isinstance(getattr(ref, n), type)
)


def test_reference_functions_were_found():
    assert {"StartTest", "QuerySamplesComplete", "ConstructSUT", "DestroyQSL"} <= set(REFERENCE_FUNCTIONS)


@pytest.mark.parametrize("name", REFERENCE_FUNCTIONS)
def test_function_signature_matches_reference(name):
    ours, theirs = getattr(loadgen, name), getattr(ref, name)
    assert signature(ours) == signature(theirs)
    assert docstring_text(ours) == docstring_text(theirs)


def test_from_config_signature_matches_reference():
    assert signature(loadgen.TestSettings.FromConfig) == signature(ref.TestSettings.FromConfig)
    assert docstring_text(loadgen.TestSettings.FromConfig) == docstring_text(ref.TestSettings.FromConfig)


@pytest.mark.parametrize("module", [loadgen, ref], ids=["loadgen", "reference"])
def test_query_samples_complete_takes_a_list_or_tuple_but_not_a_generator(module):
    # Outside a test, empty input is a no-op in both.
    module.QuerySamplesComplete([])
    module.QuerySamplesComplete(())
    with pytest.raises(TypeError):
        module.QuerySamplesComplete(r for r in [])
