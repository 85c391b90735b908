"""The end of a conformance run: the component matrix in the terminal, and JSON or HTML
reports with a pass/fail heat map over the stride x pad and kernel x size grids."""

import html
import json
import os
import platform
from collections import defaultdict

import numpy as np

from . import catalog, patterns


class ComponentResults:
    def __init__(self, name):
        self.name = name
        self.cases = {}  # case id -> {"params", "ok", "missing"}
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
        self.worst_abs = max(self.worst_abs, _finite(props.get("max_abs", 0.0)))
        self.worst_rel = max(self.worst_rel, _finite(props.get("max_rel", 0.0)))
        for hint in props.get("hints", ()):
            self.hints[hint].add(case_id)

    def counts(self):
        present = [c for c in self.cases.values() if not c["missing"]]
        passed = sum(c["ok"] and not c["known"] for c in present)
        known = sum(c["ok"] and c["known"] for c in present)
        return {"cases": len(self.cases), "passed": passed, "known": known,
                "failed": len(present) - passed - known,
                "missing": len(self.cases) - len(present)}

    def pattern(self):
        return patterns.explain([(c["params"], c["ok"]) for c in self.cases.values()
                                 if not c["missing"] and not c["invalid"]])


def _finite(x):
    return float(x) if np.isfinite(x) else float("inf")


class MatrixReporter:
    """A pytest plugin object: collects every report (also from xdist workers) and writes the
    summary at the end."""

    def __init__(self, config, session):
        self.config = config
        self.session = session
        self.components = {}

    def pytest_runtest_logreport(self, report):
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
                pattern = r.pattern()
                if pattern:
                    tr.write_line(f"    {pattern}")
                for hint, ids in sorted(r.hints.items(), key=lambda kv: -len(kv[1])):
                    tr.write_line(f"    looks like `{hint}` ({len(ids)} case(s))")
        path = self.config.getoption("cnn_report")
        if path and not hasattr(self.config, "workerinput"):
            write_report(path, self.session, self.components)
            tr.write_line(f"report written to {path}")


def _ordered(components):
    known = list(catalog.COMPONENTS)
    return sorted(components, key=lambda n: known.index(n) if n in known else len(known))


def summary(session, components):
    import numpy

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    return {
        "impl": session.target.description, "grid": session.grid, "seed": session.seed,
        "oracle": session.oracle.name, "numpy": numpy.__version__, "torch": torch_version,
        "python": platform.python_version(),
        "components": {
            name: {**r.counts(), "worst_abs": r.worst_abs, "worst_rel": r.worst_rel,
                   "pattern": r.pattern(),
                   "hints": {h: sorted(ids) for h, ids in r.hints.items()},
                   "failures": [{"case": c, "behaviour": b, "message": m}
                                for c, b, m in r.failures],
                   "case_results": {cid: {"ok": c["ok"], "missing": c["missing"],
                                          "params": c["params"]}
                                    for cid, c in r.cases.items()}}
            for name, r in ((n, components[n]) for n in _ordered(components))},
    }


def write_report(path, session, components):
    data = summary(session, components)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    text = render_html(data) if path.endswith((".html", ".htm")) else json.dumps(
        data, indent=1, default=str)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# HTML: a standalone page, a table and heat maps


def heatmap(cases, row_of, col_of):
    """{(row, col): [passed, total]} over the cases that have both coordinates."""
    cells = defaultdict(lambda: [0, 0])
    for c in cases.values():
        if c["missing"]:
            continue
        r, k = row_of(c["params"]), col_of(c["params"])
        if r is None or k is None:
            continue
        cells[(r, k)][0] += c["ok"]
        cells[(r, k)][1] += 1
    return cells


def _get(*keys):
    def read(p):
        if not all(k in p for k in keys):
            return None
        return "x".join(str(p[k]) for k in keys)
    return read


HEATMAPS = [("stride", "pad", _get("stride"), _get("pad")),
            ("kernel", "input size", lambda p: _get("FH", "FW")(p) or _get("PH", "PW")(p),
             _get("H", "W"))]


def _color(passed, total):
    frac = passed / total
    red, green = int(220 * (1 - frac)) + 30, int(180 * frac) + 40
    return f"rgb({red},{green},70)"


def render_html(data):
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>scratch-cnn conformance"
        "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin:0.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:center}"
        ".heat td{color:white;min-width:3em}.fail{color:#b00}.ok{color:#070}"
        "pre{background:#f6f6f6;padding:0.5em;white-space:pre-wrap}</style></head><body>",
        f"<h1>scratch-cnn conformance</h1><p>{esc(str(data['impl']))}<br>grid "
        f"{esc(data['grid'])}, seed {data['seed']}, oracle {esc(data['oracle'])}, numpy "
        f"{esc(data['numpy'])}, torch {esc(str(data['torch']))}, Python "
        f"{esc(data['python'])}</p>",
        "<table><tr><th>component</th><th>cases</th><th>passed</th><th>failed</th>"
        "<th>missing</th><th>known</th><th>worst abs</th><th>worst rel</th></tr>"]
    for name, c in data["components"].items():
        cls = "fail" if c["failed"] else "ok"
        parts.append(f"<tr class='{cls}'><td><a href='#{esc(name)}'>{esc(name)}</a></td>"
                     f"<td>{c['cases']}</td><td>{c['passed']}</td><td>{c['failed']}</td>"
                     f"<td>{c['missing']}</td><td>{c['known']}</td><td>{c['worst_abs']:.2g}</td>"
                     f"<td>{c['worst_rel']:.2g}</td></tr>")
    parts.append("</table>")
    for name, c in data["components"].items():
        parts.append(f"<h2 id='{esc(name)}'>{esc(name)}</h2>")
        if c["pattern"]:
            parts.append(f"<p><b>Pattern:</b> {esc(c['pattern'])}</p>")
        for hint, ids in c["hints"].items():
            parts.append(f"<p><b>Looks like</b> <code>{esc(hint)}</code> "
                         f"({len(ids)} case(s))</p>")
        for row_name, col_name, row_of, col_of in HEATMAPS:
            cells = heatmap(c["case_results"], row_of, col_of)
            if not cells:
                continue
            rows = sorted({r for r, _ in cells}, key=_natural)
            cols = sorted({k for _, k in cells}, key=_natural)
            parts.append(f"<table class='heat'><tr><th>{esc(row_name)} \\ "
                         f"{esc(col_name)}</th>"
                         + "".join(f"<th>{esc(k)}</th>" for k in cols) + "</tr>")
            for r in rows:
                parts.append(f"<tr><th>{esc(r)}</th>")
                for k in cols:
                    if (r, k) in cells:
                        ok, total = cells[(r, k)]
                        parts.append(f"<td style='background:{_color(ok, total)}' "
                                     f"title='{ok} of {total} cases pass'>{ok}/{total}</td>")
                    else:
                        parts.append("<td style='background:#eee'></td>")
                parts.append("</tr>")
            parts.append("</table>")
        for failure in c["failures"][:20]:
            parts.append(f"<pre>{esc(failure['message'])}</pre>")
        if len(c["failures"]) > 20:
            parts.append(f"<p>... and {len(c['failures']) - 20} more failures</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _natural(label):
    return [int(t) if t.isdigit() else t for t in str(label).replace("x", " x ").split()]
