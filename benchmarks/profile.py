"""Where a benchmark case's time goes: scratch_cnn's step alone, sampled by Linux `perf`.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        python -m benchmarks.profile "conv fwd+bwd, 64x64x16x16 k3 p1, float32" [--seconds 3]

The case is named as in the benchmark's table (kind, name, dtype); any unique part of the
label will do. The step runs in a loop (one thread, as in the benchmark) and, once it is
warm, `perf record` samples it for --seconds; the samples are grouped by what their
function does:

- GEMM: OpenBLAS's compute kernels; GEMM packing: OpenBLAS copying operands into its blocks;
- copies: NumPy's and libc's copy loops (column matrices, transposes, padding, slicing);
- zero fill: memset (np.zeros, padding borders);
- elementwise: NumPy's arithmetic and comparison loops; reductions: sums and the like;
- scatter: ufunc.at and bincount (pooling's backward);
- Python: the interpreter (NumPy's call overhead shows up here and in "NumPy other");
- kernel: the operating system (page faults of fresh allocations, scheduling).

Needs `perf` (linux-tools) and permission to sample (root, or kernel.perf_event_paranoid
<= 1). The step's time itself is the benchmark's business; this only splits it.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CATEGORIES = [  # (name, pattern over "dso symbol"): the first that matches counts
    ("GEMM", r"openblas.*gemm_kernel|openblas.*gemm_small"),
    ("GEMM packing", r"openblas"),
    ("copies", r"memmove|memcpy|_to_contig|_to_strided|contig_to_contig|raw_array_assign|"
               r"Transfer|_cast_|copyswap|strided_to"),
    ("zero fill", r"memset|calloc|clear_page"),
    ("scatter", r"ufunc_at|bincount|ufunc\.at|_at_"),
    ("reductions", r"pairwise_sum|reduce"),
    ("elementwise", r"_add_|_subtract|_multiply|_divide|maximum|minimum|greater|less|equal|"
                    r"logical|_and_|_or_|_sqrt|_exp|_log|binary_|simd_"),
    ("kernel", r"\[kernel"),
    ("Python", r"libpython|python3"),
    ("NumPy other", r"_multiarray_umath|numpy"),
]


def loop(label, seconds):
    """Run the case's scratch_cnn step for about `seconds` (the child under perf)."""
    import numpy as np

    from benchmarks import run

    cases = [c for c in run.build_cases(np.random.default_rng(run.SEED))
             if label in run.report.label(c)]
    if len(cases) != 1:
        names = [run.report.label(c) for c in cases] or ["none"]
        sys.exit(f"benchmarks.profile: {label!r} names {len(cases)} cases ({'; '.join(names)});"
                 f" name exactly one, as in the benchmark's table")
    step, _ = cases[0]["methods"]["scratch_cnn"]()
    with run.threads_for(cases[0]["threads"]):
        step()
        print("ready", flush=True)  # the parent starts sampling now
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            step()


def categorize(report_text):
    """{category: share of samples} from `perf report --sort dso,symbol` text."""
    shares = {name: 0.0 for name, _ in CATEGORIES}
    shares["other"] = 0.0
    for line in report_text.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+(.*)", line)
        if not match:
            continue
        share, what = float(match.group(1)), match.group(2)
        name = next((n for n, pattern in CATEGORIES if re.search(pattern, what)), "other")
        shares[name] += share
    return shares


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", help="the case's label, or a unique part of it")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        loop(args.case, args.seconds)
        return 0
    if shutil.which("perf") is None:
        parser.error("needs Linux perf (linux-tools): install it, or read the table's GFLOP/s")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        child = subprocess.Popen([sys.executable, "-m", "benchmarks.profile", "--child",
                                  args.case, "--seconds", str(args.seconds + 2)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        if child.stdout is None or child.stdout.readline().strip() != "ready":
            return child.wait() or 1  # the child said why on stderr
        subprocess.run(["perf", "record", "-q", "-F", "2000", "-o", data, "-p",
                        str(child.pid), "--", "sleep", str(args.seconds)], check=True)
        child.wait()
        text = subprocess.run(["perf", "report", "-i", data, "--sort", "dso,symbol",
                               "--stdio"], check=True, capture_output=True, text=True).stdout
    shares = categorize(text)
    print(f"where the time of {args.case!r} goes (share of perf samples):")
    for name, share in sorted(shares.items(), key=lambda item: -item[1]):
        if share >= 0.5:
            print(f"  {name:14s} {share:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
