"""Tries the forbidden imports while loading; each attempt must be refused and recorded."""
results = {}
for name in ("torch", "scratch_cnn", "conformance", "scipy.ndimage"):
    try:
        __import__(name)
        results[name] = "imported"
    except PermissionError:
        results[name] = "refused"


def refused_count():
    return sum(v == "refused" for v in results.values())


import torch  # noqa: E402,F401 - once more, uncaught: this file's unit must report it
