"""A synthetic B2B SaaS company, consistent end to end, with planted reorg signs.

Leads become MQLs, SQLs and opportunities; won deals become subscriptions
that expand, contract, churn and come back; reps with roles and teams are
hired, work leads, deals and accounts, and leave; marketing spends by
channel; customers answer CSAT and NPS surveys; leadership sets targets.

With ``scenario="reorg"`` the five signs of the seed article are planted and
described in ``company.planted``. Everything is vectorised over rows (loops
run over months or stages only), so tens of millions of rows take minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData

__all__ = ["Company", "make_company"]

_NONE = np.array(None, dtype=object)  # a missing value for np.where on object columns

Scenario = Literal["reorg", "healthy", "reorg_applied"]
Locale = Literal["en", "ko"]

SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
NEW_SEGMENT = "Digital Native"
DECLINING_SEGMENT = "Mid-Market"
REGIONS = ["North America", "EMEA", "APAC"]
CSAT_REGION = "APAC"
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Healthcare", "Financial Services", "Logistics", "Education", "Media"]
SOURCES = ["paid_search", "content", "events", "partners", "outbound", "referral"]
STAGES = ["Qualification", "Discovery", "Demo", "Proposal", "Negotiation"]

# role -> (team, head count per 2,000 accounts, monthly quit hazard)
ROLES: dict[str, tuple[str, float, float]] = {
    "MKT": ("Marketing", 4, 0.010),
    "SDR": ("SDR", 8, 0.015),
    "AE": ("New Business", 10, 0.010),
    "SE": ("Solutions Engineering", 3, 0.008),
    "AM": ("Account Management", 5, 0.008),
    "CSM": ("Customer Success", 5, 0.010),
    "OPS": ("Sales Ops", 2, 0.006),
}

_SEG = {  # segment -> (share of accounts, median ACV, cycle days mean, win prob, monthly churn, annual-billing share)
    "SMB": (0.50, 6_000, 28, 0.36, 0.022, 0.25),
    "Mid-Market": (0.32, 24_000, 55, 0.38, 0.012, 0.55),
    "Enterprise": (0.18, 90_000, 100, 0.30, 0.006, 0.85),
    NEW_SEGMENT: (0.0, 9_000, 35, 0.30, 0.025, 0.20),
}

_FIRST = np.array(["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
                   "Dana", "Robin", "Charlie", "Emerson", "Harper", "Kai", "Noor", "Mina", "Jun", "Lena"])
_LAST = np.array(["Kim", "Lee", "Park", "Smith", "Garcia", "Müller", "Rossi", "Dubois", "Tanaka", "Nguyen",
                  "Brown", "Silva", "Novak", "Cohen", "Okafor", "Singh", "Larsen", "Jensen", "Costa", "Ito"])
_WORD1 = np.array(["Blue", "North", "Bright", "Iron", "Silver", "Green", "Swift", "Clear", "Summit", "Harbor",
                   "Pioneer", "Atlas", "Nova", "Cedar", "Falcon", "Vertex", "Orbit", "Maple", "Coral", "Granite"])
_WORD2 = np.array(["Logistics", "Labs", "Systems", "Foods", "Health", "Capital", "Retail", "Works", "Media",
                   "Analytics", "Energy", "Robotics", "Learning", "Motors", "Partners", "Cloud", "Textiles", "Bio"])
_SUFFIX = np.array(["Inc.", "Ltd", "GmbH", "Co.", "S.A.", "LLC", "AG", "Group"])


@dataclass
class Company:
    """A generated company: canonical tables, what was planted, and its settings.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The canonical tables, by name (:func:`make_company` fills eleven; "reorg_applied" adds ``assignments``).
    planted : pandas.DataFrame
        The planted signs, as described under Attributes.
    timezone : str
        Reporting time zone (an IANA name); the time stamps are localised to it.
    currency : str
        Reporting currency (an ISO code).
    fiscal_year_start : int
        Month in which the fiscal year starts (1 in every generated company).
    seed : int
        The generator's seed.
    scenario : {"reorg", "healthy", "reorg_applied"}
        Whether the five signs are planted, or a reorg with a known effect.
    start : pandas.Timestamp
        First day of the history.
    end : pandas.Timestamp
        The day after the history's last day (an exclusive end).
    settings : dict, optional
        The other :func:`make_company` arguments (``accounts``, ``months``, ``start``), written
        to ``bundle.json`` beside ``seed`` and ``scenario``.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The canonical tables (naive wall-clock times are already
        localised to ``timezone``).
    planted : pandas.DataFrame
        One row per planted sign: ``sign``, ``scope_type``, ``scope``,
        ``metric``, ``periods``, ``description``. Empty for "healthy". For "reorg_applied": one row per
        new-business pod and Account Management, ``periods`` the reorg date and ``effect`` the true win-rate
        effect net of the company-wide drift (``REORG_EFFECT`` for the EMEA pod, 0 for the untouched teams).

    Examples
    --------
    >>> co = make_company(seed=1, accounts=50, months=18)
    >>> co.scenario, str(co.start.date()), str(co.end.date()), len(co.tables)
    ('reorg', '2022-10-01', '2024-04-01', 11)
    >>> co.accounts is co.tables["accounts"]  # each table is an attribute too
    True
    """

    tables: dict[str, pd.DataFrame]
    planted: pd.DataFrame
    timezone: str
    currency: str
    fiscal_year_start: int
    seed: int
    scenario: str
    start: pd.Timestamp
    end: pd.Timestamp
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        rows = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        return f"Company(seed={self.seed}, scenario={self.scenario!r}, {self.start.date()}–{self.end.date()}, {rows})"

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def to_sales_data(self, **kwargs: Any) -> SalesData:
        """Validate the tables into a :class:`~salesmetrics.SalesData`.

        Parameters
        ----------
        **kwargs
            Passed to :class:`~salesmetrics.SalesData` (``as_of``, ``on_invalid``, ...); they override the
            company's ``timezone``, ``currency`` and ``fiscal_year_start``, and its tables.

        Examples
        --------
        >>> data = make_company(seed=1, accounts=50, months=18).to_sales_data(as_of="2024-03-31")
        >>> data.timezone, str(data.as_of)
        ('America/New_York', '2024-03-31 00:00:00-04:00')
        """
        from ..data import SalesData

        options: dict[str, Any] = {**self.tables, "timezone": self.timezone, "currency": self.currency,
                                   "fiscal_year_start": self.fiscal_year_start, **kwargs}
        return SalesData(**options)

    def to_dir(self, path: str | Path, *, format: Literal["csv", "parquet"] = "csv") -> Path:
        """Write one file per table plus ``bundle.json`` (settings and the planted signs); return the folder.

        Parameters
        ----------
        path : str or pathlib.Path
            The folder, created (with its parents) when missing; files of the same names are overwritten.
        format : {"csv", "parquet"}, default "csv"
            The tables' file format. CSV writes aware time stamps with their UTC offset and dates as
            ``YYYY-MM-DD``, as :func:`~salesmetrics.read_dir` reads them back.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     folder = make_company(seed=1, accounts=50, months=18).to_dir(tmp)
        ...     sorted(p.name for p in folder.iterdir())[:3]
        ['accounts.csv', 'activities.csv', 'bundle.json']
        """
        import json

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables.items():
            if format == "csv":
                out = df.copy()
                for col in out.columns:
                    if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                        out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
                    elif pd.api.types.is_datetime64_dtype(out[col].dtype):
                        out[col] = out[col].dt.strftime("%Y-%m-%d")
                out.to_csv(folder / f"{name}.csv", index=False, float_format="%.10g", lineterminator="\n")
            else:
                df.to_parquet(folder / f"{name}.parquet", index=False)
        meta = {"timezone": self.timezone, "currency": self.currency, "fiscal_year_start": self.fiscal_year_start,
                "generator": {"seed": self.seed, "scenario": self.scenario, **self.settings},
                "planted": self.planted.to_dict(orient="records")}
        (folder / "bundle.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return folder


# ----------------------------------------------------------------------------------------------------------
# small vectorised helpers
# ----------------------------------------------------------------------------------------------------------


def _ids(prefix: str, n: int, start: int = 1) -> np.ndarray:
    width = max(5, len(str(start + n)))
    if n <= 0:  # none to number (a small company may have no win-backs, say): numpy's zfill fails on an empty array
        return np.array([], dtype=object)
    return np.char.add(prefix, np.char.zfill(np.arange(start, start + n).astype(str), width)).astype(object)


def _plus(stamps: Any, n: Any) -> Any:
    """``stamps + n`` in the stamps' own unit (days for datetime64[D], minutes for [m]): numpy 2.5 no longer reads a
    bare integer as one."""
    return stamps + np.asarray(n).astype(f"timedelta64[{np.datetime_data(np.asarray(stamps).dtype)[0]}]")


def _nat_where(missing: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """``stamps`` with NaT where ``missing``, in the stamps' own unit."""
    return np.where(missing, np.array("NaT", dtype=stamps.dtype), stamps)


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Add whole months to datetime64[D] dates, clipping the day to the month's length."""
    days = days.astype("datetime64[D]")
    month0 = days.astype("datetime64[M]")
    day_of_month = (days - month0.astype("datetime64[D]")).astype(int)
    target = month0 + np.asarray(months).astype(int)
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int)
    return target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)


