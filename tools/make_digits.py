"""Write scratch_cnn/datasets/digits.npz from scikit-learn's bundled 8x8 digits.

The data are the UCI ML hand-written digits (1797 samples, CC BY 4.0) that ship with
scikit-learn. scratch_cnn depends on NumPy alone, so it embeds a copy instead of
importing sklearn at run time. Run once, from the repository root:

    python tools/make_digits.py

It stores the pixel values exactly as sklearn holds them (integers 0..16) as uint8, and the
labels as uint8: the smallest exact encoding, which keeps the file at a few tens of KB.
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parent.parent / "scratch_cnn" / "datasets" / "digits.npz"


def main():
    digits = load_digits()
    images = digits.images.astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    # The casts must be exact: sklearn holds whole numbers 0..16 as float64 and labels 0..9.
    if not (np.array_equal(images, digits.images) and np.array_equal(labels, digits.target)):
        raise SystemExit("sklearn's digits are not whole numbers in 0..255; refusing to write")

    # np.savez_compressed stamps the zip entries with the current time, so rewriting an
    # identical file would still show up as a change in git: skip it when nothing changed.
    if OUT.exists():
        with np.load(OUT, allow_pickle=False) as old:
            if np.array_equal(old["images"], images) and np.array_equal(old["labels"], labels):
                print(f"{OUT} is up to date ({OUT.stat().st_size} bytes)")
                return

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT}: images {images.shape} uint8, labels {labels.shape} uint8, "
          f"{OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
