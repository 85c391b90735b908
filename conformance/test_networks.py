"""LeNet, the small AlexNet and DeepConvNet against the same networks in torch."""

COMPONENT = ("LeNet", "AlexNet", "DeepConvNet")


def test_forward(case, conformance):
    """The forward output matches PyTorch."""
    conformance.check(case, "forward")


def test_parameter_gradients(case, conformance):
    """Every parameter gradient matches PyTorch autograd."""
    conformance.check(case, "parameter_gradients")


def test_accuracy(case, conformance):
    """Accuracy counts every sample."""
    conformance.check(case, "accuracy")


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
