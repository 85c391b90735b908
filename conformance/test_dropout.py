"""Dropout with a fixed mask: inverted scaling in training, identity in evaluation."""

COMPONENT = "Dropout"


def test_forward(case, conformance):
    """The forward output matches PyTorch."""
    conformance.check(case, "forward")


def test_input_gradient(case, conformance):
    """dx matches PyTorch autograd."""
    conformance.check(case, "input_gradient")


def test_eval_mode(case, conformance):
    """Evaluation mode (train_flg=False) matches PyTorch."""
    conformance.check(case, "eval_mode")


def test_array_contract(case, conformance):
    """Output shapes match the formula and PyTorch, float32 stays float32, and the arrays
    given are not modified."""
    conformance.array_contract(case)


