"""What the detectors share: a Finding (an exact relation, in words, with the bug classes it
is evidence for) and the helpers that read a run's outputs against the right answers."""

from dataclasses import dataclass, replace

import numpy as np

from .. import compare


@dataclass
class Finding:
    kind: str         # which detector, for matching across cases
    key: str          # the output it is about
    text: str         # the relation, in words, with its numbers
    classes: tuple    # the bug classes it is evidence for (empty: a fact about where)
    detector: str = ""  # the detector's name (set by _detect)
    # where several explanations fit one case: {explanation words: classes}; the cases are
    # intersected, so that only explanations that fit every failing case are said
    options: dict = None
    # how many of the failing cases examined show the relation against a right answer that
    # is not all zeros, and on how many the output is wrong
    seen_on: int = 1
    failing_on: int = 1

    @property
    def coincidental(self):
        """Seen on one case of several (or none with a telling right answer): a relation
        that small numbers or special inputs can give by chance."""
        return self.seen_on < min(2, self.failing_on)

    @classmethod
    def of_options(cls, kind, key, lead, options, otherwise=None):
        """A finding whose explanations are options ({words: classes}), said after `lead`:
        each case keeps those that fit it too (narrowed). `otherwise` where none fits (None:
        the case cannot say; False: it contradicts the relation)."""
        if not options:
            return otherwise
        return cls(kind, key, lead + _one_of(options),
                   tuple(dict.fromkeys(c for cs in options.values() for c in cs)),
                   options=options)

    def narrowed(self, other):
        """This finding with only the explanations that also fit `other`'s case."""
        if not self.options or not other.options:
            return self
        kept = {w: c for w, c in self.options.items() if w in other.options}
        if not kept:
            return None
        return replace(self, options=kept, classes=tuple(dict.fromkeys(
            c for cs in kept.values() for c in cs)),
            text=self.text.split(": ", 1)[0] + ": " + _one_of(kept))


def _one_of(options):
    listed = list(options)
    shown = ", or ".join(listed[:3])
    return shown + (f" (or {len(listed) - 3} other combinations)" if len(listed) > 3 else "")


# Outputs with few possible values (an accuracy): a relation there is mostly a coincidence.
_DISCRETE = frozenset({"accuracy"})


def _pair(run, key):
    """(actual, expected) as float64 arrays, or (None, expected) when nothing came back (or
    the output is one where exact relations mean little)."""
    expected = np.asarray(run.expected[key], dtype=np.float64)
    if key in _DISCRETE:
        return None, expected
    actual = run.outcome.outputs.get(key)
    return (None if actual is None else compare.as_numbers(actual)), expected


def _close(a, b, run):
    rtol, atol = compare.tolerance(run.case)
    return a is not None and np.shape(a) == np.shape(b) and compare.close(a, b, rtol, atol)


def _informative(expected, run):
    """The right answer is not (almost) all zeros: relations to it mean something."""
    rtol, atol = compare.tolerance(run.case)
    return np.abs(expected).max(initial=0) > 10 * atol


def _error_texts(run):
    """What the implementation raised: the call's error, or a step's (backward raised...)."""
    texts = [run.outcome.error_message] if run.outcome.status == "error" else []
    texts += [v for k, v in run.outcome.outputs.items()
              if k.startswith("error:") and isinstance(v, str)]
    return [t[:2000] for t in texts]
