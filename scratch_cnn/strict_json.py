"""JSON that every parser accepts (RFC 8259), for the files this project writes.

Python's `json` writes `NaN` and `Infinity` by default, which `JSON.parse` and most other
parsers reject, and a lone surrogate (from undecodable bytes) as `"\\ud800"`, which strict
parsers such as Rust's serde_json reject. Both occur in real outputs: a worst error that is
infinite, a loss that diverged, a student's message with undecodable bytes. So, everywhere:

- a number that is not finite is written as the string "Infinity", "-Infinity" or "NaN"
  (`float(s)` in Python and `Number(s)` in JavaScript read it back);
- a lone surrogate in a string is written as the visible text `\\udXXX`.

`allow_nan=False` then guarantees that nothing non-finite slipped through.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["dumps", "NON_FINITE"]

NON_FINITE = ("Infinity", "-Infinity", "NaN")


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps` of `obj` with non-finite numbers and lone surrogates made explicit."""
    return json.dumps(_strict(obj), allow_nan=False, **kwargs)


def _strict(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else _non_finite(obj)
    if isinstance(obj, str):
        return _valid_unicode(obj)
    if isinstance(obj, dict):
        return {_strict(key) if isinstance(key, str) else key: _strict(value)
                for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(item) for item in obj]
    if isinstance(obj, np.generic):  # np.float32(nan), np.int64(3): their Python value
        return _strict(obj.item())
    return obj


def _non_finite(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def _valid_unicode(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
