"""Errors, warnings and optional-dependency handling for salesmetrics.

Every problem with a user's input surfaces as :class:`InputValidationError`
(a ``ValueError``) carrying a ``failure_cases`` frame, and every data-quality
concern that does not stop a computation as a :class:`DataQualityWarning` or
:class:`DefinitionWarning`, which users can filter like any warning::

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
    "InputValidationError",
    "MissingDependencyError",
    "import_optional",
]

FAILURE_COLUMNS = ["table", "column", "check", "row", "value", "fix"]


class InputValidationError(ValueError):
    """Raised when input tables do not satisfy the canonical data model.

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
    """Input is usable but suspicious (stage timestamps out of order, gaps, ...)."""


class DefinitionWarning(UserWarning):
    """A metric was computed under a definition the user may not expect."""


class FontWarning(UserWarning):
    """No installed font can draw the text (Hangul, say); the message names the install command."""


class MissingDependencyError(ImportError):
    """An optional extra is not installed; the message names the pip command."""


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
