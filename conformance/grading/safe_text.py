"""Students' text and names, made safe to show: file names that are not UTF-8, lone surrogates
in exception messages, terminal escape sequences. Student text is data: it is never parsed, and
what reaches a terminal carries no control character (an escape sequence could repaint the
screen to show a score that results.json does not have)."""

import re

# C0 controls but tab and newline, DEL, C1 controls; and the Unicode bidirectional overrides,
# which can make text read differently from what it is
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unicode_safe(text: str) -> str:
    """`text` with lone surrogates (an undecodable file name, a student's message) replaced:
    it can then be written as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape" if _all_escapes(text) else "surrogatepass") \
            .decode("utf-8", "replace")


def _all_escapes(text):
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def printable(text: str) -> str:
    """For a terminal, a CSV or a file name shown to people: no control characters (they are
    shown as \\xNN), no lone surrogates; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", unicode_safe(str(text)))


def one_line(text: str) -> str:
    """printable(), on one line (for a CSV cell or a status line)."""
    return printable(text).replace("\r", " ").replace("\n", " ").replace("\t", " ")
