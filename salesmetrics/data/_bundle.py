"""The SalesData bundle: validated canonical tables with their settings, quarantine and look-ups."""

from __future__ import annotations

import logging
import re
import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._api import find_stack_level
from ..errors import DataQualityWarning, InputValidationError, MissingDataError
from ..periods import as_timestamp, check_timezone
from ._checks import _quality_warnings, _reference_checks, _unresolved_frame, _validate_table
from ._lookups import ABSENT_ATTR, AsOf, _absent_in, _column_token, as_pandas, infer_as_of
from ._messages import (
    _DATE_COLUMN,
    TABLE_NAMES,
    OnInvalid,
    SetAside,
    _concat,
    _format_message,
    quarantine_columns,
    reasons_by_row,
)

if TYPE_CHECKING:  # pragma: no cover
    from ._dask import DaskSalesData
    from ._lookups import TableLike

References = Literal["keep", "strict"]

log = logging.getLogger("salesmetrics.data")


def _renumber(carried: pd.DataFrame, own: pd.DataFrame | None, given: int) -> pd.DataFrame:
    """Merge the rows conform() set aside with the bundle's own, numbering both in the original export.

    ``given`` is the length of the frame conform() returned; it kept the other rows in their order.
    """
    if own is None or not len(own):
        return carried.reset_index(drop=True)
    row_name = quarantine_columns(own.columns.drop(quarantine_columns(own.columns), errors="ignore"))[0]
    carried_row = row_name if row_name in carried.columns else carried.columns[0]
    gone = carried[carried_row].to_numpy("int64")
    kept_positions = np.setdiff1d(np.arange(given + len(gone)), gone)
    own = own.copy()
    own[row_name] = kept_positions[own[row_name].to_numpy("int64")]
    carried = carried.rename(columns={carried_row: row_name})
    return pd.concat([carried, own], ignore_index=True).sort_values(row_name, kind="stable").reset_index(drop=True)


def _explicit_as_of(as_of: Any, timezone: str) -> pd.Timestamp:
    return as_timestamp(as_of, timezone)


