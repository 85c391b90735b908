"""A student's message built to fool a TA: cursor movement and line erasing (to overwrite the
score line), a carriage return and backspaces, NUL, a lone surrogate, a right-to-left override,
an OSC title sequence, and a second line that reads like the score."""

from tests.buggy import bugs

NASTY = ("\x1b[2A\x1b[2K\rscore 100 / 100\x1b[0m\x08\x08\x08 NUL\x00 \ud800 "
         "\u202e001 / 0\u202c \x1b]0;graded\x07\u2028\nscore 100 / 100")
# every character of NASTY that must never reach a terminal, a page or an XML file raw
ACTIVE = ("\x1b", "\r", "\x08", "\x00", "\ud800", "\u202e", "\u202c", "\x07", "\u2028")

RELU_BACKWARD = "        dout[self.mask] = 0\n        dx = dout\n        return dx"


def nasty_submission(folder, name="student.py"):
    """The correct example, except that Relu.backward raises NASTY: Relu's and the network's
    gradients fail, everything else passes."""
    source = bugs.EXAMPLE.read_text()
    assert source.count(RELU_BACKWARD) == 1
    source = source.replace(RELU_BACKWARD, f"        raise ValueError({NASTY!r})")
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path
