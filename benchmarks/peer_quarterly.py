"""What a typical peer team's planning script does, as the yardstick of bench_process.py (issue 13).

Written for this benchmark (no peer code is copied): load the workbook with openpyxl, build a
*quarterly* PuLP model -- wafers per product per quarter, inventory carried from the opening
balance, each quarter's closing stock at least its safety stock target (WOS x next quarter's
demand / 13, the workbook's own formula), the yielded bytes per wafer from `Density per Wafer`
and the quarter's mean `Yield` -- with no weekly or capacity constraint, solve it with CBC and
write the wafers back into a `Peer Plan` sheet with openpyxl's save.  It is a smaller model
than Linealytics' (34 x P variables instead of 443 x P and no capacity), which is the point:
the targets say how close the full product must come to this minimal script.

    python benchmarks/peer_quarterly.py WORKBOOK.xlsx OUTPUT.xlsx
"""

from __future__ import annotations

import sys
from collections import defaultdict

import openpyxl
import pulp
from openpyxl import Workbook


def read(wb: Workbook) -> tuple[list[str], list[str], dict[str, dict[str, float]], dict[str, float]]:
    """Products, quarters, per-product rows of `Supply_Demand` by quarter, and density."""
    sd = wb["Supply_Demand"]
    header = [c.value for c in sd[1]]
    quarters = [str(q) for q in header[2:] if q]
    rows: dict[str, dict[str, float]] = defaultdict(dict)
    for r in sd.iter_rows(min_row=2, values_only=True):
        if r[0] is None or r[1] is None:
            continue
        for q, v in zip(quarters, r[2:], strict=False):
            rows[f"{r[0]}|{r[1]}|{q}"] = {"v": float(v) if isinstance(v, (int, float)) else 0.0}
    products = list(dict.fromkeys(str(k.split("|")[0]) for k in rows))
    dens = wb["Density per Wafer"]
    density = {
        str(p): float(d) for p, d in zip(dens[1], dens[2], strict=False) for p, d in [(p.value, d.value)] if p
    }
    ylds = wb["Yield"]
    labels, current = [], None
    for c in list(ylds[1])[2:]:
        current = c.value or current
        labels.append(str(current))
    yields: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in ylds.iter_rows(min_row=3, values_only=True):
        if r[0] is None:
            continue
        for q, v in zip(labels, r[2:], strict=False):
            if isinstance(v, (int, float)):
                yields[str(r[0])][q].append(float(v))
    table = {
        p: {
            **{f"demand|{q}": rows.get(f"{p}|EffectiveDemand|{q}", {"v": 0.0})["v"] for q in quarters},
            **{f"wos|{q}": rows.get(f"{p}|Safety Stock Target (WOS)|{q}", {"v": 0.0})["v"] for q in quarters},
            **{f"yield|{q}": sum(v) / len(v) for q, v in yields[p].items() if v},
            "opening": rows.get(f"{p}|Total Projected Inventory Balance|{quarters[0]}", {"v": 0.0})["v"],
        }
        for p in products
    }
    return products, quarters, table, density


def solve(
    products: list[str], quarters: list[str], table: dict[str, dict[str, float]], density: dict[str, float]
) -> dict[tuple[str, str], float]:
    """Fewest wafers meeting each quarter's demand plus safety stock; no capacity limit."""
    plan = quarters[1:]  # the first column is the opening position
    prob = pulp.LpProblem("peer_quarterly", pulp.LpMinimize)
    wafers = {
        (p, q): pulp.LpVariable(f"w_{p}_{q.replace(' ', '_')}", lowBound=0) for p in products for q in plan
    }
    prob += pulp.lpSum(wafers.values())
    for p in products:
        stock: pulp.LpAffineExpression | float = table[p]["opening"]
        mean_yield = sum(table[p].get(f"yield|{q}", 0.9) for q in plan) / len(plan)
        for i, q in enumerate(plan):
            gain = density[p] * table[p].get(f"yield|{q}", mean_yield)
            stock = stock + gain * wafers[p, q] - table[p][f"demand|{q}"]
            nxt = table[p][f"demand|{plan[i + 1]}"] if i + 1 < len(plan) else 0.0
            prob += stock >= table[p][f"wos|{q}"] * nxt / 13, f"sst_{p}_{i}"
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[prob.status] != "Optimal":
        raise SystemExit(f"peer model: {pulp.LpStatus[prob.status]}")
    return {k: float(v.value() or 0.0) for k, v in wafers.items()}


def write(wb: Workbook, out: str, result: dict[tuple[str, str], float]) -> None:
    """The wafers per quarter into a `Peer Plan` sheet; everything else saved as loaded."""
    if "Peer Plan" in wb.sheetnames:
        del wb["Peer Plan"]
    ws = wb.create_sheet("Peer Plan")
    quarters = list(dict.fromkeys(q for _, q in result))
    ws.append(["Product", *quarters])
    for p in dict.fromkeys(p for p, _ in result):
        ws.append([p, *(round(result[p, q], 2) for q in quarters)])
    wb.save(out)


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    wb = openpyxl.load_workbook(src)  # once, as a script does: read, solve, write, save
    products, quarters, table, density = read(wb)
    result = solve(products, quarters, table, density)
    write(wb, out, result)
    print(
        f"peer plan: {len(products)} products x {len(quarters) - 1} quarters, {sum(result.values()):.0f} wafers"
    )


if __name__ == "__main__":
    main()
