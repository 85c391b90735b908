"""The GitHub Actions conformance matrix runs exactly tox's cells, one job each, with torch
pinned to PyTorch's CPU build."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.grading import bundle

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "conformance.yml"


@pytest.fixture(scope="module")
def workflow():
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


@pytest.fixture(scope="module")
def tox_cells():
    proc = subprocess.run([sys.executable, "-m", "tox", "-l"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def _matrix(workflow):
    return workflow["jobs"]["tox"]["strategy"]["matrix"]["include"]


def test_matrix_is_toxs_envlist_exactly(workflow, tox_cells):
    cells = [entry["cell"] for entry in _matrix(workflow)]
    assert len(cells) == len(set(cells))
    assert sorted(cells) == sorted(tox_cells)


def test_each_cell_gets_its_python(workflow):
    for entry in _matrix(workflow):
        version = re.match(r"py3(\d+)", entry["cell"])
        if version:
            assert entry["python"] == f"3.{version.group(1)}", entry


def test_cells_run_in_parallel_and_independently(workflow):
    job = workflow["jobs"]["tox"]
    assert job["strategy"]["fail-fast"] is False
    assert "max-parallel" not in job["strategy"]
    assert set(workflow["on"]) >= {"push", "pull_request"}


def test_each_job_runs_its_tox_cell(workflow):
    runs = [step.get("run", "") for step in workflow["jobs"]["tox"]["steps"]]
    assert "python -m tox -e ${{ matrix.cell }}" in runs
    assert any("-c constraints.txt" in run and "tox" in run for run in runs)


def test_torch_is_pinned_to_the_cpu_build(workflow):
    assert workflow["env"]["PIP_EXTRA_INDEX_URL"] == bundle.TORCH_CPU_INDEX
    steps = workflow["jobs"]["tox"]["steps"]
    pin = next(step["run"] for step in steps if "Pin torch" in step.get("name", ""))
    assert pin == f'echo "torch=={bundle.TORCH_VERSION}+cpu" >> constraints.txt'
    # tox's cells install with constraints.txt, so the +cpu pin reaches every install
    assert "PIP_CONSTRAINT = {toxinidir}/constraints.txt" in (ROOT / "tox.ini").read_text()
    assert f"torch=={bundle.TORCH_VERSION}\n" in (ROOT / "constraints.txt").read_text()
