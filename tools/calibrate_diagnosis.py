"""Calibrate "likely": each kind of evidence's record of likely statements over bug sets.

    python tools/calibrate_diagnosis.py [-v] [SET ...]

Every ground (a finding's kind, or "variant:" and a variant's name: the evidence that points
at one class alone, names.Named.grounds) is trusted while measuring. For each likely
statement the diagnosis then makes, each kind of evidence behind it (names.ground_kind) is
credited: right when the class is the bug's own, wrong otherwise. One line per kind: right,
wrong, distinct bugs and sets that support it, and whether it passes the bar that
names.TRUSTED_GROUNDS is built with (right every time, on at least 3 bugs of at least 2
sets). Default sets: every blind set, tests/blind_sets.py.
`-v` lists each kind's grounds. Last, each set left out in turn: what trusting the kinds
that pass on the other sets would state as likely on it (right and wrong), an estimate of
how the calibration does on a set it has not seen.
"""

import sys
import tempfile
import warnings
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.diagnosis import names  # noqa: E402
from tests import blind_sets  # noqa: E402
from tools.evaluate_diagnosis import diagnose_bug, load_bugs  # noqa: E402

SETS = list(blind_sets.SETS.values())  # every blind set, in order
MIN_BUGS, MIN_SETS = 3, 2


def _statements(which):
    """[(bug name, its class, likely class, grounds)] of one set, every ground trusted."""
    names.CALIBRATING = True
    warnings.simplefilter("ignore")
    module = load_bugs(which)
    folder = Path(tempfile.mkdtemp())
    found = []
    for bug in module.BUGS:
        detected, _, _, _, bugs = diagnose_bug(module, bug, folder, named=True)
        for named in bugs if detected else ():
            if named.certain:
                found.append((bug.name, bug.bug_class, named.bug_class, named.grounds))
    return which, found


def _passes(r):
    return not r["wrong"] and len(r["bugs"]) >= MIN_BUGS and len(r["sets"]) >= MIN_SETS


def _tabulate(statements):
    """{kind: its record} over [(set, bug, its class, likely class, grounds)]."""
    record = defaultdict(lambda: {"right": 0, "wrong": 0, "bugs": set(), "sets": set(),
                                  "wrong_on": [], "members": set()})
    for which, bug, expected, stated, grounds in statements:
        for kind in dict.fromkeys(map(names.ground_kind, grounds)):
            r = record[kind]
            r["members"].update(g for g in grounds if names.ground_kind(g) == kind)
            r["right" if stated == expected else "wrong"] += 1
            r["bugs"].add((which, bug))
            r["sets"].add(which)
            if stated != expected:
                r["wrong_on"].append(f"{bug}->{stated}")
    return record


def _left_out(statements, sets):
    """Each set as an untouched holdout: the kinds trusted on the other sets' record, and the
    bugs of the left-out set they state right and wrong as likely."""
    for which in sets:
        record = _tabulate([s for s in statements if s[0] != which])
        kept = [s for s in statements if s[0] == which
                and any(_passes(record[names.ground_kind(g)]) for g in s[4])]
        right = {s[1] for s in kept if s[2] == s[3]}
        wrong = {s[1] for s in kept if s[2] != s[3]}
        print(f"left out {which}: {len(right)} bugs likely right, {len(wrong)} wrong "
              f"{sorted(wrong) or ''}")


def main(argv):
    verbose = "-v" in argv
    sets = [a for a in argv if a != "-v"] or SETS
    with ProcessPoolExecutor(2) as pool:
        statements = [(which, *found) for which, founds in pool.map(_statements, sets)
                      for found in founds]
    record = _tabulate(statements)
    print(f"{'kind of evidence':26s} right wrong bugs sets trusted")
    for ground, r in sorted(record.items(), key=lambda kv: (-kv[1]["right"], kv[0])):
        ok = _passes(r)
        print(f"{ground:26s} {r['right']:5d} {r['wrong']:5d} {len(r['bugs']):4d} "
              f"{len(r['sets']):4d} {'yes' if ok else 'no':7s} {' '.join(r['wrong_on'])}")
        if verbose and len(r["members"]) > 1:
            print(f"{'':28s}{', '.join(sorted(m[:40] for m in r['members']))}")
    _left_out(statements, sets)


if __name__ == "__main__":
    main(sys.argv[1:])
