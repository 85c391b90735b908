"""Detectors for a network's accuracy: turned round or in percent; recomputed from the
network's own scores the ways a student may slip (the book's loop over batches of
`batch_size`, argmax over the classes, a count added per batch and divided by N, with one
step changed); crashed on a batch sliced empty.

An accuracy takes few values, so one case matching a slip proves little: every slip that
gives the wrong value is kept as an option, and the options are intersected over the failing
cases (findings.Finding.narrowed); where more than one survives, each class is possible."""

import re

import numpy as np

from .. import compare
from .findings import Finding, _close

# NumPy's words for an empty array reaching predict (a reshape or a reduction of size 0)
_EMPTY_ARRAY = re.compile(r"array of size 0|zero-size array")


def _count_batches(scores, labels, batch, predict, spans):
    """The book's count: predict each batch's labels, count the matches, over `spans`."""
    total = 0
    for start, end in spans:
        predicted = predict(scores[start:end])
        total += np.sum(predicted == labels[start:end])
    return total


def _slips(scores, labels, batch):
    """{words: (bug classes, accuracy)}: the book's loop with one step changed."""
    n = len(labels)
    spans = [(i * batch, (i + 1) * batch) for i in range(n // batch)]
    per_row = lambda s: np.argmax(s, axis=1)  # noqa: E731 (the book's own step)
    slips = {
        "np.argmin for np.argmax (the lowest score taken as the prediction)":
            (("sign",), _count_batches(scores, labels, batch,
                                       lambda s: np.argmin(s, axis=1), spans) / n),
        "np.argmax without axis=1 (one index over the whole batch)":
            (("reduction-axis",), _count_batches(scores, labels, batch, np.argmax, spans) / n),
        "the count set (=) in each batch instead of added (+=): only the last batch counts":
            (("overwrite",), _count_batches(scores, labels, batch, per_row, spans[-1:]) / n),
        "each batch sliced from the start (x[:end], not x[start:end]): earlier rows counted "
        "again": (("missing-term",), _count_batches(
            scores, labels, batch, per_row, [(0, end) for _, end in spans]) / n),
    }
    if len(spans) > 1:
        slips["each batch sliced as x[i:i + batch] (the batch's number, not its start)"] = (
            ("missing-term",), _count_batches(
                scores, labels, batch, per_row, [(i, i + batch) for i in range(len(spans))])
            / n)
    return slips


def accuracy_slips(component, run, key, oracle):
    """The accuracy is exactly what the book's loop gives with one step changed, on the
    implementation's own scores, which are right (else the accuracy only repeats their
    error)."""
    scores = run.outcome.outputs.get("scores")
    if key != "accuracy" or key not in run.outcome.outputs or scores is None or \
            "scores" not in run.expected or "batch_size" not in run.case.params:
        return None
    scores = compare.as_numbers(scores)
    actual = compare.as_numbers(run.outcome.outputs[key])
    if scores is None or actual is None or actual.size != 1 or \
            not _close(scores, run.expected["scores"], run):
        return None
    labels = np.asarray(run.inputs["t"])
    if labels.ndim != 1:
        labels = np.argmax(labels, axis=1)
    right = float(np.asarray(run.expected[key]))
    value = float(actual.reshape(-1)[0])
    options = {words: classes
               for words, (classes, slipped) in _slips(scores, labels,
                                                       run.case.params["batch_size"]).items()
               if not np.isclose(slipped, right) and np.isclose(slipped, value)}
    return Finding.of_options("accuracy-slip", key,
                              f"the accuracy ({value:.4g}, not {right:.4g}) is exactly what "
                              f"the book's loop gives on these scores with: ", options, False)


def empty_batch(component, run, key, oracle):
    """The accuracy crashed on an empty array: a batch sliced empty. The slice's end left
    without its start (x[start:batch_size]) and x replaced by its own first batch (x =
    x[start:end]) both slice past the rows there are: each is possible."""
    error = run.outcome.outputs.get(f"error:{key}")
    if key != "accuracy" or not isinstance(error, str) or not _EMPTY_ARRAY.search(error):
        return None
    return Finding("empty-batch", key,
                   "accuracy crashed on an empty array: a batch is sliced past the rows "
                   "there are (x[start:batch_size], the end without its start; or x itself "
                   "replaced by its first batch, x = x[start:end])",
                   ("missing-term", "overwrite"))


def accuracy_relations(component, run, key, oracle):
    """An accuracy that counts the mistakes (1 - right) or is in percent (100 x right)."""
    if key != "accuracy" or key not in run.outcome.outputs:
        return None
    actual = compare.as_numbers(run.outcome.outputs[key])
    right = float(np.asarray(run.expected[key]))
    if actual is None or actual.size != 1 or right == 0.5:
        return None
    value = float(actual.reshape(-1)[0])
    # an accuracy of 0 or 1 turned round is what any badly broken forward pass gives: no
    # evidence for the comparison; but any other value there contradicts it
    if right in (0.0, 1.0) and np.isclose(value, 1 - right):
        return None
    if np.isclose(value, 1 - right):
        return Finding("accuracy-complement", key, "the accuracy is 1 minus the right one: it "
                       "counts the wrong predictions (a comparison the wrong way round)",
                       ("sign",))
    if np.isclose(value, 100 * right):
        return Finding("accuracy-percent", key, "the accuracy is in percent (100 times the "
                       "right fraction)", ("scale",))
    return False
