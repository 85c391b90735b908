"""The conformance report as one standalone HTML page (templates/conformance_report.html.j2):
the component table, and per component heat maps over stride x pad and kernel x input size in
which every cell says how its cases fared: passed, failed, known (an expected failure: a book
behaviour the grader accepts) or missing (the implementation lacks the component)."""

from dataclasses import dataclass, field

from . import pages
from .report import STATES

MEANINGS = {
    "passed": "every check matches the oracle",
    "failed": "at least one case fails a check",
    "known": "expected failure: differs only as the book's code does (accepted by the grader)",
    "missing": "not checked: the implementation does not provide the component",
}
# (title, row axis, column axis, the parameters each axis is read from, in order of preference)
HEATMAPS = [("stride x pad", "stride", "pad", (("stride",),), (("pad",),)),
            ("kernel x input size", "kernel", "input size",
             (("FH", "FW"), ("PH", "PW")), (("H", "W"),))]


@dataclass
class Cell:
    counts: dict = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    @property
    def state(self):
        """The worst state among the cell's cases (STATES is ordered worst first)."""
        return next(state for state in STATES if self.counts[state])

    @property
    def label(self):
        short = {"passed": "ok", "failed": "fail", "known": "known", "missing": "missing"}
        return " · ".join(f"{self.counts[s]} {short[s]}" for s in STATES if self.counts[s])

    @property
    def tooltip(self):
        return ", ".join(f"{self.counts[s]} {s}" for s in STATES)


@dataclass
class HeatMap:
    title: str
    row_name: str
    col_name: str
    rows: list
    cols: list
    cells: dict  # (row label, column label) -> Cell


def render(data):
    components = [{"name": name, **c, "heatmaps": heatmaps(c["case_results"])}
                  for name, c in data["components"].items()]
    return pages.render("conformance_report.html.j2", data=data, components=components,
                        states=STATES, meanings=MEANINGS)


def heatmaps(case_results):
    """The heat maps of one component, over its cases with valid inputs (a case that must be
    refused, such as stride 0, is not a point of the grid)."""
    cases = [c for c in case_results.values() if not c["invalid_input"]]
    maps = []
    for title, row_name, col_name, row_keys, col_keys in HEATMAPS:
        cells = {}
        for case in cases:
            row, col = _coordinate(case["params"], row_keys), _coordinate(case["params"],
                                                                          col_keys)
            if row is not None and col is not None:
                cells.setdefault((row, col), Cell()).counts[case["state"]] += 1
        if cells:
            rows = sorted({r for r, _ in cells}, key=_label_order)
            cols = sorted({k for _, k in cells}, key=_label_order)
            maps.append(HeatMap(title, row_name, col_name, rows, cols, cells))
    return maps


def _coordinate(params, choices):
    """'3x2' for ("FH", "FW") = (3, 2): the first choice of keys the case has, or None."""
    for keys in choices:
        if all(k in params for k in keys):
            return "x".join(_label(params[k]) for k in keys)
    return None


def _label(value):
    # a string parameter shows its quotes, so '1' (a str pad) and 1 are different cells
    return repr(value) if isinstance(value, str) else str(value)


def _label_order(label):
    """Numbers in numeric order, then anything else, part by part ('3x2' < '3x10' < "'1'"):
    every key is a tuple of (0, number) or (1, text), which always compare."""
    def part(token):
        try:
            return (0, float(token), "")
        except ValueError:
            return (1, 0.0, token)
    return tuple(part(token) for token in label.split("x"))
