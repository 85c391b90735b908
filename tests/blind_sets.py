"""The sets of single-bug chapter 7 submissions written blind (tests/blind_bugs*/), in the
order they were written: the one list that every test and tool going over them reads.

A new set is added at the end (its writer must not have seen the diagnosis: see the newest
set's README), and is measured once, untouched, before anything is tuned on it.
"""

import importlib

# short name (as test ids show it): the set's package
SETS = {
    "blind": "tests.blind_bugs",
    "holdout": "tests.blind_bugs_holdout",
    "final": "tests.blind_bugs_final",
    "final2": "tests.blind_bugs_final2",
    "final3": "tests.blind_bugs_final3",
    "final4": "tests.blind_bugs_final4",
    "final5": "tests.blind_bugs_final5",
    "final6": "tests.blind_bugs_final6",
    "final7": "tests.blind_bugs_final7",
    "final8": "tests.blind_bugs_final8",
}


def bugs_module(short):
    """The set's bugs module (BUGS, apply, example_source)."""
    return importlib.import_module(f"{SETS[short]}.bugs")


def modules():
    """{short name: bugs module} of every set, in order."""
    return {short: bugs_module(short) for short in SETS}


def rows_before(short):
    """Every row of the sets written before `short`: a new set must give none of their
    files again."""
    earlier = list(SETS)[:list(SETS).index(short)]
    return [bug for name in earlier for bug in bugs_module(name).BUGS]
