"""The benchmark's report: a progress line per case, the markdown table and the bar chart."""

import numpy as np

from benchmarks import blas

METHODS = ("scratch_cnn", "torch", "book")
SHORT = {"scratch_cnn": "scratch", "torch": "torch", "book": "book"}


def label(c):
    return f"{c['kind']}, {c['name']}, {c['dtype']}"


def _ms(m, clock="cpu"):
    key = "median_s" if clock == "cpu" else "wall_median_s"
    return f"{m[key] * 1e3:.2f}" if key in m else "—"


def _ratio(value):
    return "—" if value is None else f"{value:.2f}"


def _mib(m):
    return f"{m['peak_bytes'] / 2 ** 20:.1f}" if "peak_bytes" in m else "—"


def case_line(c):
    m = c["methods"]
    times = "  ".join(f"{SHORT[k]} {_ms(m[k], c['clock'])} ms" for k in METHODS)
    failed = "  ".join(f"[{SHORT[k]} not timed: {m[k]['error']}]" for k in METHODS
                       if not m[k]["verified"])
    marks = " ".join(f"{k}:{'ok' if ok else 'MISSED'}" for k, ok in c["checks"].items())
    return (f"{label(c):55s} {times}  /torch {_ratio(c['ratio_torch'])}  "
            f"/book {_ratio(c['ratio_book'])}  {marks} {failed}")


def markdown(results):
    meta, peaks = results["meta"], results["gemm_peak"]
    mc = meta["machine"]
    lines = [
        "# scratch_cnn benchmark",
        "",
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['date']} ({meta['seconds']} s)",
        f"- Machine: {mc['cpu']}, {mc['cores']} cores, **one thread used** by every method "
        f"(except the rows marked 2 threads); {mc['platform']}; load average at the start "
        + "/".join(f"{v:.2f}" for v in mc.get("load_average", ())),
        f"- Software: Python {mc['python']}, NumPy {mc['numpy']}, torch {mc['torch']} (CPU)",
        "- Kernels (threadpoolctl): " + blas.describe(meta["kernels"]),
        *([f"- **{meta['pinning_warning']}**"] if meta.get("pinning_warning") else []),
        "- GEMM peak measured in this run (1024x1024 matmul, median): " + ", ".join(
            f"{dt} {p['peak_gflops']:.1f} GFLOP/s (NumPy {p['numpy_gflops']:.1f}, "
            f"torch {p['torch_gflops']:.1f})" for dt, p in peaks.items()),
        *(["", "**Quick run** (one repetition per case): a smoke test, not a measurement."]
          if meta["quick"] else []),
        "",
        "Times are medians of interleaved repetitions (ms of CPU time; of wall-clock time in the "
        "2-thread rows). `÷ torch` and `÷ book` are "
        "scratch_cnn's time over theirs: below 1 is faster. Targets: the issue's ratio to "
        "torch where it sets one, and at most 1.0 (float64) or 1.5 (float32) on every row; at "
        "most 0.67 of the book's time everywhere (1.5x faster); peak memory at most the "
        "book's. GFLOP/s count the convolution and "
        "affine products (3x the forward for fwd+bwd); % peak is scratch_cnn's share of the "
        "GEMM peak. Peak MiB: NumPy allocations (tracemalloc) for scratch_cnn and the book, "
        "torch's CPU allocator (torch.profiler) for torch.",
        "",
        "| case | dtype | scratch ms | torch ms | book ms | ÷ torch | target | ÷ book | "
        "GFLOP/s scratch / torch / book | % peak | peak MiB scratch / torch / book | met |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for c in results["cases"]:
        m = c["methods"]
        gf = " / ".join(f"{m[k]['gflops']:.1f}" if "gflops" in m[k] else "—" for k in METHODS)
        frac = (f"{100 * m['scratch_cnn']['peak_fraction']:.0f}%"
                if "peak_fraction" in m["scratch_cnn"] else "—")
        mem = " / ".join(_mib(m[k]) for k in METHODS)
        met = "✓" if all(c["checks"].values()) else "✗ " + ", ".join(
            k for k, ok in c["checks"].items() if not ok)
        book_ms = _ms(m["book"], c["clock"]) if m["book"]["verified"] else "n/a†"
        target = (f"≤ {c['target']}" if c["target"] is not None
                  else f"(≤ {c['limit_torch']})")
        lines.append(f"| {c['kind']}, {c['name']} | {c['dtype']} | "
                     f"{_ms(m['scratch_cnn'], c['clock'])} | {_ms(m['torch'], c['clock'])} | "
                     f"{book_ms} | {_ratio(c['ratio_torch'])} | {target} | "
                     f"{_ratio(c['ratio_book'])} | {gf} | {frac} | {mem} | {met} |")
    failures = [(c, k) for c in results["cases"] for k in METHODS
                if not c["methods"][k]["verified"]]
    if failures:
        lines += ["", "† Not timed, because the output failed verification against torch:"]
        lines += [f"- {label(c)}, {k}: {c['methods'][k]['error']}" for c, k in failures]
    return "\n".join(lines) + "\n"


def bar_chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = results["cases"]
    labels = [label(c) for c in cases]
    y = np.arange(len(cases))
    fig, ax = plt.subplots(figsize=(10, 0.34 * len(cases) + 1.6))
    for offset, key, name, color in ((-0.2, "ratio_torch", "scratch_cnn / torch", "tab:blue"),
                                     (0.2, "ratio_book", "scratch_cnn / book", "tab:orange")):
        values = [c[key] if c[key] is not None else np.nan for c in cases]
        ax.barh(y + offset, values, height=0.4, color=color, label=name)
    targets = [c["target"] if c["target"] is not None else np.nan for c in cases]
    ax.scatter(targets, y - 0.2, marker="|", s=160, color="black", zorder=3,
               label="target (÷ torch)")
    ax.axvline(1.0, color="grey", linewidth=0.8)
    ax.axvline(1 / 1.5, color="tab:orange", linewidth=0.8, linestyle="--",
               label="1.5x faster than the book")
    ax.set_xscale("log")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time ratio, median (lower is faster)")
    mc = results["meta"]["machine"]
    fig.suptitle(f"scratch_cnn time ratios, one thread (the 2-thread rows: two each; "
                 f"{mc['cpu']}, {mc['cores']} cores, {results['meta']['date']})", fontsize=9)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
