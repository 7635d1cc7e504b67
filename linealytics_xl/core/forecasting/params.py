"""scikit-learn's estimator API for the forecasters, without importing scikit-learn.

The forecasters keep sklearn's conventions -- every parameter a constructor argument stored
under its own name, ``get_params``/``set_params``, ``clone``, ``NotFittedError`` before ``fit``
-- because the backtest refits a template at every origin and the run record lists the
parameters.  Importing ``sklearn.base`` for these few lines cost 0.65 s on every run that fits
a model (issue 13), so they are written here once.  ``sklearn.base.clone`` still works on these
classes: it needs only ``get_params`` and a constructor that stores its arguments unchanged.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Self, TypeVar


class NotFittedError(ValueError, AttributeError):
    """A model was asked to predict before ``fit``.

    A ValueError and an AttributeError, as scikit-learn's own ``NotFittedError``, so that code
    catching either (``hasattr`` included) behaves as it did with sklearn's.
    """


class Estimator:
    """Parameters in the constructor, read back by ``get_params`` and changed by ``set_params``.

    A subclass's ``__init__`` takes named parameters only (no ``*args``/``**kwargs``) and stores
    each, unchanged, as the attribute of the same name; fitted state ends in ``_``.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        """The constructor's parameter names, sorted (sklearn's order, kept in run records)."""
        names = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must name its parameters, not take *args/**kwargs")
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters; with ``deep``, a nested estimator's as ``name__param``."""
        out: dict[str, Any] = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> Self:
        """Change parameters (``name__param`` reaches into a nested estimator); returns self.

        An unknown name is a ValueError naming the valid ones, as in sklearn: a typo must not
        leave the default silently in place.
        """
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid parameters: {valid}"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        """Class name and the parameters that differ from their defaults, as sklearn prints them."""
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = []
        for name, value in self.get_params(deep=False).items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or (type(value) is type(default) and bool(value == default))
            except (TypeError, ValueError):  # e.g. an array, whose == is elementwise
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"


E = TypeVar("E", bound=Estimator)


def clone(estimator: E) -> E:
    """A new, unfitted estimator of the same class with (deep copies of) the same parameters.

    No fitted state is carried over, so clones fitted side by side in threads share nothing.
    Nested estimators are cloned, other values deep-copied, as ``sklearn.base.clone`` does.
    """
    params = {
        name: clone(value) if isinstance(value, Estimator) else copy.deepcopy(value)
        for name, value in estimator.get_params(deep=False).items()
    }
    return type(estimator)(**params)


def check_is_fitted(estimator: Estimator, attribute: str) -> None:
    """Raise ``NotFittedError`` unless ``fit`` has set ``attribute``."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. "
            "Call 'fit' with appropriate arguments before using this estimator."
        )
