"""The known book-vs-PyTorch differences, read from divergences.toml (data, not code)."""

import functools
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

POLICIES = ("accepted", "ungraded", "wrong")


@functools.cache
def all_differences():
    path = Path(__file__).with_name("divergences.toml")
    with path.open("rb") as f:
        entries = tomllib.load(f)["difference"]
    for entry in entries:
        if entry["grading"] not in POLICIES:
            raise ValueError(f"{path}: difference {entry['name']} has grading "
                             f"{entry['grading']!r}; use one of {POLICIES}")
    return {entry["name"]: entry for entry in entries}


def get(name):
    return all_differences()[name]


def note(name):
    entry = get(name)
    return f"book difference ({name}): {entry.get('note', entry['book'])}"


def hint(name):
    entry = get(name)
    return f"book difference ({name}): {entry.get('hint', entry['book'])}"


def dtype_changes(names, component):
    """{(from, to): difference name} for the dtype changes the named differences allow in
    `component`."""
    return {tuple(all_differences()[n]["dtype"]): n for n in names
            if "dtype" in all_differences()[n] and component in all_differences()[n]["components"]}


def allowed_mutations(names, component):
    """{input: difference name} for the inputs the named differences may change in place."""
    return {key: n for n in names if component in all_differences()[n]["components"]
            for key in all_differences()[n].get("mutates", ())}


def default_policy(grading):
    """Names of the differences with the given default grading policy."""
    return frozenset(n for n, e in all_differences().items() if e["grading"] == grading)


def ungraded_tags(names):
    return frozenset(all_differences()[n]["tag"] for n in names if "tag" in all_differences()[n])
