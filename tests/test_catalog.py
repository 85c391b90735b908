"""The case catalog: one table per component, serving the suite and the grader."""

import numpy as np
import pytest

from conformance import catalog, divergences, variants
from conformance.catalog.conv import out_hw


def test_full_grid_has_at_least_5000_cases():
    assert len(catalog.cases(grid="full")) >= 5000


def test_every_component_has_quick_and_full_cases():
    for name in catalog.COMPONENTS:
        assert catalog.cases(name, "quick", invalid=False), name
        assert len(catalog.cases(name, "full", invalid=False)) >= len(
            catalog.cases(name, "quick", invalid=False)), name


def test_case_ids_are_unique_and_findable():
    ids = [c.id for c in catalog.cases(grid="full")]
    assert len(ids) == len(set(ids))
    case = catalog.cases("Convolution", "quick")[0]
    assert catalog.find(case.id) is case


def test_find_names_an_unknown_case():
    with pytest.raises(KeyError, match="no case named"):
        catalog.find("Convolution-nonsense")


def _quick_geometry(component):
    return [c.params for c in catalog.cases(component, "quick", invalid=False)]


@pytest.mark.parametrize("component", ["im2col", "col2im", "Convolution"])
def test_quick_conv_grid_covers_every_axis(component):
    """Each axis the issue names appears in the quick grid, so single bugs cannot hide."""
    ps = _quick_geometry(component)
    assert {p["stride"] for p in ps} >= {1, 2, 3}
    assert {p["pad"] for p in ps} >= {0, 1, 2}
    assert {p["dtype"] for p in ps} == {"float32", "float64"}
    assert any(p["H"] != p["W"] for p in ps)
    assert any(p["FH"] != p["FW"] for p in ps)
    assert any(p["FH"] == p["FW"] == 1 for p in ps)
    assert any(p["N"] > 1 for p in ps) and any(p["C"] > 1 for p in ps)
    assert any(p["stride"] > max(p["FH"], p["FW"]) for p in ps)
    assert any(p["FH"] == p["H"] + 2 * p["pad"] and p["FW"] == p["W"] + 2 * p["pad"] for p in ps)
    assert any((p["H"] + 2 * p["pad"] - p["FH"]) % p["stride"] for p in ps)


def test_quick_pooling_grid_has_ties_overlap_and_padded_negative_windows():
    ps = _quick_geometry("Pooling")
    assert any(p["fill"] == "ties" for p in ps)
    assert any(p["fill"] == "negative" and p["pad"] > 0 for p in ps)
    assert any(p["stride"] < max(p["PH"], p["PW"]) for p in ps)  # overlapping windows
    assert any(p["PH"] != p["PW"] for p in ps)


def test_softmax_cases_reach_logits_of_1000_with_every_kind_of_target():
    ps = _quick_geometry("SoftmaxWithLoss")
    assert max(p["scale"] for p in ps) >= 1000
    assert {p["target"] for p in ps} == {"labels", "onehot", "soft"}


def test_invalid_input_cases_are_tagged_and_name_their_error():
    invalid = [c for c in catalog.cases(grid="quick") if c.error]
    assert len(invalid) >= 20
    assert all("invalid-input" in c.tags for c in invalid)


def test_inputs_are_reproducible_per_seed_and_differ_across_seeds():
    case = catalog.cases("Convolution", "quick")[0]
    make = catalog.COMPONENTS["Convolution"].make_inputs
    a, b = make(case.params, case.rng(7)), make(case.params, case.rng(7))
    c = make(case.params, case.rng(8))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["x"], c["x"])


def test_inputs_have_the_case_dtype():
    for case in catalog.cases("Pooling", "quick", invalid=False):
        inputs = catalog.COMPONENTS["Pooling"].make_inputs(case.params, case.rng(0))
        assert inputs["x"].dtype == case.dtype


def test_distinct_fill_has_no_ties_and_ties_fill_has_many():
    for case in catalog.cases("Pooling", "quick", invalid=False):
        x = catalog.COMPONENTS["Pooling"].make_inputs(case.params, case.rng(0))["x"]
        unique = len(np.unique(x))
        if case.params["fill"] == "ties":
            assert unique <= 3
        else:
            assert unique == x.size


