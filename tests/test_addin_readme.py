"""README.md's worked examples of the worksheet functions are what the functions return.

The inputs are in tests/addin_examples.py, as xlwings hands them to Python; the README shows the
formula in a code block and the spilled result in the table right after it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

from addin_examples import EXAMPLES, Example, render  # noqa: E402


def readme_table(formula: str) -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## In Excel: the Linealytics add-in") : readme.index("## Alerts, e-mail")]
    block = f"```\n{formula}\n```\n"
    assert section.count(block) == 1, f"README's add-in section has no single code block {formula}"
    after = section[section.index(block) + len(block) :].lstrip("\n").split("\n")
    table = []
    for line in after:
        if not line.startswith("|"):
            break
        table.append(line)
    assert len(table) >= 3, f"no table after {formula}"
    return table


def columns(line: str, keep: list[int] | None) -> list[str]:
    cells = [c.strip() for c in line.strip("|").split("|")]
    return cells if keep is None else [cells[i] for i in keep]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.formula.split("(")[0] for e in EXAMPLES])
def test_readme_shows_what_the_function_returns(example: Example):
    shown, expected = readme_table(example.formula), render(example)
    assert len(shown) == len(expected)
    for got, want in zip(shown, expected):
        assert columns(got, example.compare) == columns(want, example.compare)


def test_every_worksheet_function_has_a_worked_example():
    from linealytics_xl import udfs

    documented = {e.formula[1:].split("(")[0] for e in EXAMPLES}
    assert documented == {n for n in udfs.__all__ if n.startswith("LL_")}
