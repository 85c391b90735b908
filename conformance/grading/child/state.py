"""The grading child's process-wide state: saved before the submission runs, put back after
every load and call, so that what one call changed cannot reach the next (another component's).

STANDALONE (standard library and NumPy): loaded by path inside the sandbox.
"""

import os
import signal
import sys
import warnings

import numpy as np


class Snapshot:
    """Process-wide state a submission can change and a later call (another component's) would
    suffer from: attributes of the modules the harness and the drivers use, signal handlers,
    timers and the signal mask, the recursion limit, NumPy's error handling, warning filters,
    the working directory. `restore` puts it all back and names what had been changed."""

    def __init__(self, *modules):
        self.saved = [(m, dict(m.__dict__)) for m in modules]
        self.handlers = {}
        for sig in signal.valid_signals():
            try:
                handler = signal.getsignal(sig)
            except (OSError, ValueError):
                continue
            if handler is not None:
                self.handlers[sig] = handler
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
        self.recursion_limit = sys.getrecursionlimit()
        self.switch_interval = sys.getswitchinterval()
        self.errstate = np.geterr()
        self.warning_filters = list(warnings.filters)
        self.cwd = os.getcwd()

    def restore(self):
        """Put back everything the submission changed; [(event, detail)] for the report."""
        changed = []
        for module, saved in self.saved:  # first: what follows calls these modules
            current = module.__dict__
            for key, value in saved.items():
                if current.get(key, _MISSING) is not value:
                    current[key] = value
                    changed.append(("tamper", f"{module.__name__}.{key}"))
        for which, name in ((signal.ITIMER_REAL, "signal.alarm/setitimer(ITIMER_REAL)"),
                            (signal.ITIMER_VIRTUAL, "setitimer(ITIMER_VIRTUAL)"),
                            (signal.ITIMER_PROF, "setitimer(ITIMER_PROF)")):
            if signal.getitimer(which) != (0.0, 0.0):
                signal.setitimer(which, 0)
                changed.append(("timer", name))
        for sig, handler in self.handlers.items():
            if signal.getsignal(sig) != handler:
                signal.signal(sig, handler)
                changed.append(("signal", signal.Signals(sig).name))
        if signal.pthread_sigmask(signal.SIG_SETMASK, self.mask) != self.mask:
            changed.append(("signal", "the set of blocked signals"))
        # harmless to the harness when changed on purpose, harmful to later calls when lowered
        # or made strict: put back quietly
        if sys.getrecursionlimit() < self.recursion_limit:
            sys.setrecursionlimit(self.recursion_limit)
        sys.setswitchinterval(self.switch_interval)
        np.seterr(**self.errstate)
        if warnings.filters != self.warning_filters:
            warnings.filters[:] = self.warning_filters
            getattr(warnings, "_filters_mutated", lambda: None)()
        try:
            os.chdir(self.cwd)
        except OSError:
            pass
        return changed


_MISSING = object()
