"""Optimizers: 50 steps from identical weights on identical batches, against torch.optim
(float64, rtol 1e-9)."""

COMPONENT = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")


def test_trajectory(case, conformance):
    """The losses of 50 steps match torch.optim."""
    conformance.check(case, "trajectory")


def test_final_parameters(case, conformance):
    """The parameters after 50 steps match torch.optim."""
    conformance.check(case, "final_parameters")


def test_inputs_unchanged(case, conformance):
    """The arrays given are not modified."""
    conformance.check(case, "inputs_unchanged")
