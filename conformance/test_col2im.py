"""col2im: folding rows back into images (the adjoint of im2col)."""

COMPONENT = "col2im"


def test_forward(case, conformance):
    """The forward output matches PyTorch."""
    conformance.check(case, "forward")


def test_array_contract(case, conformance):
    """Output shapes match the formula and PyTorch, float32 stays float32, and the arrays
    given are not modified."""
    conformance.array_contract(case)


def test_adjoint_identity(case, conformance):
    """<A x, y> = <x, A^T y> (no torch)."""
    conformance.adjoint(case)


def test_invalid_input(invalid_case, conformance):
    """Invalid input raises a clear ValueError/TypeError."""
    conformance.check(invalid_case, "invalid_input")
