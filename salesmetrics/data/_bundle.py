"""The SalesData bundle: validated canonical tables with their settings, quarantine and look-ups."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputValidationError
from ._checks import _quality_warnings, _reference_failures, _validate_table
from ._lookups import _column_token
from ._messages import _DATE_COLUMN, TABLE_NAMES, OnInvalid, _concat, _format_message


class SalesData:
    """A validated bundle of canonical sales tables.

    Every table is optional; metric functions say which ones they need. Each
    given table is coerced to canonical types and checked lazily (every
    failure is collected), then references across tables are checked.

    Parameters
    ----------
    accounts, reps, leads, opportunities, stage_history, subscriptions, activities, spend, surveys, targets, fx_rates : pandas.DataFrame, optional
        Canonical tables (see DESIGN.md for columns). Extra columns pass through.
    timezone : str, default "UTC"
        The reporting time zone: naive time stamps are read in it, aware ones
        are converted to it, and periods are cut in it.
    currency : str, default "USD"
        Reporting currency; rows in other currencies need ``fx_rates``.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.
    on_invalid : {"raise", "quarantine"}, default "raise"
        ``"raise"``: any invalid row raises InputValidationError listing all
        failures. ``"quarantine"``: invalid rows (and rows that reference them)
        move to ``quarantine``; the rest is kept. Missing required columns and
        empty tables always raise.

    Attributes
    ----------
    quarantine : dict of str to pandas.DataFrame
        Per table, the rows set aside, as given, with ``row`` (0-based
        position in the input) and ``reason``.
    failure_cases : pandas.DataFrame
        Every failure found (table, column, check, row, value, fix).

    Examples
    --------
    >>> import pandas as pd
    >>> import salesmetrics as sm
    >>> opps = pd.DataFrame({
    ...     "opportunity_id": ["o1", "o2", "o3"],
    ...     "created_at": ["2025-01-05", "2025-02-01", "2025-03-01"],
    ...     "status": ["won", "lost", "won"],
    ...     "closed_at": ["2025-02-10", "2025-03-01", "2025-02-01"],  # o3 closes before it opens
    ...     "amount": [1200, 800, 500],
    ... })
    >>> data = sm.SalesData(opportunities=opps, timezone="Asia/Seoul", on_invalid="quarantine")
    >>> len(data.opportunities), data.quarantine["opportunities"]["reason"].tolist()
    (2, ['closed_at: closed_not_before_created'])
    >>> str(data.opportunities["closed_at"].dtype)
    'datetime64[ns, Asia/Seoul]'
    """

    accounts: pd.DataFrame | None
    reps: pd.DataFrame | None
    leads: pd.DataFrame | None
    opportunities: pd.DataFrame | None
    stage_history: pd.DataFrame | None
    subscriptions: pd.DataFrame | None
    activities: pd.DataFrame | None
    spend: pd.DataFrame | None
    surveys: pd.DataFrame | None
    targets: pd.DataFrame | None
    fx_rates: pd.DataFrame | None

    def __init__(
        self,
        *,
        accounts: pd.DataFrame | None = None,
        reps: pd.DataFrame | None = None,
        leads: pd.DataFrame | None = None,
        opportunities: pd.DataFrame | None = None,
        stage_history: pd.DataFrame | None = None,
        subscriptions: pd.DataFrame | None = None,
        activities: pd.DataFrame | None = None,
        spend: pd.DataFrame | None = None,
        surveys: pd.DataFrame | None = None,
        targets: pd.DataFrame | None = None,
        fx_rates: pd.DataFrame | None = None,
        timezone: str = "UTC",
        currency: str = "USD",
        fiscal_year_start: int = 1,
        on_invalid: OnInvalid = "raise",
    ) -> None:
        from ..periods import freq_alias

        if on_invalid not in ("raise", "quarantine"):
            raise ValueError(f"on_invalid must be 'raise' or 'quarantine', got {on_invalid!r}.")
        if not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise ValueError(f"currency must be an ISO 4217 code such as 'USD', got {currency!r}.")
        pd.Timestamp("2025-01-01").tz_localize(timezone)  # unknown zones fail here, before any work
        freq_alias("Q", fiscal_year_start)  # validates the month
        self.timezone = str(timezone)
        self.currency = str(currency)
        self.fiscal_year_start = int(fiscal_year_start)
        given = {
            "accounts": accounts,
            "reps": reps,
            "leads": leads,
            "opportunities": opportunities,
            "stage_history": stage_history,
            "subscriptions": subscriptions,
            "activities": activities,
            "spend": spend,
            "surveys": surveys,
            "targets": targets,
            "fx_rates": fx_rates,
        }
        inputs = {name: df for name, df in given.items() if df is not None}
        coerced: dict[str, pd.DataFrame] = {}
        found: list[pd.DataFrame] = []
        for name, df in inputs.items():
            frame, fails = _validate_table(name, df, self.timezone, self.currency)
            coerced[name] = frame
            found.append(fails)
        failures = _concat(found)
        structural = failures[failures["row"].isna()]
        if len(structural):
            raise InputValidationError(_format_message(failures, quarantine_hint=False), failures)

        for frame in coerced.values():
            frame["_row"] = np.arange(len(frame))
        bad: dict[str, set[int]] = {str(t): set(g["row"].astype(int)) for t, g in failures.groupby("table")}
        positions: dict[tuple[str, str, str], np.ndarray] = {}
        if on_invalid == "raise":
            failures = _concat([failures, _reference_failures(coerced, self.currency, {}, positions)])
            if len(failures):
                raise InputValidationError(_format_message(failures), failures)
        else:
            # Quarantine until stable: a row that references a quarantined row is quarantined too.
            while True:
                kept = {t: f[~f["_row"].isin(list(bad.get(t, set())))] for t, f in coerced.items()}
                positions.clear()
                more = _reference_failures(kept, self.currency, bad, positions)
                if not len(more):
                    break  # the look-ups of this last pass are on exactly the rows kept
                failures = _concat([failures, more])
                for t, g in more.groupby("table"):
                    bad.setdefault(str(t), set()).update(int(r) for r in g["row"])

        self.failure_cases = failures.sort_values(["table", "row"], kind="stable").reset_index(drop=True)
        self.quarantine: dict[str, pd.DataFrame] = {}
        for name in TABLE_NAMES:
            if name not in coerced:
                setattr(self, name, None)
                continue
            frame = coerced[name]
            rows = bad.get(name, set())
            mask = frame["_row"].isin(list(rows)).to_numpy()
            setattr(self, name, frame.loc[~mask].drop(columns="_row").reset_index(drop=True))
            if mask.any():
                self.quarantine[name] = self._quarantined(name, inputs[name], np.flatnonzero(mask))
        # id look-ups done by the reference checks, kept for the metrics (see Inputs.positions)
        self._positions: dict[tuple[str, str, str], tuple[tuple[Any, ...], np.ndarray]] = {}
        for (table, column, ref), pos in positions.items():
            self._remember(table, column, ref, pos)
        _quality_warnings({n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None})

    def _remember(self, table: str, column: str, ref: str, pos: np.ndarray) -> None:
        from ..schemas import KEYS

        frame, keys = getattr(self, table), getattr(self, ref)
        if frame is None or keys is None or len(pos) != len(frame):
            return
        token = (_column_token(frame[column]), _column_token(keys[KEYS[ref]]))
        small = pos.astype("int32") if len(keys) < 2**31 else pos
        self.__dict__.setdefault("_positions", {})[(table, column, ref)] = (token, small)

    def _quarantined(self, table: str, original: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        f = self.failure_cases[self.failure_cases["table"] == table]
        reasons = (
            (f["column"].astype(str) + ": " + f["check"].astype(str))
            .groupby(f["row"].astype(int).to_numpy())
            .agg(lambda s: "; ".join(dict.fromkeys(s)))
        )
        out = original.reset_index(drop=True).iloc[rows].copy()
        out.insert(0, "row", rows)
        out["reason"] = reasons.reindex(rows).to_numpy()
        return out.reset_index(drop=True)

    # -- conveniences -------------------------------------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by canonical name."""
        return {n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None}

    @property
    def as_of(self) -> pd.Timestamp | None:
        """Latest event time stamp (any ``*_at`` column) in the bundle; the default ``as_of``."""
        latest = [
            df[c].max()
            for df in self.tables.values()
            for c in df.columns
            if str(c).endswith("_at") and isinstance(df[c].dtype, pd.DatetimeTZDtype) and df[c].notna().any()
        ]
        return max(latest) if latest else None

    def require(self, *tables: str) -> tuple[pd.DataFrame, ...]:
        """Return the named tables, or raise a ValueError naming the ones missing.

        Examples
        --------
        >>> import salesmetrics as sm
        >>> sm.SalesData().require("opportunities")
        Traceback (most recent call last):
        ...
        ValueError: this needs the opportunities table; pass SalesData(opportunities=...) or add opportunities.csv to the data folder.
        """
        missing = [t for t in tables if getattr(self, t, None) is None]
        if missing:
            names = ", ".join(missing)
            raise ValueError(
                f"this needs the {names} table{'s' if len(missing) > 1 else ''}; pass "
                f"SalesData({missing[0]}=...) or add {missing[0]}.csv to the data folder."
            )
        return tuple(getattr(self, t) for t in tables)

    def summary(self) -> pd.DataFrame:
        """Rows per table, date range, and quarantined rows.

        Returns
        -------
        pandas.DataFrame
            Indexed by table: ``rows``, ``quarantined``, ``date_column``,
            ``first``, ``last``.

        Examples
        --------
        >>> import pandas as pd
        >>> import salesmetrics as sm
        >>> accts = pd.DataFrame({"account_id": ["a", "b"], "created_at": ["2025-01-01", "2025-03-01"]})
        >>> sm.SalesData(accounts=accts).summary()[["rows", "quarantined"]]
                  rows  quarantined
        table
        accounts     2            0
        """
        records = []
        for name, df in self.tables.items():
            column = _DATE_COLUMN[name]
            values = df[column].dropna()
            if name == "targets":
                from ..periods import parse_period

                starts = [parse_period(p, fiscal_year_start=self.fiscal_year_start) for p in values.unique()]
                values = pd.Series([p.start_time for p in starts] + [p.end_time.normalize() for p in starts], dtype="datetime64[ns]")
            first = values.min() if len(values) else None
            last = values.max() if len(values) else None
            records.append(
                {
                    "table": name,
                    "rows": len(df),
                    "quarantined": len(self.quarantine.get(name, ())),
                    "date_column": column,
                    "first": str(first.date() if hasattr(first, "date") else first) if first is not None else "",
                    "last": str(last.date() if hasattr(last, "date") else last) if last is not None else "",
                }
            )
        out = pd.DataFrame.from_records(records, columns=["table", "rows", "quarantined", "date_column", "first", "last"])
        return out.set_index("table")

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(df):,}" for n, df in self.tables.items())
        q = sum(len(v) for v in self.quarantine.values())
        extra = f", quarantined={q:,}" if q else ""
        return f"SalesData({parts}; timezone={self.timezone!r}, currency={self.currency!r}, fiscal_year_start={self.fiscal_year_start}{extra})"
