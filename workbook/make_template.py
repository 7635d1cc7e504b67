"""Write the shipped planning template ``workbook/planning.xlsx``.

The template has the layout of the real planning workbook (see ``docs`` and
``linealytics_xl.adapters.demo_workbook``) filled with synthetic data: four products over eight
planning quarters (Q2 25 .. Q1 27, 105 weeks, Q4 26 having 14 weeks as in a 53-week year), and
product P3 capacity-bound (its demand is 1.5-2x what full capacity yields).

    python workbook/make_template.py [--output workbook/planning.xlsx]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    from linealytics_xl.adapters.demo_workbook import write_demo_workbook
except ModuleNotFoundError:  # run from a checkout without the package installed
    sys.path.insert(0, str(HERE.parent))
    from linealytics_xl.adapters.demo_workbook import write_demo_workbook

TEMPLATE_SETTINGS = dict(
    n_products=4,
    n_quarters=8,
    seed=2025,
    start_year=2025,
    capacity_bound=("P3",),
    long_quarter=6,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=HERE / "planning.xlsx",
        help="where to write the template (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    path = write_demo_workbook(args.output, **TEMPLATE_SETTINGS)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
