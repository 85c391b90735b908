"""Controlled experiments: which condition of the smallest failing case flips its verdict.

Each factor the catalog declares for the component (the stride, the padding, H != W, ...) is
taken away alone; the implementation runs on that neighbour case; where the neighbour passes
the behaviour that failed, the condition is stated, with both cases. Nothing else is said about
where: statistics over whichever grid cases happened to fail are not evidence.
"""

from ..compare import describe_params


def run_experiments(component, behaviour, run, rerun):
    """Sentences for the factors whose removal makes `run`'s failing behaviour pass."""
    found = []
    for factor in component.factors:
        p = run.case.params
        if not factor.applies(p):
            continue
        neighbour = component.neighbour(run.case, factor.neutral(p))
        if neighbour is None:
            continue
        try:
            other = rerun(neighbour)
        except Exception:  # the neighbour cannot be judged (the oracle refuses it): no claim
            continue
        check = other.checks.get(behaviour)
        if check is None or not check.ok or other.outcome.status != "ok":
            continue
        found.append(
            f"it depends on {factor.name}: the smallest failing case ({factor.describe(p)}) "
            f"passes with {factor.describe(neighbour.params)} instead, all else equal "
            f"({describe_params(neighbour)})")
    return found
