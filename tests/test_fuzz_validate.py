"""Seeded fuzz of the reader: single-cell mutations of the real workbook (issue 9).

Every mutation must end either valid (exit 0) or invalid with a message that names the mutated
cell (exit 2) -- never an internal error (exit 1), never a traceback.  Most cases mutate the
grids in memory and call the reader (what `validate` runs); a sample goes through real files and
the command line.  The counts are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import random
import re
from datetime import datetime, time

import openpyxl
import pytest
from typer.testing import CliRunner

from linealytics_xl.adapters.workbook_file import WorkbookFile
from linealytics_xl.cli import app
from linealytics_xl.core.cells import address, column_index
from linealytics_xl.core.grid import Cells
from linealytics_xl.core.layout import read_planning_data
from linealytics_xl.core.model import InputError

SEED = 2026
N_MEMORY = 240
N_FILES = 10
INPUT_SHEETS = (
    "Supply_Demand",
    "Density per Wafer",
    "Weekly Demand Ratio",
    "Boundary Conditions",
    "Yield",
    "Wafer Plan",
)
LABELS = ("WW_10", "Q4 95", "21A", "23C", "Wk3", "Total", "EffectiveDemand", "Available Capacity", "Yield")
KINDS = (
    "text",
    "negative",
    "huge",
    "blank",
    "error",
    "date",
    "bool",
    "time",
    "number_text",
    "zero",
    "label",
    "self_formula",
    "fraction",
)
REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def mutated_value(kind: str, value, cell: str, rng: random.Random):
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 1234.0
    return {
        "text": "abc",
        "negative": -abs(number) - 1,
        "huge": 1e300,
        "blank": None,
        "error": rng.choice(["#VALUE!", "#REF!", "#N/A", "#DIV/0!"]),
        "date": datetime(1995, 7, 3),
        "bool": True,
        "time": time(1, 19, 12),
        "number_text": f"{number:,}",
        "zero": 0,
        "label": rng.choice([x for x in LABELS if x != value]),
        "self_formula": f"={cell}+1",
        "fraction": 0.5,
    }[kind]


def mutations(real: dict[str, Cells], n: int, seed: int) -> list[tuple[str, int, int, str]]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        sheet = rng.choice(INPUT_SHEETS)
        cells = real[sheet]
        if rng.random() < 0.8:
            r, c, _ = rng.choice(list(cells.items()))
        else:
            r, c = rng.randrange(cells.n_rows), rng.randrange(cells.n_cols)
        out.append((sheet, r, c, rng.choice(KINDS)))
    return out


def names_cell(text: str, cell: str) -> bool:
    """Whether ``text`` names ``cell`` itself or a range that holds it."""
    col, row = column_index(re.match(r"[A-Z]+", cell)[0]), int(re.search(r"\d+", cell)[0])
    for m in REF.finditer(text):
        c0, r0 = column_index(m[1]), int(m[2])
        c1, r1 = (column_index(m[3]), int(m[4])) if m[3] else (c0, r0)
        if c0 <= col <= c1 and r0 <= row <= r1:
            return True
    return False


def judge(sheets: dict, sheet: str, cell: str) -> str:
    """'ok', 'invalid' (an issue names the cell) or a description of what went wrong."""
    try:
        read_planning_data(sheets)
        return "ok"
    except InputError as exc:
        for issue in exc.issues:
            same_sheet = issue.sheet == sheet or f"'{sheet}'" in issue.message or sheet in issue.message
            if same_sheet and names_cell(f"{issue.cell} {issue.message}", cell):
                return "invalid"
        return "unnamed: " + " | ".join(map(str, exc.issues))
    except Exception as exc:
        return f"crash: {type(exc).__name__}: {exc}"


@pytest.fixture(scope="module")
def real_cells(real_path):
    return WorkbookFile(real_path).sheets()


def test_single_cell_mutations_in_memory(real_cells):
    rng = random.Random(SEED + 1)
    counts = {"ok": 0, "invalid": 0}
    failures = []
    for sheet, r, c, kind in mutations(real_cells, N_MEMORY, SEED):
        cell = address(r, c)
        value = mutated_value(kind, real_cells[sheet].get(r, c), cell, rng)
        values = real_cells[sheet].values()
        values[(r, c)] = value
        sheets = dict(real_cells)
        sheets[sheet] = Cells(values, real_cells[sheet].merged)
        verdict = judge(sheets, sheet, cell)
        if verdict in counts:
            counts[verdict] += 1
        else:
            failures.append(f"{sheet}!{cell} <- {kind} {value!r}: {verdict}")
    print(
        f"\nfuzz (in memory, seed {SEED}): {N_MEMORY} mutations, exit 0: {counts['ok']}, "
        f"exit 2 naming the cell: {counts['invalid']}, other: {len(failures)}"
    )
    assert not failures, "\n".join(failures)
    assert counts["invalid"] > N_MEMORY // 4 and counts["ok"] > 0  # the mutations do reach the checks


def test_single_cell_mutations_through_files_and_the_cli(real_path, real_cells, tmp_path):
    rng = random.Random(SEED + 2)
    codes = {0: 0, 2: 0}
    for k, (sheet, r, c, kind) in enumerate(mutations(real_cells, N_FILES, SEED + 3)):
        cell = address(r, c)
        path = tmp_path / f"m{k}.xlsx"
        wb = openpyxl.load_workbook(real_path)
        wb[sheet][cell] = mutated_value(kind, real_cells[sheet].get(r, c), cell, rng)
        wb.save(path)
        result = CliRunner().invoke(app, ["validate", str(path)])
        text = " ".join(result.output.split())
        assert result.exit_code in (0, 2), (sheet, cell, kind, result.output)
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            assert names_cell(text, cell), (sheet, cell, kind, result.output)
        codes[result.exit_code] += 1
    print(f"\nfuzz (files + CLI): {N_FILES} mutations, exit 0: {codes[0]}, exit 2: {codes[2]}")
