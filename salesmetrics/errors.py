"""Errors, warnings and optional-dependency handling for salesmetrics.

Every error the library raises on purpose derives from :class:`SalesMetricsError`,
so ``except sm.SalesMetricsError`` catches them all::

    SalesMetricsError
    ├── InputValidationError   (also a ValueError) input tables break the data model;
    │                          carries a ``failure_cases`` frame
    ├── MissingDataError       (also a ValueError) a metric needs a table or column
    │                          the bundle lacks; the message names it and the fix
    └── MissingDependencyError (also an ImportError) an optional extra is not
                               installed; the message names the pip command

The built-in bases are kept, so code written ``except ValueError`` or
``except ImportError`` still catches what it caught before. Wrong arguments to
a function (``freq="W"``, say) stay plain ``ValueError``/``TypeError``: they are
mistakes in the calling code, not in the data.

Every data-quality concern that does not stop a computation is a
:class:`DataQualityWarning` or :class:`DefinitionWarning`, which users can
filter like any warning::

    import warnings
    import salesmetrics as sm
    warnings.simplefilter("ignore", sm.DataQualityWarning)
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "DataQualityWarning",
    "DefinitionWarning",
    "FontWarning",
    "InputValidationError",
    "MissingDataError",
    "MissingDependencyError",
    "SalesMetricsError",
    "import_optional",
]

FAILURE_COLUMNS = ["table", "column", "check", "row", "value", "fix"]


class SalesMetricsError(Exception):
    """Base class of every error salesmetrics raises on purpose.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> try:
    ...     sm.SalesData().require("opportunities")
    ... except sm.SalesMetricsError as err:
    ...     print(type(err).__name__)
    MissingDataError
    """


class InputValidationError(SalesMetricsError, ValueError):
    """Raised when input tables do not satisfy the canonical data model.

    Parameters
    ----------
    message : str
        The error's text: the failures and how to fix them.
    failure_cases : pandas.DataFrame
        One row per failure, kept as the ``failure_cases`` attribute (below).

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        One row per failure with columns ``table``, ``column``, ``check``,
        ``row`` (0-based position in the input table, or ``<NA>`` for a
        table-level failure such as a missing column), ``value`` (the
        offending value) and ``fix`` (how to repair the input).

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> bad = pd.DataFrame({"account_id": ["a1", "a1"]})
    >>> try:
    ...     sm.SalesData(accounts=bad)
    ... except sm.InputValidationError as err:
    ...     print(err.failure_cases[["table", "column", "check"]].iloc[0].tolist())
    ['accounts', 'account_id', 'unique']
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases


class DataQualityWarning(UserWarning):
    """Input is usable but suspicious (stage timestamps out of order, gaps, ...).

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> opps = pd.DataFrame({"opportunity_id": ["a"], "created_at": ["2025-01-01"], "status": ["won"],
    ...                      "closed_at": ["2025-02-01"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     sizes = sm.deal_size(opps)  # no amount column: the sizes are unknown, not 0
    >>> [w.category.__name__ for w in caught], sizes["total"].isna().all()
    (['DataQualityWarning'], np.True_)
    """


class DefinitionWarning(UserWarning):
    """A metric was computed under a definition the user may not expect.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> leads = pd.DataFrame({"lead_id": ["l1"], "created_at": ["2025-01-01"], "mql_at": ["2025-01-01 10:00"]})
    >>> acts = pd.DataFrame({"activity_id": ["x"], "owner_id": ["r1"], "lead_id": ["l1"],
    ...                      "occurred_at": ["2025-01-01 11:00"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = sm.response_sla(leads, activities=acts)  # no reps table: every activity owner counts as a rep
    >>> [w.category.__name__ for w in caught]
    ['DefinitionWarning']
    """


class FontWarning(UserWarning):
    """No installed font can draw the text (Hangul, say); the message names the install command.

    Examples
    --------
    A warning like any other, so a build that must not ship charts with missing glyphs can make it an error:

    >>> import warnings
    >>> import salesmetrics as sm
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", sm.FontWarning)
    ...     issubclass(sm.FontWarning, UserWarning)
    True
    """


class MissingDataError(SalesMetricsError, ValueError):
    """A metric needs a table (or column) the bundle does not have.

    The message names the table or column and how to supply it. A ``ValueError``
    too, so existing ``except ValueError`` code keeps working.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> try:
    ...     sm.win_rate(sm.SalesData())
    ... except sm.MissingDataError as err:
    ...     print(err)
    this pipeline metric needs the opportunities table; pass a SalesData that has it: sm.SalesData(..., opportunities=<DataFrame>).
    """


class MissingDependencyError(SalesMetricsError, ImportError):
    """An optional extra is not installed; the message names the pip command.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> try:
    ...     import_optional("no_such_module", "plot")
    ... except sm.MissingDependencyError as err:
    ...     print(err)
    'no_such_module' is needed for this feature but is not installed. Install it with: pip install 'salesmetrics[plot]'
    """


def import_optional(module: str, extra: str) -> ModuleType:
    """Import an optional dependency, or fail with the ``pip install`` to run.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"matplotlib.figure"``.
    extra : str
        The salesmetrics extra that provides it, e.g. ``"plot"``.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingDependencyError
        When the module cannot be imported.

    Examples
    --------
    >>> from salesmetrics.errors import import_optional
    >>> import_optional("json", "dev").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise MissingDependencyError(
            f"{top!r} is needed for this feature but is not installed. "
            f"Install it with: pip install 'salesmetrics[{extra}]'"
        ) from exc
