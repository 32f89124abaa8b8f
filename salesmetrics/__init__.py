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
import logging
from typing import TYPE_CHECKING, Any

from . import _api

# the decisions a scheduled job cannot see (the inferred as_of and the column that set it, rows set aside, the
# calendar used) go to the "salesmetrics" logger; silent unless the application configures logging
logging.getLogger(__name__).addHandler(logging.NullHandler())

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
    "last_complete_period": "salesmetrics.periods",
    "mrr": "salesmetrics.revenue",
    "mrr_movements": "salesmetrics.revenue",
    "mrr_bridge": "salesmetrics.revenue",
    "retention": "salesmetrics.revenue",
    "cohort_retention": "salesmetrics.revenue",
    "cohort_triangle": "salesmetrics.revenue",
    "win_rate": "salesmetrics.pipeline",
    "close_rate": "salesmetrics.pipeline",
    "deal_size": "salesmetrics.pipeline",
    "sales_cycle": "salesmetrics.pipeline",
    "sales_velocity": "salesmetrics.pipeline",
    "pipeline_coverage": "salesmetrics.pipeline",
    "lead_journeys": "salesmetrics.funnels",
    "funnel": "salesmetrics.funnels",
    "lead_quality": "salesmetrics.funnels",
    "stage_durations": "salesmetrics.funnels",
    "bottlenecks": "salesmetrics.funnels",
    "LEAD_STAGES": "salesmetrics.funnels",
    "kaplan_meier": "salesmetrics.stats",
    "wilson_interval": "salesmetrics.stats",
    "qualify": "salesmetrics.sla",
    "compare_definitions": "salesmetrics.sla",
    "response_sla": "salesmetrics.sla",
    "attainment": "salesmetrics.sla",
    "reorg_impact": "salesmetrics.impact",
    "OrgDesign": "salesmetrics.org",
    "Team": "salesmetrics.org",
    "team_view": "salesmetrics.org",
    "scorecard": "salesmetrics.org",
    "plan_funnel": "salesmetrics.org",
    "KPIS": "salesmetrics.org",
    "ShiftedBetaGeometric": "salesmetrics.economics",
    "diagnose": "salesmetrics.diagnostics",
    "report": "salesmetrics.reports.deck",
    "to_csv": "salesmetrics.reports.export",
    "to_excel": "salesmetrics.reports.export",
    "read_salesforce": "salesmetrics.sources",
    "partial": "salesmetrics.partials",
    "combine": "salesmetrics.partials",
    "on_dask": "salesmetrics.scale",
    "read_parquet": "salesmetrics.data",
    "DaskSalesData": "salesmetrics.data._dask",
    "read_hubspot": "salesmetrics.sources",
    "read_stripe": "salesmetrics.sources",
    "sales_decline": "salesmetrics.diagnostics",
    "rep_turnover": "salesmetrics.diagnostics",
    "role_clarity": "salesmetrics.diagnostics",
    "market_response": "salesmetrics.diagnostics",
    "customer_satisfaction": "salesmetrics.diagnostics",
    "cac": "salesmetrics.economics",
    "cac_payback": "salesmetrics.economics",
    "ltv": "salesmetrics.economics",
    "unit_economics": "salesmetrics.economics",
    "InputValidationError": "salesmetrics.errors",
    "DataQualityWarning": "salesmetrics.errors",
    "DefinitionWarning": "salesmetrics.errors",
    "FontWarning": "salesmetrics.errors",
    "MissingDependencyError": "salesmetrics.errors",
    "MissingDataError": "salesmetrics.errors",
    "SalesMetricsError": "salesmetrics.errors",
}

# subpackages reachable as ``sm.datasets``, ``sm.plot``, ... after ``import salesmetrics as sm`` (imported on first access);
# ``plotly`` is the deprecated name of ``interactive`` and is left out of dir()
_SUBMODULES = frozenset({"data", "datasets", "interactive", "periods", "plot", "plotly", "stats"})

__all__ = [
    "KPIS",
    "LEAD_STAGES",
    "BusinessCalendar",
    "DaskSalesData",
    "DataQualityWarning",
    "DefinitionWarning",
    "FontWarning",
    "InputValidationError",
    "MissingDataError",
    "MissingDependencyError",
    "OrgDesign",
    "SalesData",
    "SalesMetricsError",
    "ShiftedBetaGeometric",
    "Team",
    "__version__",
    "attainment",
    "bottlenecks",
    "cac",
    "cac_payback",
    "close_rate",
    "cohort_retention",
    "cohort_triangle",
    "combine",
    "compare_definitions",
    "conform",
    "customer_satisfaction",
    "deal_size",
    "diagnose",
    "funnel",
    "kaplan_meier",
    "last_complete_period",
    "lead_journeys",
    "lead_quality",
    "load_sample",
    "ltv",
    "make_company",
    "market_response",
    "mrr",
    "mrr_bridge",
    "mrr_movements",
    "on_dask",
    "parse_period",
    "partial",
    "period_range",
    "pipeline_coverage",
    "plan_funnel",
    "qualify",
    "read_dir",
    "read_hubspot",
    "read_parquet",
    "read_salesforce",
    "read_stripe",
    "reorg_impact",
    "rep_turnover",
    "report",
    "response_sla",
    "retention",
    "role_clarity",
    "sales_cycle",
    "sales_decline",
    "sales_velocity",
    "scorecard",
    "stage_durations",
    "team_view",
    "to_csv",
    "to_excel",
    "to_period",
    "unit_economics",
    "wilson_interval",
    "win_rate",
]

if TYPE_CHECKING:  # pragma: no cover
    from . import data as data
    from . import datasets as datasets
    from . import interactive as interactive
    from . import periods as periods
    from . import plot as plot
    from . import stats as stats
    from .data import SalesData, conform, read_dir, read_parquet
    from .data._dask import DaskSalesData
    from .datasets import load_sample, make_company
    from .diagnostics import customer_satisfaction, diagnose, market_response, rep_turnover, role_clarity, sales_decline
    from .economics import ShiftedBetaGeometric, cac, cac_payback, ltv, unit_economics
    from .errors import (
        DataQualityWarning,
        DefinitionWarning,
        FontWarning,
        InputValidationError,
        MissingDataError,
        MissingDependencyError,
        SalesMetricsError,
    )
    from .funnels import LEAD_STAGES, bottlenecks, funnel, lead_journeys, lead_quality, stage_durations
    from .impact import reorg_impact
    from .org import KPIS, OrgDesign, Team, plan_funnel, scorecard, team_view
    from .partials import combine, partial
    from .periods import BusinessCalendar, last_complete_period, parse_period, period_range, to_period
    from .pipeline import close_rate, deal_size, pipeline_coverage, sales_cycle, sales_velocity, win_rate
    from .reports.deck import report
    from .reports.export import to_csv, to_excel
    from .revenue import cohort_retention, cohort_triangle, mrr, mrr_bridge, mrr_movements, retention
    from .scale import on_dask
    from .sla import attainment, compare_definitions, qualify, response_sla
    from .sources import read_hubspot, read_salesforce, read_stripe
    from .stats import kaplan_meier, wilson_interval


def _dask_dispatch(name: str, data: Any, kwargs: dict[str, Any]) -> Any:
    """A metric given Dask data runs on the workers (:func:`salesmetrics.scale.dispatch`); imported on first use."""
    from .scale import dispatch

    return dispatch(name, data, kwargs)


_api.DASK[0] = _dask_dispatch


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # importing it binds it here as an attribute, so this runs once per subpackage
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'salesmetrics' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    for public, home in _LAZY.items():  # bind every name of that module at once
        if home == module:
            globals()[public] = getattr(loaded, public)
    return globals()[name]


def __dir__() -> list[str]:
    return [*__all__, *sorted(_SUBMODULES - {"plotly"})]
