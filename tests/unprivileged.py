"""Run a command as an ordinary user, from tests that run as root (as CI does).

The grader must hold as an unprivileged user too (a TA's laptop, a CI runner), so the isolation
tests run each attack twice: as root, and through `command()` here, which
- creates the user USER once (useradd, idempotent),
- enters a private mount namespace (unshare --mount): there, every folder the interpreter, the
  checkout and the test's own folders need, but that USER could not traverse (/root is mode
  700 and holds the pyenv Pythons; `mktemp -d` folders are 700 too), is covered by a tmpfs
  holding binds of just those paths; optional extra mounts (a read-only or a full folder) are
  made there too;
- then drops to USER with setpriv, which leaves no capability.
Nothing of this reaches the host: the namespace dies with the command.

When the tests themselves do not run as root, `command()` runs the command as it is (the
current user is the unprivileged one), and extra mounts are impossible (the caller skips).
"""

from __future__ import annotations

import os
import pwd
import shlex
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

USER = "scratchcnn-test"
CHECKOUT = Path(__file__).resolve().parents[1]
IS_ROOT = os.geteuid() == 0


def ensure_user() -> tuple:
    """(uid, gid) of USER, created if missing."""
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=False, capture_output=True)
        entry = pwd.getpwnam(USER)  # created now, or by a parallel worker meanwhile
    return entry.pw_uid, entry.pw_gid


def user_folder(prefix="scratch-cnn-user-") -> Path:
    """A fresh folder USER owns (under the system temp folder, which everyone can traverse)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if IS_ROOT:
        uid, gid = ensure_user()
        os.chown(folder, uid, gid)
    folder.chmod(0o755)
    return folder


def give_to_user(*paths):
    """chown USER everything under `paths` (the test wrote them as root); chown -R walks trees
    of any depth (os.walk recurses)."""
    if not IS_ROOT or not paths:
        return
    uid, gid = ensure_user()
    subprocess.run(["chown", "-R", "-h", f"{uid}:{gid}", "--", *map(str, paths)], check=True)


def _traversable_by_others(folder) -> bool:
    try:
        return bool(os.stat(folder).st_mode & stat.S_IXOTH)
    except OSError:
        return False


def _needed_paths(extra) -> list:
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    return sorted({os.path.realpath(p) for p in [*prefixes, CHECKOUT, *extra]})


def _exposing_script(needed) -> list:
    """Shell lines: a tmpfs over each highest folder USER cannot traverse, with the needed
    paths bound back into it."""
    covers = {}
    for path in needed:
        parts = path.split("/")
        for i in range(2, len(parts)):
            folder = "/".join(parts[:i])
            if not _traversable_by_others(folder):
                covers.setdefault(folder, []).append(path)
                break
    lines = []
    for folder, inside in sorted(covers.items()):
        if any(folder.startswith(other + "/") for other in covers):
            continue  # already under a cover
        holds = f"/tmp/.unprivileged-hold-{os.getpid()}-{len(lines)}"
        lines += [f"mkdir -p {holds}", f"mount --rbind {shlex.quote(folder)} {holds}",
                  f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(folder)}"]
        for path in sorted(set(inside)):
            rel = os.path.relpath(path, folder)
            target = shlex.quote(path)
            make = f"mkdir -p {target}" if os.path.isdir(path) else \
                f"mkdir -p {shlex.quote(os.path.dirname(path))} && touch {target}"
            lines += [make, f"mount --rbind {holds}/{shlex.quote(rel)} {target}"]
        lines += [f"umount -l {holds}", f"rmdir {holds}"]
    return lines


def _extra_mounts(read_only, full) -> list:
    """Shell lines: each of `read_only` made read-only, each of `full` a tiny tmpfs, full."""
    lines = []
    for path in read_only:
        q = shlex.quote(str(path))
        lines += [f"mount --bind {q} {q}", f"mount -o remount,bind,ro {q}"]
    for path in full:
        q = shlex.quote(str(path))
        lines += [f"mount -t tmpfs -o size=64k,mode=0777 tmpfs {q}",
                  f"dd if=/dev/zero of={q}/.filler bs=4k 2>/dev/null || true"]
    return lines


def command(argv, *, readable=(), read_only=(), full=()) -> list:
    """`argv` as USER in a private mount namespace where it can run this interpreter.

    readable: more paths USER must reach (the test's folders); read_only: folders made
    read-only there; full: folders replaced by a tiny tmpfs that is full."""
    if not IS_ROOT:
        if read_only or full:
            raise RuntimeError("extra mounts need root")
        return list(argv)
    uid, gid = ensure_user()
    lines = ["set -e", *_exposing_script(_needed_paths(readable)),
             *_extra_mounts(read_only, full)]
    lines.append(f'exec setpriv --reuid={uid} --regid={gid} --clear-groups -- "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines),
            "sh", *map(str, argv)]


def as_root_in_namespace(argv, *, read_only=(), full=()) -> list:
    """`argv` as root, in a private mount namespace with the same extra mounts."""
    lines = ["set -e", *_extra_mounts(read_only, full), 'exec "$@"']
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines),
            "sh", *map(str, argv)]


def env() -> dict:
    """The environment for a grader run in a test: ours, with a HOME anyone can use."""
    return {**os.environ, "HOME": "/tmp"}
