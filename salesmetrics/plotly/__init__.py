"""Deprecated name of :mod:`salesmetrics.interactive` (the plotly charts); removed in 0.3.

``from salesmetrics import plotly as splot`` still works and gives the same functions, with a
FutureWarning: import ``from salesmetrics import interactive`` instead. The module was renamed after
its role so that it no longer shadows the ``plotly`` package itself.
"""

from __future__ import annotations

import warnings

from ..interactive import *  # noqa: F403  (the shim re-exports every chart)
from ..interactive import __all__ as __all__

warnings.warn("salesmetrics.plotly is renamed salesmetrics.interactive; the old name will be removed in 0.3. "
              "Use `from salesmetrics import interactive`.", FutureWarning, stacklevel=2)

