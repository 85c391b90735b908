"""SoftmaxWithLoss: exact loss for logits up to +-1000; labels, one-hot and soft targets."""

COMPONENT = "SoftmaxWithLoss"


def test_forward(case, conformance):
    """The forward output matches PyTorch."""
    conformance.check(case, "forward")


def test_input_gradient(case, conformance):
    """dx matches PyTorch autograd."""
    conformance.check(case, "input_gradient")


def test_output_shape(case, conformance):
    """Output shapes match the formula and PyTorch."""
    conformance.check(case, "output_shape")


def test_dtype_preserved(case, conformance):
    """float32 in gives float32 out; float64 stays float64."""
    conformance.check(case, "dtype")


def test_inputs_unchanged(case, conformance):
    """The arrays given are not modified."""
    conformance.check(case, "inputs_unchanged")


def test_numerical_gradient(small_case, conformance):
    """Gradients match central differences of the forward (no torch)."""
    conformance.numerical_gradient(small_case)


def test_invalid_input(invalid_case, conformance):
    """Invalid input raises a clear ValueError/TypeError."""
    conformance.check(invalid_case, "invalid_input")
