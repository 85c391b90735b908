"""The comparison engine's verdicts on outcomes made by hand: what passes, what is a known
book difference, and what a failure says."""

import numpy as np
import pytest

from conformance import catalog, divergences, engine, oracles

ACCEPTING = engine.Policy(accepted=divergences.default_policy("accepted"))


def relu_case(dtype):
    return next(c for c in catalog.cases("Relu", "quick", invalid=False)
                if c.params["dtype"] == dtype)


def judged(case, outputs, policy=ACCEPTING, mutated=()):
    inputs = catalog.COMPONENTS[case.component].make_inputs(case.params, case.rng(0))
    expected = engine.expected_for(case, inputs, oracles.get("reference"))
    outcome = engine.Outcome("ok", outputs=outputs(inputs, expected), mutated=list(mutated))
    return engine.judge(case, inputs, outcome, expected, policy)


def test_float64_out_for_float32_in_is_the_accepted_book_difference():
    checks = judged(relu_case("float32"), lambda a, e: {k: v.astype(np.float64)
                                                        for k, v in e.items()})
    assert checks["dtype"].ok and "float32-becomes-float64" in checks["dtype"].notes[0]


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.bool_])
def test_other_dtypes_are_never_taken_for_the_book_difference(dtype):
    checks = judged(relu_case("float64"), lambda a, e: {k: v.astype(dtype) for k, v in e.items()})
    assert not checks["dtype"].ok
    assert f"is {np.dtype(dtype)} for float64 input" in checks["dtype"].message


def test_a_failing_backward_loses_only_the_gradient():
    def outputs(a, e):
        return {"out": e["out"], "error:backward": "TypeError: bad operand (at cnn.py, line 3)"}
    checks = judged(relu_case("float64"), outputs)
    assert checks["forward"].ok
    assert not checks["input_gradient"].ok
    assert "backward raised TypeError: bad operand" in checks["input_gradient"].message
    assert checks["input_gradient"].error.startswith("Relu: backward raised")


def test_mutating_dout_is_accepted_only_for_relu_under_the_book_policy():
    def same(a, e):
        return dict(e)
    accepted = judged(relu_case("float64"), same, mutated=["dout"])
    assert accepted["inputs_unchanged"].ok and accepted["inputs_unchanged"].notes
    strict = judged(relu_case("float64"), same, engine.Policy.strict(), mutated=["dout"])
    assert not strict["inputs_unchanged"].ok
    assert "modified its input `dout` in place" in strict["inputs_unchanged"].message
    other = judged(relu_case("float64"), same, mutated=["x"])
    assert not other["inputs_unchanged"].ok


def test_a_contract_hint_is_read_from_the_message_and_explained():
    case = next(c for c in catalog.cases("SimpleConvNet", "quick") if "odd-conv-size" in c.tags)
    inputs = catalog.COMPONENTS[case.component].make_inputs(case.params, case.rng(0))
    expected = engine.expected_for(case, inputs, oracles.get("reference"))
    outcome = engine.Outcome("contract", error_message="`SimpleConvNet.params['W2']` has shape "
                             "(111, 6) [hint: pool-size-rounding]")
    check = engine.judge(case, inputs, outcome, expected, ACCEPTING)["forward"]
    assert check.hints == ["pool-size-rounding"]
    assert "[hint:" not in check.message and "book difference 8" in check.message
