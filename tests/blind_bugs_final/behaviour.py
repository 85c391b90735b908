"""Does a final-holdout bug change what the submission computes? The holdout's observations
(tests/blind_bugs_holdout/behaviour.py) plus the one case they lack: large positive scores.

The holdout's far-apart scores stay below exp's overflow (about 709) on its seed, so a softmax
that forgets the shift computes the same thing there; scores around 1000, as an untrained
network with large weights gives, overflow unless they are shifted.

    python -m tests.blind_bugs_final.behaviour   # one line per bug: the outputs it changes
"""

from tests.blind_bugs_holdout import behaviour
from tests.blind_bugs_holdout.behaviour import disagreements, module_from_source  # noqa: F401


def large_scores_outputs(impl, rng):
    x = rng.normal(size=(4, 6)) * 3.0 + 1000.0
    t = x.argmax(axis=1)  # right answers: no probability near the book's 1e-7 in the log
    before = x.copy()
    layer = impl.SoftmaxWithLoss()
    yield "large-scores/loss", float(layer.forward(x, t))
    yield "large-scores/inputs-kept", behaviour.unchanged(before, x)
    yield "large-scores/dx", layer.backward(1)


def softmax_with_loss_outputs(impl, rng):
    """The holdout's SoftmaxWithLoss cases, then the large scores."""
    yield from behaviour.softmax_with_loss_outputs(impl, rng)
    yield from large_scores_outputs(impl, rng)


RUNS = {**behaviour.OUTPUTS, "SoftmaxWithLoss": softmax_with_loss_outputs}


def observe(impl, seed=0):
    """The holdout's observations of `impl`, with the large-score case added."""
    return behaviour.observe(impl, seed, RUNS)


def own_changes(bug, buggy_source, reference, baseline):
    """The outputs of the bug's own component that the buggy source changes, leaving out those
    where the correct example already differs from the reference (`baseline`)."""
    module = module_from_source(buggy_source, bug.name)
    return [k for k in disagreements(observe(module), reference)
            if k not in baseline and k.startswith(bug.component + "/")]


def example_baseline(source, reference):
    """Where the correct example (its source) already differs from the reference: a bug only
    counts elsewhere."""
    return set(disagreements(observe(module_from_source(source, "example")), reference))


def main(bugs=None):
    """One line per bug of `bugs` (a set's module; this set's unless given)."""
    import scratch_cnn

    if bugs is None:
        from tests.blind_bugs_final import bugs

    source, reference = bugs.example_source(), observe(scratch_cnn)
    baseline = example_baseline(source, reference)
    print(f"example vs scratch_cnn: {sorted(baseline) or 'agree'}")
    for bug in bugs.BUGS:
        own = own_changes(bug, bugs.apply(bug, source), reference, baseline)
        raises = "raises" if any(k.endswith("/raised") for k in own) else ""
        print(f"{bug.name:42} {len(own):3} own outputs changed {raises:6}  {own[:3]}")


if __name__ == "__main__":
    main()
