"""Where in the grid an implementation fails: "fails only when pad > 0" is worth more to a
student than a list of 40 failing cases. Used by the conformance report and the grader."""

from numbers import Real


def _predicates(params_list):
    """Candidate conditions over the case parameters: key == value, and key > smallest."""
    keys = sorted({k for p in params_list for k, v in p.items()
                   if isinstance(v, (Real, str)) and not isinstance(v, bool)})
    for key in keys:
        values = sorted({p[key] for p in params_list if key in p}, key=str)
        if len(values) < 2:
            continue
        for value in values:
            yield f"{key} = {value}", (lambda p, k=key, v=value: p.get(k) == v)
        numbers = sorted(v for v in values if isinstance(v, Real))
        if len(numbers) > 2:
            yield f"{key} > {numbers[0]}", (lambda p, k=key, v=numbers[0]:
                                            isinstance(p.get(k), Real) and p[k] > v)
    if all({"H", "W"} <= set(p) for p in params_list):
        yield "H != W", lambda p: p["H"] != p["W"]
    for a, b in (("FH", "FW"), ("PH", "PW")):
        if all({a, b} <= set(p) for p in params_list):
            yield f"{a} != {b}", (lambda p, a=a, b=b: p[a] != p[b])


def explain(results):
    """results: [(params, passed)] for one component. Returns a sentence such as
    'every failure has pad > 0, and every case without it passes', or '' if no single
    condition separates the failures from the passes."""
    failing = [p for p, ok in results if not ok]
    if not failing or len(failing) == len(results):
        return ""
    best = None
    for text, holds in _predicates([p for p, _ in results]):
        if all(holds(p) for p in failing) and all(ok for p, ok in results if not holds(p)):
            size = sum(1 for p, _ in results if holds(p))
            if best is None or size < best[0]:
                best = (size, text)
    if best is None:
        return ""
    return f"every failure has {best[1]}, and every case without it passes"
