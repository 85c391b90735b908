"""Check the training targets of `scratch-cnn train` on the embedded digits, as a user runs it.

Each network trains with its defaults (20 epochs, seed 0) in a fresh process; the wall time
includes interpreter start-up and imports. Targets (test accuracy on the 359 test digits):
SimpleConvNet >= 98.5% in under 60 s; LeNet and AlexNet >= 97%; DeepConvNet is reported.

    python benchmarks/train_targets.py [--repeat 3] [--nets simple lenet alexnet deep]

Exits 1 if a target is missed. MNIST (SimpleConvNet, the book's setup, >= 98.8%) needs the
data: `scratch-cnn train --dataset mnist --download` where the network is reachable.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# columns: minimum test accuracy, maximum wall seconds (None: no limit)
TARGETS = {"simple": (0.985, 60.0), "lenet": (0.97, None), "alexnet": (0.97, None),
           "deep": (None, None)}


def run_once(net, folder):
    metrics = Path(folder) / f"{net}.json"
    command = [sys.executable, "-m", "conformance.cli", "train", "--net", net, "--dataset",
               "digits", "--epochs", "20", "--seed", "0", "--quiet", "--metrics-json",
               str(metrics)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    return json.loads(metrics.read_text()), wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per network (default 3)")
    parser.add_argument("--nets", nargs="+", choices=tuple(TARGETS), default=list(TARGETS))
    args = parser.parse_args(argv)
    missed = []
    print("| net | network | test accuracy | train accuracy | wall s (each run) | target |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for net in args.nets:
            runs = [run_once(net, folder) for _ in range(args.repeat)]
            accuracies = {m["test_accuracy"] for m, _ in runs}
            assert len(accuracies) == 1, f"{net}: runs with one seed differ: {accuracies}"
            metrics, walls = runs[0][0], [wall for _, wall in runs]
            minimum, limit = TARGETS[net]
            ok = ((minimum is None or metrics["test_accuracy"] >= minimum)
                  and (limit is None or max(walls) < limit))
            target = "-" if minimum is None else (
                f">= {minimum:.1%}" + (f" in < {limit:.0f} s" if limit else ""))
            if not ok:
                missed.append(net)
            print(f"| {net} | {metrics['network']} | {metrics['test_accuracy']:.2%} | "
                  f"{metrics['train_accuracy']:.2%} | {', '.join(f'{w:.1f}' for w in walls)} | "
                  f"{target}{'' if ok else ' MISSED'} |", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
