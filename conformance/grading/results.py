"""A GradeReport in every format: Gradescope's results.json, our richer JSON, JUnit XML, a
standalone HTML page, and the terminal summary. Files are written atomically.

Everything a student's code said (exception messages, printed output, file names) is data:
each format shows it through `untrusted.visible`, so no control character, escape sequence,
bidi override or lone surrogate reaches a terminal, a page or an XML parser, and every line of
it is indented under a heading, so none can pose as the score line. JSON is strict
(scratch_cnn.strict_json): no NaN or Infinity.
"""

import os
import re
import socket
from datetime import datetime, timezone
from xml.etree import ElementTree as ET

from scratch_cnn import strict_json

from .. import pages
from ..files import write_text_atomic
from ..untrusted import indent_lines, visible

FORMATS = ("gradescope", "prairielearn", "json", "junit", "text", "html")
_points = pages.points


def _one_line(text):
    return visible(text, newlines=False)


def overview(report):
    """The part every format shares: loading problems and refusals, in plain words, and what
    was graded (where each graded name's definition came from)."""
    lines = []
    if report.graded_from:
        lines.append("What was graded:")
        lines += [indent_lines(visible(f"{name}: {where}"), "  ")
                  for name, where in report.graded_from.items()]
    if report.load_messages:
        lines.append("Loading your submission:")
        lines += [indent_lines(visible(m), "  ") for m in report.load_messages]
    if report.refused:
        lines.append("Refused while grading:")
        lines += [indent_lines(visible(m), "  ") for m in report.refused]
    if lines and not report.load_messages:
        lines.append("Your submission loaded without problems.")
    return lines


def isolation_line(report):
    """Which layers kept the submission in, in one line (docs/isolation.md)."""
    return "isolation: " + report.isolation.get("summary", "unknown")


def text(report):
    lines = [f"scratch-cnn grade: {_one_line(report.submission)}",
             f"score {_points(report.score)} / {_points(report.max_score)}",
             f"oracle {report.oracle}; visible seed {report.visible_seed}; "
             f"{report.hidden_inputs}; {report.calls} calls in {report.wall_time:.1f} s",
             isolation_line(report), ""]
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
            lines.append(indent_lines(visible(group[0].feedback()), "   "))
        lines += [indent_lines(visible(f"Note: {n}"), "   ") for n in notes if not failing]
    return "\n".join(lines) + "\n"


def gradescope(report):
    """Gradescope's autograder results format (results.json)."""
    # the total is the sum of the scores shown, so the two can never disagree by a rounding
    return strict_json.dumps({
        "score": round(sum(round(t.score, 2) for t in report.tests), 2),
        "execution_time": round(report.wall_time, 2),
        "output": "\n".join((overview(report) or ["Your submission loaded without problems."])
                           + [isolation_line(report)]),
        "tests": [{
            "name": t.name,
            "score": round(t.score, 2),
            "max_score": t.max_score,
            "status": "passed" if t.ok else "failed",
            "output": visible(t.feedback()),
            "visibility": report.rubric.hidden_visibility if t.hidden else "visible",
            "tags": [t.component],
        } for t in report.tests],
    }, indent=1)


def prairielearn(report):
    """PrairieLearn's external-grader results.json: score in 0..1, one test per graded test.
    PrairieLearn shows every test to the student at once, so a hidden test shows its points
    and the size of its problem but not its feedback, unless the rubric makes hidden tests
    "visible" (docs/prairielearn.md)."""
    def shown(t):
        return not t.hidden or report.rubric.hidden_visibility == "visible"

    max_score = report.max_score
    return strict_json.dumps({
        "gradable": True,
        "score": round(report.score / max_score, 4) if max_score else 1.0,
        "message": f"{_points(report.score)} / {_points(max_score)} points",
        "output": visible("\n".join((overview(report)
                                      or ["Your submission loaded without problems."])
                                     + [isolation_line(report)])),
        "tests": [{
            "name": t.name,
            "points": round(t.score, 2),
            "max_points": t.max_score,
            "message": (f"{t.cases - t.passed} of {t.cases} cases fail." if not t.ok else
                        f"All {t.cases} cases pass." if t.cases else "Not graded by this rubric."),
            "output": visible(t.feedback()) if shown(t) else
                      "Hidden inputs: the details are not shown, so that they stay secret.",
        } for t in report.tests],
    }, indent=1)


