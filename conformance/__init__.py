"""Conformance suite: checks an implementation of the book's CNN API against PyTorch.

One case catalog, one comparison engine and two front ends: the pytest plugin
(`pytest --pyargs conformance --impl X`, `scratch-cnn conformance`) and the grader
(`scratch-cnn grade`). This package depends on `scratch_cnn`, never the reverse, and
only `conformance.oracles.torch_oracle` imports torch.
"""
