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


def test_output_shape(case, conformance):
    """Output shapes match the formula and PyTorch."""
    conformance.check(case, "output_shape")


def test_dtype_preserved(case, conformance):
    """float32 in gives float32 out; float64 stays float64."""
    conformance.check(case, "dtype")


def test_inputs_unchanged(case, conformance):
    """The arrays given are not modified."""
    conformance.check(case, "inputs_unchanged")
