"""The end of a conformance run: the component matrix in the terminal, and JSON or HTML
reports (conformance/report_html.py) of how every case fared."""

import os
import platform
import sys
from collections import defaultdict
from importlib import metadata

import numpy as np
import pytest

from scratch_cnn import strict_json

from . import catalog

# What became of a case, worst first: a case is failed if any of its checks failed, missing
# if the implementation lacks a component it needs, known if a check differs from PyTorch
# only as an accepted book behaviour does (an expected failure), passed otherwise.
STATES = ("failed", "missing", "known", "passed")


class ComponentResults:
    def __init__(self, name):
        self.name = name
        self.cases = {}  # case id -> {"params", "ok", "missing", "known", "invalid"}
        self.failures = []  # (case id, behaviour, message)
        self.hints = defaultdict(set)  # variant name -> case ids
        self.worst_abs = 0.0
        self.worst_rel = 0.0

    def add(self, case_id, params, outcome, behaviour, message, props):
        entry = self.cases.setdefault(case_id, {"params": params, "ok": True, "missing": False,
                                                "known": False,
                                                "invalid": props.get("invalid_input", False)})
        if outcome == "known":
            entry["known"] = True
        elif outcome == "skipped":
            entry["missing"] = True
        elif outcome != "passed":
            entry["ok"] = False
            self.failures.append((case_id, behaviour, message))
        self.worst_abs = max(self.worst_abs, _worst(props.get("max_abs", 0.0)))
        self.worst_rel = max(self.worst_rel, _worst(props.get("max_rel", 0.0)))
        for hint in props.get("hints", ()):
            self.hints[hint].add(case_id)

    def counts(self):
        states = [case_state(c) for c in self.cases.values()]
        return {"cases": len(states), **{state: states.count(state) for state in
                                         ("passed", "failed", "missing", "known")}}

    def diagnosis(self, session):
        """What the failing cases show, behaviour by behaviour (conformance/diagnosis/:
        experiments and exact relations, never statistics), computed once."""
        if not hasattr(self, "_diagnosis"):
            failing = []
            for case_id, entry in self.cases.items():
                if not entry["ok"] and not entry["invalid"] and not entry["missing"]:
                    try:
                        failing.append(catalog.find(case_id))
                    except KeyError:  # a random shape: not in the catalog
                        continue
            found = session.diagnose(self.name, failing) if failing and \
                self.name in catalog.COMPONENTS else {}
            self._diagnosis = [f"{behaviour.replace('_', ' ')}: {line}"
                               for behaviour, d in found.items() for line in d.lines()]
        return self._diagnosis


def case_state(case):
    """One of STATES for a case entry."""
    if case["missing"]:
        return "missing"
    if not case["ok"]:
        return "failed"
    return "known" if case["known"] else "passed"


def _worst(x):
    """A difference as a number to take the maximum of: NaN (a NaN where a number was
    expected) counts as the worst possible, infinity."""
    return float(x) if np.isfinite(x) else float("inf")


