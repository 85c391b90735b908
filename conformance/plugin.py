"""pytest plugin: `pytest -p conformance.plugin --pyargs conformance --cnn-impl X` checks X.

Loaded only where it is asked for (`-p conformance.plugin`; `scratch-cnn conformance` does it),
so it never touches another project's pytest run, and its options carry a `--cnn-` prefix so
they cannot clash with a conftest's own `--impl` or `--grid`. One place chooses the
implementation under test (`--cnn-impl`) and fails loudly if it cannot be loaded.

The tests are generated from the catalog, ONNX-backend-test style: conformance/test_components.py
holds one test function per kind of check, and every component's cases and behaviours are
parametrized into it here. Adding a component to the catalog adds its tests.
"""

import os

import pytest

_SESSION_KEY = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("scratch-cnn conformance")
    group.addoption("--cnn-impl", default="scratch_cnn",
                    help="implementation under test: a module name, a .py file, a .ipynb "
                         "notebook (or its Markdown export) or a folder (default: scratch_cnn)")
    group.addoption("--cnn-grid", default="quick", choices=("quick", "full"),
                    help="case grid: quick (every axis, seconds) or full (every combination)")
    group.addoption("--cnn-seed", type=int, default=0,
                    help="seed of the generated inputs (default 0)")
    group.addoption("--cnn-oracle", default="torch", choices=("torch", "reference"),
                    help="the right answers: PyTorch (default) or the verified reference")
    group.addoption("--cnn-report", default=None, metavar="FILE",
                    help="also write a report: FILE.json or FILE.html (a heat map per "
                         "component)")
    group.addoption("--cnn-known-differences", choices=("xfail", "fail"), default=None,
                    help="a failure that is exactly a known book difference the grader "
                         "accepts (or a case outside the book's contract): xfail, or fail "
                         "(default: fail for scratch_cnn, xfail for any other implementation)")
    group.addoption("--cnn-random-shapes", type=float, default=0.0, metavar="SECONDS",
                    help="also run hypothesis-drawn random shapes for this many seconds "
                         "per component (seeded, needs hypothesis)")


def _collecting_conformance(config):
    args = [str(a) for a in config.args]
    here = os.path.dirname(os.path.abspath(__file__))
    return config.getoption("pyargs") and "conformance" in args or any(
        os.path.abspath(a).startswith(here) for a in args)


def pytest_configure(config):
    if not _collecting_conformance(config):
        return
    from .suite import Session, TargetError, load_target

    try:
        target = load_target(config.getoption("cnn_impl"))
    except TargetError as exc:
        raise pytest.UsageError(f"cannot load the implementation under test: {exc}") from None
    try:
        session = Session(target, config.getoption("cnn_grid"), config.getoption("cnn_seed"),
                          config.getoption("cnn_oracle"),
                          config.getoption("cnn_known_differences"))
    except RuntimeError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_SESSION_KEY] = session
    from . import report

    config.pluginmanager.register(report.MatrixReporter(config, session), "conformance-report")


def session_of(config):
    return config.stash.get(_SESSION_KEY, None)


def pytest_report_header(config):
    session = session_of(config)
    if session is None:
        return None
    import numpy

    lines = [f"scratch-cnn conformance: {session.target.description}",
             f"  grid {session.grid}, seed {session.seed}, oracle {session.oracle.name}, "
             f"numpy {numpy.__version__}, known book differences: {session.known_differences}"]
    lines += [f"  load problem: {p}" for p in session.target.load_problems]
    return lines


# What each test function of test_components.py is parametrized with: the argument it takes,
# and the (case, check) pairs of a component.
def _behaviour_checks(session, component):
    return [(case, behaviour) for case in session.cases(component.name)
            for behaviour in component.behaviours]


def _contract_checks(session, component):
    return [(case, "array_contract") for case in session.cases(component.name)]


def _witness_checks(witness):
    def checks(session, component):
        if witness not in component.witnesses():
            return []
        return [(case, witness) for case in session.cases(component.name, witness)]
    return checks


def _invalid_checks(session, component):
    return [(case, "invalid_input") for case in session.cases(component.name, "invalid")]


GENERATED = {"behaviour_check": _behaviour_checks, "contract_check": _contract_checks,
             "numerical_gradient_check": _witness_checks("numerical_gradient"),
             "adjoint_check": _witness_checks("adjoint"), "invalid_check": _invalid_checks}


def pytest_generate_tests(metafunc):
    session = session_of(metafunc.config)
    if session is None:
        return
    from .catalog import COMPONENTS

    for argument, make in GENERATED.items():
        if argument in metafunc.fixturenames:
            pairs = [pair for component in COMPONENTS.values()
                     for pair in make(session, component)]
            metafunc.parametrize(argument, pairs,
                                 ids=[f"{check}-{case.id}" for case, check in pairs])


def pytest_collection_modifyitems(config, items):
    """Run the tests of one case back to back, so each case is computed once per worker.
    The random-shapes tests run only when asked for (--cnn-random-shapes SECONDS)."""
    if session_of(config) is None:
        return
    if not config.getoption("cnn_random_shapes"):
        chosen = [i for i in items if i.module.__name__ != "conformance.test_random_shapes"]
        if len(chosen) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
            items[:] = chosen
    order = {}

    def key(item):
        params = getattr(item, "callspec", None) and item.callspec.params
        pair = next((v for v in (params or {}).values() if isinstance(v, tuple)), None)
        return order.setdefault(pair[0].id if pair else item.nodeid, len(order))

    for item in items:
        key(item)
    items.sort(key=key)


@pytest.fixture
def conformance(request):
    session = session_of(request.config)
    if session is None:
        pytest.fail("the conformance plugin is not configured: run with -p conformance.plugin "
                    "--pyargs conformance", pytrace=False)
    return _Checker(session, request)


class _Checker:
    """What a test calls: check one behaviour (or the array contract, or a witness) of one
    case, recording what it checked for the report."""

    def __init__(self, session, request):
        self.session = session
        self._request = request

    def __call__(self, case, check):
        props = self._request.node.user_properties
        props += [("component", case.component), ("case", case.id), ("behaviour", check)]
        if "random" in case.tags:  # not in the catalog: the report cannot look it up
            props.append(("params", {k: v for k, v in case.params.items()
                                     if isinstance(v, (int, float, str))}))
        if not self.session.target.provides(case.component):
            pytest.skip(f"missing: {self.session.target.spec} does not provide "
                        f"{case.component}")
        if check == "numerical_gradient":
            result = self.session.numerical_gradient(case)
        elif check == "adjoint":
            result = self.session.adjoint(case)
        else:
            result = self.session.check(case, check)
        props += [("max_abs", result.max_abs), ("max_rel", result.max_rel),
                  ("hints", list(result.hints))]
        known = self.session.known_difference(case, result)
        if known:
            pytest.xfail(f"known book difference: {known}")
        if not result.ok:
            pytest.fail(result.message, pytrace=False)
