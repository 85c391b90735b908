"""cgroup v2 detection and per-sandbox limits (conformance/grading/cgroups.py), on a fake
hierarchy; and on this machine, a clear answer either way."""

import os
import subprocess
import sys

import pytest

from conformance.grading import cgroups

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def fake(tmp_path, *, cgroup2=True, controllers="cpu memory pids", enabled="", procs=True):
    """A fake /proc/self/mountinfo, /proc/self/cgroup and hierarchy under tmp_path."""
    mountinfo = tmp_path / "mountinfo"
    line = "36 25 0:31 / /sys/fs/cgroup rw,nosuid - {} cgroup2 rw\n"
    mountinfo.write_text(line.format("cgroup2" if cgroup2 else "cgroup"))
    own = tmp_path / "cgroup"
    own.write_text("0::/user.slice/grader\n")
    group = tmp_path / "root" / "sys" / "fs" / "cgroup" / "user.slice" / "grader"
    group.mkdir(parents=True)
    (group / "cgroup.controllers").write_text(controllers + "\n")
    (group / "cgroup.subtree_control").write_text(enabled + "\n")
    if procs:
        (group / "cgroup.procs").write_text("")
    return dict(mountinfo=str(mountinfo), proc_cgroup=str(own),
                root_prefix=str(tmp_path / "root")), group


def test_no_cgroup2_is_said(tmp_path):
    paths, _ = fake(tmp_path, cgroup2=False)
    found = cgroups.detect(**paths)
    assert not found.ok and found.reason == "no cgroup v2 hierarchy is mounted"


def test_controllers_left_on_cgroup_v1_are_not_delegated(tmp_path):
    paths, group = fake(tmp_path, controllers="hugetlb")
    found = cgroups.detect(**paths)
    assert not found.ok
    assert found.reason == (f"not delegated: the cgroup v2 group {group} offers hugetlb, not "
                            "memory and pids (they may be on cgroup v1 here)")


def test_a_group_that_cannot_be_written_is_not_delegated(tmp_path):
    paths, group = fake(tmp_path, procs=False)
    assert cgroups.detect(**paths).reason == f"not delegated: {group} is not writable by " \
                                             "this user"


def test_a_delegated_group_gets_the_controllers_for_its_subtree(tmp_path):
    paths, group = fake(tmp_path)
    found = cgroups.detect(**paths)
    assert found.ok and found.base == group
    assert (group / "cgroup.subtree_control").read_text() == "+memory +pids"


def test_each_sandbox_gets_a_group_with_its_limits_joined_before_it_runs(tmp_path):
    paths, group = fake(tmp_path, enabled="memory pids")
    box = cgroups.SandboxGroup(cgroups.detect(**paths), memory_bytes=300 << 20, max_pids=8)
    (box.path / "memory.swap.max").write_text("max")
    again = cgroups.SandboxGroup(cgroups.detect(**paths), memory_bytes=300 << 20, max_pids=8)
    assert box.path.parent == group and box.path != again.path
    assert (box.path / "memory.max").read_text() == str(300 << 20)
    assert (box.path / "pids.max").read_text() == "8"
    proc = subprocess.run(box.wrap(["/bin/sh", "-c", "echo $$"]), capture_output=True,
                          text=True, check=True)
    assert (box.path / "cgroup.procs").read_text().strip() == proc.stdout.strip()
    assert not box.oom_killed()
    (box.path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert box.oom_killed()
    (box.path / "memory.events").unlink()
    for group_ in (box, again):
        group_.remove()
        assert not group_.path.exists()


def test_this_machine_gets_a_clear_answer():
    found = cgroups.detect()
    assert found.ok or found.reason
    if found.ok:
        assert os.access(found.base, os.W_OK)