def _work_time(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Naive local time stamps on the given dates, mostly inside 08:00–19:00."""
    minutes = np.where(rng.random(len(days)) < 0.9, rng.integers(8 * 60, 19 * 60, len(days)), rng.integers(0, 24 * 60, len(days)))
    return days.astype("datetime64[D]").astype("datetime64[m]") + minutes.astype("timedelta64[m]")


def _choice(rng: np.random.Generator, options: list[str] | np.ndarray, p: Any, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p / p.sum())]


REORG_EFFECT = 0.12
"""scenario="reorg_applied": the EMEA pod's win-rate gain from the reorg, in points (0.12 = 12 points)."""
REORG_DRIFT = 0.05
"""scenario="reorg_applied": the company-wide win-rate drift at the reorg date, in points, on every team."""
_POD = "New Business {}"


@dataclass
class _Applied:
    """A planted reorg: its date, each rep's team (by position), the effect per team and the drift everywhere."""

    at: np.datetime64
    team_of_rep: np.ndarray
    effect: dict[str, float]
    drift: float
    assignments: pd.DataFrame
    movers: list[str]


def _pods(reps: pd.DataFrame, day: np.datetime64, seed: int) -> _Applied:
    """Regional AE pods, and the reorg of ``day``: two SEs join the EMEA pod as AEs, SDRs split into SDR and BDR.
    ``reps`` is changed in place to the current teams and roles; the assignments record the history. A generator
    of its own (from ``seed``) picks the movers, so the company's other tables draw exactly as "healthy"."""
    pick = np.random.default_rng([seed, 2026])
    ae = (reps["role"] == "AE").to_numpy()
    reps.loc[ae, "team"] = [_POD.format(r) for r in reps.loc[ae, "region"]]
    when = pd.Timestamp(day)
    hired = reps["hired_at"].dt.normalize()
    gone = reps["terminated_at"].dt.normalize() + pd.Timedelta(days=1)  # the exclusive end: the day after the last
    active = (hired <= when) & (reps["terminated_at"].isna() | (gone > when + pd.Timedelta(days=1)))
    ses = np.flatnonzero(((reps["role"] == "SE") & active).to_numpy())
    movers = pick.choice(ses, size=min(2, len(ses)), replace=False) if len(ses) else np.array([], dtype=int)
    sdrs = np.flatnonzero(((reps["role"] == "SDR") & active).to_numpy())
    bdrs = pick.choice(sdrs, size=len(sdrs) // 2, replace=False) if len(sdrs) else np.array([], dtype=int)
    rows: list[tuple[Any, ...]] = []
    for i, rep in enumerate(reps.itertuples(index=False)):
        start, end = hired.iloc[i], gone.iloc[i] if pd.notna(gone.iloc[i]) else pd.NaT
        if i in movers:
            rows += [(rep.rep_id, "Solutions Engineering", "SE", start, when), (rep.rep_id, _POD.format("EMEA"), "AE", when, end)]
            reps.loc[reps.index[i], ["team", "role", "region"]] = [_POD.format("EMEA"), "AE", "EMEA"]
        elif i in bdrs:
            rows += [(rep.rep_id, "SDR", "SDR", start, when), (rep.rep_id, "SDR", "BDR", when, end)]
            reps.loc[reps.index[i], "role"] = "BDR"
        elif i in sdrs:
            rows += [(rep.rep_id, "SDR", "SDR", start, when), (rep.rep_id, "SDR", "SDR", when, end)]  # the team rebuilt
        else:
            rows.append((rep.rep_id, rep.team, rep.role, start, end))
    plan = pd.DataFrame(rows, columns=["rep_id", "team", "role", "start_date", "end_date"])
    teams = reps["team"].to_numpy(object).copy()
    teams[movers] = "Solutions Engineering"  # they sell no deals while SEs; as AEs the generator never picks them
    effect = {_POD.format("EMEA"): REORG_EFFECT}
    return _Applied(day, teams, effect, REORG_DRIFT, plan, [str(r) for r in reps["rep_id"].to_numpy()[movers]])


class _Staff:
    """Who holds each role in each month, for assigning owners to events."""

    def __init__(self, reps: pd.DataFrame, month_starts: np.ndarray) -> None:
        self.month_starts = month_starts
        self.table: dict[str, np.ndarray] = {}
        self.count: dict[str, np.ndarray] = {}
        hired = reps["hired_at"].to_numpy("datetime64[m]")
        left = reps["terminated_at"].to_numpy("datetime64[m]")
        mid = month_starts.astype("datetime64[m]") + np.timedelta64(15 * 24 * 60, "m")
        for role in ROLES:
            idx = np.flatnonzero(reps["role"].to_numpy() == role)
            active = (hired[idx][None, :] <= mid[:, None]) & (np.isnat(left[idx])[None, :] | (left[idx][None, :] > mid[:, None]))
            order = np.argsort(~active, axis=1, kind="stable")
            self.table[role] = idx[order] if len(idx) else np.zeros((len(mid), 1), dtype=int)
            self.count[role] = active.sum(axis=1)

    def pick(self, rng: np.random.Generator, role: str, month: np.ndarray) -> np.ndarray:
        """A random active rep index (or -1 when the role is empty) per event month."""
        month = np.clip(month, 0, len(self.month_starts) - 1)
        count = self.count[role][month]
        k = np.floor(rng.random(len(month)) * np.maximum(count, 1)).astype(int)
        out = self.table[role][month, np.minimum(k, self.table[role].shape[1] - 1)]
        return np.where(count > 0, out, -1)


# ----------------------------------------------------------------------------------------------------------
# the company
# ----------------------------------------------------------------------------------------------------------


def make_company(
    seed: int = 7,
    accounts: int = 2_000,
    months: int = 36,
    scenario: Scenario = "reorg",
    *,
    start: str = "2022-10-01",
    timezone: str | None = None,
    currency: str | None = None,
    locale: Locale = "en",
    reorg_at: str | None = None,
) -> Company:
    """Generate a synthetic B2B SaaS company.

    Parameters
    ----------
    seed : int, default 7
        Seed for numpy's PCG64 generator; the same seed gives identical tables.
    accounts : int, default 2000
        Accounts (prospects and customers), at least 50. Other tables scale with it:
        about 3 leads, 0.6 opportunities and 30 activities per account. Every seed
        works at every size, but below a few hundred accounts the planted signs are
        thin: the declining segment may close too few deals for its bookings to fall
        in every quarter (its win rate still drops), and ``planted`` then says so.
    months : int, default 36
        Length of the history, ending the day before ``start + months``.
        The reorg signs are planted in the last four quarters, so use 18+.
    scenario : {"reorg", "healthy", "reorg_applied"}, default "reorg"
        "reorg" plants the five signs (see ``Company.planted``); "healthy"
        plants none. "reorg_applied" is a healthy company that reorganises on ``reorg_at``: AEs sit in
        three regional pods ("New Business North America", "... EMEA", "... APAC"); on the date two
        Solutions Engineers move into the EMEA pod as AEs and the SDR team is split into SDR (inbound)
        and BDR (outbound) roles, all recorded in an ``assignments`` table. The EMEA pod's new-business
        win rate rises by ``REORG_EFFECT`` after the date; every team's win rate (new business and
        expansions) drifts up by ``REORG_DRIFT`` at the same time, which a comparison with the untouched
        pods must remove. ``planted`` gives each pod's and Account Management's true net effect.
    start : str, default "2022-10-01"
        First day of the history (the first day of a month; a quarter start
        keeps the planted quarters aligned with calendar quarters).
    timezone, currency : str, optional
        Reporting time zone and currency (default: America/New_York and USD; Asia/Seoul and KRW with
        ``locale="ko"``). In KRW every amount is in won (dollar figures × 1,350, whole won). A share of
        the overseas business is in EUR, converted through the generated ``fx_rates``.
    locale : {"en", "ko"}, default "en"
        "ko" gives a Korean company: account and rep names, segments, regions, team names and survey
        comments in Hangul (the planted scopes follow). The numbers are the same as for "en".
    reorg_at : str, optional
        For "reorg_applied": the reorg date (default: six months before the history ends). It needs three
        months of history after it and six before.

    Returns
    -------
    Company

    Examples
    --------
    >>> from salesmetrics.datasets import make_company
    >>> co = make_company(seed=1, accounts=300, months=24)
    >>> sorted(co.tables)[:3]
    ['accounts', 'activities', 'fx_rates']
    >>> co.planted["sign"].unique().tolist()
    ['declining_sales', 'rep_turnover', 'unclear_roles', 'market_response', 'customer_satisfaction']
    >>> ko = make_company(seed=1, accounts=300, months=24, locale="ko")
    >>> ko.timezone, ko.currency, ko.planted.loc[0, "scope"]
    ('Asia/Seoul', 'KRW', '중견기업')
    """
    if locale not in ("en", "ko"):
        raise ValueError(f"locale must be 'en' or 'ko', got {locale!r}.")
    timezone = timezone or ("Asia/Seoul" if locale == "ko" else "America/New_York")
    currency = currency or ("KRW" if locale == "ko" else "USD")
    if scenario not in ("reorg", "healthy", "reorg_applied"):
        raise ValueError(f"scenario must be 'reorg', 'healthy' or 'reorg_applied', got {scenario!r}.")
    if reorg_at is not None and scenario != "reorg_applied":
        raise ValueError("reorg_at is for scenario='reorg_applied'.")
    if months < 18:
        raise ValueError(f"months must be at least 18 so the planted quarters fit, got {months}.")
    if accounts < 50:
        raise ValueError(f"accounts must be at least 50, got {accounts}.")
    start_ts = pd.Timestamp(start)
    if start_ts != start_ts.normalize() or start_ts.day != 1:
        raise ValueError(f"start must be the first day of a month, got {start!r}.")
    reorg = scenario == "reorg"
    rng = np.random.default_rng(seed)
    M = months
    month_starts = (np.datetime64(start_ts.date(), "M") + np.arange(M + 1)).astype("datetime64[D]")
    end_day = month_starts[M]  # exclusive
    end_min = end_day.astype("datetime64[m]")
    last4q = M - 12  # first month of the last four quarters
    last2q = M - 6
    scale = accounts / 2_000

    # -- reps ----------------------------------------------------------------------------------------------
    reps = _make_reps(rng, scale, M, month_starts, reorg, last4q)
    staff = _Staff(reps, month_starts[:M])
    applied = None
    if scenario == "reorg_applied":
        day = np.datetime64(pd.Timestamp(reorg_at).date(), "D") if reorg_at is not None else month_starts[M - 6]
        if not month_starts[0] + np.timedelta64(180, "D") <= day <= month_starts[M] - np.timedelta64(90, "D"):
            raise ValueError(f"reorg_at must leave six months of history before it and three after, got {reorg_at!r} "
                             f"(history {month_starts[0]} to {month_starts[M] - np.timedelta64(1, 'D')}).")
        applied = _pods(reps, day, seed)  # after the staff table: the generator draws owners as for "healthy"

    # -- accounts -----------------------------------------------------------------------------------------
    n_initial = round(accounts * 0.12)
    n_new_seg = round(accounts * 0.06) if reorg else 0
    n_prospect = accounts - n_initial - n_new_seg
    # prospects arrive from ten months before the history starts, so the lead stream is steady from month one
    lead_in = 10
    growth = 1.012 ** np.arange(M + lead_in)
    created_m = np.concatenate([
        np.full(n_initial, -1),
        rng.choice(M + lead_in, size=n_prospect, p=growth / growth.sum()) - lead_in,
        last4q - 3 + rng.choice(15, size=n_new_seg, p=(np.arange(1, 16) ** 1.6) / (np.arange(1, 16) ** 1.6).sum()),
    ])
    seg_share = [_SEG[s][0] for s in SEGMENTS]
    segment = np.concatenate([_choice(rng, SEGMENTS, seg_share, n_initial + n_prospect), np.full(n_new_seg, NEW_SEGMENT, dtype=object)])
    n_acc = len(segment)
    region = _choice(rng, REGIONS, [0.5, 0.3, 0.2], n_acc)
    day_in_month = rng.integers(0, 28, n_acc)
    initial = np.arange(n_acc) < n_initial  # customers when the history starts
    first_month = month_starts[0].astype("datetime64[M]")
    acc_created_day = np.where(
        initial,
        month_starts[0] - rng.integers(40, 4 * 365, n_acc).astype("timedelta64[D]"),
        (first_month + np.clip(created_m, -lead_in, M - 1)).astype("datetime64[D]") + day_in_month.astype("timedelta64[D]"),
    )
    acc_created = _work_time(rng, acc_created_day)
    order = np.argsort(acc_created, kind="stable")
    segment, region, created_m, initial, acc_created = segment[order], region[order], created_m[order], initial[order], acc_created[order]
    account_id = _ids("ACC-", n_acc)
    names = np.char.add(np.char.add(np.char.add(_WORD1[rng.integers(0, len(_WORD1), n_acc)], " "),
                                    np.char.add(_WORD2[rng.integers(0, len(_WORD2), n_acc)], " ")),
                        _SUFFIX[rng.integers(0, len(_SUFFIX), n_acc)]).astype(object)
    accounts_df = pd.DataFrame({
        "account_id": account_id,
        "name": names,
        "segment": segment,
        "industry": _choice(rng, INDUSTRIES, np.ones(len(INDUSTRIES)), n_acc),
        "region": region,
        "created_at": acc_created,
    })

    # -- leads --------------------------------------------------------------------------------------------
    leads, lead_month = _make_leads(rng, accounts_df, ~initial, staff, month_starts, M, reorg, last4q)

    # -- opportunities (new business) ----------------------------------------------------------------------
    fx = _make_fx(rng, month_starts, acc_created.min())
    opps, decline_complete = _make_new_business(rng, leads, lead_month, accounts_df, staff, month_starts, M, reorg, last4q, end_min, fx,
                                                applied)

    # -- subscriptions, expansions, contractions, churn, win-backs ----------------------------------------
    subs, extra_opps, satisfaction = _make_revenue(rng, accounts_df, initial, opps, staff, month_starts, M, reorg, last4q, end_day, fx,
                                                   applied)
    opps = pd.concat([opps, extra_opps], ignore_index=True)
    opps = opps.sort_values("created_at", kind="stable").reset_index(drop=True)
    opps["opportunity_id"] = opps["opportunity_id"].astype(object)
    stage_history = _make_stage_history(rng, opps, end_min)

    activities = _make_activities(rng, leads, opps, subs, accounts_df, reps, staff, month_starts, M, reorg, last2q, end_min)
    surveys = _make_surveys(rng, subs, accounts_df, satisfaction, month_starts, M)
    spend = _make_spend(rng, leads, reps, month_starts, M)
    targets = _make_targets(opps, leads, month_starts, M)

    # -- finish: ids back to owners, local times to the time zone ------------------------------------------
    opps = opps.drop(columns="_segment")
    rep_ids = reps["rep_id"].to_numpy()
    for frame in (leads, opps, activities):
        idx = frame.pop("_owner").to_numpy()
        frame.insert(list(frame.columns).index("created_at" if "created_at" in frame else "occurred_at") + 1, "owner_id",
                     np.where(idx >= 0, rep_ids[np.maximum(idx, 0)], None))
    tables = {
        "accounts": accounts_df,
        "reps": reps,
        "leads": leads,
        "opportunities": opps,
        "stage_history": stage_history,
        "subscriptions": subs,
        "activities": activities,
        "spend": spend,
        "surveys": surveys,
        "targets": targets,
        "fx_rates": fx,
    }
    if applied is not None:  # the pods share the New Business target; the org's history is in assignments
        pods = [_POD.format(r) for r in REGIONS]
        nb = targets["scope"] == "New Business"
        targets = pd.concat([targets[~nb]] + [targets[nb].assign(scope=p) for p in pods], ignore_index=True)
        tables["targets"] = targets
        tables["assignments"] = applied.assignments
    for df in tables.values():
        for col in df.columns:
            if col.endswith("_at"):
                local = pd.to_datetime(df[col]).dt.as_unit("ns")
                df[col] = local.dt.tz_localize(timezone, ambiguous=np.ones(len(df), dtype=bool), nonexistent="shift_forward")
            elif col in ("start_date", "end_date", "month", "date"):
                df[col] = pd.to_datetime(df[col]).dt.as_unit("ns")
    planted = _planted(reorg, month_starts, M, decline_complete) if applied is None else _planted_reorg(applied, month_starts, M)
    if currency == "KRW":
        _to_won(tables)
    if locale == "ko":
        planted = _korean(tables, planted, seed)
    return Company(
        tables=tables, planted=planted, timezone=timezone, currency=currency, fiscal_year_start=1, seed=seed,
        scenario=scenario, start=pd.Timestamp(month_starts[0]), end=pd.Timestamp(end_day),
        settings={"accounts": accounts, "months": months, "start": str(start_ts.date())},
    )


def _quarter_label(day: np.datetime64) -> str:
    return str(pd.Timestamp(day).to_period("Q"))


def _planted_reorg(applied: _Applied, month_starts: np.ndarray, M: int) -> pd.DataFrame:
    """scenario="reorg_applied": the true effect of the reorg on each team's win rate, net of the drift."""
    at = str(pd.Timestamp(applied.at).date())
    drift = f"{applied.drift * 100:.0f} points"
    rows = [("reorg_effect", "team", _POD.format(r), "win_rate", at, applied.effect.get(_POD.format(r), 0.0),
             f"new-business win rate after {at}: +{applied.effect.get(_POD.format(r), 0.0) * 100:.0f} points from the reorg"
             f" on top of the company-wide +{drift}" if applied.effect.get(_POD.format(r)) else
             f"untouched: only the company-wide +{drift} after {at}") for r in REGIONS]
    rows.append(("reorg_effect", "team", "Account Management", "win_rate", at, 0.0,
                 f"untouched: expansions' win rate drifts up by the company-wide +{drift} after {at}"))
    return pd.DataFrame(rows, columns=["sign", "scope_type", "scope", "metric", "periods", "effect", "description"])


def _planted(reorg: bool, month_starts: np.ndarray, M: int, decline_complete: bool = True) -> pd.DataFrame:
    cols = ["sign", "scope_type", "scope", "metric", "periods", "description"]
    if not reorg:
        return pd.DataFrame(columns=cols)
    q4 = f"{_quarter_label(month_starts[M - 12])}–{_quarter_label(month_starts[M - 1])}"
    q2 = f"{_quarter_label(month_starts[M - 6])}–{_quarter_label(month_starts[M - 1])}"
    decline = (f"{DECLINING_SEGMENT} new-business bookings fall four quarters running because its win rate drops; lead and opportunity volume hold."
               if decline_complete else
               f"{DECLINING_SEGMENT} new-business win rate drops four quarters running; at this size the segment closes too few deals "
               "for its bookings to fall in every quarter (use more accounts for that).")
    rows = [
        ("declining_sales", "segment", DECLINING_SEGMENT, "bookings", q4, decline),
        ("rep_turnover", "team", "SDR", "attrition", q4,
         "SDR attrition runs several times the rest of the company and leavers are only partly back-filled, so the SDR team shrinks."),
        ("unclear_roles", "role", "AM,AE", "overlap", q2,
         "AMs and AEs both work the same Enterprise accounts and deals: AMs log activity on new-business deals, AEs on existing customers."),
        ("rep_turnover", "team", "SDR", "sla_compliance", q4,
         "with fewer SDRs each carries more MQLs, first contact slows and 24-hour SLA compliance falls."),
        ("market_response", "segment", NEW_SEGMENT, "lead_conversion", q4,
         f"a new segment, {NEW_SEGMENT}, brings more leads every quarter while its conversion collapses; most of its leads have no owner."),
        ("customer_satisfaction", "region", CSAT_REGION, "csat", q4,
         f"CSAT falls in {CSAT_REGION}, and accounts with low satisfaction churn more."),
    ]
    return pd.DataFrame(rows, columns=cols)


def _make_reps(rng: np.random.Generator, scale: float, M: int, month_starts: np.ndarray, reorg: bool, last4q: int) -> pd.DataFrame:
    roles: list[str] = []
    hired: list[np.ndarray] = []
    left: list[np.ndarray] = []
    for role, (_team, base, hazard) in ROLES.items():
        n0 = max(1, round(base * scale))
        # initial staff, hired up to four years before the history starts
        h = month_starts[0] - rng.integers(30, 4 * 365, n0).astype("timedelta64[D]")
        term = np.full(n0, np.datetime64("NaT", "D"), dtype="datetime64[D]")
        alive = np.ones(n0, dtype=bool)
        hires_h = [h]
        terms = [term]
        pending_backfill: list[tuple[int, int]] = []  # (month due, count)
        sched_idx = np.array([], dtype=int)
        sched_m = np.array([], dtype=int)
        for m in range(M):
            cur_h = np.concatenate(hires_h)
            cur_t = np.concatenate(terms)
            alive = (cur_h <= month_starts[m]) & np.isnat(cur_t)
            surge = reorg and role == "SDR" and m >= last4q
            if surge and m == last4q:
                # planted: 60% of the SDRs in post when the last four quarters begin leave during them
                alive_idx = np.flatnonzero(alive)
                sched_idx = rng.choice(alive_idx, size=int(np.ceil(0.6 * len(alive_idx))), replace=False)
                sched_m = rng.integers(last4q, M, size=len(sched_idx))
            quits = alive & (rng.random(len(alive)) < (0.04 if surge else hazard))
            due_now = sched_idx[sched_m == m]
            quits[due_now[alive[due_now]]] = True
            if quits.any():
                day = month_starts[m] + rng.integers(0, 28, int(quits.sum())).astype("timedelta64[D]")
                cur_t = cur_t.copy()
                cur_t[quits] = day
                terms = [cur_t]
                hires_h = [cur_h]
                backfill = int(quits.sum()) if not surge else int(rng.binomial(int(quits.sum()), 0.4))
                if backfill:
                    pending_backfill.append((m + 2, backfill))
            # growth hires: teams grow with the business (not SDR once the surge starts)
            grow = rng.poisson(0.012 * max(1, n0)) if not (reorg and role == "SDR" and m >= last4q - 2) else 0
            due = sum(c for mm, c in pending_backfill if mm == m) + grow
            if due:
                hires_h.append(month_starts[m] + rng.integers(0, 28, due).astype("timedelta64[D]"))
                terms.append(np.full(due, np.datetime64("NaT", "D"), dtype="datetime64[D]"))
        all_h = np.concatenate(hires_h)
        all_t = np.concatenate(terms)
        roles.extend([role] * len(all_h))
        hired.append(all_h)
        left.append(all_t)
    hired_d = np.concatenate(hired)
    left_d = np.concatenate(left)
    role_arr = np.asarray(roles, dtype=object)
    n = len(role_arr)
    order = np.lexsort((left_d.astype("int64"), hired_d.astype("int64")))
    role_arr, hired_d, left_d = role_arr[order], hired_d[order], left_d[order]
    rep_id = _ids("REP-", n)
    team = np.array([ROLES[r][0] for r in role_arr], dtype=object)
    # each team's longest-serving member manages it; managers report to the first OPS lead
    manager = np.full(n, None, dtype=object)
    for t in np.unique(team):
        members = np.flatnonzero(team == t)
        manager[members[1:]] = rep_id[members[0]]
    return pd.DataFrame({
        "rep_id": rep_id,
        "name": np.char.add(np.char.add(_FIRST[rng.integers(0, len(_FIRST), n)], " "), _LAST[rng.integers(0, len(_LAST), n)]).astype(object),
        "team": team,
        "role": role_arr,
        "hired_at": _work_time(rng, hired_d),
        "terminated_at": _nat_where(np.isnat(left_d), _work_time(rng, np.where(np.isnat(left_d), hired_d, left_d))),
        "manager_id": manager,
        "region": _choice(rng, REGIONS, [0.5, 0.3, 0.2], n),
    })


def _month_of(ts: np.ndarray, month_starts: np.ndarray) -> np.ndarray:
    return np.searchsorted(month_starts, ts.astype("datetime64[D]"), side="right") - 1


def _make_leads(rng: np.random.Generator, accounts: pd.DataFrame, prospect: np.ndarray, staff: _Staff, month_starts: np.ndarray,
                M: int, reorg: bool, last4q: int) -> tuple[pd.DataFrame, np.ndarray]:
    acc_idx0 = np.flatnonzero(prospect)
    extra = rng.poisson(3.2, len(acc_idx0))
    acc_idx = np.repeat(acc_idx0, 1 + extra)
    first = np.concatenate([[True], acc_idx[1:] != acc_idx[:-1]])
    created = accounts["created_at"].to_numpy("datetime64[m]")[acc_idx]
    later = _work_time(rng, created.astype("datetime64[D]") + rng.integers(10, 300, len(acc_idx)).astype("timedelta64[D]"))
    created = np.where(first, created, later)
    end_min = month_starts[M].astype("datetime64[m]")
    keep = (created < end_min) & (created >= month_starts[0].astype("datetime64[m]"))
    acc_idx, created = acc_idx[keep], created[keep]
    n = len(acc_idx)
    segment = accounts["segment"].to_numpy()[acc_idx]
    month = _month_of(created, month_starts)
    is_new = segment == NEW_SEGMENT
    src_p = np.array([0.26, 0.20, 0.14, 0.12, 0.18, 0.10])
    source = _choice(rng, SOURCES, src_p, n)
    source[is_new] = _choice(rng, SOURCES, [0.5, 0.35, 0.05, 0.05, 0.03, 0.02], int(is_new.sum()))
    score = np.clip(rng.normal(52, 20, n) + np.where(source == "referral", 12, 0) + np.where(source == "events", -6, 0), 0, 100).round()
    # MQL rule in force: score >= 40
    mql = score >= 40
    mql_at = created + (rng.exponential(20, n) * 60).astype("timedelta64[m]")
    # SDR response: load per SDR drives the delay
    mql_month = _month_of(mql_at, month_starts)
    mql_count = np.bincount(np.clip(mql_month[mql], 0, M - 1), minlength=M).astype(float)
    sdrs = np.maximum(staff.count["SDR"], 0.5).astype(float)
    load = mql_count / sdrs
    base_load = np.median(load[: max(6, M // 3)])
    mean_delay_h = 7.0 * np.clip(load / base_load, 0.5, 6) ** 2
    owner = staff.pick(rng, "SDR", month)
    q_since = np.clip((month - (last4q - 3)) // 3, 0, 4)
    unowned_new = is_new & (rng.random(n) < (np.array([0.1, 0.3, 0.5, 0.65, 0.75])[q_since] if reorg else 0.0))
    owner = np.where(unowned_new, -1, owner)
    delay_h = rng.exponential(mean_delay_h[np.clip(mql_month, 0, M - 1)])
    never = (owner < 0) | (rng.random(n) < 0.03 * np.clip(load / base_load, 1, 4)[np.clip(mql_month, 0, M - 1)])
    first_touch = mql_at + (delay_h * 60).astype("timedelta64[m]")
    touched = mql & ~never
    # SQL: faster response converts better
    p_sql = 0.50 * np.where(delay_h <= 24, 1.0, 0.72) * (0.6 + score / 125)
    if reorg:
        p_sql = np.where(is_new, p_sql * np.array([1.0, 0.75, 0.5, 0.3, 0.2])[q_since], p_sql)
    sql = touched & (rng.random(n) < p_sql)
    sql_at = first_touch + (rng.gamma(2.0, 3.0, n) * 24 * 60).astype("timedelta64[m]")
    sql = sql & (sql_at < end_min)
    disq = mql & ~sql & (rng.random(n) < 0.75)
    disq_at = mql_at + (rng.gamma(3.0, 5.0, n) * 24 * 60).astype("timedelta64[m]")
    disq = disq & (disq_at < end_min)
    mql = mql & (mql_at < end_min)
    nat = np.datetime64("NaT", "m")
    leads = pd.DataFrame({
        "lead_id": _ids("L-", n),
        "created_at": created,
        "_owner": owner,
        "source": source,
        "account_id": accounts["account_id"].to_numpy()[acc_idx],
        "mql_at": np.where(mql, mql_at, nat),
        "sql_at": np.where(sql, sql_at, nat),
        "disqualified_at": np.where(disq, disq_at, nat),
        "opportunity_id": None,
        "score": score,
        "segment": segment,
        "_first_touch": np.where(touched & (first_touch < end_min), first_touch, nat),
    })
    order = np.argsort(leads["created_at"].to_numpy(), kind="stable")
    leads = leads.iloc[order].reset_index(drop=True)
    leads["lead_id"] = _ids("L-", n)
    return leads, _month_of(leads["created_at"].to_numpy("datetime64[m]"), month_starts)


def _cycle_and_amount(rng: np.random.Generator, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    median_acv = pd.Series(segment).map({k: v[1] for k, v in _SEG.items()}).to_numpy(float)
    cycle_mean = pd.Series(segment).map({k: v[2] for k, v in _SEG.items()}).to_numpy(float)
    amount = np.round(median_acv * rng.lognormal(0, 0.45, len(segment)), -2)
    cycle = rng.gamma(3.0, cycle_mean / 3.0)
    return amount, cycle


def _make_new_business(rng: np.random.Generator, leads: pd.DataFrame, lead_month: np.ndarray, accounts: pd.DataFrame, staff: _Staff,
                       month_starts: np.ndarray, M: int, reorg: bool, last4q: int, end_min: np.datetime64,
                       fx: pd.DataFrame, applied: _Applied | None = None) -> tuple[pd.DataFrame, bool]:
    """New-business opportunities from the SQLs, and whether the sales decline is planted in full (see _plant_decline)."""
    sql_at = leads["sql_at"].to_numpy("datetime64[m]")
    has = ~np.isnat(sql_at) & (rng.random(len(leads)) < 0.88)
    li = np.flatnonzero(has)
    created = sql_at[li] + (rng.gamma(2.0, 1.0, len(li)) * 24 * 60).astype("timedelta64[m]")
    ok = created < end_min
    li, created = li[ok], created[ok]
    n = len(li)
    segment = leads["segment"].to_numpy()[li]
    amount, cycle = _cycle_and_amount(rng, segment)
    close = created + (cycle * 24 * 60).astype("timedelta64[m]")
    close_month = _month_of(close, month_starts)
    p_win = pd.Series(segment).map({k: v[3] for k, v in _SEG.items()}).to_numpy(float)
    p_win = p_win * (0.75 + leads["score"].to_numpy()[li] / 200)
    if reorg:
        dq = np.clip((close_month - (last4q - 3)) // 3, 0, 4)
        p_win = np.where(segment == NEW_SEGMENT, p_win * np.array([0.9, 0.5, 0.3, 0.15, 0.1])[dq], p_win)
    acc = leads["account_id"].to_numpy()[li]
    region = accounts.set_index("account_id")["region"].reindex(acc).to_numpy()
    eur = (region == "EMEA") & (rng.random(n) < 0.6)
    draw = rng.random(n)
    won = draw < p_win
    if reorg:
        reporting = np.where(eur, np.round(amount / 1.08, -2) * _fx_at(fx, close), amount)
        won, decline_complete = _plant_decline(rng, won, p_win, segment, close_month, reporting, close < end_min, last4q)
    else:
        decline_complete = True
    closed = close < end_min
    owner = staff.pick(rng, "AE", _month_of(created, month_starts))
    if applied is not None:  # after the reorg: the company-wide drift, and the pod's own effect (same draws)
        team = np.where(owner >= 0, applied.team_of_rep[np.maximum(owner, 0)], "")
        bump = applied.drift + np.array([applied.effect.get(t, 0.0) for t in team])
        won = np.where(close >= applied.at.astype("datetime64[m]"), draw < np.clip(p_win + bump, 0, 1), won)
    status = np.where(closed, np.where(won, "won", "lost"), "open").astype(object)
    lead_ids = leads["lead_id"].to_numpy()[li]
    opp_ids = _ids("OPP-", n)
    leads.loc[li, "opportunity_id"] = opp_ids
    return pd.DataFrame({
        "opportunity_id": opp_ids,
        "created_at": created,
        "_owner": owner,
        "status": status,
        "closed_at": np.where(closed, close, np.datetime64("NaT", "m")),
        "amount": np.where(eur, np.round(amount / 1.08, -2), amount),
        "account_id": acc,
        "type": "new_business",
        "stage": None,
        "lead_id": lead_ids,
        "source": leads["source"].to_numpy()[li],
        "currency": np.where(eur, "EUR", _NONE),
        "_segment": segment,
    }), decline_complete


def _plant_decline(rng: np.random.Generator, won: np.ndarray, p_win: np.ndarray, segment: np.ndarray, close_month: np.ndarray,
                   amount: np.ndarray, closed: np.ndarray, last4q: int) -> tuple[np.ndarray, bool]:
    """Lower the declining segment's win rate over the last four quarters until its bookings fall every quarter.

    Returns the outcomes and whether bookings fall in every quarter. A small company may close too few
    deals in the segment for that (a quarter without a closed deal books nothing, and nothing can fall
    below nothing): after 500 draws it keeps the draw with the fewest rises, its win rate lowered all
    the same, and returns False. Companies that reach a full decline draw exactly as before.
    """
    seg = (segment == DECLINING_SEGMENT) & closed
    q = (close_month - last4q) // 3  # -1 = the quarter before the decline, 0..3 = the four falling quarters
    factor = np.array([0.78, 0.6, 0.44, 0.3])
    in_window = seg & (q >= 0) & (q <= 3)
    base = seg & (q == -1)
    out = won.copy()
    best, fewest = won, 5
    for _ in range(500):
        draw = rng.random(len(won))
        out[in_window] = draw[in_window] < p_win[in_window] * factor[np.clip(q[in_window], 0, 3)]
        out[base] = draw[base] < p_win[base]
        bookings = np.array([amount[seg & (q == k) & out].sum() for k in range(-1, 4)])
        rises = int(np.sum(np.diff(bookings) >= 0))
        if rises == 0:
            return out, True
        if rises < fewest:
            best, fewest = out.copy(), rises
    return best, False


def _make_fx(rng: np.random.Generator, month_starts: np.ndarray, earliest: np.datetime64) -> pd.DataFrame:
    first = min(np.asarray(earliest).astype("datetime64[M]"), month_starts[0].astype("datetime64[M]")) - np.timedelta64(1, "M")
    months = np.arange(first, month_starts[-1].astype("datetime64[M]") + np.timedelta64(1, "M"))
    walk = np.cumsum(rng.normal(0, 0.012, len(months)))
    rate = np.round(1.08 * np.exp(walk - walk.mean()), 4)
    return pd.DataFrame({"currency": "EUR", "date": months.astype("datetime64[D]"), "rate": rate})


def _fx_at(fx: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    dates = fx["date"].to_numpy("datetime64[D]")
    pos = np.clip(np.searchsorted(dates, days.astype("datetime64[D]"), side="right") - 1, 0, len(dates) - 1)
    return fx["rate"].to_numpy()[pos]


def _make_revenue(rng: np.random.Generator, accounts: pd.DataFrame, initial: np.ndarray, opps: pd.DataFrame, staff: _Staff,
                  month_starts: np.ndarray, M: int, reorg: bool, last4q: int, end_day: np.datetime64,
                  fx: pd.DataFrame, applied: _Applied | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    n_acc = len(accounts)
    acc_pos = pd.Series(np.arange(n_acc), index=accounts["account_id"].to_numpy())
    segment = accounts["segment"].to_numpy()
    region = accounts["region"].to_numpy()
    # latent satisfaction per account and month (1..5); APAC drifts down over the last four quarters
    sat0 = np.clip(rng.normal(4.05, 0.45, n_acc), 1.5, 5)
    drift = np.zeros(M)
    if reorg:
        drift[last4q:] = np.linspace(0.35, 1.5, M - last4q)
    satisfaction = sat0[:, None] - np.where(region == CSAT_REGION, 1.0, 0.0)[:, None] * drift[None, :]
    satisfaction = np.clip(satisfaction + rng.normal(0, 0.1, (n_acc, M)), 1, 5)

    # first paid subscription per customer: initial customers and new-business wins
    won = opps[opps["status"] == "won"].sort_values("closed_at", kind="stable")
    init_idx = np.flatnonzero(initial)
    init_acv, _ = _cycle_and_amount(rng, segment[init_idx])
    init_start = month_starts[0] - rng.integers(31, 3 * 365, len(init_idx)).astype("timedelta64[D]")
    won_idx = acc_pos.reindex(won["account_id"].to_numpy()).to_numpy()
    won_start = won["closed_at"].to_numpy("datetime64[D]") + np.timedelta64(1, "D")
    won_acv = won["amount"].to_numpy(float)
    won_cur = won["currency"].to_numpy(object)
    # a customer's first win starts its main subscription; later wins add subscriptions beside it (below)
    first_win = ~pd.Series(won_idx).duplicated().to_numpy()
    acc = np.concatenate([init_idx, won_idx[first_win]])
    start = np.concatenate([init_start, won_start[first_win]])
    acv = np.concatenate([init_acv, won_acv[first_win]])
    cur = np.concatenate([np.where((region[init_idx] == "EMEA") & (rng.random(len(init_idx)) < 0.6), "EUR", _NONE), won_cur[first_win]])
    acv = np.where((cur == "EUR") & (np.arange(len(acc)) < len(init_idx)), np.round(acv / 1.08, -2), acv)
    annual_share = pd.Series(segment[acc]).map({k: v[5] for k, v in _SEG.items()}).to_numpy(float)
    u = rng.random(len(acc))
    billing = np.where(u < annual_share, 12, np.where(u < annual_share + 0.15, 3, 1))
    churn_m = pd.Series(segment[acc]).map({k: v[4] for k, v in _SEG.items()}).to_numpy(float)

    # churn: hazard each renewal; low satisfaction raises it
    n = len(acc)
    k_renew = np.full(n, -1)
    end = np.full(n, np.datetime64("NaT", "D"), dtype="datetime64[D]")
    alive = np.ones(n, dtype=bool)
    periods = np.ones(n, dtype=int)
    max_periods = (M + 48) // 1
    contraction_at = np.full(n, -1)
    for k in range(1, max_periods + 1):
        renew_day = _add_months(start, k * billing)
        active_now = alive & (renew_day < end_day)
        if not active_now.any():
            break
        mi = np.clip(_month_of(renew_day, month_starts), 0, M - 1)
        sat = np.where(_month_of(renew_day, month_starts) >= 0, satisfaction[acc, mi], sat0[acc])
        hazard = churn_m * np.exp(1.7 * np.clip(3.9 - sat, -1, 3))
        p = 1 - (1 - np.clip(hazard, 0, 0.5)) ** billing
        churns = active_now & (rng.random(n) < p) & (renew_day >= month_starts[0])
        end = np.where(churns, renew_day, end)
        alive &= ~churns
        contract = active_now & ~churns & (contraction_at < 0) & (rng.random(n) < 0.012 * billing) & (renew_day >= month_starts[0])
        contraction_at = np.where(contract, k, contraction_at)
        periods = np.where(active_now, k, periods)
    del k_renew, periods
    # split contracted subscriptions at the contraction renewal
    c = contraction_at > 0
    c_day = _add_months(start[c], contraction_at[c] * billing[c])
    c_factor = np.round(rng.uniform(0.55, 0.85, int(c.sum())), 2)
    sub_rows = [
        dict(acc=acc, start=start, end=np.where(c, _add_months(start, np.maximum(contraction_at, 0) * billing), end), acv=acv, billing=billing, cur=cur, product="Platform"),
        dict(acc=acc[c], start=c_day, end=end[c], acv=np.round(acv[c] * c_factor, -1), billing=billing[c], cur=cur[c], product="Platform"),
    ]
    final_end = end  # the account's churn day (NaT while a customer at the end)

    # further new-business wins on a customer: another subscription, ending when the account churns
    later = ~first_win
    l_start = won_start[later]
    l_end = pd.Series(final_end, index=acc).reindex(won_idx[later]).to_numpy("datetime64[D]")
    l_end = _nat_where(~(~np.isnat(l_end) & (l_end > l_start)), l_end)
    l_bm = np.where(segment[won_idx[later]] == "Enterprise", 12, 1)
    sub_rows.append(dict(acc=won_idx[later], start=l_start, end=l_end, acv=won_acv[later], billing=l_bm, cur=won_cur[later], product="Platform"))

    # free pilots before some SMB starts (zero amount: not revenue, not "active")
    eligible = np.flatnonzero((segment[acc] == "SMB") & (start > month_starts[0] + np.timedelta64(31, "D")))
    pilot = np.zeros(n, dtype=bool)
    pilot[rng.choice(eligible, size=min(len(eligible), max(1, round(0.08 * len(eligible)))), replace=False)] = True
    sub_rows.append(dict(acc=acc[pilot], start=_plus(start[pilot], -30), end=start[pilot], acv=np.zeros(int(pilot.sum())), billing=np.ones(int(pilot.sum()), dtype=int), cur=cur[pilot], product="Pilot"))

    # expansions, owned by account managers
    extra_opps = []
    months_alive_start = np.maximum(start, month_starts[0])
    exp_n = rng.poisson(0.012 * np.maximum(((np.where(np.isnat(final_end), end_day, final_end) - months_alive_start).astype(int)) / 30.4, 0))
    e_acc_i = np.repeat(np.arange(n), exp_n)
    span = np.where(np.isnat(final_end), end_day, final_end)[e_acc_i] - months_alive_start[e_acc_i]
    e_created_d = months_alive_start[e_acc_i] + (rng.random(len(e_acc_i)) * span.astype(int)).astype("timedelta64[D]")
    e_created = _work_time(rng, e_created_d)
    e_cycle = rng.gamma(2.0, 12.0, len(e_acc_i))
    e_close = e_created + (e_cycle * 24 * 60).astype("timedelta64[m]")
    e_closed = (e_close < end_day.astype("datetime64[m]")) & (np.isnat(final_end[e_acc_i]) | (e_close.astype("datetime64[D]") < final_end[e_acc_i]))
    e_draw = rng.random(len(e_acc_i))
    e_p = 0.55 if applied is None else 0.55 + np.where(e_close >= applied.at.astype("datetime64[m]"), applied.drift, 0.0)
    e_won = e_closed & (e_draw < e_p)
    e_open = ~e_closed & (e_close >= end_day.astype("datetime64[m]"))
    e_lost = e_closed & ~e_won
    e_amount = np.round(acv[e_acc_i] * rng.uniform(0.15, 0.5, len(e_acc_i)), -2)
    e_status = np.where(e_won, "won", np.where(e_lost, "lost", np.where(e_open, "open", "lost"))).astype(object)
    e_close_final = np.where(e_status == "open", np.datetime64("NaT", "m"), np.where(e_closed, e_close, e_close))
    # deals still open when the customer churned are lost at the churn date
    churn_lost = ~e_closed & ~e_open
    e_close_final = np.where(churn_lost, np.maximum(final_end[e_acc_i].astype("datetime64[m]"), e_created), e_close_final)
    extra_opps.append(pd.DataFrame({
        "created_at": e_created,
        "_owner": staff.pick(rng, "AM", _month_of(e_created, month_starts)),
        "status": e_status,
        "closed_at": e_close_final,
        "amount": e_amount,
        "account_id": accounts["account_id"].to_numpy()[acc[e_acc_i]],
        "type": "expansion",
        "stage": None,
        "lead_id": None,
        "source": "expansion",
        "currency": cur[e_acc_i],
        "_segment": segment[acc[e_acc_i]],
    }))
    w = e_won
    sub_rows.append(dict(acc=acc[e_acc_i][w], start=e_close[w].astype("datetime64[D]") + np.timedelta64(1, "D"), end=final_end[e_acc_i][w],
                         acv=e_amount[w], billing=np.ones(int(w.sum()), dtype=int), cur=cur[e_acc_i][w], product="Add-on"))

    # win-backs: some churned customers return through a new-business deal (a reactivation)
    churned = ~np.isnat(final_end)
    back = churned & (rng.random(n) < 0.18)
    b_close = _work_time(rng, final_end[back] + rng.integers(60, 300, int(back.sum())).astype("timedelta64[D]"))
    b_ok = b_close < end_day.astype("datetime64[m]")
    if reorg:
        # no win-backs in the declining segment while it declines: the planted fall is the win rate's alone
        in_window = b_close >= month_starts[last4q - 3].astype("datetime64[m]")
        b_ok &= ~((segment[acc[back]] == DECLINING_SEGMENT) & in_window)
    bi = np.flatnonzero(back)[b_ok]
    b_close = b_close[b_ok]
    b_created = b_close - (rng.gamma(2.0, 10.0, len(bi)) * 24 * 60).astype("timedelta64[m]")
    b_created = np.maximum(b_created, final_end[bi].astype("datetime64[m]") + np.timedelta64(60, "m"))
    b_amount = np.round(acv[bi] * rng.uniform(0.7, 1.1, len(bi)), -2)
    extra_opps.append(pd.DataFrame({
        "created_at": b_created,
        "_owner": staff.pick(rng, "AE", _month_of(b_created, month_starts)),
        "status": "won",
        "closed_at": b_close,
        "amount": b_amount,
        "account_id": accounts["account_id"].to_numpy()[acc[bi]],
        "type": "new_business",
        "stage": None,
        "lead_id": None,
        "source": "referral",
        "currency": cur[bi],
        "_segment": segment[acc[bi]],
    }))
    sub_rows.append(dict(acc=acc[bi], start=b_close.astype("datetime64[D]") + np.timedelta64(1, "D"), end=np.full(len(bi), np.datetime64("NaT", "D"), dtype="datetime64[D]"),
                         acv=b_amount, billing=billing[bi], cur=cur[bi], product="Platform"))

    parts = []
    for r in sub_rows:
        bm = np.asarray(r["billing"])
        e = np.asarray(r["end"], dtype="datetime64[D]")
        e = _nat_where(~np.isnat(e) & (e >= end_day), e)
        parts.append(pd.DataFrame({
            "account_id": accounts["account_id"].to_numpy()[np.asarray(r["acc"])],
            "start_date": np.asarray(r["start"], dtype="datetime64[D]"),
            "end_date": e,
            "amount": np.round(np.asarray(r["acv"], dtype=float) * bm / 12, 2),
            "billing_months": bm,
            "currency": np.asarray(r["cur"], dtype=object),
            "product": r["product"],
        }))
    subs = pd.concat(parts, ignore_index=True)
    subs = subs[subs["start_date"] < end_day]
    subs = subs[subs["end_date"].isna() | (subs["end_date"] > subs["start_date"])]
    subs = subs.sort_values(["start_date", "account_id"], kind="stable").reset_index(drop=True)
    subs.insert(0, "subscription_id", _ids("SUB-", len(subs)))
    extra = pd.concat(extra_opps, ignore_index=True)
    start_no = len(opps) + 1
    extra.insert(0, "opportunity_id", _ids("OPP-", len(extra), start=start_no))
    extra = extra[extra["created_at"] < end_day.astype("datetime64[m]")]
    return subs, extra, satisfaction


def _make_stage_history(rng: np.random.Generator, opps: pd.DataFrame, end_min: np.datetime64) -> pd.DataFrame:
    n = len(opps)
    created = opps["created_at"].to_numpy("datetime64[m]")
    closed = opps["closed_at"].to_numpy("datetime64[m]")
    status = opps["status"].to_numpy()
    is_nb = opps["type"].to_numpy() == "new_business"
    k = len(STAGES)
    # stages reached: won deals pass all; lost deals stop early; open ones are part-way
    lost_reach = rng.choice(np.arange(1, k + 1), size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    span_end = np.where(np.isnat(closed), end_min, closed)
    span = (span_end - created).astype("int64")
    expected = np.where(np.isnat(closed), (span * 1.6).astype("int64"), span)
    reach = np.where(status == "won", k, np.where(status == "lost", lost_reach, 0))
    frac = np.sort(rng.random((n, k)), axis=1)
    frac[:, 0] = 0.0
    times = created[:, None] + (frac * expected[:, None]).astype("timedelta64[m]")
    open_reach = (times < end_min).sum(axis=1)
    reach = np.where(status == "open", open_reach, reach)
    reach = np.where(is_nb, reach, np.minimum(reach, 3) + (status == "won"))  # expansions skip steps
    reach = np.maximum(np.minimum(reach, k), 1)
    times = np.where(status[:, None] == "won", created[:, None] + (frac * span[:, None]).astype("timedelta64[m]"), times)
    mask = np.arange(k)[None, :] < reach[:, None]
    mask &= times < np.where(np.isnat(closed), end_min, _plus(closed, 1))[:, None]
    mask[:, 0] = True
    rows, cols = np.nonzero(mask)
    hist = pd.DataFrame({
        "opportunity_id": opps["opportunity_id"].to_numpy()[rows],
        "stage": np.asarray(STAGES, dtype=object)[cols],
        "entered_at": times[rows, cols],
    })
    final = status != "open"
    closed_rows = pd.DataFrame({
        "opportunity_id": opps["opportunity_id"].to_numpy()[final],
        "stage": np.where(status[final] == "won", "Closed Won", "Closed Lost"),
        "entered_at": closed[final],
    })
    last_stage = np.asarray(STAGES, dtype=object)[np.maximum(mask.sum(axis=1) - 1, 0)]
    opps["stage"] = np.where(status == "won", "Closed Won", np.where(status == "lost", "Closed Lost", last_stage))
    out = pd.concat([hist, closed_rows], ignore_index=True)
    return out.sort_values(["entered_at", "opportunity_id"], kind="stable").reset_index(drop=True)


def _spread(rng: np.random.Generator, start: np.ndarray, stop: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` working-hour time stamps uniformly in ``[start[i], stop[i])``; returns (row index, time)."""
    idx = np.repeat(np.arange(len(counts)), counts)
    span = np.maximum((stop[idx] - start[idx]).astype("int64"), 1)
    day = (start[idx] + (rng.random(len(idx)) * span).astype("int64").astype("timedelta64[m]")).astype("datetime64[D]")
    return idx, _work_time(rng, day)


def _make_activities(rng: np.random.Generator, leads: pd.DataFrame, opps: pd.DataFrame, subs: pd.DataFrame, accounts: pd.DataFrame,
                     reps: pd.DataFrame, staff: _Staff, month_starts: np.ndarray, M: int, reorg: bool, last2q: int,
                     end_min: np.datetime64) -> pd.DataFrame:
    parts: list[pd.DataFrame] = []

    def add(owner: np.ndarray, when: np.ndarray, kind: Any, lead: Any = None, opp: Any = None, account: Any = None, automated: bool = False) -> None:
        parts.append(pd.DataFrame({"_owner": owner, "occurred_at": when, "type": kind, "lead_id": lead,
                                   "opportunity_id": opp, "account_id": account, "automated": automated}))

    lead_ids = leads["lead_id"].to_numpy()
    lead_acc = leads["account_id"].to_numpy()
    created = leads["created_at"].to_numpy("datetime64[m]")
    owner = leads["_owner"].to_numpy()
    # marketing automation: nurture emails, not a human touch
    n_auto = rng.integers(1, 3, len(leads))
    i, _ = _spread(rng, created, _plus(created, 3 * 24 * 60), n_auto)
    auto_t = created[i] + (rng.random(len(i)) * 3 * 24 * 60).astype("int64").astype("timedelta64[m]")
    add(staff.pick(rng, "MKT", _month_of(auto_t, month_starts)), auto_t, "email", lead_ids[i], None, lead_acc[i], True)
    # outbound prospecting touches happen before the lead qualifies
    outb = np.flatnonzero((leads["source"].to_numpy() == "outbound") & (owner >= 0))
    pre = created[outb] + (rng.random(len(outb)) * 120).astype("int64").astype("timedelta64[m]")
    add(owner[outb], pre, "call", lead_ids[outb], None, lead_acc[outb])
    # SDR first touch after the MQL, then follow-ups; about one in ten first touches is logged on the account
    ft = leads.pop("_first_touch").to_numpy("datetime64[m]")
    t_i = np.flatnonzero(~np.isnat(ft))
    on_account = rng.random(len(t_i)) < 0.1
    add(owner[t_i], ft[t_i], _choice(rng, ["call", "email"], [0.6, 0.4], len(t_i)),
        np.where(on_account, _NONE, lead_ids[t_i]), None, lead_acc[t_i])
    fu = rng.poisson(1.5, len(t_i))
    j, fu_t = _spread(rng, ft[t_i], _plus(ft[t_i], 10 * 24 * 60), fu)
    add(owner[t_i][j], fu_t, _choice(rng, ["call", "email", "meeting"], [0.45, 0.4, 0.15], len(j)), lead_ids[t_i][j], None, lead_acc[t_i][j])

    # opportunity work by the owner (AE or AM), with SEs on larger deals
    o_ids = opps["opportunity_id"].to_numpy()
    o_acc = opps["account_id"].to_numpy()
    o_created = opps["created_at"].to_numpy("datetime64[m]")
    o_closed = opps["closed_at"].to_numpy("datetime64[m]")
    o_stop = np.where(np.isnat(o_closed), end_min, o_closed)
    days = (o_stop - o_created).astype("int64") / (24 * 60)
    o_owner = opps["_owner"].to_numpy()
    n_work = 1 + rng.poisson(2 + days / 12)
    k, when = _spread(rng, o_created, _plus(o_stop, 1), n_work)
    add(o_owner[k], np.maximum(when, o_created[k]), _choice(rng, ["call", "email", "meeting", "demo"], [0.3, 0.35, 0.25, 0.1], len(k)), None, o_ids[k], o_acc[k])
    seg = opps["_segment"].to_numpy()
    se = pd.Series(seg).isin(["Mid-Market", "Enterprise"]).to_numpy() & (rng.random(len(opps)) < 0.4)
    k2, when2 = _spread(rng, o_created[se], _plus(o_stop[se], 1), rng.integers(1, 3, int(se.sum())))
    add(staff.pick(rng, "SE", _month_of(when2, month_starts)), when2, "demo", None, o_ids[se][k2], o_acc[se][k2])

    # account care for customers: AMs and CSMs
    s_acc = subs["account_id"].to_numpy()
    s_start = np.maximum(subs["start_date"].to_numpy("datetime64[m]"), month_starts[0].astype("datetime64[m]"))
    s_end = subs["end_date"].to_numpy("datetime64[m]")
    s_stop = np.where(np.isnat(s_end), end_min, s_end)
    life_m = np.maximum((s_stop - s_start).astype("int64") / (30.4 * 24 * 60), 0)
    paid = subs["amount"].to_numpy() > 0
    for role, rate, kinds in (("AM", 0.35, ["call", "meeting", "email"]), ("CSM", 0.5, ["meeting", "email", "call"])):
        cnt = np.where(paid, rng.poisson(rate * life_m), 0)
        a, t = _spread(rng, s_start, s_stop, cnt)
        add(staff.pick(rng, role, _month_of(t, month_starts)), t, _choice(rng, kinds, [0.4, 0.35, 0.25], len(a)), None, None, s_acc[a])

    if reorg:
        # unclear roles: AMs work Enterprise new-business deals; AEs work existing Enterprise customers
        window = month_starts[last2q].astype("datetime64[m]")
        ent_nb = (seg == "Enterprise") & (opps["type"].to_numpy() == "new_business") & (o_stop > window)
        ent_idx = np.flatnonzero(ent_nb & (rng.random(len(opps)) < 0.65))
        k3, when3 = _spread(rng, np.maximum(o_created[ent_idx], window), _plus(o_stop[ent_idx], 1), rng.integers(1, 5, len(ent_idx)))
        add(staff.pick(rng, "AM", _month_of(when3, month_starts)), when3, "meeting", None, o_ids[ent_idx][k3], o_acc[ent_idx][k3])
        ent_acc = accounts.loc[accounts["segment"] == "Enterprise", "account_id"].to_numpy()
        cust = pd.Series(s_acc).isin(ent_acc).to_numpy() & paid & (s_stop > window)
        c_idx = np.flatnonzero(cust & (rng.random(len(subs)) < 0.45))
        k4, when4 = _spread(rng, np.maximum(s_start[c_idx], window), s_stop[c_idx], rng.integers(1, 4, len(c_idx)))
        add(staff.pick(rng, "AE", _month_of(when4, month_starts)), when4, "call", None, None, s_acc[c_idx][k4])

    acts = pd.concat(parts, ignore_index=True)
    # nobody logs work before being hired or after leaving, and nothing after the export
    hired = reps["hired_at"].to_numpy("datetime64[m]")
    left = reps["terminated_at"].to_numpy("datetime64[m]")
    o = acts["_owner"].to_numpy()
    t = acts["occurred_at"].to_numpy("datetime64[m]")
    has = o >= 0
    ok = has & (t < end_min)
    ok[has] &= (t[has] >= hired[o[has]]) & (np.isnat(left[o[has]]) | (t[has] < left[o[has]]))
    acts = acts[ok].sort_values("occurred_at", kind="stable").reset_index(drop=True)
    acts.insert(0, "activity_id", _ids("ACT-", len(acts)))
    return acts


def _make_surveys(rng: np.random.Generator, subs: pd.DataFrame, accounts: pd.DataFrame, satisfaction: np.ndarray,
                  month_starts: np.ndarray, M: int) -> pd.DataFrame:
    acc_pos = pd.Series(np.arange(len(accounts)), index=accounts["account_id"].to_numpy())
    paid = subs[subs["amount"] > 0]
    a = acc_pos.reindex(paid["account_id"].to_numpy()).to_numpy()
    s = paid["start_date"].to_numpy("datetime64[D]")
    e = paid["end_date"].to_numpy("datetime64[D]")
    parts = []
    for kind, every, rate in (("csat", 3, 0.35), ("nps", 6, 0.25)):
        for m in range(every - 1, M, every):
            day = month_starts[m] + np.timedelta64(10, "D")
            active = (s <= day) & (np.isnat(e) | (e > day))
            acc_i = np.unique(a[active])
            resp = acc_i[rng.random(len(acc_i)) < rate]
            level = satisfaction[resp, m]
            if kind == "csat":
                score = np.clip(np.round(rng.normal(level, 0.7)), 1, 5)
            else:
                score = np.clip(np.round(rng.normal(2.6 * level - 2.2, 1.3)), 0, 10)
            when = _work_time(rng, day + rng.integers(0, 14, len(resp)).astype("timedelta64[D]"))
            parts.append(pd.DataFrame({"account_id": accounts["account_id"].to_numpy()[resp], "responded_at": when, "kind": kind, "score": score}))
    surveys = pd.concat(parts, ignore_index=True).sort_values("responded_at", kind="stable").reset_index(drop=True)
    comments = {1: "Support takes days to answer", 2: "Onboarding was slow, pricing unclear", 3: "OK, but reporting is limited",
                4: "Good product, helpful team", 5: "Great support, easy to use"}
    pick = rng.random(len(surveys)) < 0.2
    band = np.where(surveys["kind"] == "csat", surveys["score"], np.ceil(surveys["score"] / 2).clip(1, 5)).astype(int)
    surveys["comment"] = np.where(pick, pd.Series(band).map(comments).to_numpy(), _NONE)
    # CRMs hold whatever customers type, markup and spreadsheet formulas included
    if len(surveys) > 20:
        surveys.loc[5, "comment"] = "<b>Love it</b> & the <script>alert('x')</script> team"
        surveys.loc[11, "comment"] = "=HYPERLINK(\"http://example.invalid\",\"click\")"
    return surveys


def _make_spend(rng: np.random.Generator, leads: pd.DataFrame, reps: pd.DataFrame, month_starts: np.ndarray, M: int) -> pd.DataFrame:
    month = _month_of(leads["created_at"].to_numpy("datetime64[m]"), month_starts)
    cost_per_lead = {"paid_search": 180.0, "content": 90.0, "events": 420.0, "partners": 150.0}
    rows = []
    for channel, cpl in cost_per_lead.items():
        counts = np.bincount(month[leads["source"].to_numpy() == channel], minlength=M)[:M]
        amount = np.round(counts * cpl * rng.lognormal(0, 0.12, M), 2)
        rows.append(pd.DataFrame({"month": month_starts[:M], "amount": amount, "channel": channel, "category": "marketing"}))
    hired = reps["hired_at"].to_numpy("datetime64[D]")
    left = reps["terminated_at"].to_numpy("datetime64[D]")
    role = reps["role"].to_numpy()
    mid = month_starts[:M] + np.timedelta64(14, "D")
    active = (hired[None, :] <= mid[:, None]) & (np.isnat(left)[None, :] | (left[None, :] > mid[:, None]))
    cost = {"SDR": 6_500.0, "AE": 11_000.0, "SE": 10_000.0}
    sdr = active[:, role == "SDR"].sum(axis=1) * cost["SDR"]
    sales = active[:, role == "AE"].sum(axis=1) * cost["AE"] + active[:, role == "SE"].sum(axis=1) * cost["SE"]
    rows.append(pd.DataFrame({"month": month_starts[:M], "amount": np.round(sdr, 2), "channel": "outbound", "category": "sales"}))
    rows.append(pd.DataFrame({"month": month_starts[:M], "amount": np.round(sales, 2), "channel": None, "category": "sales"}))
    return pd.concat(rows, ignore_index=True)


def _make_targets(opps: pd.DataFrame, leads: pd.DataFrame, month_starts: np.ndarray, M: int) -> pd.DataFrame:
    """Plan-style targets: first year's run rate grown 4% a quarter, plus the SLA from the seed article."""
    quarters = pd.PeriodIndex(pd.DatetimeIndex(month_starts[:M]), freq="Q").unique()
    won = opps[(opps["status"] == "won") & (opps["type"] == "new_business")]
    won_q = pd.PeriodIndex(pd.DatetimeIndex(won["closed_at"]), freq="Q")
    first_year = won["amount"].groupby(won_q).sum().reindex(quarters[:4]).fillna(0).mean()
    rows = []
    for i, q in enumerate(quarters):
        label = str(q)
        rows += [
            (label, "bookings", round(first_year * 1.04**i, -3), "company"),
            (label, "new_customers", round(len(won) / len(quarters) * 1.03**i), "company"),
            (label, "win_rate", 0.30, "New Business"),
            (label, "sla_compliance", 0.90, "SDR"),
            (label, "mql_to_sql_rate", 0.20, "SDR"),
            (label, "nrr", 1.00, "Customer Success"),
            (label, "logo_churn_rate", 0.03, "Customer Success"),
        ]
    mqls_month = (~leads["mql_at"].isna()).sum() / M
    for m in range(M):
        rows.append((str(pd.Period(pd.Timestamp(month_starts[m]), "M")), "mqls", float(round(mqls_month * 1.01**m)), "Marketing"))
    return pd.DataFrame(rows, columns=["period", "metric", "target", "scope"])


# ----------------------------------------------------------------------------------------------------------
# a Korean company
# ----------------------------------------------------------------------------------------------------------

WON_PER_DOLLAR = 1_350
_MONEY_TARGETS = {"bookings", "cac", "deal_size", "mrr", "arr", "ltv"}


def _to_won(tables: dict[str, pd.DataFrame]) -> None:
    """Amounts in won: dollar figures × 1,350, rounded to whole won (KRW has no minor unit)."""
    for name in ("opportunities", "subscriptions", "spend"):
        frame = tables[name]
        local = frame["currency"].isna() if "currency" in frame.columns else pd.Series(True, index=frame.index)
        frame.loc[local, "amount"] = (frame.loc[local, "amount"] * WON_PER_DOLLAR).round(0)  # EUR rows stay in EUR
    t = tables["targets"]
    money = t["metric"].isin(list(_MONEY_TARGETS))
    t.loc[money, "target"] = (t.loc[money, "target"] * WON_PER_DOLLAR).round(-3)
    tables["fx_rates"]["rate"] = tables["fx_rates"]["rate"] * WON_PER_DOLLAR  # one EUR in won


KO_SEGMENTS = {"SMB": "소기업", "Mid-Market": "중견기업", "Enterprise": "대기업", NEW_SEGMENT: "디지털 네이티브"}
KO_REGIONS = {"North America": "수도권", "EMEA": "해외", "APAC": "영남권"}
KO_TEAMS = {"Marketing": "마케팅팀", "SDR": "SDR팀", "New Business": "신규영업팀", "Account Management": "계정관리팀",
            "Customer Success": "고객성공팀", "Solutions Engineering": "솔루션팀", "Sales Ops": "영업운영팀"}
_KO_SURNAMES = np.array(["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권"])
_KO_GIVEN = np.array(["민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "지민", "주원", "수아", "예준", "하은", "지호", "윤서",
                      "현우", "다은", "준서", "채원", "건우", "소율"])
_KO_PREFIX = np.array(["한빛", "누리", "다온", "새솔", "가람", "미래", "푸른", "하늘", "바른", "온누리", "드림", "스마트", "그린", "제일",
                       "대한", "태양", "은하", "도담", "라온", "세움"])
_KO_SUFFIX = np.array(["소프트", "테크", "시스템즈", "솔루션", "네트웍스", "로지스", "바이오", "에너지", "물산", "제약", "미디어",
                       "푸드", "건설", "모빌리티", "랩스"])
_KO_FORM = np.array(["(주)", "", "", "주식회사 "])
_KO_COMMENTS = {"Support takes days to answer": "지원 응답이 며칠씩 걸립니다", "Onboarding was slow, pricing unclear":
                "온보딩이 느리고 가격이 불명확합니다", "OK, but reporting is limited": "괜찮지만 리포트 기능이 부족합니다",
                "Good product, helpful team": "좋은 제품, 친절한 팀", "Great support, easy to use": "지원이 훌륭하고 쓰기 쉽습니다"}


def _korean(tables: dict[str, pd.DataFrame], planted: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Hangul names, segments, regions, teams and comments; the planted scopes follow. Numbers are unchanged."""
    rng = np.random.default_rng([seed, 82])  # its own stream: the company's numbers do not move
    acc = tables["accounts"]
    n = len(acc)
    names = np.char.add(np.char.add(_KO_FORM[rng.integers(0, len(_KO_FORM), n)], _KO_PREFIX[rng.integers(0, len(_KO_PREFIX), n)]),
                        _KO_SUFFIX[rng.integers(0, len(_KO_SUFFIX), n)]).astype(object)
    acc["name"] = names
    for frame in (acc, tables["leads"]):
        if "segment" in frame.columns:
            frame["segment"] = frame["segment"].replace(KO_SEGMENTS)
    for frame in (acc, tables["reps"]):
        if "region" in frame.columns:
            frame["region"] = frame["region"].replace(KO_REGIONS)
    reps = tables["reps"]
    k = len(reps)
    reps["name"] = np.char.add(_KO_SURNAMES[rng.integers(0, len(_KO_SURNAMES), k)], _KO_GIVEN[rng.integers(0, len(_KO_GIVEN), k)]).astype(object)
    reps["team"] = reps["team"].replace(KO_TEAMS)
    tables["targets"]["scope"] = tables["targets"]["scope"].replace(KO_TEAMS)
    surveys = tables["surveys"]
    surveys["comment"] = surveys["comment"].replace(_KO_COMMENTS)
    out = planted.copy()
    mapping = {**KO_SEGMENTS, **KO_REGIONS, **KO_TEAMS}
    out["scope"] = out["scope"].replace(mapping)
    return out
