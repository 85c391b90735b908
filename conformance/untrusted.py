"""Text from a submission or an implementation under test is data, shown, never obeyed.

Exception messages, file names and printed output come from code we do not trust. Written raw
to a terminal, `\\x1b[2A\\x1b[2K` moves the cursor up and erases the real score; `\\r` and
`\\x08` overwrite it; U+202E (right-to-left override) reverses what follows; a lone surrogate
cannot even be encoded. XML 1.0 forbids most control characters outright. So before such text
reaches a terminal, a text file, HTML or XML, every character that acts instead of showing
(control and format characters, line and paragraph separators, surrogates, unassigned code
points) is replaced by its visible escape, as Python writes it: `\\x1b`, `\\u202e`, `\\ud800`.
Newlines and tabs stay, unless the text must fit on one line.

In a CSV file a spreadsheet opens, a cell that starts with `=`, `+`, `-` or `@` is a formula
(`=HYPERLINK(...)` in a student's file name runs when the TA opens grades.csv): such a cell
gets a leading apostrophe, which spreadsheets show as text (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import unicodedata

__all__ = ["visible", "indent_lines", "spreadsheet_cell"]

# Cc control, Cf format (bidi overrides, zero-width), Cs surrogate, Zl/Zp line and paragraph
# separators, Cn unassigned: none of them is a glyph a reader can see.
_ACTIVE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
_SHORT = {"\n": "\\n", "\r": "\\r"}


def visible(text: object, *, newlines: bool = True) -> str:
    """`text` with every active character replaced by its escape; `newlines=False` for a field
    that must stay on one line (a file name in a header)."""
    text = str(text)
    if _harmless(text, newlines):
        return text
    return "".join(_shown(ch, newlines) for ch in text)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: object) -> str:
    """`text` on one line, visible, and never read as a formula by a spreadsheet."""
    shown = visible(text, newlines=False)
    return "'" + shown if shown.startswith(_FORMULA_STARTS) else shown


def indent_lines(text: str, prefix: str) -> str:
    """Every line of `text` indented by `prefix`, so no line of untrusted text can start at the
    margin, where the grader's own lines (the score) are."""
    return "\n".join(prefix + line for line in text.split("\n"))


def _harmless(text: str, newlines: bool) -> bool:
    # str.isprintable() is False for every active category (and for tabs and odd spaces,
    # which the slow path keeps): the common case costs one C call per line.
    lines = text.split("\n") if newlines else [text]
    return all(line.isprintable() for line in lines)


def _shown(ch: str, newlines: bool) -> str:
    if ch == "\t" or (ch == "\n" and newlines):
        return ch
    if unicodedata.category(ch) not in _ACTIVE:
        return ch
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
