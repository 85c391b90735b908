"""Speed and memory of scratch_cnn against PyTorch (CPU) and the book's algorithm.

Run `python -m benchmarks.run [--quick] [--out DIR]`; see benchmarks/README.md.
"""
