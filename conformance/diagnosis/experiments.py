"""Controlled experiments: which condition of the failing cases flips their verdict.

Each factor the catalog declares for the component (the stride, the padding, H != W, ...) is a
candidate only if every failing case has it: a case that fails without it shows the bug does
not need it. The factor is then taken away alone from the smallest failing case, and from the
next one as a second witness (passing over a case with no valid neighbour without it, such as
a kernel larger than the unpadded input); where each neighbour passes the behaviour that
failed, and none fails it, the condition is stated, with a witness and its neighbour. Nothing
else is said about where: statistics over whichever grid cases happened to fail are not
evidence.
"""

from ..compare import describe_params

WITNESSES = 2  # failing cases each factor is taken away from (the smallest ones)
TRIES = 4      # failing cases tried, where some have no neighbour without the factor


def run_experiments(component, behaviour, runs, rerun):
    """[(factor name, sentence)] for the factors whose removal makes the failing behaviour
    pass. runs: the failing CaseRuns of `behaviour`, smallest first."""
    found = []
    for factor in component.factors:
        if not runs or not all(factor.applies(run.case.params) for run in runs):
            continue
        witnesses = _witnesses(component, behaviour, factor, runs, rerun)
        if not witnesses:
            continue
        run, neighbour = witnesses[0]
        smallest = "smallest one" if run is runs[0] else "smallest one it can be taken from"
        found.append((factor.name, (
            f"it depends on {factor.name}: every failing case has it, and the {smallest} "
            f"({factor.describe(run.case.params)}) passes with "
            f"{factor.describe(neighbour.params)} instead, all else equal "
            f"({describe_params(neighbour)})")))
    return found


def _witnesses(component, behaviour, factor, runs, rerun):
    """[(run, passing neighbour)] for the smallest failing cases that pass without the
    factor; empty where one of them still fails without it. A case whose neighbour makes no
    valid case (a kernel larger than the unpadded input) cannot say, and is passed over."""
    witnesses, distinct = [], _distinct(runs)
    for run in distinct[:TRIES]:
        neighbour = component.neighbour(run.case, factor.neutral(run.case.params))
        if neighbour is None:
            continue
        verdict = _passes(behaviour, neighbour, rerun)
        if verdict is False:
            return []
        if verdict:
            witnesses.append((run, neighbour))
        if len(witnesses) == WITNESSES:
            break
    # two witnesses, unless a single case fails
    return witnesses if len(witnesses) >= min(WITNESSES, len(distinct)) else []


def _distinct(runs):
    """The runs with different cases (a case repeated with other inputs is one witness)."""
    return list({run.case.id: run for run in reversed(runs)}.values())[::-1]


def _passes(behaviour, neighbour, rerun):
    """True if the implementation passes `behaviour` on the neighbour case, False if it fails
    there, None if that cannot be judged (the oracle refuses the case)."""
    try:
        other = rerun(neighbour)
    except Exception:  # the neighbour cannot be judged: no claim either way
        return None
    check = other.checks.get(behaviour)
    if check is None:
        return None
    return check.ok and other.outcome.status == "ok"
