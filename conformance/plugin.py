"""pytest plugin: `pytest --pyargs conformance --impl X` checks X against PyTorch.

Registered through the `pytest11` entry point, so it is active wherever scratch-cnn is
installed, but it does nothing unless conformance tests are collected. One place chooses the
implementation under test (`--impl`) and fails loudly if it cannot be loaded.
"""

import os

import pytest

_SESSION_KEY = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("scratch-cnn conformance")
    group.addoption("--impl", default="scratch_cnn",
                    help="implementation under test: a module name, a .py file, a .ipynb "
                         "notebook (or its Markdown export) or a folder (default: scratch_cnn)")
    group.addoption("--grid", default="quick", choices=("quick", "full"),
                    help="case grid: quick (every axis, seconds) or full (every combination)")
    group.addoption("--conformance-seed", type=int, default=0,
                    help="seed of the generated inputs (default 0)")
    group.addoption("--oracle", default="torch", choices=("torch", "reference"),
                    help="the right answers: PyTorch (default) or the verified reference")
    group.addoption("--conformance-report", default=None, metavar="FILE",
                    help="also write a report: FILE.json or FILE.html (a heat map per "
                         "component)")
    group.addoption("--known-differences", choices=("xfail", "fail"), default=None,
                    help="a failure that is exactly a known book difference the grader "
                         "accepts (or a case outside the book's contract): xfail, or fail "
                         "(default: fail for scratch_cnn, xfail for any other implementation)")
    group.addoption("--random-shapes", type=float, default=0.0, metavar="SECONDS",
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

    spec = config.getoption("impl")
    try:
        target = load_target(spec)
    except TargetError as exc:
        raise pytest.UsageError(f"cannot load the implementation under test: {exc}") from None
    try:
        session = Session(target, config.getoption("grid"), config.getoption("conformance_seed"),
                          config.getoption("oracle"), config.getoption("known_differences"))
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


def pytest_generate_tests(metafunc):
    """Each test file names its COMPONENT; its tests take one of these case fixtures."""
    session = session_of(metafunc.config)
    components = getattr(metafunc.module, "COMPONENT", None)
    if session is None or components is None:
        return
    if isinstance(components, str):
        components = (components,)
    for argument, kind in (("case", "valid"), ("invalid_case", "invalid"),
                           ("small_case", "numerical")):
        if argument in metafunc.fixturenames:
            cases = [c for name in components for c in session.cases(name, kind)]
            metafunc.parametrize(argument, cases, ids=[c.id for c in cases])


def pytest_collection_modifyitems(config, items):
    """Run the tests of one case back to back, so each case is computed once per worker.
    The random-shapes tests run only when asked for (--random-shapes SECONDS)."""
    if session_of(config) is None:
        return
    if not config.getoption("random_shapes"):
        chosen = [i for i in items if i.module.__name__ != "conformance.test_random_shapes"]
        if len(chosen) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
            items[:] = chosen
    order = {}
    for item in items:
        case = getattr(item, "callspec", None) and next(iter(item.callspec.params.values()), None)
        order.setdefault(getattr(case, "id", item.nodeid), len(order))

    def key(item):
        case = getattr(item, "callspec", None) and next(iter(item.callspec.params.values()), None)
        return order[getattr(case, "id", item.nodeid)]

    items.sort(key=key)


@pytest.fixture
def conformance(request):
    session = session_of(request.config)
    if session is None:
        pytest.fail("the conformance plugin is not configured: run with --pyargs conformance",
                    pytrace=False)
    return _Checker(session, request)


class _Checker:
    """What a test file calls: check one behaviour of one case, or a witness."""

    def __init__(self, session, request):
        self.session = session
        self._request = request

    def _start(self, case, behaviour, *components):
        """Record what this test checks (the matrix counts it even if it is skipped), and
        skip it as missing if the implementation lacks a component it needs."""
        props = self._request.node.user_properties
        props += [("component", case.component), ("case", case.id), ("behaviour", behaviour)]
        if "random" in case.tags:  # not in the catalog: the report cannot look it up
            props.append(("params", {k: v for k, v in case.params.items()
                                     if isinstance(v, (int, float, str))}))
        for component in components or (case.component,):
            if not self.session.target.provides(component):
                pytest.skip(f"missing: {self.session.target.spec} does not provide {component}")

    def _finish(self, case, check):
        self._request.node.user_properties += [
            ("max_abs", check.max_abs), ("max_rel", check.max_rel), ("hints", list(check.hints))]
        known = self.session.known_difference(case, check)
        if known:
            pytest.xfail(f"known book difference: {known}")
        if not check.ok:
            pytest.fail(check.message, pytrace=False)

    def check(self, case, behaviour):
        self._start(case, behaviour)
        self._finish(case, self.session.check(case, behaviour))

    def array_contract(self, case):
        """Output shapes, dtype and unchanged inputs: one test, three checks."""
        self._start(case, "array_contract")
        self._finish(case, self.session.array_contract(case))

    def numerical_gradient(self, case):
        self._start(case, "numerical_gradient")
        self._finish(case, self.session.numerical_gradient(case))

    def adjoint(self, case):
        self._start(case, "adjoint")
        self._finish(case, self.session.adjoint(case))
