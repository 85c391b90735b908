"""The conformance tests, one function per kind of check; conformance/plugin.py parametrizes
each over every component's cases in the catalog (nothing here names a component)."""


def test_behaviour(behaviour_check, conformance):
    """A behaviour's outputs (forward, input gradient, parameter gradients, ...) match the
    oracle."""
    conformance(*behaviour_check)


def test_array_contract(contract_check, conformance):
    """Output shapes match the formula and the oracle, float32 stays float32, and the arrays
    given are not modified."""
    conformance(*contract_check)


def test_numerical_gradient(numerical_gradient_check, conformance):
    """Gradients match central differences of the forward (no oracle)."""
    conformance(*numerical_gradient_check)


def test_adjoint_identity(adjoint_check, conformance):
    """<A x, y> = <x, A^T y> for the linear maps (no oracle)."""
    conformance(*adjoint_check)


def test_invalid_input(invalid_check, conformance):
    """Invalid input raises a clear ValueError/TypeError."""
    conformance(*invalid_check)
