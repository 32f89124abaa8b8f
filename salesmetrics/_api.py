"""The public API's one rule for metrics, enforced where it cannot be written in a signature.

Every public metric takes its data first, positionally: ``data`` is a :class:`~salesmetrics.SalesData` or the
one table the metric needs (other tables are keywords). Some metrics called that parameter after their table
in 0.1 (``win_rate(opportunities=...)``); :func:`data_first` keeps that keyword working for one minor version,
with a :class:`FutureWarning`; a second table that 0.1 took positionally (``response_sla(leads, activities)``)
is a keyword now and still works positionally, with the same warning, until 0.3.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["data_first", "find_stack_level"]

_PACKAGE = str(Path(__file__).resolve().parent)


def find_stack_level() -> int:
    """The ``stacklevel`` that makes a warning point at the first line outside salesmetrics (the user's call).

    Metrics are wrapped (:func:`data_first`) and call each other, so a fixed ``stacklevel`` would point
    at library code; pandas solves it the same way.

    Returns
    -------
    int
        The stack level for :func:`warnings.warn`, counted from the caller of this function.

    Examples
    --------
    >>> find_stack_level() >= 1
    True
    """
    frame = inspect.currentframe()
    level = 0
    try:
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
            frame = frame.f_back
            level += 1
    finally:
        del frame
    return max(level, 1)


def _no_dask(name: str, data: Any, kwargs: dict[str, Any]) -> Any:  # pragma: no cover - replaced when salesmetrics loads
    raise TypeError(f"{name}: Dask data needs the salesmetrics package imported (import salesmetrics).")


DASK: list[Callable[[str, Any, dict[str, Any]], Any]] = [_no_dask]
"""The function a metric hands Dask data to: :func:`salesmetrics.scale.dispatch`, set by the package's
``__init__`` (the layer above both), so this module, which every metric imports, imports nothing above it."""


def _on_dask(data: Any) -> bool:
    """Whether a metric's data is a Dask DataFrame or a DaskSalesData (checked without importing Dask)."""
    module = type(data).__module__
    return module.startswith("dask.") or module == "salesmetrics.data._dask"


def data_first(old: str, *, was_positional: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Accept the 0.1 keyword ``old=`` for a metric's positional-only ``data`` (with a FutureWarning).

    Parameters
    ----------
    old : str
        The name ``data`` had in 0.1 (``"opportunities"``, ``"leads"``, ...); equal to ``"data"`` when it
        had none other.
    was_positional : tuple of str, optional
        Keyword-only tables that 0.1 took positionally after ``data``, in order; passing them
        positionally still works, with a FutureWarning, until 0.3.

    Returns
    -------
    callable
        A decorator for the metric.

    Examples
    --------
    >>> @data_first("opportunities")
    ... def rows(data, /):
    ...     return len(data)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rows(opportunities=[1, 2])
    2
    >>> caught[0].category.__name__, "rows(data, ...)" in str(caught[0].message)
    ('FutureWarning', True)
    >>> @data_first("leads", was_positional=("activities",))
    ... def touched(data, /, *, activities=None):
    ...     return len(data), len(activities)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     touched([1, 2], [3])
    (2, 1)
    >>> "activities=" in str(caught[0].message)
    True
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if args and _on_dask(args[0]):  # a Dask frame or bundle: partials on the workers (salesmetrics.scale)
                return DASK[0](fn.__name__, args[0], kwargs)
            if old in kwargs:
                if args:
                    raise TypeError(f"{fn.__name__}() got its data twice: as the first argument and as {old}=.")
                warnings.warn(f"{fn.__name__}({old}=...) is deprecated: pass the data first, {fn.__name__}(data, ...); "
                              f"the {old}= keyword will be removed in 0.3.", FutureWarning, stacklevel=find_stack_level())
                args = (kwargs.pop(old),)
            if len(args) > 1 and was_positional:
                extra = args[1:]
                if len(extra) > len(was_positional):
                    raise TypeError(f"{fn.__name__}() takes its data and {len(was_positional)} more table(s) at most, "
                                    f"got {len(args)} positional arguments.")
                names = was_positional[:len(extra)]
                for name, value in zip(names, extra, strict=True):
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got {name} twice: positionally and as {name}=.")
                    kwargs[name] = value
                shown = ", ".join(f"{n}=..." for n in names)
                warnings.warn(f"{fn.__name__}(data, {', '.join(names)}) is deprecated: pass {shown} as a keyword; "
                              "positional tables after the data will be refused in 0.3.", FutureWarning, stacklevel=find_stack_level())
                args = args[:1]
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap
