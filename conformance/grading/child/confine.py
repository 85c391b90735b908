"""The grading child's own confinement, done before any student code runs.

The sandbox around this process (bubblewrap: namespaces, seccomp, a size-capped working folder)
is set up by the parent and holds whatever happens in here. What only this process can add:
- resource limits: address space, CPU, file size, no core file, few open files, no new process;
- when the sandbox was started by root: the drop to a uid of the sandbox's own, with no way back
  (bwrap runs privileged there, so it cannot switch the uid itself);
- a second seccomp filter that refuses execve: bwrap's filter cannot, since bwrap must exec this
  interpreter after loading it; a submission could otherwise exec a program that no audit hook
  watches (another Python, with other packages);
- without a sandbox: the death signal, so that the child dies with the grader.

STANDALONE (standard library only): loaded by path inside the sandbox.
"""

import ctypes
import os
import resource
import signal

PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 1, 22, 38
SECCOMP_MODE_FILTER = 2
_libc = ctypes.CDLL(None, use_errno=True)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option, arg):
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0))


def load_seccomp_filter(program: bytes):
    """Add a compiled seccomp filter (struct sock_filter[]) to this process, for good."""
    if not program or len(program) % 8:
        raise ValueError("a seccomp program is a whole number of 8-byte instructions")
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _check(_libc.prctl(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER),
                       ctypes.byref(fprog), ctypes.c_ulong(0), ctypes.c_ulong(0)),
           "prctl(PR_SET_SECCOMP)")


def _capabilities() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def drop_to(uid: int, gid: int):
    """Become uid/gid for good: no supplementary groups, and (checked) no capability left."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or _capabilities():
        raise OSError(f"could not drop to uid {uid}: capabilities left")


def confine(cfg) -> list:
    """Limits, uid, filters; returns notes for the parent's report."""
    notes = []
    limits = [(resource.RLIMIT_AS, cfg["memory_bytes"]), (resource.RLIMIT_CORE, 0),
              (resource.RLIMIT_FSIZE, cfg["file_bytes"]),
              (resource.RLIMIT_NOFILE, cfg["open_files"]),
              (resource.RLIMIT_CPU, (cfg["cpu_load_seconds"], cfg["cpu_lifetime_seconds"])),
              # It counts all the processes of this uid: with 1, no new process or thread at
              # all. A second layer behind seccomp, which refuses them anyway.
              (resource.RLIMIT_NPROC, cfg["max_processes"])]
    for which, value in limits:
        soft, hard = value if isinstance(value, (list, tuple)) else (value, value)
        resource.setrlimit(which, (soft, hard))
    if cfg.get("uid") is not None:
        drop_to(cfg["uid"], cfg["gid"])
        notes.append(f"running as uid {cfg['uid']}, a uid of this sandbox's own")
    os.umask(0o077)
    _check(_prctl(PR_SET_NO_NEW_PRIVS, 1), "prctl(NO_NEW_PRIVS)")
    if cfg.get("exec_filter"):
        load_seccomp_filter(bytes.fromhex(cfg["exec_filter"]))
    if cfg.get("parent_pid"):  # no sandbox: die with the grader, at least
        _check(_prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "prctl(PDEATHSIG)")
        if os.getppid() != cfg["parent_pid"]:  # the parent died before PDEATHSIG was armed
            os._exit(3)
    return notes


def cpu_budget(seconds):
    """Soft RLIMIT_CPU = CPU used so far + `seconds` (None: back to the hard limit).

    Set here, per call: without CAP_SYS_RESOURCE the parent cannot prlimit a child of another
    uid. Past the soft limit comes SIGXCPU; a submission that ignores it still meets the hard
    limit (the child's lifetime budget, which the parent watches).
    """
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if seconds is None:
        soft = hard
    else:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + 0.999) + seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
