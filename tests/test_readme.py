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
