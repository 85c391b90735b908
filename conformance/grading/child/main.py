"""The grading child: loads untrusted student code and calls drivers on it for the parent.

Started by conformance/grading/sandbox.py, inside the sandbox, as
`python -I -B -u main.py REQUEST_FD RESULT_FD`.
STANDALONE: the standard library and NumPy only. The protocol, the loader, the drivers and this
folder's other modules are loaded by file path, because this project's packages are exactly
what the submission must not reach.

Sequence (every step before any student code runs, except the last two):
1. load the protocol and the harness modules; read the start frame (paths, names, limits);
2. load loader.py and the drivers module, then forget them in sys.modules;
3. confine itself (confine.py: limits, the sandbox's own uid when started by root, no execve);
4. copy the submission into its working folder (a size-capped tmpfs in the sandbox);
5. say "ready", install the audit hook (guards.py), load the submission, send the report;
6. serve "call" frames until "exit" or end of file.
The parent trusts nothing that comes back: this process only tries to answer well.
"""

import importlib.util
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and friends look their module up while it runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def copy_submission(source, workdir):
    """The staged submission (read-only in the sandbox) into the writable working folder."""
    for name in sorted(os.listdir(source)):
        src, dst = os.path.join(source, name), os.path.join(workdir, name)
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copyfile(src, dst)


def main(argv):
    protocol = load_by_path("_grading_protocol", os.path.join(os.path.dirname(HERE),
                                                               "protocol.py"))
    harness = {name: load_by_path(f"_grading_{name}", os.path.join(HERE, f"{name}.py"))
               for name in ("confine", "guards", "state", "serve")}
    channel = harness["serve"].Channel(protocol, int(argv[1]), int(argv[2]))
    cfg = channel.read()
    try:
        loader = load_by_path("_grading_loader", cfg["loader"])
        drivers = load_by_path("_grading_drivers", cfg["drivers"])
        notes = harness["confine"].confine(cfg)
        if cfg.get("source"):
            copy_submission(cfg["source"], cfg["workdir"])
        os.chdir(cfg["workdir"])
    except BaseException as exc:  # noqa: B036 - the parent must hear why we could not start
        channel.write({"kind": "fatal", "message": f"{type(exc).__name__}: {exc}"[:2000]})
        return 2
    guards = harness["guards"].Guards(cfg, harness["confine"].cpu_budget.__code__)
    server = harness["serve"].Server(channel, cfg, loader, drivers, guards, harness["confine"],
                                     {"protocol": protocol, **harness})
    channel.write({"kind": "ready", "pid": os.getpid(), "uid": os.getuid(), "notes": notes,
                   "drivers": sorted(server.drivers)})
    if cfg["guards"]:
        guards.install()
    server.load()
    while True:
        try:
            request = channel.read()
        except EOFError:
            return 0
        if request.get("kind") == "exit":
            return 0
        server.call(request)


if __name__ == "__main__":
    code = main(sys.argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)  # skip atexit handlers and finalizers the submission may have left