class MatrixReporter:
    """A pytest plugin object: collects every report (also from xdist workers) and writes the
    summary at the end."""

    def __init__(self, config, session):
        self.config = config
        self.session = session
        self.components = {}
        # pytest's JUnit writer (--junitxml, on the controller only) puts a test's
        # user_properties in a <properties> inside its <testcase>, where Jenkins' junit-10.xsd
        # allows none. They are this plugin's channel to this reporter, so once read here
        # (first: tryfirst) they are not passed on. The test ids name the case anyway.
        self._junit = (bool(getattr(config.option, "xmlpath", None))  # -p no:junitxml: none
                       and not hasattr(config, "workerinput"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        self._record(report)
        if self._junit:
            report.user_properties = []

    def _record(self, report):
        props = dict(report.user_properties)
        component = props.get("component")
        if component is None:
            # an error outside a check (collection, a fixture): shown, never lost
            if not report.failed:
                return
            component = "(errors outside checks)"
        elif report.when != "call" and not report.skipped:
            return
        message = str(report.longrepr) if report.failed else ""
        outcome = "known" if hasattr(report, "wasxfail") else report.outcome
        results = self.components.setdefault(component, ComponentResults(component))
        case_id = props.get("case", report.nodeid)
        try:
            case = catalog.find(case_id)
            params, props["invalid_input"] = case.params, bool(case.error)
        except KeyError:  # random shapes, or an error outside any case
            params = props.get("params", {})
        results.add(case_id, {k: v for k, v in params.items()
                              if isinstance(v, (int, float, str))}, outcome,
                    props.get("behaviour", report.when), message, props)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.components:
            return
        tr = terminalreporter
        tr.section("scratch-cnn conformance matrix")
        tr.write_line(f"{self.session.target.description}; grid {self.session.grid}, "
                      f"seed {self.session.seed}, oracle {self.session.oracle.name}")
        if any(r.counts()["known"] for r in self.components.values()):
            tr.write_line("known: cases that differ from PyTorch only as the book's code does "
                          "and the grader accepts (xfail; --known-differences fail to fail them)")
        tr.write_line(f"{'component':20s} {'cases':>6s} {'passed':>7s} {'failed':>7s} "
                      f"{'missing':>8s} {'known':>6s} {'worst abs':>10s} {'worst rel':>10s}")
        for name in _ordered(self.components):
            r = self.components[name]
            n = r.counts()
            line = (f"{name:20s} {n['cases']:6d} {n['passed']:7d} {n['failed']:7d} "
                    f"{n['missing']:8d} {n['known']:6d} {r.worst_abs:10.2g} "
                    f"{r.worst_rel:10.2g}")
            tr.write_line(line, red=n["failed"] > 0, green=n["failed"] == 0 and not n["missing"])
            if n["failed"]:
                for statement in r.diagnosis(self.session):
                    tr.write_line(f"    {statement}")
        path = self.config.getoption("cnn_report")
        if path and not hasattr(self.config, "workerinput"):
            try:
                write_report(path, self.session, self.components)
            except OSError as exc:  # the runner checked the folder; a full disk remains
                print(f"scratch-cnn conformance: error: cannot write the report {path}: "
                      f"{exc.strerror or exc}", file=sys.stderr)
                self._pytest_session.exitstatus = pytest.ExitCode.USAGE_ERROR
                return
            tr.write_line(f"report written to {path}")

    def pytest_sessionstart(self, session):
        self._pytest_session = session


def _ordered(components):
    known = list(catalog.COMPONENTS)
    return sorted(components, key=lambda n: known.index(n) if n in known else len(known))


def summary(session, components):
    """Everything the JSON and HTML reports show, as plain data. A worst error may be
    infinite (written to JSON as "Infinity", see scratch_cnn.strict_json)."""
    try:  # the installed version, without importing torch (seconds) for a reference run
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return {
        "impl": session.target.description, "grid": session.grid, "seed": session.seed,
        "oracle": session.oracle.name, "numpy": np.__version__, "torch": torch_version,
        "python": platform.python_version(),
        "components": {
            name: {**r.counts(), "worst_abs": r.worst_abs, "worst_rel": r.worst_rel,
                   "diagnosis": r.diagnosis(session) if r.counts()["failed"] else [],
                   "hints": {h: sorted(ids) for h, ids in r.hints.items()},
                   "failures": [{"case": c, "behaviour": b, "message": m}
                                for c, b, m in r.failures],
                   "case_results": {cid: {"state": case_state(c), "ok": c["ok"],
                                          "missing": c["missing"], "known": c["known"],
                                          "invalid_input": c["invalid"],
                                          "params": c["params"]}
                                    for cid, c in r.cases.items()}}
            for name, r in ((n, components[n]) for n in _ordered(components))},
    }


def write_report(path, session, components):
    """FILE.html or FILE.json, written atomically (a temp file beside it, then a rename)."""
    from . import report_html

    data = summary(session, components)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if path.endswith((".html", ".htm")):
        text = report_html.render(data)
    else:
        text = strict_json.dumps(data, indent=1, default=str)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
