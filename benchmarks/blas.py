"""Which BLAS kernel a benchmark measured, from threadpoolctl, and whether it was pinned.

OpenBLAS picks its kernels by CPU at load time unless OPENBLAS_CORETYPE names a core type: on
this project's build machines it is set (to Haswell, for old builds' sake), and NumPy's float32
GEMM then runs at half the speed of the SkylakeX kernel that the CPU would get. A table measured
pinned is not comparable with one measured unpinned, so the benchmark records the library, its
version, its core type and its threads, and says in its header which it was.
"""

import json
import os
import subprocess
import sys

from threadpoolctl import threadpool_info

# OpenBLAS reads these at load time; only the benchmark's own command line may unset them.
PINNING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
UNPINNED_COMMAND = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.run"
_FIELDS = ("user_api", "internal_api", "prefix", "version", "architecture", "threading_layer",
           "num_threads")


def loaded_libraries():
    """threadpoolctl's record of every BLAS and OpenMP library loaded in this process."""
    return [{key: info.get(key) for key in _FIELDS} for info in threadpool_info()]


def native_architecture():
    """The core type OpenBLAS picks on this CPU when nothing pins it: asked of a fresh
    interpreter without the pinning variables. None if NumPy's BLAS is not OpenBLAS."""
    env = {k: v for k, v in os.environ.items() if k not in PINNING_VARIABLES}
    code = ("import json, numpy, threadpoolctl; print(json.dumps([i.get('architecture') for i "
            "in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']))")
    try:
        found = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                          capture_output=True, text=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    return found[0] if found else None


def kernel_record(torch_module):
    """What the JSON keeps: the libraries, the pinning variables, the native core type, and
    torch's own CPU backends (MKL and oneDNN are linked into torch, out of threadpoolctl's
    sight)."""
    libraries = loaded_libraries()
    openblas = [lib for lib in libraries if lib["internal_api"] == "openblas"]
    pinned_to = os.environ.get("OPENBLAS_CORETYPE") if openblas else None
    return {
        "libraries": libraries,
        "environment": {name: os.environ.get(name) for name in PINNING_VARIABLES},
        "openblas_pinned": pinned_to is not None,
        "openblas_pinned_to": pinned_to,
        "openblas_native_architecture": native_architecture() if openblas else None,
        "torch": {"mkl": torch_module.backends.mkl.is_available(),
                  "mkldnn": torch_module.backends.mkldnn.is_available(),
                  "cpu_capability": torch_module.backends.cpu.get_cpu_capability()},
    }


def pinning_warning(record):
    """A warning to print when OpenBLAS runs pinned to a core type, else None."""
    if not record["openblas_pinned"]:
        return None
    native = record["openblas_native_architecture"]
    return (f"warning: OPENBLAS_CORETYPE={record['openblas_pinned_to']} pins OpenBLAS's kernels"
            + (f" (unpinned, this CPU gets {native})" if native else "")
            + "; this table is measured pinned and compares only with other pinned runs. "
            f"Measure unpinned with `{UNPINNED_COMMAND}`.")


def describe(record):
    """One markdown line naming NumPy's BLAS kernel and torch's backends."""
    blas = [lib for lib in record["libraries"] if lib["user_api"] == "blas"]
    parts = [f"{lib['internal_api']} {lib['version']} ({lib['prefix']}), core type "
             f"{lib.get('architecture') or 'n/a'}, {lib['num_threads']} thread(s)"
             for lib in blas] or ["none found by threadpoolctl"]
    if record["openblas_pinned"]:
        state = (f"**pinned** by OPENBLAS_CORETYPE={record['openblas_pinned_to']}"
                 + (f" (native: {record['openblas_native_architecture']})"
                    if record["openblas_native_architecture"] else ""))
    else:
        state = "**not pinned** (OPENBLAS_CORETYPE unset)"
    torch_info = record["torch"]
    return (f"NumPy's BLAS: {'; '.join(parts)}; {state}. torch: MKL "
            f"{'yes' if torch_info['mkl'] else 'no'}, oneDNN "
            f"{'yes' if torch_info['mkldnn'] else 'no'}, CPU capability "
            f"{torch_info['cpu_capability']}")
