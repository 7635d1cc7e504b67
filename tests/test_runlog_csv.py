"""The run record's CSV text at scale: the OWASP rule applied a column at a time (issue 13).

``_frame_csv`` sanitises whole text columns with vectorised string operations instead of calling
``literal_text.csv_safe`` per cell; these tests hold it to the per-cell rule, byte for byte, on
every kind of column a table can have.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from linealytics_xl.adapters.literal_text import csv_safe
from linealytics_xl.adapters.runlog_folder import _frame_csv


def per_cell_csv(frame: pd.DataFrame) -> str:
    """The reference: ``csv_safe`` on every cell of every non-numeric, non-date column."""
    text = [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    frame = frame.assign(**{str(c): frame[c].astype(object).map(csv_safe) for c in text})
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue()


TRIGGERS = ["=1+1", "+a", "-b", "@c", "\td", "\re", "ok", "", "'q", 'say "hi"', "a,b", "-"]


def mixed_frame(n: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(TRIGGERS), n)
    words = [TRIGGERS[i] for i in pick]
    return pd.DataFrame(
        {
            "Text": pd.Series(words, dtype="str"),
            "Object": pd.Series(
                [w if i % 3 else (None if i % 2 else float(i)) for i, w in enumerate(words)], dtype=object
            ),
            "Category": pd.Categorical(words),
            "Nullable": pd.array([w if i % 4 else None for i, w in enumerate(words)], dtype="string"),
            "Empty": pd.Series([None] * n, dtype=object),
            "Number": rng.normal(size=n) * 1e9,
            "Count": rng.integers(-5, 5, n),
            "When": pd.date_range("2025-01-06", periods=n, freq="W-MON"),
            "Flag": rng.integers(0, 2, n).astype(bool),
        }
    )


def test_vectorised_rule_gives_the_per_cell_bytes() -> None:
    frame = mixed_frame()
    assert _frame_csv(frame) == per_cell_csv(frame)


def test_every_trigger_is_neutralised_and_nothing_else() -> None:
    frame = pd.DataFrame({"Product": TRIGGERS})
    expected = [csv_safe(t) for t in TRIGGERS]
    # the csv module quotes fields holding a quote, comma or CR: compare what a reader reads back
    read = [r[0] if r else "" for r in csv.reader(io.StringIO(_frame_csv(frame), newline=""))][1:]
    assert read == expected
    changed = [t for t, r in zip(TRIGGERS, read) if r != t]
    assert changed == ["=1+1", "+a", "-b", "@c", "\td", "\re", "-"]  # "'q", "a,b" and the rest stay


def test_a_frame_without_triggers_is_written_unchanged() -> None:
    frame = pd.DataFrame({"Product": ["P1", "P2"], "Wafers": [1.5, -2.0]})
    assert _frame_csv(frame) == "Product,Wafers\r\nP1,1.5\r\nP2,-2.0\r\n"


def test_staged_plan_file_holds_the_same_csv_on_every_run(real_planned, tmp_path: Path) -> None:
    """plan.csv.gz decompresses to the plan's CSV, and two stagings of one outcome are equal bytes."""
    from linealytics_xl.adapters import runlog

    outcome = real_planned.outcome
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"")
    files = []
    for i in range(2):
        staged = runlog.stage_record(
            outcome, book, run_id=f"run{i}", time=datetime(2026, 1, 1), input_sha256="x", version="t"
        )
        files.append((staged.tmp / "plan.csv.gz").read_bytes())
        staged.discard()
    assert files[0] == files[1]
    assert gzip.decompress(files[0]).decode("utf-8") == per_cell_csv(outcome.tables["LL_Plan"])
