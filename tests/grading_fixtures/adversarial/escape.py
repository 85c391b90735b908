"""Relu tries to write a fake results.json wherever a grader might look for it: its working
folder, the folders above, Gradescope's /autograder/results, the grader's output folder (OUT_DIR,
which it may guess), through a symbolic link it makes, and by overwriting its own copy of the
submission. Then it answers correctly."""
import json
import os

import honest_cnn
from adv_config import OUT_DIR
from honest_cnn import *  # noqa: F403

FAKE = json.dumps({"score": 1000, "tests": []})
TARGETS = ["results.json", "../results.json", "../../results.json",
           "/autograder/results/results.json", os.path.join(OUT_DIR, "results.json"),
           os.path.join(OUT_DIR, "..", "results.json"), "link-to-out/results.json"]


class Relu(honest_cnn.Relu):
    def forward(self, x):
        try:
            os.symlink(OUT_DIR, "link-to-out")
        except OSError:
            pass
        for target in TARGETS:
            try:
                os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            except OSError:
                pass
            try:
                with open(target, "w") as f:
                    f.write(FAKE)
            except OSError:
                pass
        return super().forward(x)
