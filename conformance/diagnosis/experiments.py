"""Controlled experiments: which condition of the failing cases flips their verdict.

Each factor the catalog declares for the component (the stride, the padding, H != W, ...) is a
candidate only if every failing case has it: a case that fails without it shows the bug does
not need it. The factor is then taken away alone from the smallest failing case (each way it
can be: W := H and H := W), and from the next one of another geometry as a second witness
(passing over a case with no valid neighbour without it, such as a kernel larger than the
unpadded input); where each neighbour passes every behaviour, and so do a few more cases
without the factor (the factor taken away from more failing cases, and grid cases of other
combinations: a bug that does not need the factor shows on one of them), the condition is
stated, with a witness and its neighbour. Nothing else is said about where: statistics over
whichever grid cases happened to fail are not evidence.
"""

from ..compare import describe_params

WITNESSES = 2  # failing cases each factor is taken away from (the smallest ones)
TRIES = 4      # failing cases tried, where some have no neighbour without the factor
CHALLENGES = 8  # more cases without the factor, each of which must pass too


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
        challenged = [_passes(c, rerun) for c in _challenges(component, factor, runs)]
        if False in challenged:
            continue
        run, neighbour = witnesses[0]
        smallest = "smallest one" if run is runs[0] else "smallest one it can be taken from"
        more = challenged.count(True)
        found.append((factor.name, (
            f"it depends on {factor.name}: every failing case has it, and the {smallest} "
            f"({factor.describe(run.case.params)}) passes with "
            f"{factor.describe(neighbour.params)} instead, all else equal "
            f"({describe_params(neighbour)})"
            + (f"; {more} other cases without it pass too" if more else ""))))
    return found


def _witnesses(component, behaviour, factor, runs, rerun):
    """[(run, passing neighbour)] for the smallest failing cases that pass without the
    factor; empty where one of them still fails without it. A case whose neighbour makes no
    valid case (a kernel larger than the unpadded input) cannot say, and is passed over."""
    witnesses, able = [], 0
    for run in _distinct(runs)[:TRIES]:
        ways = [factor.neutral] + ([factor.other_neutral] if factor.other_neutral else [])
        neighbours = [n for n in (component.neighbour(run.case, way(run.case.params))
                                  for way in ways) if n is not None]
        if not neighbours:
            continue
        able += 1
        # the neighbour must pass every behaviour: one that still fails there still has the
        # bug, which this behaviour only hides by chance (an accuracy right while the scores
        # are wrong; a value right in a shape only the array contract checks), so the factor
        # is not what the bug needs
        verdicts = [_passes(n, rerun, behaviour) for n in neighbours]
        if False in verdicts:
            return []
        if True in verdicts:
            witnesses.append((run, neighbours[verdicts.index(True)]))
        if len(witnesses) == WITNESSES:
            break
    # two witnesses, unless a single failing geometry can be one (the challenges test more)
    return witnesses if witnesses and len(witnesses) >= min(WITNESSES, able) else []


def _challenges(component, factor, runs):
    """Cases without the factor besides the witnesses' neighbours, where a bug that does not
    need it would show: the factor taken away from more failing cases (the witnesses'
    geometry alone can hide a bug: a 1x1 output, a single window), and the first grid cases
    without it, one for each combination of the other factors and of a square output or not
    (H == W with a window that is not square, no padding with a stride other than the
    window's)."""
    ways = [factor.neutral] + ([factor.other_neutral] if factor.other_neutral else [])
    cases = [n for run in _distinct(runs)[WITNESSES:WITNESSES + CHALLENGES]
             for n in (component.neighbour(run.case, way(run.case.params)) for way in ways)
             if n is not None]
    combinations = {}
    for case in component.grid("full"):
        # untagged: a tag marks what a rubric may leave ungraded (the book's own limits)
        if not case.error and not case.tags and not factor.applies(case.params):
            combinations.setdefault(_combination(component, case.params), case)
            if len(combinations) == CHALLENGES:
                break
    return cases + list(combinations.values())


def _combination(component, p):
    """Which factors a case has, and whether its output is higher than wide or wider than
    high (H == W with a window height different from its width can give either)."""
    shape = ()
    if component.geometry is not None:
        sides = component.geometry.right(p)
        shape = (len(set(sides)) > 1,)
    return tuple(f.applies(p) for f in component.factors) + shape


def _distinct(runs):
    """The runs with different geometries (a case repeated with other inputs, or in another
    dtype, is one witness)."""
    def geometry(run):
        return tuple(sorted((k, repr(v)) for k, v in run.case.params.items() if k != "dtype"))
    return list({geometry(run): run for run in reversed(runs)}.values())[::-1]


def _passes(case, rerun, behaviour=None):
    """True if the implementation passes every behaviour on the case, False if it fails one
    there, None if that cannot be judged (the oracle refuses the case, the time is spent, or
    it does not judge `behaviour`, the one studied)."""
    try:
        other = rerun(case)
    except Exception:  # the case cannot be judged: no claim either way
        return None
    if behaviour is not None and other.checks.get(behaviour) is None:
        return None
    return other.outcome.status == "ok" and all(c.ok for c in other.checks.values())
