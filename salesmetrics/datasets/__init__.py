"""Datasets: the bundled sample company and the generator behind it.

The sample (``data/sample/`` in a checkout, ``salesmetrics/datasets/sample/``
in an installed wheel) is ``make_company(seed=7, accounts=2000, months=36,
scenario="reorg")``: a fictional B2B SaaS company from October 2022 to
September 2025 with the five reorg signs planted. Regenerate it with
``python -m salesmetrics.datasets --out data/sample``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .generator import Company, make_company

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData

__all__ = ["SAMPLE_SETTINGS", "Company", "load_sample", "make_company", "sample_dir"]

SAMPLE_SETTINGS: dict[str, Any] = {"seed": 7, "accounts": 2_000, "months": 36, "scenario": "reorg"}
"""The make_company arguments that produce the bundled sample."""


def sample_dir() -> Path:
    """Folder holding the bundled sample company's CSV files.

    Examples
    --------
    >>> (sample_dir() / "opportunities.csv").exists()
    True
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample", here.parents[1] / "data" / "sample"):
        if (candidate / "bundle.json").exists():
            return candidate
    raise FileNotFoundError(
        "the bundled sample is missing from this installation; reinstall salesmetrics, or regenerate it with "
        "`python -m salesmetrics.datasets --out data/sample` in a checkout."
    )


def load_sample(**kwargs: Any) -> SalesData:
    """Load the bundled sample company as a validated SalesData.

    A fictional B2B SaaS company, October 2022 – September 2025, in
    America/New_York and USD (part of EMEA business in EUR): 2,000 accounts,
    5,885 leads, 1,978 opportunities, 1,094 subscriptions and 48,282
    activities across eleven tables (70,512 rows), 5 MB of CSV. It is the "reorg"
    scenario: the five signs are planted (listed under "planted" in the
    folder's ``bundle.json``, and in ``make_company(**SAMPLE_SETTINGS).planted``).

    Parameters
    ----------
    **kwargs
        Passed to :func:`~salesmetrics.read_dir` (e.g. ``on_invalid``).

    Returns
    -------
    SalesData

    Examples
    --------
    >>> import salesmetrics as sm
    >>> data = sm.load_sample()
    >>> data.timezone, data.currency, len(data.accounts)
    ('America/New_York', 'USD', 2000)
    """
    from ..data import read_dir

    return read_dir(sample_dir(), **kwargs)
