"""Regenerate the README's screenshots (docs/walkthrough-*.png) from the instructor walkthrough,
run for real: `python tools/make_screenshots.py` (needs the `dev` extra and Chromium).

The class is made of the project's own test material: a correct submission in another style
(tests/blind_bugs/correct/einsum.py), the example with one blind bug (db summed over the wrong
axis), a renamed copy of it, another correct style, and the untouched starter.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.blind_bugs import bugs  # noqa: E402
from tests.browser import CHROMIUM, FLAGS  # noqa: E402

CORRECT = ROOT / "tests" / "blind_bugs" / "correct"
DOCS = ROOT / "docs"


def scratch_cnn(*args, cwd, ok=(0,)):
    code = subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=cwd,
                          stdout=subprocess.DEVNULL, check=False).returncode
    if code not in ok:
        sys.exit(f"scratch-cnn {args[0]} exited with {code}")


def write_class(folder: Path, starter: Path):
    folder.mkdir()
    bob = bugs.apply(next(b for b in bugs.BUGS if b.name == "conv-db-over-positions"),
                     bugs.example_source())
    carol = re.sub(r"#.*", "", re.sub(r"\bcol_W\b", "weights_col", bob))
    (folder / "alice.py").write_text((CORRECT / "einsum.py").read_text())
    (folder / "bob.py").write_text(bob)
    (folder / "carol.py").write_text(carol)
    (folder / "dave.py").write_text((CORRECT / "windows.py").read_text())
    shutil.copy(starter, folder / "erin.ipynb")


def screenshot(page: Path, png: Path, size):
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                        f"--window-size={size[0]},{size[1]}", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    print(f"wrote {png.relative_to(ROOT)}")


def main():
    if CHROMIUM is None:
        sys.exit("Chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scratch_cnn("assignment", "--components", "im2col,Convolution,Pooling",
                    "--format", "ipynb", "-o", "dist", cwd=work)
        write_class(work / "submissions", work / "dist" / "cnn.ipynb")
        scratch_cnn("grade-batch", "submissions", "--rubric", "dist/rubric.toml", "--html",
                    "--similarity-base", "dist/cnn.ipynb", "--out", "out", "--csv",
                    "out/grades.csv", "-q", cwd=work)
        scratch_cnn("conformance", "--impl", "submissions/bob.py", "-k", "Convolution",
                    "--report", "conformance.html", "-q", cwd=work, ok=(1,))  # bob's bug fails
        screenshot(work / "out" / "bob" / "report.html", DOCS / "walkthrough-report.png",
                   (1100, 1000))
        screenshot(work / "out" / "similarity.html", DOCS / "walkthrough-similarity.png",
                   (1100, 700))
        screenshot(work / "conformance.html", DOCS / "walkthrough-conformance.png",
                   (1100, 900))


if __name__ == "__main__":
    main()
