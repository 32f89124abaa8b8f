"""Unit economics: CAC by channel, CAC payback, LTV and LTV:CAC, and the shifted-beta-geometric model.

Definitions follow the metric definitions (docs/metrics.md, "Unit economics"):

- **CAC** = sales and marketing spend in the period (optionally the spend of
  ``lag_months`` earlier) / new customers acquired in the period, by channel
  where spend and customers both carry one. A month the spend table does not
  cover is *missing*, never zero: the periods that need it get NaN spend and a
  :class:`~salesmetrics.DataQualityWarning`.
- **CAC payback (months)** = CAC / (new customers' average MRR × gross margin).
- **LTV** = ARPA × gross margin / monthly logo churn rate (trailing ``window``, in months,
  mean); NaN with a :class:`~salesmetrics.DefinitionWarning` when churn is 0.
  ``gross_margin=1`` gives ChartMogul's form. ``method="sbg"`` replaces 1 / churn
  by the expected lifetime projected by a shifted-beta-geometric model.
- **sBG** (Fader & Hardie 2007, "How to Project Customer Retention", Journal of
  Interactive Marketing 21(1)): churn probabilities vary across customers as
  Beta(α, β), so the retention rate of a cohort rises with its age.

A new customer's *channel* is, in order: the accounts table's ``channel``
column; the ``source`` of the account's first won new-business opportunity (or
of that opportunity's lead); the ``source`` of the account's earliest lead.
Spend rows without a channel and customers without one form the group
``"(missing)"``, so channels always sum to the company total.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._api import data_first, find_stack_level
from .data import MISSING_GROUP, Inputs, resolve
from .errors import DataQualityWarning, DefinitionWarning
from .periods import duration, freq_alias, to_period
from .stats import ratio

if TYPE_CHECKING:  # pragma: no cover
    from .data import SalesData

__all__ = ["ShiftedBetaGeometric", "cac", "cac_payback", "ltv", "unit_economics"]

NewCustomers = Literal["subscriptions", "opportunities"]


# ----------------------------------------------------------------------------------------------------------
# the shifted-beta-geometric model
# ----------------------------------------------------------------------------------------------------------


class ShiftedBetaGeometric:
    """The shifted-beta-geometric (sBG) retention model of Fader & Hardie (2007).

    Each customer churns at the end of any period with a probability θ that
    stays fixed for them and varies across customers as Beta(α, β). Then, for a
    cohort, P(churn in period t) = B(α+1, β+t−1) / B(α, β), survival
    S(t) = B(α, β+t) / B(α, β), and the retention rate of period t is
    (β+t−1) / (α+β+t−1), which rises with t as the likely churners leave.

    Parameters
    ----------
    alpha, beta : float, optional
        Known parameters, to use the model without fitting; default None (call :meth:`fit`, which
        replaces them).

    Attributes
    ----------
    alpha, beta : float
        Fitted parameters (None before :meth:`fit`).
    log_likelihood : float
        Log-likelihood at the fit.

    Examples
    --------
    The "regular" segment of Fader & Hardie (2007), first 7 years:

    >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.alpha, 3), round(m.beta, 3)
    (0.704, 1.182)
    >>> round(float(m.survival(12)), 3)  # projected year 12; 0.173 were observed
    0.17
    """

    def __init__(self, alpha: float | None = None, beta: float | None = None) -> None:
        self.alpha = alpha
        self.beta = beta
        self.log_likelihood: float | None = None
        self.survivors: np.ndarray | None = None

    def __repr__(self) -> str:
        if self.alpha is None or self.beta is None:
            return "ShiftedBetaGeometric()"
        return f"ShiftedBetaGeometric(alpha={self.alpha:.4g}, beta={self.beta:.4g})"

    # -- fitting --------------------------------------------------------------------------------------------
    def fit(self, survivors: Sequence[float] | np.ndarray | pd.Series) -> ShiftedBetaGeometric:
        """Fit α and β by maximum likelihood to the counts alive at the start of each period.

        Parameters
        ----------
        survivors : sequence of int
            ``survivors[0]`` customers at the start (period 0), then how many of
            them are still customers at the start of each later period.
            Non-increasing, first > 0, at least two periods.

        Returns
        -------
        ShiftedBetaGeometric
            Itself, fitted.

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(m.alpha, 3), round(m.beta, 3)
        (0.668, 3.806)
        """
        n = np.asarray(survivors, dtype=float)
        if n.ndim != 1 or len(n) < 2:
            raise ValueError("survivors must be a list of at least two counts: the cohort at the start, then how many are left "
                             "at the start of each later period, e.g. [1000, 631, 468].")
        if not np.isfinite(n).all() or n[0] <= 0 or (n < 0).any():
            raise ValueError(f"survivors must be finite, non-negative counts with a positive first count; got {n.tolist()}.")
        if (np.diff(n) > 0).any():
            t = int(np.flatnonzero(np.diff(n) > 0)[0]) + 1
            raise ValueError(f"survivors must not increase: period {t} has {n[t]:g} after {n[t - 1]:g}. Count only customers "
                             "who have been customers since period 0 (no reactivations, no late joiners).")
        churned = np.concatenate([[0.0], -np.diff(n)])  # churned[t]: lost during period t (t >= 1)
        censored = np.zeros(len(n))
        censored[-1] = n[-1]
        self._fit(churned, censored)
        self.survivors = n
        return self

    def _fit(self, churned: np.ndarray, censored: np.ndarray) -> None:
        """Maximum likelihood on churn counts by period (index t >= 1) and counts still alive after t periods."""
        from scipy.optimize import minimize

        t_churn = np.flatnonzero(churned)
        t_cens = np.flatnonzero(censored)
        w_churn, w_cens = churned[t_churn], censored[t_cens]
        if not len(t_churn):
            raise ValueError("no customer churned in the data, so the sBG model cannot be fitted (its churn rate would be 0).")

        def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            a, b = np.exp(log_params)
            value, grad = _log_likelihood(a, b, t_churn, w_churn, t_cens, w_cens, gradient=True)
            return -value, -grad * np.array([a, b])  # chain rule: d/dlog(a) = a d/da

        # L-BFGS-B on log(alpha), log(beta) with the analytic gradient; the bounds (1e-5 .. 1e7) keep a nearly
        # homogeneous cohort (alpha, beta -> infinity with a fixed churn rate) from running off to overflow.
        best = None
        for start in ((0.0, 0.0), (2.0, 4.0)):
            res = minimize(negative, np.array(start), jac=True, method="L-BFGS-B", bounds=[(-11.5, 16.1)] * 2,
                           options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000})
            if best is None or res.fun < best.fun:
                best = res
        assert best is not None
        self.alpha, self.beta = (float(v) for v in np.exp(best.x))
        self.log_likelihood = -float(best.fun)

    # -- the model's quantities ----------------------------------------------------------------------------
    def _params(self) -> tuple[float, float]:
        if self.alpha is None or self.beta is None:
            raise ValueError("the model is not fitted: call .fit(survivors) first, or pass alpha= and beta=.")
        return self.alpha, self.beta

    def survival(self, t: Any) -> np.ndarray:
        """S(t) = B(α, β+t) / B(α, β): the share of a cohort still customers after t periods.

        Parameters
        ----------
        t : float or array-like of float
            Periods since acquisition (S(0) = 1).

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=1.0, beta=1.0).survival([0, 1, 3]).round(3).tolist()
        [1.0, 0.5, 0.25]
        """
        from scipy.special import betaln

        a, b = self._params()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def churn_probability(self, t: Any) -> np.ndarray:
        """P(T = t) = B(α+1, β+t−1) / B(α, β): the share of a cohort lost in period t (t >= 1).

        Parameters
        ----------
        t : float or array-like of float
            Periods since acquisition; t < 1 gives NaN.

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=1.0, beta=1.0).churn_probability([1, 2, 3]).round(4).tolist()
        [0.5, 0.1667, 0.0833]
        """
        from scipy.special import betaln

        a, b = self._params()
        t = np.asarray(t, dtype=float)
        return np.where(t >= 1, np.exp(betaln(a + 1, b + np.maximum(t, 1) - 1) - betaln(a, b)), np.nan)

    def retention_rate(self, t: Any) -> np.ndarray:
        """r(t) = S(t) / S(t−1) = (β+t−1) / (α+β+t−1): the share of period t−1's survivors who renew in period t.

        Parameters
        ----------
        t : float or array-like of float
            Periods since acquisition; t < 1 gives NaN.

        Examples
        --------
        >>> ShiftedBetaGeometric(alpha=1.0, beta=1.0).retention_rate([1, 2, 9]).round(3).tolist()
        [0.5, 0.667, 0.9]
        """
        a, b = self._params()
        t = np.asarray(t, dtype=float)
        return np.where(t >= 1, (b + t - 1) / (a + b + t - 1), np.nan)

    def derl(self, discount_rate: float, renewals: int) -> float:
        """Discounted expected residual lifetime of a customer who has renewed ``renewals`` times.

        DERL = (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d)) with n − 1 = ``renewals``
        (Fader & Hardie 2010, "Customer-Base Valuation in a Contractual Setting"): the
        expected number of further payments, each discounted at ``discount_rate`` per period,
        counted from the next renewal. Multiply by the payment per period for the residual value.

        Parameters
        ----------
        discount_rate : float
            Discount rate per period (0.10 for 10%); must be positive.
        renewals : int
            How many times the customer has renewed so far (0 for one still in their first period).

        Examples
        --------
        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(m.derl(0.10, renewals=7), 3)
        7.53
        """
        from scipy.special import hyp2f1

        a, b = self._params()
        if discount_rate <= 0:
            raise ValueError("discount_rate must be positive (the series diverges without discounting when alpha <= 1).")
        n = renewals + 1
        return float((b + n - 1) / (a + b + n - 1) * hyp2f1(1, b + n, a + b + n, 1 / (1 + discount_rate)))

    def expected_lifetime(self, horizon: int | None = None) -> float:
        """Expected number of periods a new customer pays for: Σ S(t) for t = 0 .. horizon−1.

        Without a horizon this is (α+β−1)/(α−1), finite only when α > 1 (NaN otherwise).

        Parameters
        ----------
        horizon : int, optional
            Count S(t) over the periods t = 0 .. horizon−1 only; default None (no horizon).

        Examples
        --------
        >>> m = ShiftedBetaGeometric(alpha=2.0, beta=6.0)
        >>> m.expected_lifetime(), round(m.expected_lifetime(horizon=1000), 2)
        (7.0, 6.96)
        """
        a, b = self._params()
        if horizon is None:
            return (a + b - 1) / (a - 1) if a > 1 else float("nan")
        return float(self.survival(np.arange(int(horizon))).sum())

    # -- survivors from real accounts -----------------------------------------------------------------------
    @staticmethod
    def from_subscriptions(
        subscriptions: SalesData | pd.DataFrame,
        *,
        cohort: Any,
        freq: str = "M",
        as_of: Any = None,
    ) -> pd.Series:
        """Survivor counts of one acquisition cohort, ready for :meth:`fit`.

        The cohort is the accounts whose first active month falls in ``cohort``
        (a period such as "2023-01" or "2023Q1"). Age 0 counts all of them; age k
        counts those active at the end of the k-th period after the cohort's and
        never lost before (an account that leaves and comes back counts as lost).
        Only complete periods up to ``as_of`` are included.

        Parameters
        ----------
        subscriptions : SalesData or pandas.DataFrame
            A bundle, or a subscriptions table.
        cohort : str or pandas.Period
            The acquisition period: a label :func:`~salesmetrics.parse_period` reads ("2023-01", "2023Q1",
            "2023"; fiscal under the bundle's ``fiscal_year_start``) or a Period. A month with ``freq="Q"``
            means its quarter; a cohort longer than ``freq`` (a quarter with ``freq="M"``) is an error
            that says what to pass.
        freq : {"M", "Q", "Y"}, default "M"
            The length of a period of age (None is not accepted).
        as_of : date-like, optional
            Default: the bundle's; nothing after it counts.

        Returns
        -------
        pandas.Series
            Survivors by age (index ``age``), named after the cohort.

        Examples
        --------
        >>> import pandas as pd
        >>> subs = pd.DataFrame({"subscription_id": ["1", "2", "3"], "account_id": ["a", "b", "c"],
        ...                      "start_date": ["2025-01-05", "2025-01-20", "2025-01-09"],
        ...                      "end_date": ["2025-03-01", None, "2025-05-01"], "amount": [100, 100, 100]})
        >>> ShiftedBetaGeometric.from_subscriptions(subs, cohort="2025-01", as_of="2025-06-30").tolist()
        [3, 3, 2, 2, 1, 1]
        """
        from .periods import last_complete_period, parse_period

        first, churn, _, inputs = _lifetimes(subscriptions, as_of)
        fys = inputs.fiscal_year_start
        period = cohort if isinstance(cohort, pd.Period) else parse_period(str(cohort), fiscal_year_start=fys)
        alias = freq_alias(freq, fys)
        span = (period.asfreq("M", how="E") - period.asfreq("M", how="S")).n + 1
        if span > {"M": 1, "Q": 3, "Y": 12}[str(freq).upper()]:
            raise ValueError(f"cohort={str(cohort)!r} is longer than freq={freq!r} periods, and a cohort is one period of "
                             f"age 0; pass freq='{'Q' if span == 3 else 'Y'}' to age it in those, or a month such as "
                             f"'{period.asfreq('M', how='E')}'.")
        period = period.asfreq(alias)
        months = _months_to(first, alias)
        members = months == period.ordinal
        if not members.any():
            raise ValueError(f"no account's first active month falls in {period}; pick a cohort between the first and last "
                             "month of the subscriptions.")
        last_full = last_complete_period(inputs.as_of_timestamp(as_of), freq, fiscal_year_start=fys).ordinal
        ages = np.arange(0, max(0, last_full - period.ordinal) + 1)
        # lost in the period holding its churn month: alive at the end of period p when churn month is after p's last month
        churn_period = np.where(churn[members] >= 0, _months_to(churn[members], alias), np.iinfo("int64").max)
        end_of_age = period.ordinal + ages
        counts = (churn_period[None, :] > end_of_age[:, None]).sum(axis=1)
        counts[0] = int(members.sum())
        return pd.Series(counts, index=pd.Index(ages, name="age"), name=str(period))


def _log_likelihood(a: float, b: float, t_churn: np.ndarray, w_churn: np.ndarray, t_cens: np.ndarray, w_cens: np.ndarray,
                    gradient: bool = False) -> Any:
    """sBG log-likelihood of w_churn customers lost in periods t_churn and w_cens still alive after t_cens periods."""
    from scipy.special import betaln, digamma

    base = betaln(a, b)
    value = float(np.dot(w_churn, betaln(a + 1, b + t_churn - 1) - base) + np.dot(w_cens, betaln(a, b + t_cens) - base))
    if not gradient:
        return value
    total = w_churn.sum() + w_cens.sum()
    d_base_a, d_base_b = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
    da = (np.dot(w_churn, digamma(a + 1) - digamma(a + b + t_churn)) + np.dot(w_cens, digamma(a) - digamma(a + b + t_cens))
          - total * d_base_a)
    db = (np.dot(w_churn, digamma(b + t_churn - 1) - digamma(a + b + t_churn)) + np.dot(w_cens, digamma(b + t_cens) - digamma(a + b + t_cens))
          - total * d_base_b)
    return value, np.array([da, db])


def _months_to(months: np.ndarray, alias: str) -> np.ndarray:
    """Epoch-month numbers to period ordinals of ``alias`` (vectorised)."""
    if alias == "M":
        return months.astype("int64")
    lo, hi = int(months.min()), int(months.max())
    table = np.asarray(pd.PeriodIndex.from_ordinals(np.arange(lo, hi + 1), freq="M").asfreq(alias).asi8)  # type: ignore[attr-defined]
    return table[months - lo]


def _lifetimes(subscriptions: SalesData | pd.DataFrame, as_of: Any) -> tuple[np.ndarray, np.ndarray, int, Inputs]:
    """Per account: first active month, first churn month after it (-1: still active), and the month holding as_of."""
    from .revenue import _change_points

    p = _change_points(subscriptions, as_of)
    new = p.movement == 0
    churn_rows = p.movement == 3
    n = len(p.accounts)
    first = np.full(n, -1, dtype="int64")
    first[p.account[new][::-1]] = p.month[new][::-1]  # points are sorted by account, month: keep each account's first
    churn = np.full(n, -1, dtype="int64")
    churn[p.account[churn_rows][::-1]] = p.month[churn_rows][::-1]
    started = first >= 0
    return first[started], churn[started], int(p.last_month), p.inputs


# ----------------------------------------------------------------------------------------------------------
# CAC
# ----------------------------------------------------------------------------------------------------------


def _acquisition_channel(inputs: Inputs) -> pd.Series:
    """Each account's acquisition channel (see the module docstring), indexed by account_id."""
    found: list[pd.Series] = []
    accounts = inputs.get("accounts")
    if accounts is not None and "channel" in accounts.columns:
        found.append(accounts.set_index("account_id")["channel"].dropna())
    opps = inputs.get("opportunities")
    leads = inputs.get("leads")
    if opps is not None and "account_id" in opps.columns:
        won = opps[(opps["status"] == "won") & opps["account_id"].notna()]
        if "type" in won.columns:
            won = won[won["type"].isna() | (won["type"] == "new_business")]
        source = won["source"] if "source" in won.columns else pd.Series(np.nan, index=won.index, dtype=object)
        if leads is not None and "lead_id" in won.columns and "source" in leads.columns:
            lead_source = leads.drop_duplicates("lead_id").set_index("lead_id")["source"]
            source = source.where(source.notna(), pd.Series(lead_source.reindex(won["lead_id"]).to_numpy(), index=won.index))
        first = won.assign(_source=source).sort_values("closed_at", kind="stable").drop_duplicates("account_id")
        found.append(first.set_index("account_id")["_source"].dropna())
    if leads is not None and "account_id" in leads.columns and "source" in leads.columns:
        first_lead = leads[leads["account_id"].notna()].sort_values("created_at", kind="stable").drop_duplicates("account_id")
        found.append(first_lead.set_index("account_id")["source"].dropna())
    if not found:
        return pd.Series(dtype=object, name="channel")
    out = pd.concat(found)
    out = out[~out.index.duplicated(keep="first")]
    return out.astype(object).rename("channel")


def _customers(data: SalesData, freq: str | None, by: str | None, basis: NewCustomers, as_of: Any) -> pd.DataFrame:
    """New customers (and, from the bridge, their new MRR) per period and channel (all time: no period)."""
    from .revenue import mrr_bridge

    if freq is None:
        monthly = _customers(data, "M", by, basis, as_of)
        return _all_time(monthly, by, ["new_customers", "new_mrr"])

    inputs = resolve(data, "spend")
    keys = ["period"] + ([by] if by else [])
    channel = _acquisition_channel(inputs)
    if basis == "subscriptions":
        subs = inputs.require("subscriptions", "cac(new_customers='subscriptions')")
        ids = pd.Index(pd.unique(subs["account_id"].dropna()))
        accounts = pd.DataFrame({"account_id": ids.astype(object), "channel": channel.reindex(ids).to_numpy()})
        with warnings.catch_warnings():
            if by and not accounts["channel"].notna().any():  # said below in the export's terms, not the look-up's
                warnings.filterwarnings("ignore", message="by='channel'")
                warnings.warn("cac by channel: no new customer's acquisition channel is known (the export has no "
                              "accounts.channel and no source on won opportunities or leads), so every customer is in "
                              f"{MISSING_GROUP!r}; add accounts.channel, or pass by=None.", DataQualityWarning, stacklevel=find_stack_level())
            bridge = mrr_bridge(data, freq=freq, by="channel" if by else None, as_of=as_of, accounts=accounts)
        return bridge[[*keys, "new_customers", "new"]].rename(columns={"new": "new_mrr"})
    if basis != "opportunities":
        raise ValueError(f"new_customers must be 'subscriptions' or 'opportunities', got {basis!r}.")
    opps = inputs.require("opportunities", "cac(new_customers='opportunities')")
    now = inputs.as_of_timestamp(as_of)
    won = opps[(opps["status"] == "won") & (opps["closed_at"] <= now)]
    if "type" in won.columns:
        won = won[won["type"].isna() | (won["type"] == "new_business")]
    source = won["source"] if "source" in won.columns else pd.Series(np.nan, index=won.index, dtype=object)
    if "account_id" in won.columns:
        source = source.where(source.notna(), pd.Series(channel.reindex(won["account_id"]).to_numpy(), index=won.index))
    frame = pd.DataFrame({"period": to_period(won["closed_at"], freq, fiscal_year_start=inputs.fiscal_year_start),
                          "channel": source.fillna(MISSING_GROUP).to_numpy(object)})
    counts = frame.groupby(keys, observed=True).size().rename("new_customers").reset_index()
    return counts


def _spend(inputs: Inputs, freq: str, by: str | None, lag_months: int, periods: pd.PeriodIndex, now: pd.Timestamp
           ) -> tuple[pd.DataFrame, list[pd.Period]]:
    """Spend per period (and channel), from ``lag_months`` earlier; periods needing an uncovered month are NaN."""
    spend = inputs.require("spend", "cac")
    fys = inputs.fiscal_year_start
    alias = freq_alias(freq, fys)
    month = pd.PeriodIndex(pd.DatetimeIndex(spend["month"]), freq="M")
    covered = set(month.asi8.tolist())
    shifted = month + lag_months
    frame = pd.DataFrame({"period": shifted.asfreq(alias), "amount": spend["amount"].to_numpy(float)})
    if by:
        labels = spend["channel"] if "channel" in spend.columns else pd.Series(np.nan, index=spend.index, dtype=object)
        frame["channel"] = labels.fillna(MISSING_GROUP).to_numpy(object)
    keys = ["period"] + (["channel"] if by else [])
    total = frame.groupby(keys, observed=True)["amount"].sum().rename("spend").reset_index()
    last_month = pd.Period(now.tz_localize(None) if now.tz is not None else now, freq="M").ordinal
    missing = []
    for p in periods:
        months = pd.period_range(p.asfreq("M", how="start"), p.asfreq("M", how="end"), freq="M").asi8
        needed = months[months <= last_month] - lag_months
        if any(int(m) not in covered for m in needed):
            missing.append(p)
    return total, missing


@data_first("data")
def cac(
    data: SalesData,
    /,
    *,
    freq: str | None = "Q",
    by: str | None = "channel",
    lag: str | None = None,
    new_customers: NewCustomers = "subscriptions",
    as_of: Any = None,
    lag_months: int | None = None,
) -> pd.DataFrame:
    """Customer acquisition cost per period (and channel): spend / new customers.

    Parameters
    ----------
    data : SalesData
        Needs spend, and subscriptions or opportunities.
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period; None is all time: the spend of every month the spend table
        covers (up to ``as_of``) over every new customer of those months, one row.
    by : "channel" or None, default "channel"
        Spend's ``channel`` against each new customer's acquisition channel (see
        the module docstring); unattributed spend and customers form "(missing)".
    lag : str, optional
        Count the spend of this many calendar months earlier against this period's
        customers ("1M", "3M"); marketing spend takes
        time to turn into customers. Default: no lag.
    new_customers : {"subscriptions", "opportunities"}
        Who is a new customer: an account whose MRR goes from 0 to above 0 for
        the first time (the MRR bridge's ``new``), or a won new-business opportunity.
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    lag_months : int, optional
        The 0.1 spelling of ``lag`` (deprecated, with a FutureWarning, until 0.3).

    Returns
    -------
    pandas.DataFrame
        ``period``, (``channel``), ``spend``, ``new_customers``, ``cac`` (NaN when
        there is no new customer, or when spend is missing for the period).

    Warns
    -----
    DataQualityWarning
        When a period needs spend months that the spend table does not have.

    Examples
    --------
    Two months of spend, $3,000 and $5,000; two accounts start in February:

    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> data = sm.SalesData(
    ...     spend=pd.DataFrame({"month": ["2025-01-01", "2025-02-01"], "amount": [3000, 5000]}),
    ...     subscriptions=pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                                 "start_date": ["2025-02-03", "2025-02-10"], "amount": [500, 700]}))
    >>> cac(data, freq="M", by=None, as_of="2025-02-28")[["period", "spend", "new_customers", "cac"]].values.tolist()
    [[Period('2025-02', 'M'), 5000.0, 2, 2500.0]]
    >>> cac(data, freq="M", by=None, lag="1M", as_of="2025-02-28")["cac"].tolist()
    [1500.0]
    """
    if by not in (None, "channel"):
        raise ValueError(f"by must be 'channel' or None (spend has no other dimension), got {by!r}.")
    lag_months = _lag(lag, lag_months, "cac")
    if freq is None:
        monthly = cac(data, freq="M", by=by, lag=f"{lag_months}M", new_customers=new_customers, as_of=as_of)
        out = _all_time(monthly, by, ["spend", "new_customers", "new_mrr"])
        out["cac"] = ratio(out["spend"], out["new_customers"])
        out = out[[c for c in monthly.columns if c != "period"]]
        out.attrs.update(monthly.attrs)
        out.attrs.update(freq=None)
        return out
    inputs = resolve(data, "spend")
    now = inputs.as_of_timestamp(as_of)
    customers = _customers(data, freq, by, new_customers, as_of)
    keys = ["period"] + ([by] if by else [])
    periods = pd.PeriodIndex(customers["period"].unique()) if len(customers) else pd.PeriodIndex([], freq=freq_alias(freq, inputs.fiscal_year_start))
    # the table starts with the first period the spend table reaches (lag included); before it CAC is unknowable
    spend_months = pd.PeriodIndex(pd.DatetimeIndex(inputs.require("spend", "cac")["month"]), freq="M").asi8
    if len(spend_months):
        reach = periods.asfreq("M", how="E").asi8 - lag_months >= int(spend_months.min())
        customers = customers[customers["period"].isin(periods[reach])]
        periods = periods[reach]
    spend, missing = _spend(inputs, freq, by, lag_months, periods, now)
    spend = spend[spend["period"].isin(periods)]
    out = customers.merge(spend, on=keys, how="outer")
    out["new_customers"] = out["new_customers"].fillna(0).astype("int64")
    out["spend"] = out["spend"].fillna(0.0)
    if missing:
        out.loc[out["period"].isin(missing), "spend"] = np.nan
        shown = ", ".join(str(p) for p in missing[:6]) + (" ..." if len(missing) > 6 else "")
        warnings.warn(f"cac: the spend table has no rows for some months that {len(missing)} period(s) need ({shown}"
                      f"{', lag ' + str(lag_months) + ' months' if lag_months else ''}); their spend and CAC are NaN, not "
                      "zero. Add those months to spend (amount 0 if nothing was spent).", DataQualityWarning, stacklevel=find_stack_level())
    out["cac"] = ratio(out["spend"], out["new_customers"])
    out = out.sort_values(keys, kind="stable").reset_index(drop=True)
    columns = keys + ["spend", "new_customers", "cac"] + (["new_mrr"] if "new_mrr" in out.columns else [])
    out = out[columns]
    out.attrs.update(currency=inputs.currency, freq=freq, lag_months=lag_months, new_customers=new_customers)
    return out


def _lag(lag: str | None, lag_months: int | None, function: str) -> int:
    """Months of spend lag from ``lag`` ("1M") or the deprecated ``lag_months``."""
    if lag_months is not None:
        warnings.warn(f"{function}(lag_months={lag_months!r}) is deprecated: pass lag='{int(lag_months)}M'; lag_months will be "
                      "removed in 0.3.", FutureWarning, stacklevel=find_stack_level())
        if lag is not None:
            raise TypeError(f"{function}: pass lag= or lag_months=, not both.")
        lag = f"{int(lag_months)}M"
    if lag is None:
        return 0
    months = duration(lag, name="lag", unit="months", minimum=0)
    assert isinstance(months, int)
    return months


def _all_time(table: pd.DataFrame, by: str | None, sums: list[str]) -> pd.DataFrame:
    """Collapse a monthly table to one all-time row (per channel): sums, NaN if any month is NaN."""
    keys = [by] if by else []
    present = [c for c in sums if c in table.columns]
    if keys:
        out = table.groupby(keys, observed=True, sort=True)[present].sum(min_count=1)
        nan = table[present].isna().groupby([table[k] for k in keys], observed=True, sort=True).any()
        return out.mask(nan).reset_index()
    row = {c: (table[c].sum() if not table[c].isna().any() else np.nan) for c in present}
    return pd.DataFrame([row], columns=present)


@data_first("data")
def cac_payback(
    data: SalesData,
    /,
    *,
    gross_margin: float = 1.0,
    freq: str | None = "Q",
    by: str | None = "channel",
    lag: str | None = None,
    new_customers: NewCustomers = "subscriptions",
    as_of: Any = None,
    lag_months: int | None = None,
) -> pd.DataFrame:
    """Months of gross margin a new customer takes to repay their CAC.

    payback = CAC / (new customers' average MRR × gross margin), where the average
    MRR is the MRR bridge's new MRR / new customers in the same period (and channel).

    Parameters
    ----------
    data : SalesData
        Needs spend and subscriptions (the average new MRR comes from the MRR bridge, also
        with ``new_customers="opportunities"``, which then needs opportunities too).
    gross_margin : float, default 1.0
        Share of revenue kept after the cost of serving it (0 < margin ≤ 1).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period; None is all time: the monthly spend, new customers and new MRR
        summed (NaN if any month is NaN), then divided: one row (one per channel with ``by``).
    by : "channel" or None, default "channel"
        Group by acquisition channel, as in :func:`cac`.
    lag : str, optional
        Spend lag in calendar months for CAC ("1M"); default none (see :func:`cac`).
    new_customers : {"subscriptions", "opportunities"}, default "subscriptions"
        Who counts as a new customer for CAC (see :func:`cac`).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    lag_months : int, optional
        The 0.1 spelling of ``lag`` (deprecated, with a FutureWarning, until 0.3).

    Returns
    -------
    pandas.DataFrame
        The :func:`cac` table with ``avg_new_mrr``, ``gross_margin`` and ``payback_months``.

    Examples
    --------
    $5,000 spent, two new customers at $500 and $700 MRR (average $600), 80% margin:
    CAC $2,500, payback 2,500 / (600 × 0.8) = 5.2 months.

    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> data = sm.SalesData(
    ...     spend=pd.DataFrame({"month": ["2025-02-01"], "amount": [5000]}),
    ...     subscriptions=pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"],
    ...                                 "start_date": ["2025-02-03", "2025-02-10"], "amount": [500, 700]}))
    >>> cac_payback(data, gross_margin=0.8, freq="M", by=None, as_of="2025-02-28")["payback_months"].round(2).tolist()
    [5.21]
    """
    _check_margin(gross_margin)
    months = _lag(lag, lag_months, "cac_payback")
    if freq is None:  # all time: the monthly parts summed, then divided
        parts = _payback_parts(data, "M", by, months, new_customers, as_of)
        table = _all_time(parts, by, ["spend", "new_customers", "new_mrr", "_bridge_customers"])
        table.insert(len(table.columns) - 2, "cac", ratio(table["spend"], table["new_customers"]))
        table.attrs.update(parts.attrs)
        table.attrs.update(freq=None)
    else:
        table = _payback_parts(data, freq, by, months, new_customers, as_of)
    table["avg_new_mrr"] = ratio(table["new_mrr"], table["_bridge_customers"])
    table["gross_margin"] = gross_margin
    table["payback_months"] = ratio(table["cac"], table["avg_new_mrr"] * gross_margin)
    return table.drop(columns=["_bridge_customers"])


def _payback_parts(data: SalesData, freq: str, by: str | None, months: int, basis: NewCustomers, as_of: Any) -> pd.DataFrame:
    """The CAC table with the bridge's new MRR and the customers it is spread over (``_bridge_customers``)."""
    table = cac(data, freq=freq, by=by, lag=f"{months}M", new_customers=basis, as_of=as_of)
    if "new_mrr" not in table.columns:  # opportunities basis: the MRR still comes from the bridge
        bridge = _customers(data, freq, by, "subscriptions", as_of).rename(columns={"new_customers": "_bridge_customers"})
        table = table.merge(bridge, on=["period"] + ([by] if by else []), how="left")
    else:
        table["_bridge_customers"] = table["new_customers"]
    return table


# ----------------------------------------------------------------------------------------------------------
# LTV
# ----------------------------------------------------------------------------------------------------------


def _check_margin(gross_margin: float) -> None:
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin is a share between 0 and 1 (0.8 for 80%), got {gross_margin!r}.")


@data_first("data")
def ltv(
    data: SalesData | pd.DataFrame,
    /,
    *,
    gross_margin: float = 1.0,
    window: str | int = "6M",
    method: Literal["formula", "sbg"] = "formula",
    freq: str | None = "Q",
    horizon: str = "10Y",
    as_of: Any = None,
    warn: bool = True,
    horizon_months: int | None = None,
) -> pd.DataFrame:
    """Customer lifetime value per period: ARPA × gross margin × expected lifetime in months.

    - ``method="formula"`` (docs/metrics.md; ChartMogul with ``gross_margin=1``): lifetime =
      1 / monthly logo churn, the churn being the mean of the monthly rates over ``window``
      (calendar months) ending with the period's last month.
    - ``method="sbg"``: lifetime = Σ S(t) over the months t < ``horizon``, from a
      :class:`ShiftedBetaGeometric` fitted by maximum likelihood to every account's
      months as a customer up to the period's end (accounts still active count as
      censored), so retention can keep improving with age beyond the observed months.

    Parameters
    ----------
    data : SalesData or pandas.DataFrame (subscriptions)
    gross_margin : float, default 1.0
    window : str, default "6M"
        The trailing churn window in calendar months ("6M", "1Y"). A plain number meant months in 0.1;
        it still does, with a FutureWarning, until 0.3 (plain numbers mean days everywhere else).
    method : {"formula", "sbg"}
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period. LTV is a value at a point in time (each period's end), so None
        (all time) is one row: the LTV at ``as_of``.
    horizon : str, default "10Y"
        For ``method="sbg"`` only: the lifetime is counted over this many months (the sBG
        mean lifetime is infinite when α ≤ 1, common in B2B).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    warn : bool, default True
        Warn about periods with zero churn (``unit_economics`` warns only for the periods it keeps).
    horizon_months : int, optional
        The 0.1 spelling of ``horizon`` (deprecated, with a FutureWarning).

    Returns
    -------
    pandas.DataFrame
        ``period``, ``arpa``, ``monthly_logo_churn``, ``churn_months`` (months in the
        mean), ``gross_margin``, ``expected_lifetime_months``, ``ltv``; with
        ``method="sbg"`` also ``alpha`` and ``beta``.

    Warns
    -----
    DefinitionWarning
        When monthly churn is 0 in a period: its LTV is NaN, never infinite.

    Examples
    --------
    ChartMogul's worked example: ARPA $100 and 5% monthly churn give LTV $2,000. Twenty
    accounts at $100 a month; one leaves in June (1 of 20 = 5%):

    >>> import pandas as pd
    >>> subs = pd.DataFrame({"subscription_id": [str(i) for i in range(20)], "account_id": [str(i) for i in range(20)],
    ...                      "start_date": "2024-01-01", "amount": 100, "end_date": ["2025-06-01"] + [None] * 19})
    >>> row = ltv(subs, window="1M", as_of="2025-06-30", warn=False).iloc[-1]
    >>> float(row["arpa"]), float(row["monthly_logo_churn"]), float(row["ltv"])
    (100.0, 0.05, 2000.0)
    """
    from .revenue import mrr_bridge, retention

    _check_margin(gross_margin)
    window_n = duration(window, name="window", unit="months", legacy_months=True)
    if horizon_months is not None:
        warnings.warn("ltv(horizon_months=...) is deprecated: pass horizon='120M' (or '10Y'); horizon_months will be "
                      "removed in 0.3.", FutureWarning, stacklevel=find_stack_level())
        horizon = f"{int(horizon_months)}M"
    horizon_n = duration(horizon, name="horizon", unit="months")
    assert isinstance(window_n, int) and isinstance(horizon_n, int)
    if freq is None:  # a stock: the value at as_of, i.e. the monthly table's last row
        monthly = ltv(data, gross_margin=gross_margin, window=f"{window_n}M", method=method, freq="M",
                      horizon=f"{horizon_n}M", as_of=as_of, warn=False)
        out = monthly.iloc[-1:].reset_index(drop=True)
        out.attrs.update(monthly.attrs)
        if warn:
            _warn_zero_churn(out)  # about the one row returned, not the months before it
        out = out.drop(columns="period")
        out.attrs.update(freq=None)
        return out
    bridge = mrr_bridge(data, freq=freq, as_of=as_of)
    monthly = retention(data, freq="M", as_of=as_of)
    inputs = resolve(data, "subscriptions")
    alias = freq_alias(freq, inputs.fiscal_year_start)
    rates = pd.Series(monthly["logo_churn_rate"].to_numpy(float), index=pd.PeriodIndex(monthly["period"]))
    mean = rates.rolling(window_n, min_periods=1).mean()
    used = rates.notna().astype(int).rolling(window_n, min_periods=1).sum()
    last = pd.Series(np.arange(len(rates)), index=rates.index).groupby(pd.PeriodIndex(rates.index).asfreq(alias)).last()
    periods = pd.PeriodIndex(bridge["period"])
    at = last.reindex(periods).to_numpy()
    ok = ~np.isnan(at.astype(float))
    churn = np.full(len(periods), np.nan)
    months = np.zeros(len(periods), dtype="int64")
    churn[ok] = mean.to_numpy()[at[ok].astype(int)]
    months[ok] = used.to_numpy()[at[ok].astype(int)]
    out = pd.DataFrame({"period": periods, "arpa": bridge["arpa"].to_numpy(float), "monthly_logo_churn": churn,
                        "churn_months": months, "gross_margin": gross_margin})
    if method == "formula":
        out["expected_lifetime_months"] = ratio(1.0, churn)
    elif method == "sbg":
        first, churn_month, last_month, _ = _lifetimes(data, as_of)
        month_of = pd.PeriodIndex(periods).asfreq("M", how="E").asi8
        life, alphas, betas = np.full(len(periods), np.nan), np.full(len(periods), np.nan), np.full(len(periods), np.nan)
        for i, end in enumerate(np.minimum(month_of, last_month)):  # one fit per period, on the data up to its end
            model = _fit_accounts(first, churn_month, int(end))
            if model is not None:
                life[i] = model.expected_lifetime(horizon_n)
                alphas[i], betas[i] = model.alpha, model.beta
        out["expected_lifetime_months"] = life
        out["alpha"], out["beta"] = alphas, betas
    else:
        raise ValueError(f"method must be 'formula' or 'sbg', got {method!r}.")
    out["ltv"] = out["arpa"] * gross_margin * out["expected_lifetime_months"]
    cols = ["period", "arpa", "monthly_logo_churn", "churn_months", "gross_margin", "expected_lifetime_months", "ltv"]
    out = out[cols + [c for c in ("alpha", "beta") if c in out.columns]]
    out.attrs.update(currency=inputs.currency, freq=freq, method=method, window=f"{window_n}M",
                     horizon=f"{horizon_n}M" if method == "sbg" else None)
    if warn:
        _warn_zero_churn(out)
    return out


def _warn_zero_churn(table: pd.DataFrame) -> None:
    zero = (table["monthly_logo_churn"] == 0).to_numpy()
    if table.attrs.get("method") == "formula" and zero.any():
        shown = ", ".join(str(p) for p in table["period"][zero][:4]) + (" ..." if zero.sum() > 4 else "")
        warnings.warn(f"ltv: monthly logo churn is 0 in {int(zero.sum())} period(s) ({shown}), so LTV is undefined there "
                      "(NaN, not infinite); use a longer window= or method='sbg'.", DefinitionWarning, stacklevel=find_stack_level())


def _fit_accounts(first: np.ndarray, churn: np.ndarray, end_month: int) -> ShiftedBetaGeometric | None:
    """sBG fitted to every account's paid months up to ``end_month`` (churned: T = months paid; active: censored)."""
    seen = first <= end_month
    if not seen.any():
        return None
    f, c = first[seen], churn[seen]
    lost = (c >= 0) & (c <= end_month)
    paid = c[lost] - f[lost]  # months paid before the churn month
    alive = end_month - f[~lost]  # still active: T > this many months
    size = int(max(paid.max(initial=0), alive.max(initial=0))) + 1
    churned = np.bincount(paid, minlength=size).astype(float)
    censored = np.bincount(alive, minlength=size).astype(float)
    if not churned[1:].any():
        return None
    model = ShiftedBetaGeometric()
    model._fit(churned, censored)
    return model


# ----------------------------------------------------------------------------------------------------------
# one table
# ----------------------------------------------------------------------------------------------------------


@data_first("data")
def unit_economics(
    data: SalesData,
    /,
    *,
    gross_margin: float = 1.0,
    freq: str | None = "Q",
    lag: str | None = None,
    new_customers: NewCustomers = "subscriptions",
    method: Literal["formula", "sbg"] = "formula",
    window: str | int = "6M",
    as_of: Any = None,
    lag_months: int | None = None,
) -> pd.DataFrame:
    """ARPA, churn, LTV, CAC, LTV:CAC and CAC payback per period, each beside its inputs.

    Parameters
    ----------
    data : SalesData
        Needs subscriptions; spend for the cost side (without it CAC, LTV:CAC and
        payback are NaN, with a warning).
    gross_margin : float, default 1.0
        Share of revenue kept after the cost of serving it (0 < margin ≤ 1).
    freq : {"Q", "M", "Y"} or None, default "Q"
        Reporting period; None (all time) is one row: LTV at ``as_of`` beside the
        all-time CAC (see :func:`ltv` and :func:`cac`).
    lag : str, optional
        Spend lag in calendar months for CAC ("1M"); default none (see :func:`cac`).
    new_customers : {"subscriptions", "opportunities"}, default "subscriptions"
        Who counts as a new customer for CAC (see :func:`cac`).
    method : {"formula", "sbg"}, default "formula"
        How LTV's expected lifetime is estimated (see :func:`ltv`).
    window : str, default "6M"
        LTV's trailing churn window in calendar months (see :func:`ltv`).
    as_of : date-like, optional
        Default: the bundle's; nothing after it counts.
    lag_months : int, optional
        The 0.1 spelling of ``lag`` (deprecated, with a FutureWarning, until 0.3).

    Returns
    -------
    pandas.DataFrame
        ``period``, ``arpa``, ``monthly_logo_churn``, ``gross_margin``,
        ``expected_lifetime_months``, ``ltv``, ``spend``, ``new_customers``, ``cac``,
        ``ltv_cac``, ``avg_new_mrr``, ``payback_months``.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> ue = sm.unit_economics(sm.load_sample(), gross_margin=0.8, as_of="2025-09-30")
    >>> bool((ue["ltv_cac"].dropna() > 0).all())
    True
    """
    months = _lag(lag, lag_months, "unit_economics")
    value = ltv(data, gross_margin=gross_margin, window=window, method=method, freq=freq, as_of=as_of, warn=False)
    keys = ["period"] if freq is not None else []
    if getattr(data, "spend", None) is None:  # a billing export alone: the value side stands, the cost side is unknown
        warnings.warn("unit_economics: the bundle has no spend table, so CAC, LTV:CAC and CAC payback are not computed "
                      "(NaN); add spend (month, amount, channel) to include them.", DataQualityWarning, stacklevel=find_stack_level())
        cost = pd.DataFrame({**({"period": value["period"]} if keys else {}), "spend": np.nan, "new_customers": np.nan, "cac": np.nan,
                             "avg_new_mrr": np.nan, "payback_months": np.nan, "gross_margin": gross_margin}, index=value.index)
    else:
        cost = cac_payback(data, gross_margin=gross_margin, freq=freq, by=None, lag=f"{months}M",
                           new_customers=new_customers, as_of=as_of)
        if keys:
            value = value[value["period"].isin(cost["period"])].reset_index(drop=True)  # the periods the spend table reaches
    _warn_zero_churn(value)
    cost = cost.drop(columns=["gross_margin"])
    out = value.merge(cost, on=keys, how="left") if keys else pd.concat([value, cost.reset_index(drop=True)], axis=1)
    out["ltv_cac"] = ratio(out["ltv"], out["cac"])
    cols = [*keys, "arpa", "monthly_logo_churn", "gross_margin", "expected_lifetime_months", "ltv", "spend",
            "new_customers", "cac", "ltv_cac", "avg_new_mrr", "payback_months"]
    out = out[cols]
    out.attrs.update(value.attrs)
    out.attrs.update(lag_months=months, new_customers=new_customers)
    return out
