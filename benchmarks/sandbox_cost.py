"""What the grader's sandbox costs: bubblewrap's start, a sandbox's start, a call's round trip,
and grading the example submission, with the sandbox and without (isolation="none"), as the
current user; with --as-user, the same again as an unprivileged user (needs root: it runs
itself through tests/unprivileged.py).

    python -m benchmarks.sandbox_cost [--as-user] [--repeat N] [--out DIR]

Writes DIR/sandbox_cost.json and DIR/sandbox_cost.md (default DIR: benchmarks/results). Medians
of N repetitions (default 20; round trips: 200 calls). The machine's load matters: run it alone.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
sys.path.insert(0, str(CHECKOUT))

import numpy as np  # noqa: E402

from conformance.grading import isolation  # noqa: E402
from conformance.grading.grade import grade  # noqa: E402
from conformance.grading.rubric import Rubric  # noqa: E402
from conformance.grading.sandbox import Sandbox  # noqa: E402

FIXTURES = CHECKOUT / "tests" / "grading_fixtures"
EXAMPLE = CHECKOUT / "conformance" / "examples" / "submission"


def median_ms(samples):
    return round(statistics.median(samples) * 1e3, 2)


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


def measure(repeat):
    machine = isolation.machine()
    tmp = tempfile.mkdtemp(prefix="sandbox-cost-")
    figures = {"user": "root" if machine.root else f"uid {os.getuid()}",
               "isolation": machine.isolation().summary()}
    if machine.sandbox:
        bwrap = isolation.trial_command(machine.bwrap, machine.root)
        figures["bwrap start (bwrap ... /usr/bin/true), ms"] = timed(
            lambda: subprocess.run(bwrap, check=True), repeat)
    figures["plain /usr/bin/true, ms"] = timed(
        lambda: subprocess.run(["/usr/bin/true"], check=True), repeat)
    x = np.ones((2, 3), dtype=np.float32)
    modes = ("sandbox", "none") if machine.sandbox else ("none",)

    def start_and_close(mode):
        with Sandbox(FIXTURES / "good_submission.py", FIXTURES / "drivers_for_tests.py",
                     isolation=mode, tmp_dir=tmp) as box:
            box.call("echo", {"n": 1}, {"x": x})

    def grade_example(mode):
        import conformance.grading.grade as module

        class Box(Sandbox):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **{**kwargs, "isolation": mode})
        saved, module.Sandbox = module.Sandbox, Box
        try:
            report = grade(EXAMPLE, Rubric(), seed=1)
        finally:
            module.Sandbox = saved
        assert report.score == report.max_score, report.score
        figures["calls per grading of the example"] = report.calls

    # the modes interleaved, so that the machine's load falls on both alike
    for what, fn, n in (("start, load, one call, close", start_and_close, repeat),
                        ("grading the example (visible and hidden)", grade_example,
                         max(3, repeat // 4))):
        samples = {mode: [] for mode in modes}
        for _ in range(n):
            for mode in modes:
                started = time.perf_counter()
                fn(mode)
                samples[mode].append(time.perf_counter() - started)
        for mode in modes:
            figures[f"[{mode}] {what}, ms"] = median_ms(samples[mode])
    for mode in modes:
        with Sandbox(FIXTURES / "good_submission.py", FIXTURES / "drivers_for_tests.py",
                     isolation=mode, tmp_dir=tmp) as box:
            box.start()
            figures[f"[{mode}] round trip of a trivial call, ms"] = timed(
                lambda box=box: box.call("echo", {"n": 7}, {"x": x}), 200)
    os.rmdir(tmp)
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-user", action="store_true",
                        help="also measure as an unprivileged user (needs root)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    results = [measure(args.repeat)]
    if args.json_only:
        print(json.dumps(results[0]))
        return 0
    if args.as_user:
        sys.path.insert(0, str(CHECKOUT / "tests"))
        import unprivileged

        command = unprivileged.command([sys.executable, "-m", "benchmarks.sandbox_cost",
                                        "--json-only", "--repeat", str(args.repeat)])
        proc = subprocess.run(command, env=unprivileged.env(), cwd=CHECKOUT,
                              capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sandbox_cost.json").write_text(json.dumps(results, indent=1) + "\n")
    lines = ["# What the grader's sandbox costs", "",
             f"`python -m benchmarks.sandbox_cost{' --as-user' if args.as_user else ''} "
             f"--repeat {args.repeat}`, {time.strftime('%Y-%m-%d')}; medians. Load average "
             f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the "
             "machine adds noise of tens of ms to the starts).", ""]
    keys = [k for k in results[0] if k not in ("user", "isolation")]
    lines.append("| | " + " | ".join(r["user"] for r in results) + " |")
    lines.append("|---|" + "---|" * len(results))
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(str(r.get(key, "")) for r in results) + " |")
    lines += [""] + [f"- {r['user']}: {r['isolation']}" for r in results]
    (out / "sandbox_cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