def rich_json(report):
    """Everything, for instructors and tools."""
    return strict_json.dumps({
        "submission": _one_line(report.submission), "score": report.score,
        "max_score": report.max_score, "oracle": report.oracle, "rubric": report.rubric.source,
        "visible_seed": report.visible_seed, "hidden_inputs": report.hidden_inputs,
        "wall_time": report.wall_time, "calls": report.calls,
        "isolation": report.isolation,
        "load_messages": [visible(m) for m in report.load_messages],
        "graded_from": {name: visible(where) for name, where in report.graded_from.items()},
        "refused": [visible(m) for m in report.refused],
        "components": {name: {"score": s, "max_score": m}
                       for name, (s, m) in report.components().items()},
        "tests": [{
            "name": t.name, "component": t.component, "behaviour": t.behaviour,
            "hidden": t.hidden, "score": t.score, "max_score": t.max_score,
            "cases": t.cases, "passed": t.passed, "hints": t.hints, "notes": t.notes,
            "problems": [visible(p) for p in t.problems], "feedback": visible(t.feedback()),
            "failing_cases": [case_id for _, case_id, _ in t.failures],
        } for t in report.tests],
    }, indent=1)


def junit(report):
    """JUnit XML valid against Jenkins' junit-10.xsd (tests/schemas/): one <testsuite> per
    submission, one <testcase> per graded test, a <failure> with the feedback for a test that
    lost points; the score and seeds are suite <properties>, loading problems its
    <system-out>. `errors` is 0: a crash in the student's code is a failure of that test."""
    failures = str(sum(not t.ok for t in report.tests))
    tests, time = str(len(report.tests)), f"{report.wall_time:.3f}"
    suites = ET.Element("testsuites", name="scratch-cnn grade", tests=tests,
                        failures=failures, errors="0", time=time)
    suite = ET.SubElement(suites, "testsuite", name=_one_line(report.submission), tests=tests,
                          failures=failures, errors="0", skipped="0", time=time,
                          timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                          hostname=socket.gethostname())
    properties = ET.SubElement(suite, "properties")
    for name, value in (("score", _points(report.score)),
                        ("max_score", _points(report.max_score)), ("oracle", report.oracle),
                        ("visible_seed", str(report.visible_seed)),
                        ("hidden_inputs", report.hidden_inputs)):
        ET.SubElement(properties, "property", name=name, value=value)
    for t in report.tests:
        case = ET.SubElement(suite, "testcase", classname=t.component, name=t.name)
        if not t.ok:
            failure = ET.SubElement(case, "failure", type="wrong result",
                                    message=f"{_points(t.score)} / {_points(t.max_score)} "
                                            f"points")
            failure.text = visible(t.feedback())
        elif t.notes:
            ET.SubElement(case, "system-out").text = visible(t.feedback())
    if overview(report):
        ET.SubElement(suite, "system-out").text = "\n".join(overview(report))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def html_page(report):
    """A standalone page (templates/grade_report.html.j2), autoescaped."""
    components = [{"name": name, "score": s, "max_score": m, "ok": abs(s - m) < 1e-9}
                  for name, (s, m) in report.components().items()]
    return pages.render("grade_report.html.j2", report=report, components=components,
                        overview=overview(report), isolation=isolation_line(report))


RENDER = {"gradescope": gradescope, "prairielearn": prairielearn, "json": rich_json,
          "junit": junit, "text": text, "html": html_page}


def write(report, path, fmt="gradescope"):
    """Write atomically: a temp file beside the target, then a rename, so a reader never sees
    half a file and an interrupted run never leaves a broken one."""
    content = RENDER[fmt](report)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_text_atomic(path, content)
