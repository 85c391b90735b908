"""Diagnosis: what a failing implementation got wrong, from evidence only.

Three layers, shared by the conformance suite and the grader, NumPy only:
1. experiments (experiments.py): a factor every failing case has (a stride > 1, padding, a
   non-square input, ...) is taken away alone from the smallest failing cases and the
   implementation runs again; only a factor whose removal flips the verdict of each is stated,
   with the smallest case and its neighbour named;
2. anatomy (anatomy.py): the wrong output against the right one and simple transforms of it
   (scaled, negated, transposed, shifted, truncated, accumulated or not, equal to an input or
   to the answer of the previous call, the shape a size formula gives, ...); a relation is
   stated only where it holds exactly, on every failing case it applies to;
3. names (names.py): each exact relation, and each hand-written variant that matched, maps to a
   bug class in plain words with its fix; where the evidence fits two classes, both are named
   as possibilities, never one as a fact.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .anatomy import find_relations
from .experiments import run_experiments
from .names import BUG_CLASSES, name_factors, name_findings, trusted, variant_classes


@dataclass
class Diagnosis:
    component: str
    behaviour: str
    where: list = field(default_factory=list)     # confirmed experiments, in words
    evidence: list = field(default_factory=list)  # anatomy.Finding, exact relations
    bugs: list = field(default_factory=list)      # names.Named: class, words, fix, certain
    factors: list = field(default_factory=list)   # the factors of `where`, by name

    def classes(self):
        """The bug classes named (certain or possible)."""
        return [b.bug_class for b in self.bugs]

    def lines(self):
        """The feedback, one statement per line, each with its evidence."""
        lines = [f"Where: {w}" for w in self.where]
        for bug in self.bugs:
            lines.append(bug.sentence())
        return lines

    def to_dict(self):
        return {"where": list(self.where), "evidence": [f.text for f in self.evidence],
                "bugs": [{"class": b.bug_class, "certain": b.certain, "text": b.sentence()}
                         for b in self.bugs]}


def diagnose_component(component, failing, rerun, oracle, *, accepted=(), max_runs=4):
    """{behaviour: Diagnosis} for the failing behaviours of one component ({behaviour: failing
    CaseRuns}). A relation already found in an earlier behaviour (forward before backward) is
    the same cause seen again, and is not named twice."""
    diagnoses, seen = {}, set()
    every_run = list({id(run): run for runs in failing.values() for run in runs}.values())
    for behaviour in [*component.behaviours, *(b for b in failing
                                                if b not in component.behaviours)]:
        if not failing.get(behaviour):
            continue
        d = _diagnose(component, behaviour, failing[behaviour], rerun, oracle,
                     accepted=accepted, max_runs=max_runs, explained=seen,
                     every_run=every_run, forward_right=_forward_right(component, behaviour,
                                                                       failing))
        seen |= {f.kind for f in d.evidence}
        diagnoses[behaviour] = d
    _name_factors(component, diagnoses.values(), every_run)
    _one_likely_bug(diagnoses.values())
    for d in diagnoses.values():
        _calibrate(d)
    return diagnoses


def _calibrate(diagnosis):
    """The likely bugs, last: a class the rules above leave likely stays so only where a kind
    of evidence with a clean record points at it (names.trusted); otherwise it is named as a
    possibility. Applied after the rules that compare likely classes across behaviours, so
    that an untrusted one still casts doubt on another."""
    for bug in diagnosis.bugs:
        bug.certain = bug.certain and any(map(trusted, bug.grounds))
    diagnosis.bugs.sort(key=lambda b: not b.certain)
    return diagnosis


def _forward_right(component, behaviour, failing):
    """`behaviour` comes after the component's first one (its forward pass), which passes
    everywhere: what it gets wrong comes from what forward stored, or from its own code."""
    first = next(iter(component.behaviours), None)
    return first is not None and behaviour != first and behaviour != "array_contract" \
        and not failing.get(first)


# Findings from sizes: an output size that a usual mistake in a formula gives. In a later
# behaviour whose forward pass is right, the same size comes as often from a shape stored in
# forward and read back (the output stored as the input: col2im given its shape).
_SIZE_KINDS = frozenset({"size-formula"})


def _sizes_maybe_stored(findings):
    """The size findings with a wrong stored value as another explanation."""
    extra = ("wrong-cached-value",)
    return [replace(f, classes=tuple(dict.fromkeys(f.classes + extra)),
                    options=f.options and {w: tuple(dict.fromkeys(c + extra))
                                           for w, c in f.options.items()},
                    text=f.text + " (or a size read from the wrong stored array)")
            if f.kind in _SIZE_KINDS else f for f in findings]


def _crashed_after_right_forward(behaviour, failing):
    """A gradient step (backward) that crashes on every failing case while forward is right
    everywhere: what it reads from forward, or the name it was kept under, is as likely the
    cause as its own code. [a Finding naming those classes as possible], or []. A method that
    returned None did not crash: its own `return` is missing (none_returned says so)."""
    from .findings import Finding, _error_texts

    if "gradient" not in behaviour or not all(
            any("returned None" not in text for text in _error_texts(run)) for run in failing):
        return []
    return [Finding("crashed-after-right-forward", "(crash)",
                    "forward is right on every case and this step crashed on each failing "
                    "one: a value forward stores for it may be the wrong one, or its name "
                    "reused for another value before it is read",
                    ("wrong-cached-value", "overwrite"))]


def _name_factors(component, diagnoses, every_run):
    """The confirmed factors as evidence: where one points at classes that the component's
    relations and variants do not name, those are possible too (and, in its own behaviour,
    no class stays likely). Only a factor every failing case of the component has: one that
    another behaviour fails without (an accuracy right by chance without the padding, while
    the scores are wrong everywhere) is not what the mistake needs."""
    named = {c for d in diagnoses for c in d.classes()}
    needed = {f.name for f in component.factors
              if all(f.applies(run.case.params) for run in every_run)}
    for d in diagnoses:
        d.bugs = name_factors(d.bugs, [f for f in d.factors if f in needed], named)


def _one_likely_bug(diagnoses):
    """A component's behaviours fail from one cause as a rule (a wrong forward output makes
    the gradients and the accuracy wrong too): where they name different classes as likely,
    the evidence does not say which is the bug, so each is only possible. So is a class that
    only a later behaviour names likely while an earlier one names others as possible, or
    fails with none named: the earlier failure may be the cause (the scores wrong, the
    accuracy 1 minus the right one by chance)."""
    diagnoses = list(diagnoses)  # in the component's order: forward first
    earlier, unexplained = set(), False
    for d in diagnoses:
        # an input changed in place is seen, not inferred from values: no earlier failure
        # can have caused it
        doubted = earlier or (unexplained and d.behaviour != "array_contract")
        for b in d.bugs:
            if b.certain and doubted and b.bug_class not in earlier:
                b.certain = False
        earlier |= set(d.classes())
        unexplained |= not d.bugs
    certain = {b.bug_class for d in diagnoses for b in d.bugs if b.certain}
    if len(certain) > 1:
        for d in diagnoses:
            for b in d.bugs:
                b.certain = False


def diagnose(component, behaviour, failing, rerun, oracle, **options):
    """Diagnose `behaviour` of `component` from its failing CaseRuns (see _diagnose), with
    the likely bug calibrated."""
    return _calibrate(_diagnose(component, behaviour, failing, rerun, oracle, **options))


def _diagnose(component, behaviour, failing, rerun, oracle, *, accepted=(), max_runs=4,
              explained=frozenset(), every_run=None, forward_right=False):
    """Diagnose `behaviour` of `component` from its failing CaseRuns.

    rerun(case) -> CaseRun runs the implementation on another case the same way (in process or
    in the sandbox); oracle computes right answers for counterfactual inputs; accepted: the
    book differences the policy accepts (their answers count as right too); every_run: the
    component's failing runs of every behaviour, where a matched variant must not be
    contradicted."""
    failing = sorted(failing, key=lambda run: sum(v.size for v in run.inputs.values()))
    diagnosis = Diagnosis(component.name, behaviour)
    if not failing:
        return diagnosis
    confirmed = run_experiments(component, behaviour, failing, rerun)
    diagnosis.where = [sentence for _, sentence in confirmed]
    # the relations are read from outputs: the smallest cases that returned some come first,
    # and those whose wrong outputs are all zeros last (a loop that never ran on a case too
    # small for it: zeros fit many relations and show none)
    keys = component.behaviours.get(behaviour) or ()
    answered = sorted(failing, key=lambda run: (run.outcome.status != "ok",
                                                _all_zeros(run, keys)))
    findings = find_relations(component, behaviour, answered[:max_runs], oracle, accepted)
    diagnosis.evidence = [f for f in findings if f.kind not in explained]
    if forward_right:
        diagnosis.evidence = _sizes_maybe_stored(diagnosis.evidence)
        diagnosis.evidence += _crashed_after_right_forward(behaviour, failing)
    diagnosis.factors = [factor for factor, _ in confirmed]
    hints = _consistent_hints(behaviour, failing, every_run or failing)
    diagnosis.bugs = name_findings(diagnosis.evidence, variant_classes(hints, component.name))
    if _unexplained_output(component, behaviour, answered[:max_runs], findings) and not any(
            explains_all for _, explains_all in hints):
        for bug in diagnosis.bugs:  # another output fails with nothing said of it
            bug.certain = False
    return diagnosis


def _unexplained_output(component, behaviour, runs, findings):
    """Some examined case returned a wrong output that no relation names a class for (dW
    wrong where only db's relation was found): the relations found explain part of the
    failure. An output that never came back (a crash) is a consequence, not a value."""
    from .anatomy import _failing_keys

    covered = {f.key for f in findings if f.classes}
    return any(key not in covered and key in run.outcome.outputs for run in runs
               for key in _failing_keys(component, behaviour, run)
               if not key.startswith("shape:"))


def _all_zeros(run, keys):
    """Every output of `keys` that came back is all zeros where the right one is not."""
    pairs = [(np.asarray(run.outcome.outputs[k]), np.asarray(run.expected[k]))
             for k in keys if k in run.outcome.outputs and k in (run.expected or {})]
    pairs = [(got, right) for got, right in pairs
             if got.dtype.kind in "fiub" and right.dtype.kind in "fiub" and right.any()]
    return bool(pairs) and not any(got.any() for got, _ in pairs)


def _consistent_hints(behaviour, failing, every_run):
    """The hand-written variants that match most failing cases where they apply (twice at
    least, unless only one case applies): a variant that matched once by coincidence, and
    not where it applied again, names nothing. Nor does one that predicts another output of
    the component which came back wrong in another way (max pooling padded with +inf matches
    the zero-padding variant's dx, not its out).

    [(name, explains every failure)]: an overflow variant predicts only where the values
    overflow, and the right answer elsewhere; where the behaviour fails on a case it predicts
    nothing for, another mistake may be the bug (exp(-x) overflows like an unshifted exp,
    and is wrong without large scores too): it names its classes only as possibilities."""
    from .. import variants

    overflows = {v.name for vs in variants.REGISTRY.values() for v in vs if v.overflow}

    hinted = dict.fromkeys(h for run in failing for h in run.checks[behaviour].hints)
    kept = []
    for name in hinted:
        matched = applied = silent = 0
        for run in failing:
            if name in run.checks[behaviour].hints:
                matched += 1
                applied += 1
            elif run.expected is not None:
                predicted = variants.predictions(run.case, run.inputs, run.expected).get(name)
                applied += bool(predicted and any(k in run.outcome.outputs for k in predicted))
                silent += name in overflows and not predicted
        if matched * 2 >= applied and (matched >= 2 or applied == 1) and not any(
                variants.contradicts(name, run.case, run.inputs, run.expected,
                                     run.outcome.outputs) for run in every_run):
            # explains every failure only where it reproduces each failing case
            kept.append((name, not silent and matched == len(failing)))
    return kept


__all__ = ["BUG_CLASSES", "Diagnosis", "diagnose", "diagnose_component"]
