"""SimpleConvNet: the book's network, weights set in place, against the same network in torch."""

COMPONENT = "SimpleConvNet"


def test_forward(case, conformance):
    """The forward output matches PyTorch."""
    conformance.check(case, "forward")


def test_parameter_gradients(case, conformance):
    """Every parameter gradient matches PyTorch autograd."""
    conformance.check(case, "parameter_gradients")


def test_accuracy(case, conformance):
    """Accuracy counts every sample."""
    conformance.check(case, "accuracy")


def test_array_contract(case, conformance):
    """Output shapes match the formula and PyTorch, float32 stays float32, and the arrays
    given are not modified."""
    conformance.array_contract(case)