@pytest.mark.parametrize(("H", "pad", "FH", "stride", "expected"), [
    # H  pad FH stride  expected output height
    (7, 1, 3, 2, 4),
    (5, 0, 5, 1, 1),
    (9, 1, 2, 3, 4),
    (10, 0, 3, 2, 4),
    (11, 2, 4, 3, 4),
])
def test_output_size_formula_floors(H, pad, FH, stride, expected):
    p = {"H": H, "W": H, "pad": pad, "FH": FH, "FW": FH, "stride": stride}
    assert out_hw(p) == (expected, expected)


def test_every_difference_has_a_valid_policy_and_a_text():
    for name, entry in divergences.all_differences().items():
        assert entry["grading"] in divergences.POLICIES, name
        assert entry["book"] and entry["pytorch"], name
        if entry["grading"] == "accepted":
            assert "note" in entry, name
        if entry["grading"] in ("wrong", "ungraded"):
            assert "hint" in entry, name


def test_every_variant_has_a_hint_or_is_a_book_difference():
    known = divergences.all_differences()
    for component, entries in variants.REGISTRY.items():
        assert component in catalog.COMPONENTS
        for v in entries:
            assert v.hint or v.name in known, (component, v.name)


def test_ungraded_differences_tag_real_cases():
    """A policy that points at a tag no case carries would silently grade nothing."""
    tags = {t for c in catalog.cases(grid="full") for t in c.tags}
    for name, entry in divergences.all_differences().items():
        if "tag" in entry:
            assert entry["tag"] in tags, name


# ---------------------------------------------------------------------------------------------
# One declaration per component: every registry that names components agrees with the catalog


def _public_functions(path):
    """Public top-level functions of a module, read without importing it (def statements and
    names bound to a function maker, such as `pooling = _unary(...)`)."""
    import ast

    tree = ast.parse(path.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
              for t in n.targets if isinstance(t, ast.Name)}
    return {name for name in names if not name.startswith("_")}


def test_every_component_names_a_driver_and_an_oracle_function_that_exist():
    from pathlib import Path

    import conformance

    root = Path(conformance.__file__).parent
    drivers = _public_functions(root / "drivers.py")
    oracles = _public_functions(root / "oracles" / "torch_oracle.py")  # read, not imported
    for component in catalog.COMPONENTS.values():
        assert component.driver in drivers, component.name
        if component.expected_from_actual:  # the answer is computed from the outcome
            assert component.oracle is None, component.name
        else:
            assert component.oracle in oracles, component.name


def test_every_component_declares_outputs_its_driver_produces():
    """The reference oracle runs the driver: every output a behaviour judges, every repeated
    output and every witness's gradient is among what it returns."""
    from conformance import engine, oracles

    reference = oracles.get("reference")
    for component in catalog.COMPONENTS.values():
        case = catalog.cases(component.name, "quick", invalid=False)[0]
        inputs = component.make_inputs(case.params, case.rng(0))
        expected = engine.expected_for(case, inputs, reference)
        for behaviour, keys in engine.behaviour_keys(component, expected).items():
            assert keys and set(keys) <= set(expected), (component.name, behaviour)
        assert set(component.repeats) <= {k for keys in component.behaviours.values()
                                          for k in keys or ()}, component.name
        assert set(component.gradients.values()) <= set(expected), component.name


def test_variants_and_differences_name_components_of_the_catalog():
    for component, registered in variants.REGISTRY.items():
        assert component in catalog.COMPONENTS, component
        for v in registered:
            if v.name in divergences.all_differences():
                assert component in divergences.get(v.name)["components"], (component, v.name)
            else:
                assert v.hint, f"{component}: variant {v.name} has no hint"
    for name, entry in divergences.all_differences().items():
        assert set(entry["components"]) <= set(catalog.COMPONENTS), name


def test_every_difference_tag_marks_some_case():
    tags = {t for c in catalog.cases(grid="full") for t in c.tags}
    for name, entry in divergences.all_differences().items():
        if "tag" in entry:
            assert entry["tag"] in tags, f"{name}: no case is tagged {entry['tag']!r}"


def test_the_contract_names_agree_everywhere():
    from conformance import loader
    from conformance.grading import rubric

    assert set(catalog.BOOK_CONTRACT) <= set(catalog.COMPONENTS)
    assert set(rubric.DEFAULT_POINTS) == set(catalog.BOOK_CONTRACT)
    assert loader.CONTRACT_NAMES == frozenset(catalog.BOOK_CONTRACT)
