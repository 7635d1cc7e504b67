"""A stand-in for ``linealytics_xl.udfs`` in tests/test_addin_build.py: small, and with every
shape of signature the VBA wrapper generator has to handle. Not a real planning module."""

__all__ = ["LL_PLAN", "LL_SUM", "LL_WHERE", "LL_NO_DOC", "helper"]


def LL_PLAN(demand, capacity, horizon_days=7, start=None):
    """Plan wafer starts for the "demand" table.

    The rest of the docstring is not part of the description.
    """
    return [[horizon_days]]


def LL_SUM(*values):
    """Sum of all arguments."""
    return sum(v for v in values if v is not None)


def LL_WHERE(table, caller, end=None, Date=None):
    """Address of the calling cell; end and Date are VBA keywords as parameter names."""
    return str(caller)


def LL_NO_DOC(x):
    return x


def LL_NOT_EXPORTED(x):
    """Not in __all__: gets no wrapper."""
    return x


def helper():
    """In __all__ but without the LL_ prefix: no wrapper."""
    return None
