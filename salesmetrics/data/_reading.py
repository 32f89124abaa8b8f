"""Reading and mapping: folders of CSV/Parquet files and foreign exports into canonical tables."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataQualityWarning, InputValidationError
from ._bundle import SalesData
from ._checks import _validate_table
from ._messages import TABLE_NAMES, OnInvalid, _concat, _failures, _format_message, _suggest


def _rename(df: pd.DataFrame, table: str, columns: Mapping[str, str] | None) -> pd.DataFrame:
    if not columns:
        return df
    missing = [c for c in columns if c not in df.columns]
    if missing:
        present = [str(c) for c in df.columns]
        fails = _concat(
            [
                _failures(table, str(c), "missing_column", [pd.NA], [_suggest(str(c), present)], f"columns= names {c!r}, which is not in the {table} table; columns present: {present[:12]}")
                for c in missing
            ]
        )
        raise InputValidationError(_format_message(fails, quarantine_hint=False), fails)
    return df.rename(columns=dict(columns))


def _map_values(df: pd.DataFrame, values: Mapping[str, Mapping[Any, Any]] | None) -> pd.DataFrame:
    if not values:
        return df
    df = df.copy()
    for column, mapping in values.items():
        if column not in df.columns:
            raise ValueError(f"values= names column {column!r}, which is not in the table; columns: {list(df.columns)[:12]}")
        df[column] = df[column].replace(dict(mapping))
    return df


def conform(
    df: pd.DataFrame,
    table: str,
    *,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[Any, Any]] | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
) -> pd.DataFrame:
    """Rename, recode and coerce a foreign export into a canonical table.

    Parameters
    ----------
    df : pandas.DataFrame
        The export as read (all columns may be strings).
    table : str
        Canonical table name, e.g. ``"opportunities"``.
    columns : mapping, optional
        ``{their column: canonical column}``.
    values : mapping, optional
        ``{canonical column: {their value: canonical value}}``, applied after
        renaming, e.g. ``{"status": {"Closed Won": "won"}}``.
    timezone, currency : str
        Time zone for naive time stamps; currency for rows without one.

    Returns
    -------
    pandas.DataFrame
        The canonical table, validated on its own (references to other
        tables are checked when it goes into a :class:`SalesData`).

    Raises
    ------
    InputValidationError
        Listing every failure, with a fix for each.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Deal": ["D-1"], "Opened": ["2025-07-01"], "Stage": ["Closed Won"],
    ...                     "Close Date": ["2025-08-15"], "Value": ["$12,000"]})
    >>> opps = conform(raw, "opportunities", columns={"Deal": "opportunity_id", "Opened": "created_at",
    ...                "Stage": "status", "Close Date": "closed_at", "Value": "amount"})
    >>> opps.loc[0, "status"], float(opps.loc[0, "amount"])
    ('won', 12000.0)
    """
    if table not in TABLE_NAMES:
        raise ValueError(f"unknown table {table!r}; canonical tables are {', '.join(TABLE_NAMES)}.")
    frame = _map_values(_rename(df, table, columns), values)
    coerced, failures = _validate_table(table, frame, timezone, currency)
    if len(failures):
        raise InputValidationError(_format_message(failures, quarantine_hint=False), failures)
    return coerced


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    try:
        import pyarrow  # noqa: F401

        return pd.read_csv(path, dtype=str, keep_default_na=True, engine="pyarrow")
    except ImportError:  # pragma: no cover - pyarrow is a dependency; the C engine is the fallback
        return pd.read_csv(path, dtype=str, keep_default_na=True)


def read_dir(
    path: str | Path,
    *,
    columns: Mapping[str, Any] | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    fiscal_year_start: int | None = None,
    on_invalid: OnInvalid = "raise",
) -> SalesData:
    """Load a folder of CSV or Parquet files named after the canonical tables.

    ``opportunities.csv`` (or ``.csv.gz`` / ``.parquet``) becomes the
    opportunities table, and so on. CSV cells are read as text and coerced,
    so ids keep leading zeros. A ``bundle.json`` in the folder may set
    ``timezone``, ``currency`` and ``fiscal_year_start``; arguments win over it.

    Parameters
    ----------
    path : str or Path
    columns : mapping, optional
        Either ``{table: {their column: canonical}}`` or one flat
        ``{their column: canonical}`` applied to every table that has it.
    timezone, currency, fiscal_year_start, on_invalid
        As for :class:`SalesData` (defaults: bundle.json, else UTC, USD, 1).

    Returns
    -------
    SalesData

    Examples
    --------
    >>> import salesmetrics as sm
    >>> from salesmetrics.datasets import sample_dir
    >>> data = sm.read_dir(sample_dir())
    >>> data.currency, data.timezone
    ('USD', 'America/New_York')
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; pass the folder that holds accounts.csv, opportunities.csv, ...")
    meta: dict[str, Any] = {}
    if (folder / "bundle.json").exists():
        meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    frames: dict[str, pd.DataFrame] = {}
    ignored = []
    for file in sorted(folder.iterdir()):
        if file.is_dir() or file.name.startswith(".") or file.suffix.lower() in (".json", ".md", ".txt"):
            continue  # bundle settings and documentation
        name = file.name
        for suffix in (".csv.gz", ".csv", ".parquet"):
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                break
        else:
            ignored.append(name)
            continue
        if stem not in TABLE_NAMES:
            ignored.append(name)
            continue
        if stem in frames:
            raise ValueError(f"{folder} holds more than one file for the {stem} table; keep one of them.")
        frames[stem] = _read_table(file)
    if not frames:
        raise FileNotFoundError(f"no table files in {folder}; expected files such as opportunities.csv (tables: {', '.join(TABLE_NAMES)}).")
    if ignored:
        warnings.warn(
            f"read_dir ignored {', '.join(ignored)}: not named after a canonical table ({', '.join(TABLE_NAMES)}). "
            "Rename the file, or load it with conform().",
            DataQualityWarning,
            stacklevel=2,
        )
    if columns:
        nested = all(isinstance(v, Mapping) for v in columns.values())
        for table, df in frames.items():
            mapping = columns.get(table, {}) if nested else {k: v for k, v in columns.items() if k in df.columns}
            frames[table] = _rename(df, table, mapping)
    return SalesData(
        **frames,
        timezone=timezone or meta.get("timezone", "UTC"),
        currency=currency or meta.get("currency", "USD"),
        fiscal_year_start=fiscal_year_start or int(meta.get("fiscal_year_start", 1)),
        on_invalid=on_invalid,
    )
