"""The comparison engine's numbers and the one shape of a failure message."""

import numpy as np
import pytest

from conformance import catalog, compare


def test_identical_arrays_agree():
    result = compare.compare(np.ones((2, 3)), np.ones((2, 3)), 1e-7, 1e-7)
    assert result.ok and result.total == 6 and result.mismatched == 0


def test_mismatch_reports_count_and_the_greatest_differences_with_their_index():
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[1, 2] = 0.5
    actual[0, 1] = 1e-3
    result = compare.compare(actual, expected, 1e-7, 1e-7)
    assert not result.ok
    assert result.mismatched == 2 and result.total == 6
    assert result.max_abs == 0.5 and result.max_abs_at == (1, 2)
    text = result.describe(1e-7, 1e-7)
    assert "2/6 elements differ" in text and "[1, 2]" in text and "got 0.5" in text


def test_shape_mismatch_is_reported_before_any_number():
    result = compare.compare(np.zeros((3, 2)), np.zeros((2, 2)), 1e-7, 1e-7)
    assert not result.ok and result.describe(0, 0) == "shape (3, 2), expected (2, 2)"


def test_the_same_values_in_another_shape_are_judged_in_order():
    """(1, 3) for (3,): the values can still be judged (the shape is the array contract's
    business); a transposed array has the right count but the wrong order."""
    assert compare.compare(np.arange(3.0).reshape(1, 3), np.arange(3.0), 0, 0).ok
    assert not compare.compare(np.arange(6.0).reshape(2, 3).T, np.arange(6.0).reshape(2, 3),
                               0, 0).ok


def test_nan_never_matches():
    assert not compare.compare(np.array([np.nan]), np.array([1.0]), 1, 1).ok


def test_non_numeric_output_is_a_problem_not_an_exception():
    result = compare.compare("text", np.zeros(2), 1e-7, 1e-7)
    assert not result.ok and "not an array of numbers" in result.problem


@pytest.mark.parametrize(("dtype", "expected"), [
    # dtype      (rtol, atol): PyTorch's assert_close defaults
    ("float32", (1.3e-6, 1e-5)),
    ("float64", (1e-7, 1e-7)),
])
def test_tolerance_follows_pytorch_defaults(dtype, expected):
    case = next(c for c in catalog.cases("Convolution", "quick") if c.params["dtype"] == dtype)
    assert compare.tolerance(case) == expected


def test_optimizer_trajectories_use_the_named_tight_tolerance():
    case = catalog.cases("Adam", "quick")[0]
    assert compare.tolerance(case) == compare.TRAJECTORY_TOLERANCE


def test_failure_message_has_component_case_and_repro_line():
    case = catalog.cases("Convolution", "quick")[0]
    result = compare.compare(np.ones(3), np.zeros(3), 1e-7, 1e-7)
    text = compare.failure_message("Convolution", "dx", result, case, 5, "mine.py", 1e-7, 1e-7,
                                   hint="the hint")
    lines = text.splitlines()
    assert lines[0].startswith("Convolution dx: 3/3 elements differ")
    assert lines[1].startswith(f"  case: {case.id} (N=")
    assert lines[2] == f"  repro: scratch-cnn repro '{case.id}' --seed 5 --impl mine.py"
    assert lines[3] == "  hint: the hint"
