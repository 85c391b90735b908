"""Controlled experiments: which condition of the failing cases flips their verdict.

Each factor the catalog declares for the component (the stride, the padding, H != W, ...) is a
candidate only if every failing case has it: a case that fails without it shows the bug does
not need it. The factor is then taken away alone from the smallest failing case, and from the
next one as a second witness; where each neighbour passes the behaviour that failed, the
condition is stated, with the smallest case and its neighbour. Nothing else is said about
where: statistics over whichever grid cases happened to fail are not evidence.
"""

from ..compare import describe_params

WITNESSES = 2  # failing cases each factor is taken away from (the smallest ones)


def run_experiments(component, behaviour, runs, rerun):
    """[(factor name, sentence)] for the factors whose removal makes the failing behaviour
    pass. runs: the failing CaseRuns of `behaviour`, smallest first."""
    found = []
    for factor in component.factors:
        if not runs or not all(factor.applies(run.case.params) for run in runs):
            continue
        neighbours = [_passing_neighbour(component, behaviour, factor, run, rerun)
                      for run in _distinct(runs)[:WITNESSES]]
        if not all(neighbours):
            continue
        p, neighbour = runs[0].case.params, neighbours[0]
        found.append((factor.name, (
            f"it depends on {factor.name}: every failing case has it, and the smallest one "
            f"({factor.describe(p)}) passes with {factor.describe(neighbour.params)} instead, "
            f"all else equal ({describe_params(neighbour)})")))
    return found


def _distinct(runs):
    """The runs with different cases (a case repeated with other inputs is one witness)."""
    return list({run.case.id: run for run in reversed(runs)}.values())[::-1]


def _passing_neighbour(component, behaviour, factor, run, rerun):
    """The case without the factor, if the implementation passes `behaviour` there."""
    neighbour = component.neighbour(run.case, factor.neutral(run.case.params))
    if neighbour is None:
        return None
    try:
        other = rerun(neighbour)
    except Exception:  # the neighbour cannot be judged (the oracle refuses it): no claim
        return None
    check = other.checks.get(behaviour)
    if check is None or not check.ok or other.outcome.status != "ok":
        return None
    return neighbour
