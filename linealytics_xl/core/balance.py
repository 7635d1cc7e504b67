"""The inventory balance with backlog, the one identity every stage and check relies on.

Unmet demand is carried as backlog, so the net position is a running sum:
``net[t] = initial + sum(supply[:t+1] - demand[:t+1])``; stock is its positive part and backlog
its negative part.  Works on any leading axes (products, scenarios).
"""

from __future__ import annotations

import numpy as np


def project(initial: np.ndarray, supply: np.ndarray, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stock and backlog at the end of each week (``[..., T]``) from initial stock ``[...]``."""
    net = np.asarray(initial, dtype=float)[..., None] + np.cumsum(
        np.asarray(supply) - np.asarray(demand), axis=-1
    )
    return np.maximum(net, 0.0), np.maximum(-net, 0.0)
