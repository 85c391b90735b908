"""The README's examples run as written (it is the first thing a new user copies)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_python_examples_and_the_two_quick_start_commands():
    text = README.read_text()
    assert len(BLOCKS) >= 2
    assert 'pip install -c constraints.txt ".[conformance]" && scratch-cnn conformance' in text
    assert 'pip install -c constraints.txt ".[test]" && pytest' in text


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_example_runs(block, capsys):
    exec(compile(block, str(README), "exec"), {})
    printed = capsys.readouterr().out
    if "accuracy" in block:
        assert float(printed.split()[-1]) > 0.9  # "about 0.97"


def _documented_commands():
    """Every `scratch-cnn ...` line of the README's and docs' shell blocks, as argv."""
    import shlex

    root = README.parent
    found = []
    for page in [README, *sorted((root / "docs").glob("*.md"))]:
        for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", page.read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                while "scratch-cnn" in words:  # after `pip install ... &&` too
                    words = words[words.index("scratch-cnn") + 1:]
                    argv = words[:words.index("&&")] if "&&" in words else words
                    found.append(pytest.param(argv, id=f"{page.name}:{' '.join(argv)[:60]}"))
    return found


@pytest.mark.parametrize("argv", _documented_commands())
def test_documented_commands_are_valid(argv):
    """The subcommand exists and takes every option shown (parsed, not run)."""
    import argparse
    import importlib

    from conformance import cli

    assert argv and argv[0] in cli.COMMANDS, f"no subcommand {argv[:1]}"
    if "--help" in argv or "--version" in argv:
        return
    parser = argparse.ArgumentParser(prog=f"scratch-cnn {argv[0]}", exit_on_error=False)
    importlib.import_module(cli.COMMANDS[argv[0]][0]).configure(parser)
    try:
        parser.parse_args(argv[1:])
    except (argparse.ArgumentError, SystemExit) as exc:
        if "no such file" in str(exc):
            return  # the option exists; its value is a file of the example, not here
        pytest.fail(f"scratch-cnn {' '.join(argv)}: {exc}")
