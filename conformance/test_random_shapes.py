"""Hypothesis-drawn shapes for the window components (`--cnn-random-shapes SECONDS`): seeded by
--cnn-seed, bounded in time, checked by the same engine as the case tables."""

import time

import pytest

from conformance.catalog import COMPONENTS

WINDOW_COMPONENTS = ("im2col", "col2im", "Convolution", "Pooling", "AvgPooling")


@pytest.fixture
def budget(request):
    """Seconds per component; the plugin deselects these tests when it is 0."""
    return request.config.getoption("cnn_random_shapes")


def _geometry(draw, st, kernel_keys):
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    pad = draw(st.integers(0, 3))
    if kernel_keys[0] == "PH":  # pooling: torch allows pad up to half the window
        pad = min(pad, kh // 2, kw // 2)
    if kh > h + 2 * pad or kw > w + 2 * pad:
        h, w = max(h, kh), max(w, kw)
    return {"N": draw(st.integers(1, 3)), "C": draw(st.integers(1, 4)), "H": h, "W": w,
            kernel_keys[0]: kh, kernel_keys[1]: kw, "stride": draw(st.integers(1, 4)),
            "pad": pad, "dtype": draw(st.sampled_from(["float64", "float32"]))}


@pytest.mark.parametrize("component", WINDOW_COMPONENTS)
def test_random_shapes(component, budget, conformance, request):
    """Every behaviour holds on random shapes, strides and pads."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    spec = COMPONENTS[component]
    keys = ("PH", "PW") if component in ("Pooling", "AvgPooling") else ("FH", "FW")
    deadline = time.monotonic() + budget
    base_seed = request.config.getoption("cnn_seed")

    def check(data):
        p = _geometry(data.draw, st, keys)
        if component == "Convolution":
            p["FN"] = data.draw(st.integers(1, 4))
        if keys[0] == "PH":
            p["fill"] = data.draw(st.sampled_from(["distinct", "negative", "ties"]))
        case = spec.make_case(tuple(p[k] for k in spec.columns), tags=("random",))
        for behaviour in spec.behaviours:
            conformance(case, behaviour)
        conformance(case, "array_contract")

    # Hypothesis has no time budget: run seeded batches of 20 examples until time is up.
    batch = 0
    while time.monotonic() < deadline:
        run = hypothesis.seed(base_seed * 100_003 + batch)(hypothesis.settings(
            max_examples=20, deadline=None, database=None,
            suppress_health_check=list(hypothesis.HealthCheck))(hypothesis.given(
                st.data())(check)))
        run()
        batch += 1
