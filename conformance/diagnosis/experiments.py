"""Controlled experiments: which condition of the failing cases flips their verdict.

Each factor the catalog declares for the component (the stride, the padding, H != W, ...) is a
candidate only if every failing case has it: a case that fails without it shows the bug does
not need it. The factor is then taken away alone from the smallest failing case (each way it
can be: W := H and H := W), and from the next one as a second witness (passing over a case
with no valid neighbour without it, such as a kernel larger than the unpadded input); where
each neighbour passes every behaviour the case failed, and none fails one, the condition is
stated, with a witness and its neighbour. Nothing else is said about where: statistics over
whichever grid cases happened to fail are not evidence.
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
        ways = [factor.neutral] + ([factor.other_neutral] if factor.other_neutral else [])
        neighbours = [n for n in (component.neighbour(run.case, way(run.case.params))
                                  for way in ways) if n is not None]
        if not neighbours:
            continue
        # the neighbour must pass every behaviour the case failed: one that still fails
        # there still has the bug, which this behaviour only hides by chance (an accuracy
        # right while the scores are wrong), so the factor is not what the bug needs
        failed = [b for b, check in run.checks.items() if not check.ok]
        verdicts = [_passes([behaviour, *failed], n, rerun) for n in neighbours]
        if False in verdicts:
            return []
        if True in verdicts:
            witnesses.append((run, neighbours[verdicts.index(True)]))
        if len(witnesses) == WITNESSES:
            break
    # two witnesses, unless a single case fails
    return witnesses if len(witnesses) >= min(WITNESSES, len(distinct)) else []


def _distinct(runs):
    """The runs with different cases (a case repeated with other inputs is one witness)."""
    return list({run.case.id: run for run in reversed(runs)}.values())[::-1]


def _passes(behaviours, neighbour, rerun):
    """True if the implementation passes `behaviours` on the neighbour case (the first is
    the one studied), False if it fails one there, None if that cannot be judged (the oracle
    refuses the case)."""
    try:
        other = rerun(neighbour)
    except Exception:  # the neighbour cannot be judged: no claim either way
        return None
    if other.checks.get(behaviours[0]) is None:
        return None
    return other.outcome.status == "ok" and all(
        other.checks[b].ok for b in behaviours if b in other.checks)
