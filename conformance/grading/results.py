"""A GradeReport in every format: Gradescope's results.json, our richer JSON, JUnit XML, a
standalone HTML page, and the terminal summary. Files are written atomically."""

import html
import json
import os
import re
from xml.etree import ElementTree as ET

from ..files import write_text_atomic

FORMATS = ("gradescope", "json", "junit", "text", "html")


def _points(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


def overview(report):
    """The part every format shares: loading problems and refusals, in plain words."""
    lines = []
    if report.load_messages:
        lines.append("Loading your submission:")
        lines += [f"  {m}" for m in report.load_messages]
    if report.refused:
        lines.append("Refused while grading:")
        lines += [f"  {m}" for m in report.refused]
    return lines


def text(report):
    lines = [f"scratch-cnn grade: {report.submission}",
             f"score {_points(report.score)} / {_points(report.max_score)}",
             f"oracle {report.oracle}; visible seed {report.visible_seed}; hidden inputs from a "
             f"secret seed (#{report.hidden_seed_digest}); {report.calls} calls in "
             f"{report.wall_time:.1f} s", ""]
    lines += overview(report)
    if lines[-1] != "":
        lines.append("")
    lines.append(f"{'component':20s} {'points':>14s}")
    for name, (score, max_score) in report.components().items():
        mark = "ok" if abs(score - max_score) < 1e-9 else "--"
        lines.append(f"{name:20s} {_points(score):>6s} / {_points(max_score):<6s} {mark}")
    for name in report.components():
        tests = [t for t in report.tests if t.component == name]
        failing = [t for t in tests if not t.ok]
        notes = sorted({n for t in tests for n in t.notes})
        if not failing and not notes:
            continue
        lines += ["", f"== {name}: {_points(sum(t.score for t in tests))} / "
                      f"{_points(sum(t.max_score for t in tests))}"]
        # Tests that fail the same way (often all of a component's, on visible and hidden
        # inputs alike) are told once, under all their names.
        groups = {}
        for test in failing:
            key = re.sub(r"--seed \S+", "", test.feedback())
            groups.setdefault(key, []).append(test)
        for group in groups.values():
            names = ", ".join(dict.fromkeys(t.behaviour.replace("_", " ") for t in group))
            inputs = sorted({"hidden" if t.hidden else "visible" for t in group}, reverse=True)
            lines.append(f"-- {names} ({' and '.join(inputs)} inputs)")
            lines += [f"   {line}" for line in group[0].feedback().splitlines()]
        lines += [f"   Note: {n}" for n in notes if not failing]
    return "\n".join(lines) + "\n"


def gradescope(report):
    """Gradescope's autograder results format (results.json)."""
    # the total is the sum of the scores shown, so the two can never disagree by a rounding
    return json.dumps({
        "score": round(sum(round(t.score, 2) for t in report.tests), 2),
        "execution_time": round(report.wall_time, 2),
        "output": "\n".join(overview(report)) or "Your submission loaded without problems.",
        "tests": [{
            "name": t.name,
            "score": round(t.score, 2),
            "max_score": t.max_score,
            "status": "passed" if t.ok else "failed",
            "output": t.feedback(),
            "visibility": report.rubric.hidden_visibility if t.hidden else "visible",
            "tags": [t.component],
        } for t in report.tests],
    }, indent=1)


def rich_json(report):
    """Everything, for instructors and tools."""
    return json.dumps({
        "submission": report.submission, "score": report.score, "max_score": report.max_score,
        "oracle": report.oracle, "rubric": report.rubric.source,
        "visible_seed": report.visible_seed, "hidden_seed_digest": report.hidden_seed_digest,
        "wall_time": report.wall_time, "calls": report.calls,
        "load_messages": report.load_messages, "refused": report.refused,
        "components": {name: {"score": s, "max_score": m}
                       for name, (s, m) in report.components().items()},
        "tests": [{
            "name": t.name, "component": t.component, "behaviour": t.behaviour,
            "hidden": t.hidden, "score": t.score, "max_score": t.max_score,
            "cases": t.cases, "passed": t.passed, "hints": t.hints, "notes": t.notes,
            "problems": t.problems, "pattern": t.pattern, "feedback": t.feedback(),
            "failing_cases": [case_id for _, case_id, _ in t.failures],
        } for t in report.tests],
    }, indent=1)


def junit(report):
    suite = ET.Element("testsuite", name="scratch-cnn grade", tests=str(len(report.tests)),
                       failures=str(sum(not t.ok for t in report.tests)),
                       time=f"{report.wall_time:.3f}")
    for t in report.tests:
        case = ET.SubElement(suite, "testcase", classname=t.component, name=t.name)
        ET.SubElement(case, "properties")
        if not t.ok:
            failure = ET.SubElement(case, "failure",
                                    message=f"{_points(t.score)} / {_points(t.max_score)}")
            failure.text = t.feedback()
    return ET.tostring(suite, encoding="unicode")


def html_page(report):
    esc = html.escape
    rows = "".join(
        f"<tr class='{'ok' if abs(s - m) < 1e-9 else 'fail'}'><td>{esc(n)}</td>"
        f"<td>{_points(s)} / {_points(m)}</td></tr>"
        for n, (s, m) in report.components().items())
    tests = "".join(
        f"<details{' open' if not t.ok else ''}><summary class='{'ok' if t.ok else 'fail'}'>"
        f"{esc(t.name)}: {_points(t.score)} / {_points(t.max_score)}</summary>"
        f"<pre>{esc(t.feedback())}</pre></details>" for t in report.tests)
    problems = "".join(f"<li>{esc(m)}</li>" for m in overview(report))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>scratch-cnn grade</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:2px 10px}"
        ".ok{color:#070}.fail{color:#b00}pre{background:#f6f6f6;padding:.5em;"
        "white-space:pre-wrap}</style></head><body>"
        f"<h1>{esc(report.submission)}: {_points(report.score)} / "
        f"{_points(report.max_score)}</h1><p>oracle {esc(report.oracle)}</p>"
        f"<ul>{problems}</ul><table>{rows}</table>{tests}</body></html>")


RENDER = {"gradescope": gradescope, "json": rich_json, "junit": junit, "text": text,
          "html": html_page}


def write(report, path, fmt="gradescope"):
    """Write atomically: a temp file beside the target, then a rename, so a reader never sees
    half a file and an interrupted run never leaves a broken one."""
    content = RENDER[fmt](report)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_text_atomic(path, content)
