"""The public API's one rule for metrics, enforced where it cannot be written in a signature.

Every public metric takes its data first, positionally: ``data`` is a :class:`~salesmetrics.SalesData` or the
one table the metric needs (other tables are keywords). Some metrics called that parameter after their table
in 0.1 (``win_rate(opportunities=...)``); :func:`data_first` keeps that keyword working for one minor version,
with a :class:`FutureWarning`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["data_first"]


def data_first(old: str) -> Callable[[F], F]:
    """Accept the 0.1 keyword ``old=`` for a metric's positional-only ``data`` (with a FutureWarning).

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
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                if args:
                    raise TypeError(f"{fn.__name__}() got its data twice: as the first argument and as {old}=.")
                warnings.warn(f"{fn.__name__}({old}=...) is deprecated: pass the data first, {fn.__name__}(data, ...); "
                              f"the {old}= keyword will be removed in 0.3.", FutureWarning, stacklevel=2)
                args = (kwargs.pop(old),)
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap
