"""Reorg diagnostics: the five signs that a sales reorganisation is due, with evidence and what to do.

Definitions follow the metric definitions (docs/metrics.md, "Organisation and reorg diagnostics"); the signs and the advice for each
come from the seed article:

1. **declining_sales** — bookings falling for several quarters; decomposed into opportunities created ×
   close ratio × average deal size so the finding names the driver that moved.
2. **rep_turnover** — annualised attrition of a team far above the rest of the company.
3. **unclear_roles** — a role working in another role's lane (out-of-lane share), overlap, orphans.
4. **market_response** — a segment whose leads grow while its conversion falls or nobody owns them.
5. **customer_satisfaction** — CSAT or NPS falling, and low-satisfaction accounts churning more.

Each part returns an :class:`Assessment` (``table, findings = sm.sales_decline(data)``). A finding is
raised only when an effect is both *large* (a documented threshold) and *unlikely to be noise* (a
significance test at a documented level), so that healthy companies of any size stay quiet. Only
complete periods are assessed: the period holding ``as_of`` counts only when ``as_of`` is on its last day.
"""

from __future__ import annotations

from .._signs import SIGNS

# One module per sign, in the order of the signs (the API page lists the members in this order), what the signs
# share in ``_common`` and ``diagnose`` in ``_diagnose``. The private helpers are re-exported too, so
# ``salesmetrics.diagnostics._word`` & co. work as when this was one module.
# isort: off
from ._common import (
    FINDING_COLUMNS,
    RECOMMENDATIONS,
    Assessment,
    _NEEDS_COLUMNS,  # noqa: F401
    _NEEDS_VALUES,  # noqa: F401
    _OPEN_LEAD_DAYS,  # noqa: F401
    _SEVERITY,  # noqa: F401
    _column_gaps,  # noqa: F401
    _finding,  # noqa: F401
    _findings,  # noqa: F401
    _gap_sentence,  # noqa: F401
    _money,  # noqa: F401
    _not_assessed,  # noqa: F401
    _ordinals,  # noqa: F401
    _periods,  # noqa: F401
    _require_columns,  # noqa: F401
    _sign_name,  # noqa: F401
    _word,  # noqa: F401
)
from ._declining_sales import (
    sales_decline,
    _decline_finding,  # noqa: F401
)
from ._rep_turnover import (
    rep_turnover,
    _left_behind,  # noqa: F401
    _sla_consequence,  # noqa: F401
)
from ._unclear_roles import (
    role_clarity,
    _STAGE_LANES,  # noqa: F401
    _lanes,  # noqa: F401
    _orphan_rows,  # noqa: F401
    _overlap_rows,  # noqa: F401
)
from ._market_response import (
    market_response,
    _bookings_by,  # noqa: F401
)
from ._customer_satisfaction import (
    customer_satisfaction,
    _churn_link,  # noqa: F401
    _link_sentence,  # noqa: F401
)
from ._diagnose import (
    diagnose,
    _DEFAULT_BY,  # noqa: F401
    _PARTS,  # noqa: F401
    _by_problem,  # noqa: F401
)
# isort: on

__all__ = ["FINDING_COLUMNS", "RECOMMENDATIONS", "SIGNS", "Assessment", "customer_satisfaction", "diagnose",
           "market_response", "rep_turnover", "role_clarity", "sales_decline"]
