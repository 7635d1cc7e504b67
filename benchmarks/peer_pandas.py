"""The usual shape of a hackathon team's planning script, as a second yardstick of bench_process.py.

Written for this benchmark (no peer code is copied).  It solves the same quarterly model as
``peer_quarterly.py`` (wafers per product per quarter, closing stock at least its safety-stock
target, no weekly or capacity constraint, CBC through PuLP), but in the way notebooks and team
scripts usually do it: every sheet read into pandas with ``pd.read_excel(sheet_name=None)``, the
tables reshaped with pandas, and the result written back with ``pd.ExcelWriter`` in append mode
into a copy of the workbook.  ``peer_quarterly.py`` is the lean floor (openpyxl only, one load);
this one is what "a peer team's PuLP script" typically costs.

    python benchmarks/peer_pandas.py WORKBOOK.xlsx OUTPUT.xlsx
"""

from __future__ import annotations

import shutil
import sys

import pandas as pd
import pulp


def read(path: str) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, list[str]]:
    """Per product and quarter: demand, WOS target, opening stock; density; mean yield per quarter."""
    sheets = pd.read_excel(path, sheet_name=None)
    sd = sheets["Supply_Demand"].dropna(subset=["Product ID", "Attribute"])
    quarters = [str(c) for c in sd.columns[2:] if not str(c).startswith("Unnamed")]
    long = sd.melt(id_vars=["Product ID", "Attribute"], value_vars=quarters, var_name="quarter")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").fillna(0.0)
    wide = long.pivot_table(
        index=["Product ID", "quarter"], columns="Attribute", values="value"
    ).reset_index()
    density = sheets["Density per Wafer"].iloc[0].dropna().astype(float)
    ylds = pd.read_excel(path, sheet_name="Yield", header=None)
    labels = ylds.iloc[0, 2:].replace("", None).ffill()
    body = ylds.iloc[2:].dropna(subset=[0]).set_index(0).iloc[:, 1:]
    body.columns = labels.values
    yields = body.apply(pd.to_numeric, errors="coerce").T.groupby(level=0).mean().T
    return wide, density, yields, quarters


def solve(wide: pd.DataFrame, density: pd.Series, yields: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    """Fewest wafers meeting each quarter's demand plus safety stock."""
    plan = quarters[1:]
    prob = pulp.LpProblem("peer_pandas", pulp.LpMinimize)
    rows = []
    for product, frame in wide.groupby("Product ID"):
        by_q = frame.set_index("quarter").reindex(quarters).fillna(0.0)
        stock: pulp.LpAffineExpression | float = float(
            by_q.loc[quarters[0]].get("Total Projected Inventory Balance", 0.0)
        )
        mean_yield = float(yields.loc[product].mean()) if product in yields.index else 0.9
        for i, q in enumerate(plan):
            w = pulp.LpVariable(f"w_{product}_{q.replace(' ', '_')}", lowBound=0)
            y = yields.loc[product].get(q, mean_yield) if product in yields.index else mean_yield
            y = mean_yield if pd.isna(y) else float(y)
            stock = stock + float(density[product]) * y * w - float(by_q.loc[q, "EffectiveDemand"])
            nxt = float(by_q.loc[plan[i + 1], "EffectiveDemand"]) if i + 1 < len(plan) else 0.0
            prob += stock >= float(by_q.loc[q, "Safety Stock Target (WOS)"]) * nxt / 13
            rows.append({"Product": product, "Quarter": q, "var": w})
    prob += pulp.lpSum(r["var"] for r in rows)
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[prob.status] != "Optimal":
        raise SystemExit(f"peer model: {pulp.LpStatus[prob.status]}")
    result = pd.DataFrame(rows)
    result["Wafers"] = [round(float(v.value() or 0.0), 2) for v in result.pop("var")]
    return result.pivot(index="Product", columns="Quarter", values="Wafers")[plan]


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    wide, density, yields, quarters = read(src)
    table = solve(wide, density, yields, quarters)
    shutil.copyfile(src, out)
    with pd.ExcelWriter(out, mode="a", engine="openpyxl", if_sheet_exists="replace") as writer:
        table.to_excel(writer, sheet_name="Peer Plan")
    print(
        f"peer plan: {len(table)} products x {len(quarters) - 1} quarters, {table.to_numpy().sum():.0f} wafers"
    )


if __name__ == "__main__":
    main()
