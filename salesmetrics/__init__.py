"""salesmetrics: is your sales organisation working, and what should you change?

Revenue, retention, pipeline, funnel, SLA, unit-economics and reorg
diagnostics from tidy pandas tables validated by pandera schemas.

Heavy dependencies (pandera, scipy, plotting) load on first use, so
``import salesmetrics`` stays cheap. Every public name imports from here::

    >>> import salesmetrics as sm
    >>> data = sm.load_sample()
    >>> data.summary().loc["opportunities", "rows"] > 0
    np.True_
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "SalesData": "salesmetrics.data",
    "conform": "salesmetrics.data",
    "read_dir": "salesmetrics.data",
    "load_sample": "salesmetrics.datasets",
    "make_company": "salesmetrics.datasets",
    "BusinessCalendar": "salesmetrics.periods",
    "to_period": "salesmetrics.periods",
    "period_range": "salesmetrics.periods",
    "parse_period": "salesmetrics.periods",
    "mrr": "salesmetrics.revenue",
    "mrr_movements": "salesmetrics.revenue",
    "mrr_bridge": "salesmetrics.revenue",
    "retention": "salesmetrics.revenue",
    "cohort_retention": "salesmetrics.revenue",
    "cohort_triangle": "salesmetrics.revenue",
    "InputValidationError": "salesmetrics.errors",
    "DataQualityWarning": "salesmetrics.errors",
    "DefinitionWarning": "salesmetrics.errors",
    "MissingDependencyError": "salesmetrics.errors",
}

__all__ = [
    "BusinessCalendar",
    "DataQualityWarning",
    "DefinitionWarning",
    "InputValidationError",
    "MissingDependencyError",
    "SalesData",
    "__version__",
    "cohort_retention",
    "cohort_triangle",
    "conform",
    "load_sample",
    "make_company",
    "mrr",
    "mrr_bridge",
    "mrr_movements",
    "parse_period",
    "period_range",
    "read_dir",
    "retention",
    "to_period",
]

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData, conform, read_dir
    from .datasets import load_sample, make_company
    from .errors import DataQualityWarning, DefinitionWarning, InputValidationError, MissingDependencyError
    from .periods import BusinessCalendar, parse_period, period_range, to_period
    from .revenue import cohort_retention, cohort_triangle, mrr, mrr_bridge, mrr_movements, retention


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'salesmetrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
