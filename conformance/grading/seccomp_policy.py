"""The sandbox's seccomp filters, compiled with libseccomp (through pyseccomp).

Two programs:
- the SANDBOX filter, which bwrap loads (`--seccomp FD`) right before it execs the grading
  child: every system call of the table below fails with EPERM (clone3 with ENOSYS, so that the
  C library falls back to clone, which fails with EPERM); everything else is allowed. Calls from
  another ABI (i386 through int 0x80, x32) kill the process: libseccomp's default for an
  architecture the filter was not made for.
- the EXEC filter, which the child loads itself before any student code runs (bwrap cannot:
  it must exec the child after loading its filter): execve and execveat fail with EPERM.

Why each group is refused (a deny list: Python and NumPy keep every call they make, measured
by the test suite; a new kernel's new calls are allowed until listed here):
"""

from __future__ import annotations

import errno
import os
import tempfile

DENIED = {
    # New processes and threads. No thread is needed (BLAS runs with one thread); a thread
    # left running would escape the per-call state reset and the CPU budget, a process would
    # escape the audit hook. RLIMIT_NPROC is a second layer.
    "processes": ("fork", "vfork", "clone"),
    # Reading or writing another process's memory, comparing kernel objects of others.
    "other processes": ("ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
                        "process_mrelease", "kcmp", "pidfd_open", "pidfd_send_signal",
                        "pidfd_getfd"),
    # Memory held outside RLIMIT_AS and outside the size-capped folders: anonymous files,
    # System V and POSIX IPC, userfaultfd, io_uring's buffers.
    # (extended attributes take kernel memory per file that no size cap counts)
    "memory outside the limits": ("memfd_create", "memfd_secret", "userfaultfd", "shmget",
                                  "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv",
                                  "msgctl", "semget", "semop", "semtimedop", "semctl",
                                  "mq_open", "mq_timedsend", "mq_timedreceive", "mq_notify",
                                  "mq_getsetattr", "mq_unlink", "io_uring_setup",
                                  "io_uring_enter", "io_uring_register", "mbind",
                                  "set_mempolicy", "migrate_pages", "move_pages",
                                  "setxattr", "lsetxattr", "fsetxattr", "setxattrat"),
    # Leaving or reshaping the sandbox: namespaces, mounts, root, file handles.
    "namespaces and mounts": ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
                              "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
                              "fspick", "mount_setattr", "open_by_handle_at",
                              "name_to_handle_at", "fanotify_init", "fanotify_mark",
                              "sethostname", "setdomainname"),
    # The kernel's own attack surface, of no use to a layer's forward pass.
    "kernel": ("bpf", "perf_event_open", "keyctl", "add_key", "request_key", "kexec_load",
               "kexec_file_load", "init_module", "finit_module", "delete_module", "acct",
               "swapon", "swapoff", "reboot", "syslog", "quotactl", "quotactl_fd",
               "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm",
               "modify_ldt", "uselib", "ustat", "sysfs", "_sysctl", "lookup_dcookie",
               "vhangup", "seccomp"),
}
ENOSYS_CALLS = ("clone3",)
EXEC_CALLS = ("execve", "execveat")
PERSONALITY_QUERY = 0xFFFFFFFF  # personality() may only be read, not changed
# Sockets of the local kind only: the network namespace empties IP, but not every family is
# namespaced (AF_VSOCK reaches the virtual machine's host whatever the namespace), and a layer
# needs none. Any other family fails with EAFNOSUPPORT, as on a kernel without it.
SOCKET_CALLS = ("socket", "socketpair")
LOCAL_SOCKETS = 1  # AF_UNIX


def unavailable_reason() -> str | None:
    """None if filters can be built and loaded here; else why not, and the fix."""
    if not os.path.exists("/proc/self/status"):
        return "no /proc: not Linux"
    with open("/proc/self/status") as f:
        if not any(line.startswith("Seccomp:") for line in f):
            return "the kernel has no seccomp support"
    try:
        import pyseccomp  # noqa: F401
    except ImportError:
        return "pyseccomp is not installed (pip install pyseccomp)"
    except (RuntimeError, OSError) as exc:  # it raises RuntimeError without libseccomp
        return f"libseccomp cannot be loaded ({exc}; apt-get install libseccomp2)"
    return None


def _compile(rules) -> bytes:
    import pyseccomp as sc

    program = sc.SyscallFilter(sc.ALLOW)
    for action, name, args in rules:
        number = sc.resolve_syscall(sc.Arch.NATIVE, name)
        if number < 0:  # not a system call on this architecture (or too new for libseccomp)
            continue
        program.add_rule(action, number, *args)
    with tempfile.TemporaryFile() as out:
        program.export_bpf(out)
        out.seek(0)
        return out.read()


def sandbox_program() -> bytes:
    """The filter bwrap loads, as raw struct sock_filter[]."""
    import pyseccomp as sc

    eperm = sc.ERRNO(errno.EPERM)
    rules = [(eperm, name, ()) for names in DENIED.values() for name in names]
    rules += [(sc.ERRNO(errno.ENOSYS), name, ()) for name in ENOSYS_CALLS]
    rules.append((eperm, "personality", (sc.Arg(0, sc.NE, PERSONALITY_QUERY),)))
    rules += [(sc.ERRNO(errno.EAFNOSUPPORT), name, (sc.Arg(0, sc.NE, LOCAL_SOCKETS),))
              for name in SOCKET_CALLS]
    return _compile(rules)


def exec_program() -> bytes:
    """The filter the child loads itself: no execve."""
    import pyseccomp as sc

    return _compile([(sc.ERRNO(errno.EPERM), name, ()) for name in EXEC_CALLS])


def describe() -> str:
    return "; ".join(f"{group}: {', '.join(names)}" for group, names in DENIED.items())