class SalesData:
    """A validated bundle of canonical sales tables.

    Every table is optional; metric functions say which ones they need. Each
    given table is coerced to canonical types and checked lazily (every
    failure is collected), then references across tables are checked.

    Parameters
    ----------
    accounts, reps, leads, opportunities, stage_history, subscriptions, activities, spend, surveys, targets, fx_rates : pandas.DataFrame, optional
        Canonical tables (see the data model, docs/data-model.md, for columns). Extra columns pass through.
        A pyarrow Table or a polars DataFrame is converted to pandas once, here.
    assignments : pandas.DataFrame, optional
        Effective-dated teams and roles (``rep_id``, ``team``, ``role``, ``start_date``, ``end_date`` exclusive,
        ``manager_id``): one interval per row, never overlapping for a rep, inside the rep's employment. With it,
        ``by="team"``, ``"role"`` and ``"manager_id"`` group each event under the assignment in force at its time,
        and ``reps.team``/``reps.role`` are the current ones.
    timezone : str, default "UTC"
        The reporting time zone: naive time stamps are read in it, aware ones
        are converted to it, and periods are cut in it.
    currency : str, default "USD"
        Reporting currency; rows in other currencies need ``fx_rates``.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.
    on_invalid : {"raise", "quarantine"}, default "raise"
        ``"raise"``: any invalid row raises InputValidationError listing all
        failures. ``"quarantine"``: invalid rows move to ``quarantine``; the
        rest is kept (one warning when more than 5% of a table is set aside).
        Missing required columns and empty tables always raise.
    references : {"keep", "strict"}, default "keep"
        ``"keep"``: a reference to an id the export does not hold (an owner
        who is not in reps, a manager who is not a rep, an account outside
        the accounts export) keeps its row, is counted in ``unresolved`` and
        warned about, and groups as "(unknown)". ``"strict"``: it is a
        ``foreign_key`` failure, and with quarantine a row that refers to a
        quarantined row is set aside too.
    as_of : date-like, optional
        The reporting date; by default the latest event in any table (see
        :attr:`as_of`).
    dayfirst : bool, optional
        Read dates such as 03/04/2025 day first (True) or month first (False);
        by default each column's values decide, and a column they leave
        ambiguous is a failure naming this fix.

    Attributes
    ----------
    quarantine : dict of str to pandas.DataFrame
        Per table, the rows set aside, as given, with ``row`` (0-based
        position in the input) and ``reason`` (``quarantine_row`` /
        ``quarantine_reason`` when the table has columns of those names).
    failure_cases : pandas.DataFrame
        Every failure found (table, column, check, row, value, fix).
    unresolved : pandas.DataFrame
        References to ids the export does not hold: table, column,
        references, rows, distinct, examples.
    absent_columns : dict of str to frozenset
        Per table, the canonical columns the export did not have (validation
        filled them with defaults or empty values); see :meth:`has_column`.
    provenance : pandas.DataFrame or None
        For a bundle read by ``read_salesforce``, ``read_hubspot`` or
        ``read_stripe``: every canonical column's ``source`` (the vendor
        field, a rule, or "not available") and what its absence ``disables``.
        None otherwise.

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
    assignments: pd.DataFrame | None
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
        accounts: TableLike | None = None,
        reps: TableLike | None = None,
        leads: TableLike | None = None,
        opportunities: TableLike | None = None,
        stage_history: TableLike | None = None,
        subscriptions: TableLike | None = None,
        activities: TableLike | None = None,
        spend: TableLike | None = None,
        surveys: TableLike | None = None,
        targets: TableLike | None = None,
        fx_rates: TableLike | None = None,
        assignments: TableLike | None = None,
        timezone: str = "UTC",
        currency: str = "USD",
        fiscal_year_start: int = 1,
        on_invalid: OnInvalid = "raise",
        references: References = "keep",
        as_of: Any = None,
        dayfirst: bool | None = None,
    ) -> None:
        from ..periods import freq_alias

        if on_invalid not in ("raise", "quarantine"):
            raise ValueError(f"on_invalid must be 'raise' or 'quarantine', got {on_invalid!r}.")
        if references not in ("keep", "strict"):
            raise ValueError(f"references must be 'keep' or 'strict', got {references!r}.")
        if not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise ValueError(f"currency must be an ISO 4217 code such as 'USD', got {currency!r}.")
        check_timezone(timezone)  # unknown zones fail here, before any work
        freq_alias("Q", fiscal_year_start)  # validates the month
        object.__setattr__(self, "_ready", False)
        self.timezone = str(timezone)
        self.currency = str(currency)
        self.fiscal_year_start = int(fiscal_year_start)
        self.references = references
        given = {
            "accounts": accounts,
            "reps": reps,
            "assignments": assignments,
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
        inputs = {name: as_pandas(df, name) for name, df in given.items() if df is not None}  # pyarrow/polars: once, here
        coerced: dict[str, pd.DataFrame] = {}
        found: list[pd.DataFrame] = []
        self.absent_columns: dict[str, frozenset[str]] = {}
        for name, df in inputs.items():
            frame, fails = _validate_table(name, df, self.timezone, self.currency, dayfirst=dayfirst)
            coerced[name] = frame
            found.append(fails)
            self.absent_columns[name] = _absent_in(df, name)
        failures = _concat(found)
        structural = failures[failures["row"].isna()]
        if len(structural):
            raise InputValidationError(_format_message(failures, quarantine_hint=False), failures)

        bad: dict[str, np.ndarray] = {
            name: np.isin(np.arange(len(frame)), failures.loc[failures["table"] == name, "row"].to_numpy("int64"))
            for name, frame in coerced.items()
        }
        positions: dict[tuple[str, str, str], np.ndarray] = {}
        strict = references == "strict"
        if on_invalid == "raise":
            everything = {t: np.arange(len(f)) for t, f in coerced.items()}
            more, unresolved = _reference_checks(coerced, everything, self.currency, strict=strict, positions=positions)
            failures = _concat([failures, more])
            if len(failures):
                raise InputValidationError(_format_message(failures), failures)
        else:
            while True:  # with references="strict", a row that references a quarantined row goes too
                kept = {t: f.loc[~bad[t]] for t, f in coerced.items()}
                rows = {t: np.flatnonzero(~bad[t]) for t in coerced}
                positions.clear()
                held = {t: f.loc[bad[t]] for t, f in coerced.items() if bad[t].any()}
                more, unresolved = _reference_checks(kept, rows, self.currency, strict=strict, positions=positions, set_aside=held)
                if not len(more):
                    break  # the look-ups of this last pass are on exactly the rows kept
                failures = _concat([failures, more])
                for t, g in more.groupby("table"):
                    bad[str(t)][g["row"].to_numpy("int64")] = True

        self.failure_cases = failures.sort_values(["table", "row"], kind="stable").reset_index(drop=True)
        self.quarantine: dict[str, pd.DataFrame] = {}
        for name in TABLE_NAMES:
            if name not in coerced:
                object.__setattr__(self, name, None)
                continue
            mask = bad[name]
            object.__setattr__(self, name, coerced[name].loc[~mask].reset_index(drop=True) if mask.any() else coerced[name])
            if mask.any():
                self.quarantine[name] = self._quarantined(name, inputs[name], np.flatnonzero(mask))
            carried = inputs[name].attrs.get("salesmetrics.quarantine")  # rows conform() set aside
            if isinstance(carried, SetAside) and len(carried):
                self.quarantine[name] = _renumber(carried.rows, self.quarantine.get(name), len(inputs[name]))
            getattr(self, name).attrs.pop("salesmetrics.quarantine", None)  # kept in data.quarantine; attrs stay plain (to_parquet)
        self.unresolved = _unresolved_frame(unresolved)
        self._unresolved_rows = {t: int(np.logical_or.reduce([u.mask for u in unresolved if u.table == t]).sum())
                                 for t in {u.table for u in unresolved}}
        # id look-ups done by the reference checks, kept for the metrics (see Inputs.positions)
        self._positions: dict[tuple[str, str, str], tuple[Any, np.ndarray]] = {}
        for (table, column, ref), pos in positions.items():
            self._remember(table, column, ref, pos)
        for name, frame in self.tables.items():  # so that SalesData(**data.tables) still knows what was not exported
            if self.absent_columns.get(name):
                frame.attrs[ABSENT_ATTR] = tuple(sorted(self.absent_columns[name]))
        self._as_of = _explicit_as_of(as_of, self.timezone) if as_of is not None else None
        self.provenance: pd.DataFrame | None = None  # set by the vendor readers (read_salesforce, ...)
        object.__setattr__(self, "_ready", True)
        for u in unresolved:
            warnings.warn(u.message(), DataQualityWarning, stacklevel=find_stack_level())
        self._warn_quarantine(inputs)
        self._log_loaded(inputs)
        self._found_as_of(warn=True)
        _quality_warnings(self.tables)

    def _log_loaded(self, inputs: dict[str, pd.DataFrame]) -> None:
        """What validation decided, for a scheduled job's log: rows kept and set aside per table, and why."""
        for name, frame in self.tables.items():
            q = self.quarantine.get(name)
            set_aside = 0 if q is None else len(q)
            log.info("%s: %d row(s) kept, %d set aside by validation", name, len(frame), set_aside)
            if set_aside:
                reasons = q[quarantine_columns(inputs[name].columns)[1]].str.split("; ").explode().value_counts()  # type: ignore[index]
                log.warning("%s: %d row(s) quarantined; reasons: %s", name, set_aside,
                            ", ".join(f"{r} ({n})" for r, n in reasons.items()))
        if len(self.unresolved):
            for row in self.unresolved.itertuples():
                log.info("%s.%s: %d row(s) refer to ids not in %s (kept)", row.table, row.column, row.rows, row.references)

    @classmethod
    def _checked(cls, tables: dict[str, pd.DataFrame], *, timezone: str, currency: str, fiscal_year_start: int, as_of: Any,
                 absent: dict[str, frozenset[str]]) -> SalesData:
        """A bundle of tables validated elsewhere (a piece of a Dask bundle, checked in its validation pass): the
        tables as given, no check run again. Not for user input."""
        out = cls.__new__(cls)
        object.__setattr__(out, "_ready", False)
        out.timezone, out.currency, out.fiscal_year_start, out.references = timezone, currency, int(fiscal_year_start), "keep"
        for name in TABLE_NAMES:
            object.__setattr__(out, name, tables.get(name))
        out.absent_columns = {n: frozenset(absent.get(n, frozenset())) for n in tables}
        out.failure_cases = _concat([])
        out.quarantine, out.unresolved, out._unresolved_rows = {}, _unresolved_frame([]), {}
        out._positions = {}
        out._as_of = _explicit_as_of(as_of, timezone) if as_of is not None else None
        out.provenance = None
        object.__setattr__(out, "_ready", True)
        return out

    @classmethod
    def from_dask(
        cls,
        *,
        timezone: str = "UTC",
        currency: str = "USD",
        fiscal_year_start: int = 1,
        on_invalid: OnInvalid = "raise",
        quarantine: str | None = None,
        references: References = "keep",
        as_of: Any = None,
        dayfirst: bool | None = None,
        **tables: Any,
    ) -> DaskSalesData:
        """A bundle whose large tables are Dask DataFrames, validated partition by partition (``salesmetrics[dask]``).

        Leads, opportunities, stage_history, subscriptions and activities stay Dask frames; the other tables are small
        and are read into pandas. Before anything is read, each frame's columns and types are checked (a missing
        column or a date in ``amount`` fails at once, with the pandas message). One pass on the workers then coerces
        and checks every partition against the same schemas, references to the small tables and ids repeated across
        partitions; references between large tables (an activity's lead) are distributed anti-joins. Failures read as
        in pandas, with rows numbered in the whole table. The metrics that split (:func:`salesmetrics.partial`) take
        the bundle and return pandas.

        Parameters
        ----------
        timezone, currency, fiscal_year_start
            As for :class:`SalesData`.
        on_invalid : {"raise", "quarantine"}, default "raise"
            ``"quarantine"`` writes the rows set aside, as given, with ``row`` and ``reason``, to Parquet under
            ``quarantine`` (one folder per table), and leaves them out of the bundle's frames.
        quarantine : str, optional
            The folder (local path or fsspec URL) for ``on_invalid="quarantine"``.
        references, as_of, dayfirst
            As for :class:`SalesData`. ``as_of`` defaults to the latest event in any table, found in the validation
            pass.
        **tables : dask.dataframe.DataFrame or pandas.DataFrame
            The canonical tables, by name (``opportunities=``, ``accounts=``, ...).

        Returns
        -------
        DaskSalesData

        Examples
        --------
        >>> import pandas as pd
        >>> import dask.dataframe as dd
        >>> import salesmetrics as sm
        >>> subs = pd.DataFrame({"subscription_id": ["s1", "s2", "s3"], "account_id": ["a", "b", "a"],
        ...                      "start_date": ["2025-01-01", "2025-01-15", "2025-03-01"], "end_date": [None, "2025-03-01", None],
        ...                      "amount": [100, 50, 20]})
        >>> data = sm.SalesData.from_dask(subscriptions=dd.from_pandas(subs, npartitions=2), as_of="2025-03-31")
        >>> print(sm.mrr_bridge(data, freq="M")[["period", "new", "expansion", "churn", "ending_mrr"]].to_string(index=False))
         period   new  expansion  churn  ending_mrr
        2025-01 150.0        0.0    0.0       150.0
        2025-02   0.0        0.0    0.0       150.0
        2025-03   0.0       20.0  -50.0       120.0
        """
        from ._dask import from_dask

        return from_dask(cls, timezone=timezone, currency=currency, fiscal_year_start=fiscal_year_start, on_invalid=on_invalid,
                         quarantine=quarantine, references=references, as_of=as_of, dayfirst=dayfirst, **tables)

    def __setattr__(self, name: str, value: Any) -> None:
        # replacing a table after validation: the inferred as_of and the look-ups on it are no longer known
        if name in TABLE_NAMES and self.__dict__.get("_ready"):
            self.__dict__.pop("_inferred", None)
            for key in [k for k in self.__dict__.get("_positions", {}) if name in (k[0], k[2])]:
                del self.__dict__["_positions"][key]
        object.__setattr__(self, name, value)

    def _remember(self, table: str, column: str, ref: str, pos: np.ndarray) -> None:
        from ..schemas import KEYS

        frame, keys = getattr(self, table), getattr(self, ref)
        if frame is None or keys is None or len(pos) != len(frame):
            return
        token = (_column_token(frame[column]), _column_token(keys[KEYS[ref]]))
        small = pos.astype("int32") if len(keys) < 2**31 else pos
        self.__dict__.setdefault("_positions", {})[(table, column, ref)] = (token, small)

    def _quarantined(self, table: str, original: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        reasons = reasons_by_row(self.failure_cases[self.failure_cases["table"] == table])
        out = original.reset_index(drop=True).iloc[rows].copy()
        row_name, reason_name = quarantine_columns(out.columns)
        out.insert(0, row_name, rows)
        out[reason_name] = reasons.reindex(rows).to_numpy()
        return out.reset_index(drop=True)

    def _warn_quarantine(self, inputs: dict[str, pd.DataFrame]) -> None:
        """One warning when quarantine set aside more than 5% of any table, with the top reasons."""
        from ..formatting import share

        lines = []
        for name, q in self.quarantine.items():
            given = len(q) + len(getattr(self, name))
            if len(q) > 0.05 * given:
                reasons = q[quarantine_columns(inputs[name].columns)[1]].str.split("; ").explode().value_counts()
                top = ", ".join(f"{r} ({n:,})" for r, n in reasons.head(3).items())
                lines.append(f"  {name}: {len(q):,} of {given:,} rows ({share(len(q), given)}); top reasons: {top}")
        if lines:
            warnings.warn(
                "quarantine set aside more than 5% of a table; figures from it cover only the rows kept:\n"
                + "\n".join(lines) + "\nSee data.quarantine for the rows and their reasons.",
                DataQualityWarning,
                stacklevel=find_stack_level(),
            )

    # -- conveniences -------------------------------------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by canonical name."""
        return {n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None}

    def _found_as_of(self, *, warn: bool = False) -> AsOf:
        found = self.__dict__.get("_inferred")
        if found is None:
            found = infer_as_of(self.tables, self.timezone)
            self.__dict__["_inferred"] = found
            warn = True
            if self._as_of is None:
                log.info("as_of inferred: %s, the latest event, from %s", found.value, found.source or "(nothing is dated)")
        if warn:
            for table, column, row, value in found.outliers:
                warnings.warn(
                    f"{table}.{column} row {row} is {value:%Y-%m-%d}, more than a year after every other event; "
                    f"as_of was not moved there (it is {found.value:%Y-%m-%d %H:%M}, from {found.source}). "
                    "Fix the date if it is a typo, or pass as_of= to choose the reporting date.",
                    DataQualityWarning,
                    stacklevel=find_stack_level(),
                )
        return found

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The default ``as_of``: given to the constructor, else the latest event in any table.

        Events are every ``*_at`` time stamp, subscription start dates and spend months; end dates and
        exchange-rate dates count only when nothing else dates the bundle (a contract's end may be
        scheduled, a rate published ahead). A value more than a year after every other event does not
        move it (see :attr:`as_of_source` and the warning). None when nothing is dated.
        """
        if self._as_of is not None:
            return self._as_of
        return self._found_as_of().value

    @property
    def as_of_source(self) -> str:
        """Where :attr:`as_of` comes from: ``"table.column"``, ``"given"``, or ``""`` when nothing is dated."""
        if self._as_of is not None:  # given, or set by a reader from the events it read (it says which)
            return str(self.__dict__.get("_as_of_from") or "given")
        return self._found_as_of().source

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` is present and its export had ``column`` (optional columns are filled when absent).

        Parameters
        ----------
        table : str
            A canonical table name ("opportunities", "reps", ...); a table the bundle lacks gives False.
        column : str
            A canonical column name of that table.

        Examples
        --------
        >>> import pandas as pd
        >>> import salesmetrics as sm
        >>> reps = pd.DataFrame({"rep_id": ["r1"], "team": ["East"]})
        >>> data = sm.SalesData(reps=reps)
        >>> data.has_column("reps", "team"), data.has_column("reps", "terminated_at")
        (True, False)
        """
        return getattr(self, table, None) is not None and column not in self.absent_columns.get(table, frozenset())

    def require(self, *tables: str) -> tuple[pd.DataFrame, ...]:
        """Return the named tables, or raise a MissingDataError (a ValueError) naming the ones missing.

        Parameters
        ----------
        *tables : str
            Canonical table names ("opportunities", "accounts", ...); the tables come back in this order.

        Examples
        --------
        >>> import salesmetrics as sm
        >>> sm.SalesData().require("opportunities")
        Traceback (most recent call last):
        ...
        salesmetrics.errors.MissingDataError: this needs the opportunities table; pass SalesData(opportunities=...) or add opportunities.csv to the data folder.
        """
        missing = [t for t in tables if getattr(self, t, None) is None]
        if missing:
            names = ", ".join(missing)
            raise MissingDataError(
                f"this needs the {names} table{'s' if len(missing) > 1 else ''}; pass "
                f"SalesData({missing[0]}=...) or add {missing[0]}.csv to the data folder."
            )
        return tuple(getattr(self, t) for t in tables)

    def summary(self) -> pd.DataFrame:
        """Rows per table, date range, rows set aside, unresolved references, and what set ``as_of``.

        Returns
        -------
        pandas.DataFrame
            Indexed by table: ``rows`` (kept), ``quarantined`` (set aside, see
            :attr:`quarantine`), ``unresolved`` (rows kept that refer to an id the
            export does not hold, see :attr:`unresolved`), ``date_column``,
            ``first``, ``last``, and ``as_of_from``: the column whose latest
            value is the bundle's ``as_of`` (empty in the other rows).

        Examples
        --------
        >>> import pandas as pd
        >>> import salesmetrics as sm
        >>> accts = pd.DataFrame({"account_id": ["a", "b"], "created_at": ["2025-01-01", "2025-03-01"]})
        >>> sm.SalesData(accounts=accts).summary()[["rows", "quarantined", "unresolved", "as_of_from"]]
                  rows  quarantined  unresolved  as_of_from
        table
        accounts     2            0           0  created_at
        """
        records = []
        source_table, _, source_column = self.as_of_source.partition(".")
        for name, df in self.tables.items():
            column = _DATE_COLUMN[name]
            if column in self.absent_columns.get(name, ()):
                column = ""
            values = df[column].dropna() if column else pd.Series([], dtype="datetime64[ns]")
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
                    "unresolved": self._unresolved_rows.get(name, 0),
                    "date_column": column,
                    "first": str(first.date() if hasattr(first, "date") else first) if first is not None else "",
                    "last": str(last.date() if hasattr(last, "date") else last) if last is not None else "",
                    "as_of_from": source_column if name == source_table else "",
                }
            )
        columns = ["table", "rows", "quarantined", "unresolved", "date_column", "first", "last", "as_of_from"]
        return pd.DataFrame.from_records(records, columns=columns).set_index("table")

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(df):,}" for n, df in self.tables.items())
        q = sum(len(v) for v in self.quarantine.values())
        extra = f", quarantined={q:,}" if q else ""
        return f"SalesData({parts}; timezone={self.timezone!r}, currency={self.currency!r}, fiscal_year_start={self.fiscal_year_start}{extra})"

    def _repr_html_(self) -> str:
        """The bundle in Jupyter: :meth:`summary` per table and the settings; every string is escaped."""
        from html import escape

        summary = self.summary()
        head = "".join(f"<th>{escape(c)}</th>" for c in ("table", "rows", "quarantined", "unresolved", "first", "last"))
        body = "".join(
            f"<tr><td>{escape(str(name))}</td><td>{row['rows']:,}</td><td>{row['quarantined']:,}</td>"
            f"<td>{row['unresolved']:,}</td><td>{escape(str(row['first']))}</td><td>{escape(str(row['last']))}</td></tr>"
            for name, row in summary.iterrows()
        )
        as_of = self.as_of
        when = f"{as_of:%Y-%m-%d %H:%M}" if as_of is not None else "none (nothing is dated)"
        source = f" (from {self.as_of_source})" if self.as_of_source else ""
        settings = [("as_of", when + source), ("timezone", self.timezone), ("currency", self.currency),
                    ("fiscal year start", f"month {self.fiscal_year_start}")]
        foot = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in settings)
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if len(summary) else "<p>no tables</p>"
        return f"<div><strong>SalesData</strong>{table}<table>{foot}</table></div>"
