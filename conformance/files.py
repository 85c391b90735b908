"""Writing files so that a reader never sees half of one: a temporary file beside the target,
then a rename (atomic on POSIX), readable by everyone like any report."""

import os
import tempfile
from pathlib import Path


def write_text_atomic(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
