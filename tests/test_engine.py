"""The judge's verdicts on outcomes made by hand: what passes, what is a known book
difference, what a failure says, and which behaviour pays for it."""

import numpy as np
import pytest

from conformance import catalog, divergences, engine, oracles

ACCEPTING = engine.Policy(accepted=divergences.default_policy("accepted"))


def relu_case(dtype):
    return next(c for c in catalog.cases("Relu", "quick", invalid=False)
                if c.params["dtype"] == dtype)


def conv_case(dtype="float64"):
    return next(c for c in catalog.cases("Convolution", "quick", invalid=False)
                if c.params["dtype"] == dtype)


def judged(case, outputs, policy=ACCEPTING, mutate=(), status="ok"):
    """Judge outputs(inputs, expected); the inputs named in `mutate` come back changed."""
    inputs = catalog.COMPONENTS[case.component].make_inputs(case.params, case.rng(0))
    expected = engine.expected_for(case, inputs, oracles.get("reference"))
    after = {k: v.copy() for k, v in inputs.items()}
    for name in mutate:
        after[name] = after[name] * 0
    outcome = engine.Outcome(status, outputs=outputs(inputs, expected), inputs_after=after)
    return engine.judge(case, inputs, outcome, expected, policy)


def test_repeated_outputs_are_expected_to_equal_the_first():
    inputs = catalog.COMPONENTS["Relu"].make_inputs(relu_case("float64").params,
                                                    relu_case("float64").rng(0))
    expected = engine.expected_for(relu_case("float64"), inputs, oracles.get("reference"))
    assert np.array_equal(expected["dx_again"], expected["dx"])


def test_float64_out_for_float32_in_is_the_accepted_book_difference():
    checks = judged(conv_case("float32"), lambda a, e: {k: v.astype(np.float64)
                                                        for k, v in e.items()})
    contract = checks[engine.CONTRACT]
    assert contract.ok and "float32-becomes-float64" in contract.notes[0]


def test_the_book_dtype_difference_is_accepted_only_where_the_book_has_it():
    """The book's Relu keeps float32: float64 there is no book behaviour."""
    checks = judged(relu_case("float32"), lambda a, e: {k: v.astype(np.float64)
                                                        for k, v in e.items()})
    assert not checks[engine.CONTRACT].ok


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.bool_])
def test_other_dtypes_are_never_taken_for_the_book_difference(dtype):
    checks = judged(relu_case("float64"), lambda a, e: {k: v.astype(dtype) for k, v in e.items()})
    assert not checks[engine.CONTRACT].ok
    assert f"is {np.dtype(dtype)} for float64 input" in checks[engine.CONTRACT].message


def test_a_failing_backward_loses_only_the_gradient():
    def outputs(a, e):
        return {"out": e["out"], "error:backward": "TypeError: bad operand (at cnn.py, line 3)"}
    checks = judged(relu_case("float64"), outputs)
    assert checks["forward"].ok and checks[engine.CONTRACT].ok
    assert not checks["input_gradient"].ok
    assert "backward raised TypeError: bad operand" in checks["input_gradient"].message
    assert checks["input_gradient"].error.startswith("Relu: backward raised")


def test_mutation_is_judged_from_the_arrays_that_came_back():
    def same(a, e):
        return dict(e)
    accepted = judged(relu_case("float64"), same, mutate=["dout"])
    assert accepted[engine.CONTRACT].ok and accepted[engine.CONTRACT].notes
    strict = judged(relu_case("float64"), same, engine.Policy.strict(), mutate=["dout"])
    assert not strict[engine.CONTRACT].ok
    assert "modified its input `dout` in place" in strict[engine.CONTRACT].message
    other = judged(relu_case("float64"), same, mutate=["x"])
    assert not other[engine.CONTRACT].ok
    assert other["forward"].ok and other["input_gradient"].ok  # the slip costs no behaviour


def test_a_missing_input_copy_counts_as_changed():
    inputs = {"x": np.ones(3), "dout": np.zeros(3)}
    assert engine.mutated_inputs(inputs, {"x": np.ones(3)}) == ["dout"]
    assert engine.mutated_inputs(inputs, {"x": np.ones(3), "dout": np.zeros(3)}) == []
    assert engine.mutated_inputs({"x": np.array([np.nan])}, {"x": np.array([np.nan])}) == []


def test_a_shape_slip_that_keeps_the_values_costs_the_contract_only():
    """db returned as (1, FN): the parameter gradients are right, the contract is not."""
    def outputs(a, e):
        return {**e, "db": e["db"].reshape(1, -1)}
    checks = judged(conv_case(), outputs)
    assert checks["forward"].ok and checks["input_gradient"].ok
    assert checks["parameter_gradients"].ok
    assert not checks[engine.CONTRACT].ok
    assert "db has shape (1," in checks[engine.CONTRACT].message


def test_a_wrong_dx_costs_the_input_gradient_only():
    def outputs(a, e):
        return {**e, "dx": e["dx"] * 2, "dx_again": e["dx"] * 2}
    checks = judged(conv_case(), outputs)
    assert [b for b, c in checks.items() if not c.ok] == ["input_gradient"]


def test_a_backward_that_changes_the_layer_state_shows_in_its_second_answer():
    def outputs(a, e):
        return {**e, "dx_again": e["dx"] - 1}
    checks = judged(conv_case(), outputs)
    assert not checks["input_gradient"].ok and "dx_again" in checks["input_gradient"].message


def test_student_text_is_never_read_for_hints():
    """An error message that carries a tag (or anything else) is shown, never obeyed."""
    case = next(c for c in catalog.cases("SimpleConvNet", "quick") if "odd-conv-size" in c.tags)
    checks = judged(case, lambda a, e: {}, status="error")
    inputs = catalog.COMPONENTS[case.component].make_inputs(case.params, case.rng(0))
    expected = engine.expected_for(case, inputs, oracles.get("reference"))
    outcome = engine.Outcome("error", error_type="ValueError",
                             error_message="[hint: pool-size-rounding] [hint: no-such-hint]")
    checks = engine.judge(case, inputs, outcome, expected, ACCEPTING)
    assert all(not c.hints for c in checks.values())
    assert "[hint: no-such-hint]" in checks["forward"].message


def test_a_wrong_parameter_shape_is_named_from_the_shapes_reported_as_data():
    """The network driver reports its parameters' shapes as numbers; the book's size formula
    for odd sizes is recognised from them."""
    case = next(c for c in catalog.cases("SimpleConvNet", "quick") if "odd-conv-size" in c.tags)
    p = case.params
    fn, hidden = p["filter_num"], p["hidden"]
    conv = p["input_dim"][1] - p["filter_size"] + 1  # 7: odd
    wrong = int(fn * (conv / 2) * (conv / 2))

    def outputs(a, e):
        shapes = {f"shape:{k}": np.array(v, dtype=np.int64) for k, v in p["param_shapes"].items()}
        shapes["shape:W2"] = np.array([wrong, hidden])
        return {**shapes, "error:weights": "`SimpleConvNet.params['W2']` has shape ..."}
    checks = judged(case, outputs)
    assert checks["forward"].hints == ["pool-size-rounding"]
    assert "book difference (pool-size-rounding)" in checks["forward"].message
