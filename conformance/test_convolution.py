"""Convolution: forward, gradients, shapes, dtype, witnesses, invalid inputs."""

COMPONENT = "Convolution"


def test_forward(case, conformance):
    """The forward output matches PyTorch."""
    conformance.check(case, "forward")


def test_input_gradient(case, conformance):
    """dx matches PyTorch autograd."""
    conformance.check(case, "input_gradient")


def test_parameter_gradients(case, conformance):
    """Every parameter gradient matches PyTorch autograd."""
    conformance.check(case, "parameter_gradients")


def test_array_contract(case, conformance):
    """Output shapes match the formula and PyTorch, float32 stays float32, and the arrays
    given are not modified."""
    conformance.array_contract(case)


def test_numerical_gradient(small_case, conformance):
    """Gradients match central differences of the forward (no torch)."""
    conformance.numerical_gradient(small_case)


def test_adjoint_identity(case, conformance):
    """<A x, y> = <x, A^T y> (no torch)."""
    conformance.adjoint(case)


def test_invalid_input(invalid_case, conformance):
    """Invalid input raises a clear ValueError/TypeError."""
    conformance.check(invalid_case, "invalid_input")
