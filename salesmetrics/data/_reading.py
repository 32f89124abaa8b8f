"""Reading and mapping: folders of CSV/Parquet files and foreign exports into canonical tables.

Reading is hardened against what a folder of real exports holds:

- only regular files inside the folder are opened: a symbolic link that leads outside it, a named pipe
  (FIFO), a socket or a device is refused by name, after ``os.stat`` and before anything is opened, so
  reading never blocks on a pipe; a directory named like a table is reported, not skipped;
- CSV text is UTF-8 (a byte-order mark is dropped); a file that is not valid UTF-8 is read as
  Windows-1252 (Latin-1 when even that fails) with a :class:`~salesmetrics.errors.DataQualityWarning`;
- the separator is read off the header line (``,``, ``;`` or tab), and ``;`` files may write numbers
  with decimal commas (``1.234,56``);
- parse errors name the file and the line.

The common case, a UTF-8 comma-separated file, costs one small sniff (the first 64 KB) before pyarrow's
multi-threaded reader runs on the file; nothing is decoded in Python.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import gzip
import json
import logging
import os
import re
import stat
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import PANDAS_3, TEXT
from ..errors import DataQualityWarning, InputValidationError, import_optional
from ..periods import check_timezone
from ._bundle import SalesData
from ._checks import _validate_table
from ._lookups import ABSENT_ATTR, _absent_in, as_pandas
from ._messages import (
    TABLE_NAMES,
    OnInvalid,
    SetAside,
    _concat,
    _failures,
    _format_message,
    _listing,
    _suggest,
    quarantine_columns,
    reasons_by_row,
)

if TYPE_CHECKING:  # pragma: no cover
    from ._dask import DaskSalesData
    from ._lookups import TableLike

#: Key of ``DataFrame.attrs`` under which :func:`conform` puts the rows it set aside.
QUARANTINE_ATTR = "salesmetrics.quarantine"

_TABLE_SUFFIXES = (".csv.gz", ".csv", ".tsv", ".parquet")  # longest first
_DOC_SUFFIXES = (".json", ".md", ".txt")  # settings and documentation, skipped without a word
_BUNDLE_KEYS = ("timezone", "currency", "fiscal_year_start", "dayfirst", "on_invalid", "columns", "values", "files")
_BUNDLE_INFO_KEYS = ("description", "notes", "generator", "planted")  # descriptive, ignored by read_dir
_SNIFF_BYTES = 64 * 1024
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# A number written with a decimal comma and optional dot grouping: 12,5  1.234,56  -3  15.000
# (a leading lone 0 is never a thousands group, so 0.125 stays a dot decimal).
_DECIMAL_COMMA_RE = r"^[-+]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?$"
_CURRENCY_SIGNS_RE = "R\\$|[$€£₩¥\\s\u00a0\u202f]"  # R$: the Brazilian real; the spaces as characters (Arrow's RE2 has no \u)


# ----------------------------------------------------------------------------------------------------------
# mappings: columns=, values=, files=
# ----------------------------------------------------------------------------------------------------------


def _is_nested_columns(columns: Mapping[str, Any], source: str) -> bool:
    """True for ``{table: {their: canonical}}``, False for a flat ``{their: canonical}``."""
    kinds = {isinstance(v, Mapping) for v in columns.values()}
    if len(kinds) > 1:
        raise ValueError(
            f"{source} mixes the two shapes: give either {{table: {{their column: canonical}}}} "
            "or one flat {their column: canonical} for every table."
        )
    if kinds != {True}:
        bad = [k for k, v in columns.items() if not isinstance(v, str)]
        if bad:
            raise ValueError(f"{source} maps {bad[0]!r} to {columns[bad[0]]!r}; canonical column names are strings.")
        return False
    unknown = [str(t) for t in columns if t not in TABLE_NAMES]
    if unknown:
        hint = difflib.get_close_matches(unknown[0], TABLE_NAMES, n=1)
        raise ValueError(
            f"{source} has a mapping for {unknown[0]!r}, which is not a table"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; tables are {', '.join(TABLE_NAMES)}."
        )
    return True


def _is_nested_values(values: Mapping[str, Any], source: str) -> bool:
    """True for ``{table: {column: {their value: canonical}}}``, False for ``{column: {...}}``."""
    if not all(isinstance(v, Mapping) for v in values.values()):
        bad = next(k for k, v in values.items() if not isinstance(v, Mapping))
        raise ValueError(
            f"{source} gives {bad!r} a {type(values[bad]).__name__}; give {{column: {{their value: canonical value}}}}, "
            "e.g. values={'status': {'Closed Won': 'won'}}, or the same per table."
        )
    nested = all(t in TABLE_NAMES and all(isinstance(m, Mapping) for m in v.values()) for t, v in values.items())
    if not nested and any(isinstance(m, Mapping) for v in values.values() for m in v.values()):
        bad = next(str(k) for k, v in values.items() if any(isinstance(m, Mapping) for m in v.values()))
        raise ValueError(
            f"{source} nests mappings under {bad!r}, which is not a table; give {{column: {{their value: canonical}}}} "
            f"or {{table: {{column: {{...}}}}}} with tables from {', '.join(TABLE_NAMES)}."
        )
    return bool(values) and nested


def _rename(df: pd.DataFrame, table: str, columns: Mapping[str, str] | None) -> pd.DataFrame:
    if not columns:
        return df
    missing = [c for c in columns if c not in df.columns]
    if missing:
        present = [str(c) for c in df.columns]
        fails = _concat(
            [
                _failures(table, str(c), "missing_column", [pd.NA], [_suggest(str(c), present)], f"columns= names {c!r}, which is not in the {table} table; columns present: {_listing(present)}")
                for c in missing
            ]
        )
        raise InputValidationError(_format_message(fails, quarantine_hint=False), fails)
    return df.rename(columns=dict(columns))


def _map_values(df: pd.DataFrame, table: str, values: Mapping[str, Mapping[Any, Any]] | None) -> pd.DataFrame:
    if not values:
        return df
    df = df.copy()
    for column, mapping in values.items():
        if column not in df.columns:
            hint = _suggest(str(column), [str(c) for c in df.columns])
            raise ValueError(
                f"values= names column {column!r}, which is not in the {table} table"
                + (f" (did you mean {hint!r}?)" if hint else "")
                + f"; columns after renaming: {[str(c) for c in df.columns][:12]}. Values are mapped after columns= renames."
            )
        df[column] = df[column].replace(dict(mapping))
    return df


# ----------------------------------------------------------------------------------------------------------
# conform
# ----------------------------------------------------------------------------------------------------------


def conform(
    df: TableLike,
    table: str,
    *,
    columns: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
    on_invalid: OnInvalid = "raise",
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Rename, recode and coerce a foreign export into a canonical table.

    Parameters
    ----------
    df : pandas.DataFrame
        The export as read (all columns may be strings); a pyarrow Table or a
        polars DataFrame is converted to pandas first.
    table : str
        Canonical table name, e.g. ``"opportunities"``.
    columns : mapping, optional
        ``{their column: canonical column}``; every key must be a column of
        ``df``. The per-table form that :func:`read_dir` and ``bundle.json``
        take, ``{table: {their column: canonical}}``, is accepted too and its
        entry for ``table`` is used.
    values : mapping, optional
        ``{canonical column: {their value: canonical value}}``, applied after
        renaming, e.g. ``{"status": {"Closed Won": "won"}}``; or the per-table
        form ``{table: {column: {...}}}``.
    timezone, currency : str
        Time zone for naive time stamps; currency for rows without one.
    on_invalid : {"raise", "quarantine"}, default "raise"
        ``"raise"``: any invalid row raises. ``"quarantine"``: the valid rows
        are returned and the others are set aside, as given (their columns
        renamed, values not recoded), with a leading ``row`` column (0-based
        position in ``df``) and a ``reason`` (``"column: check; ..."``), in
        ``result.attrs["salesmetrics.quarantine"].rows``; one
        :class:`~salesmetrics.errors.DataQualityWarning` says how many and why.
        When ``df`` already has a ``row`` or ``reason`` column, those two are
        named ``quarantine_row`` / ``quarantine_reason`` instead (yours pass
        through untouched). :class:`SalesData` given the result puts these
        rows in ``data.quarantine``, numbered in ``df``.
        Missing required columns and an empty table raise in both modes.
    dayfirst : bool, optional
        Read ambiguous dates such as 03/04/2025 as day first (``True``) or
        month first (``False``); by default the parser decides per column.

    Returns
    -------
    pandas.DataFrame
        The canonical table, validated on its own (references to other
        tables are checked when it goes into a :class:`SalesData`).

    Raises
    ------
    InputValidationError
        Listing every failure, with a fix for each.
    ValueError
        For an unknown table or a mapping that names something not there.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Deal": ["D-1"], "Opened": ["2025-07-01"], "Stage": ["Closed Won"],
    ...                     "Close Date": ["2025-08-15"], "Value": ["$12,000"]})
    >>> opps = conform(raw, "opportunities", columns={"Deal": "opportunity_id", "Opened": "created_at",
    ...                "Stage": "status", "Close Date": "closed_at", "Value": "amount"})
    >>> opps.loc[0, "status"], float(opps.loc[0, "amount"])
    ('won', 12000.0)

    Set bad rows aside instead of raising:

    >>> import warnings
    >>> raw = pd.DataFrame({"opportunity_id": ["o1", "o2", "o3"], "created_at": ["2025-07-01", "soon", "2025-07-02"],
    ...                     "status": "open", "amount": ["10", "20", "lots"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kept = conform(raw, "opportunities", on_invalid="quarantine")
    >>> kept["opportunity_id"].tolist()
    ['o1']
    >>> kept.attrs["salesmetrics.quarantine"].rows[["row", "opportunity_id", "reason"]]
       row opportunity_id                 reason
    0    1             o2  created_at: timestamp
    1    2             o3         amount: number
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    conform set aside 2 of 3 rows of opportunities: top reasons amount: number (1 row), created_at: timestamp (1 row). ...
    """
    if table not in TABLE_NAMES:
        raise ValueError(f"unknown table {table!r}; canonical tables are {', '.join(TABLE_NAMES)}.")
    if on_invalid not in ("raise", "quarantine"):
        raise ValueError(f"on_invalid must be 'raise' or 'quarantine', got {on_invalid!r}.")
    df = as_pandas(df, "conform's df")
    table_columns: Mapping[str, str] | None = columns
    if columns and _is_nested_columns(columns, "columns="):
        table_columns = columns.get(table)
    table_values: Mapping[str, Mapping[Any, Any]] | None = values
    if values and _is_nested_values(values, "values="):
        table_values = values.get(table)
    renamed = _rename(df, table, table_columns)
    frame = _map_values(renamed, table, table_values)
    coerced, failures = _validate_table(table, frame, timezone, currency, dayfirst=dayfirst)
    absent = _absent_in(frame, table)
    if absent:  # validation filled these in; SalesData and the metrics must know they were not exported
        coerced.attrs[ABSENT_ATTR] = tuple(sorted(absent))
    if not len(failures):
        return coerced
    structural = failures["row"].isna()
    if on_invalid == "raise" or structural.any():
        message = _format_message(failures, quarantine_hint=False)
        if not structural.any():
            message += (
                "\nFix the input and conform it again, or pass on_invalid='quarantine' to keep the valid rows "
                "(the others go to result.attrs['salesmetrics.quarantine'].rows with their reasons)."
            )
        raise InputValidationError(message, failures)
    return _quarantine(table, renamed, coerced, failures)


def _quarantine(table: str, given: pd.DataFrame, coerced: pd.DataFrame, failures: pd.DataFrame) -> pd.DataFrame:
    """Keep the valid rows of ``coerced``; attach the others, as given, with row and reason; warn once."""
    rows_all = failures["row"].astype("int64").to_numpy()
    reason_of = (failures["column"].astype(str) + ": " + failures["check"].astype(str)).to_numpy()
    reasons = reasons_by_row(failures)
    rows = reasons.index.to_numpy(dtype="int64")
    mask = np.zeros(len(coerced), dtype=bool)
    mask[rows] = True
    kept = coerced.loc[~mask].reset_index(drop=True)
    held = given.reset_index(drop=True).iloc[rows].reset_index(drop=True)
    row_name, reason_name = quarantine_columns(held.columns)
    held.insert(0, row_name, rows)
    held[reason_name] = reasons.to_numpy()
    kept.attrs[QUARANTINE_ATTR] = SetAside(held)
    counts = (
        pd.DataFrame({"row": rows_all, "reason": reason_of})
        .drop_duplicates()
        .groupby("reason")
        .size()
        .sort_values(ascending=False, kind="stable")
    )
    top = ", ".join(f"{r} ({n} row{'s' if n != 1 else ''})" for r, n in counts.head(3).items())
    more = f" and {len(counts) - 3} more" if len(counts) > 3 else ""
    warnings.warn(
        f"conform set aside {len(rows)} of {len(coerced)} rows of {table}: top reasons {top}{more}. "
        f"They are in result.attrs[{QUARANTINE_ATTR!r}].rows with their row and reason; fix them and conform them again.",
        DataQualityWarning,
        stacklevel=find_stack_level(),
    )
    return kept


# ----------------------------------------------------------------------------------------------------------
# files: only regular files inside the folder
# ----------------------------------------------------------------------------------------------------------


def _split_name(name: str) -> tuple[str, str] | None:
    """``"Opportunities.CSV"`` -> ``("opportunities", ".csv")``; None for other file kinds."""
    low = name.lower()
    for suffix in _TABLE_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return low[: -len(suffix)], suffix
    return None


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _directory_error(folder: Path, name: str, table: str) -> ValueError:
    return ValueError(
        f"{folder / name} is a directory named like the {table} table; read_dir reads one file per table, not "
        f"folders of parts. Combine the parts into one file ({table}.csv or {table}.parquet), or read them with "
        f"pandas (pd.read_parquet('{folder / name}') or pd.concat of pd.read_csv(...)) and pass the frame to "
        f"SalesData({table}=...) or conform()."
    )


def _regular_file(entry: Path, root: Path) -> Path:
    """The resolved path of ``entry`` if it is a regular file inside ``root``; a ValueError naming it otherwise.

    Only ``os.stat`` is used, so a named pipe is never opened (opening one blocks until a writer comes).
    """
    try:
        link = stat.S_ISLNK(os.lstat(entry).st_mode)
    except FileNotFoundError:
        raise FileNotFoundError(f"{entry} does not exist.") from None
    try:
        resolved = entry.resolve(strict=True)
    except (OSError, RuntimeError):
        target = os.readlink(entry) if link else entry
        raise ValueError(f"{entry} is a symbolic link to {target}, which does not exist (or loops); fix or remove the link.") from None
    if not resolved.is_relative_to(root):
        what = f"is a symbolic link to {resolved}, outside" if link else "is outside"
        raise ValueError(
            f"{entry} {what} the folder {root}; read_dir opens only files inside "
            "the folder it is given. Copy the file into the folder, or read it yourself and pass the frame to SalesData."
        )
    kind = _kind(os.stat(resolved).st_mode)
    if kind == "a directory":
        split = _split_name(entry.name)
        raise _directory_error(entry.parent, entry.name, split[0] if split else entry.name.lower())
    if kind is not None:
        raise ValueError(
            f"{entry} is {kind}, not a regular file; read_dir reads only regular files. Save the data to a file "
            "in the folder, or remove the entry."
        )
    return resolved


def _open_regular(path: Path) -> Any:
    """Open a file for binary reading without ever blocking on a pipe, and check again that it is regular."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise ValueError(f"{path} is {kind}, not a regular file; read_dir reads only regular files.")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ----------------------------------------------------------------------------------------------------------
# CSV: encoding, separator, parse errors
# ----------------------------------------------------------------------------------------------------------


def _sniff(path: Path, shown: str) -> tuple[bytes, bool]:
    """The first bytes of a file's text (decompressed when it is gzip), and whether it is gzip."""
    with _open_regular(path) as fh:
        head = bytes(fh.read(_SNIFF_BYTES))
        if not head.startswith(b"\x1f\x8b"):
            return head, False
        fh.seek(0)
        try:
            with gzip.GzipFile(fileobj=fh) as z:
                return bytes(z.read(_SNIFF_BYTES)), True
        except (OSError, EOFError) as exc:
            raise ValueError(f"could not decompress {shown}: {exc}. Fix: export it again, or save it uncompressed as .csv.") from None


def _encoding(sample: bytes) -> tuple[str, bool]:
    """The encoding to read with, and whether it is a fallback the user should hear about."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", False  # the reader drops the BOM; read_dir strips any left on the first header
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False  # Excel's "Unicode Text"
    try:
        sample.decode("utf-8")
        return "utf-8", False
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) == _SNIFF_BYTES and exc.reason == "unexpected end of data":
            return "utf-8", False  # the sniff cut a character in two
    try:
        sample.decode("cp1252")
        return "cp1252", True
    except UnicodeDecodeError:
        return "latin-1", True


def _header_separator(text: str) -> str:
    """The separator of a CSV, read off its header line (quotes respected): ``,``, ``;`` or a tab."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch in "\r\n":
                break
            if ch in counts:
                counts[ch] += 1
    if counts[";"] > counts[","] and counts[";"] >= counts["\t"]:
        return ";"
    if counts["\t"] > counts[","] and counts["\t"] > counts[";"]:
        return "\t"
    return ","


def _encoding_warning(shown: str, encoding: str) -> None:
    name = {"cp1252": "Windows-1252 (Latin-1)", "latin-1": "Latin-1 (ISO-8859-1)"}.get(encoding, encoding)
    warnings.warn(
        f"{shown} is not UTF-8 text; read_dir read it as {name}. Check accented names and currency signs; "
        "to avoid this, save the file as UTF-8 (in Excel: Save As > 'CSV UTF-8').",
        DataQualityWarning,
        stacklevel=find_stack_level(),
    )


def _is_encoding_error(exc: BaseException) -> bool:
    return isinstance(exc, UnicodeDecodeError) or "invalid UTF8" in str(exc) or "codec can't decode" in str(exc)


def _parse_error(path: Path, shown: str, encoding: str, sep: str, exc: BaseException) -> ValueError:
    """A ValueError naming the file, the line and the fix, for a CSV the reader could not parse."""
    import pyarrow.csv as pacsv

    sep_name = _SEPARATOR_NAMES.get(sep, repr(sep))
    first: list[Any] = []

    def handler(row: Any) -> str:
        if not first:
            first.append(row)
        return "error"

    with contextlib.suppress(Exception):  # the handler records the first bad row; the message is built below
        pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=handler),
        )
    if first and first[0].number is not None:
        row = first[0]
        text = str(row.text)
        if "\n" in text.rstrip("\r\n") or ('"' in text and text.count('"') % 2):
            return ValueError(
                f"could not read {shown}: a quoted field on line {row.number} is never closed (an unmatched \"), so "
                f"the lines after it ran together: {text[:80]!r}. Fix: close the quote or remove the stray \" and save again."
            )
        return ValueError(
            f"could not read {shown}: line {row.number} has {row.actual_columns} fields where the header has "
            f"{row.expected_columns} ({text[:80]!r}). Fix: quote values that contain the separator ({sep_name}), "
            "e.g. \"Acme, Inc.\", or remove the extra separators."
        )
    # the C reader names the line of an unterminated quote at the end of the file
    try:
        pd.read_csv(path, dtype=TEXT, sep=sep, encoding=encoding, engine="c")
    except pd.errors.ParserError as c_exc:
        line = re.search(r"line (\d+)", str(c_exc))
        row_no = re.search(r"starting at row (\d+)", str(c_exc))
        if row_no:
            return ValueError(
                f"could not read {shown}: a quoted field on line {int(row_no.group(1)) + 1} is never closed (an unmatched \"), "
                "so the rest of the file ran into it. Fix: close the quote or remove the stray \" and save again."
            )
        if line:
            return ValueError(f"could not read {shown}: line {line.group(1)}: {c_exc}. Fix: check the quoting and separators on that line.")
    except Exception:  # fall back to the first reader's message below
        pass
    return ValueError(f"could not read {shown} as {sep_name}-separated CSV: {exc}. Fix: check the quoting and separators, or export it again.")


def _reread_as_text(path: Path, frame: pd.DataFrame, encoding: str, sep: str, gz: bool) -> pd.DataFrame:
    """pandas 2's Arrow reader types the cells first and casts them to text after ("001" becomes "1"); read the
    file again as text, as pandas 3 does, with the header and missing-value words pandas used."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from pandas._libs.parsers import STR_NA_VALUES

    names = [str(c) for c in frame.columns]
    table = pacsv.read_csv(
        pa.input_stream(str(path), compression="gzip" if gz else None),
        read_options=pacsv.ReadOptions(encoding=encoding, column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=sep),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                             null_values=sorted(STR_NA_VALUES), quoted_strings_can_be_null=True),
    )
    out = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    out.columns = frame.columns
    return out


def _read_csv(path: Path, shown: str) -> tuple[pd.DataFrame, str]:
    sample, gz = _sniff(path, shown)
    if sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValueError(
            f"{shown} is an Excel workbook, not CSV text. Fix: in Excel, Save As > 'CSV UTF-8', or read it with "
            "pd.read_excel and pass the frame to SalesData or conform()."
        )
    if not sample.strip():
        raise ValueError(f"{shown} is empty; export it again with its header row, or remove it.")
    encoding, fallback = _encoding(sample)
    sep = _header_separator(sample.decode(encoding, errors="replace").lstrip("\ufeff"))
    kwargs: dict[str, Any] = {"dtype": TEXT, "keep_default_na": True, "sep": sep, "compression": "gzip" if gz else None}
    try:
        frame = pd.read_csv(path, encoding=encoding, engine="pyarrow", **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, pd.errors.EmptyDataError):
            raise ValueError(f"{shown} is empty; export it again with its header row, or remove it.") from None
        if not _is_encoding_error(exc):
            raise _parse_error(path, shown, encoding, sep, exc) from None
        # not UTF-8 after all (beyond the sniffed start) or not Windows-1252: Latin-1 decodes any byte
        encoding, fallback = ("cp1252", True) if encoding == "utf-8" else ("latin-1", True)
        try:
            frame = pd.read_csv(path, encoding=encoding, engine="pyarrow", **kwargs)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc2:
            if not _is_encoding_error(exc2):
                raise _parse_error(path, shown, encoding, sep, exc2) from None
            encoding = "latin-1"
            try:
                frame = pd.read_csv(path, encoding=encoding, engine="pyarrow", **kwargs)
            except (pd.errors.ParserError, ValueError) as exc3:
                raise _parse_error(path, shown, encoding, sep, exc3) from None
    if len(frame) and len(frame.columns):
        # pyarrow lets an unterminated quote in the last column run to the end of the file
        last = frame.iat[len(frame) - 1, len(frame.columns) - 1]
        if isinstance(last, str) and "\n" in last:
            try:
                pd.read_csv(path, encoding=encoding, engine="c", **kwargs)
            except pd.errors.ParserError as exc:
                raise _parse_error(path, shown, encoding, sep, exc) from None
    if not PANDAS_3 and len(frame.columns):
        frame = _reread_as_text(path, frame, encoding, sep, gz)
    if fallback:
        _encoding_warning(shown, encoding)
    if len(frame.columns) and str(frame.columns[0]).startswith("\ufeff"):
        frame = frame.rename(columns={frame.columns[0]: str(frame.columns[0]).lstrip("\ufeff")})
    return frame, sep


def _read_table(path: Path, shown: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read one table file; returns the frame (CSV cells as text) and the CSV separator ("" for Parquet).

    Parquet is recognised by its content (``PAR1``), gzip too, whatever the file is called.
    """
    shown = shown or str(path)
    with _open_regular(path) as fh:
        if fh.read(4) == b"PAR1":
            fh.seek(0)
            try:
                return pd.read_parquet(fh), ""
            except Exception as exc:
                raise ValueError(f"could not read {shown} as Parquet: {exc}. Fix: write it again, or export it as CSV.") from None
    if path.name.lower().endswith(".parquet"):
        raise ValueError(f"{shown} is not a Parquet file (it does not start with PAR1). Fix: write it again, or export it as CSV.")
    return _read_csv(path, shown)


def _decimal_commas(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rewrite the canonical numeric columns of a ``;``-separated file from ``1.234,56`` to ``1234.56``.

    A column is rewritten only when every non-empty value is a number in that notation (digits, an optional
    decimal comma, dots only as thousands groups, an optional currency sign) and at least one has a comma or
    a dot; otherwise it is left as read, and validation reports what is not a number.
    """
    from ..schemas import column_kinds

    out = df
    for column, (kind, _required) in column_kinds(table).items():
        if kind not in ("float", "int") or column not in df.columns or not pd.api.types.is_string_dtype(df[column].dtype):
            continue
        text = df[column].str.strip()
        values = text[text.notna() & (text != "")]
        if not len(values):
            continue
        bare = values.str.replace(_CURRENCY_SIGNS_RE, "", regex=True)
        if not bool(bare.str.fullmatch(_DECIMAL_COMMA_RE).all()) or not bool(bare.str.contains(r"[.,]").any()):
            continue
        fixed = bare.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        if out is df:
            out = df.copy()
        out[column] = fixed.reindex(df.index)  # the empty cells stay missing
    return out


# ----------------------------------------------------------------------------------------------------------
# bundle.json
# ----------------------------------------------------------------------------------------------------------


def _read_bundle_json(path: Path, root: Path, allowed: Sequence[str] = _BUNDLE_KEYS) -> dict[str, Any]:
    """bundle.json's settings, checked: only ``allowed`` keys (read_dir's, or a vendor reader's options), each of the
    type it needs, and a time zone that exists."""
    resolved = _regular_file(path, root)
    with _open_regular(resolved) as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. Fix: keys and texts in "
            'double quotes, no trailing commas, e.g. {"timezone": "Asia/Seoul", "currency": "KRW"}.'
        ) from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path} must hold a JSON object such as {{\"timezone\": \"UTC\"}}, not a {type(meta).__name__}.")
    unknown = [k for k in meta if k not in allowed and k not in _BUNDLE_INFO_KEYS]
    if unknown:
        hint = difflib.get_close_matches(str(unknown[0]), list(allowed), n=1)
        raise ValueError(
            f"{path} has unknown key(s) {', '.join(repr(k) for k in unknown)}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; allowed keys: {', '.join(allowed)} (and {', '.join(_BUNDLE_INFO_KEYS)}, which are ignored)."
        )
    expected: dict[str, tuple[type, ...]] = {
        "timezone": (str,),
        "currency": (str,),
        "fiscal_year_start": (int,),
        "dayfirst": (bool, type(None)),
        "on_invalid": (str,),
        "columns": (dict,),
        "values": (dict,),
        "files": (dict,),
    }
    for key, types in expected.items():
        if key in meta and (not isinstance(meta[key], types) or (key == "fiscal_year_start" and isinstance(meta[key], bool))):
            want = {"fiscal_year_start": "a month number (1-12)", "dayfirst": "true, false or null"}.get(
                key, "an object" if dict in types else "a text"
            )
            raise ValueError(f"{path}: {key!r} must be {want}, got {json.dumps(meta[key])[:60]}.")
    if "on_invalid" in meta and meta["on_invalid"] not in ("raise", "quarantine"):
        raise ValueError(f"{path}: 'on_invalid' must be \"raise\" or \"quarantine\", got {meta['on_invalid']!r}.")
    if "timezone" in meta:
        try:
            check_timezone(meta["timezone"])
        except ValueError:
            raise ValueError(f"{path}: its 'timezone' {meta['timezone']!r} is not a time zone; use an IANA name such as "
                             "'UTC', 'America/New_York' or 'Asia/Seoul'.") from None
    return {k: v for k, v in meta.items() if k in allowed}


def _find_file(folder: Path, name: str, entries: list[Path], table: str, source: str) -> Path:
    """The entry of ``folder`` that ``files=`` names (exactly, else ignoring case)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{source} maps {table!r} to {name!r}; give a file name in the folder, e.g. 'sales_pipeline.csv'.")
    candidate = folder / name
    if os.path.lexists(candidate):
        return candidate
    same = [e for e in entries if e.name.lower() == name.lower()]
    if len(same) == 1:
        return same[0]
    names = sorted(e.name for e in entries if not e.name.startswith("."))
    hint = difflib.get_close_matches(name, names, n=1)
    raise FileNotFoundError(
        f"{source} reads {table} from {name!r}, which is not in {folder}"
        + (f" (did you mean {hint[0]!r}?)" if hint else "")
        + f"; files there: {names[:12]}."
    )


# ----------------------------------------------------------------------------------------------------------
# read_dir
# ----------------------------------------------------------------------------------------------------------


def read_dir(
    path: str | Path,
    *,
    columns: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    fiscal_year_start: int | None = None,
    on_invalid: OnInvalid | None = None,
    dayfirst: bool | None = None,
    files: Mapping[str, str] | None = None,
) -> SalesData:
    """Load a folder of CSV or Parquet files, one per canonical table.

    ``opportunities.csv`` (or ``.csv.gz``, ``.tsv``, ``.parquet``; any case, so
    ``Opportunities.CSV`` too) becomes the opportunities table, and so on;
    ``files=`` reads a table from a file named otherwise. CSV cells are read
    as text and coerced, so ids keep leading zeros.

    A ``bundle.json`` in the folder may hold ``timezone``, ``currency``,
    ``fiscal_year_start``, ``dayfirst``, ``on_invalid``, ``columns``,
    ``values`` and ``files`` (plus ``description``, ``notes``, ``generator``
    and ``planted``, which are ignored), so that a raw export folder reads with
    no arguments (the command line reads it this way). An argument given here
    replaces the bundle.json entry of the same name.

    Parameters
    ----------
    path : str or Path
        The folder.
    columns : mapping, optional
        Either ``{table: {their column: canonical}}`` or one flat
        ``{their column: canonical}`` applied to every table that has the
        column (each key must be in at least one table).
    values : mapping, optional
        ``{table: {column: {their value: canonical}}}``, or one flat
        ``{column: {their value: canonical}}`` applied to every table that has
        the column. Applied after renaming, so columns are canonical names:
        ``{"status": {"Closed Won": "won", "Closed Lost": "lost"}}``.
    timezone, currency, fiscal_year_start, on_invalid, dayfirst
        As for :class:`SalesData` (defaults: bundle.json, else ``"UTC"``,
        ``"USD"``, ``1``, ``"raise"``, and dates parsed as the parser decides).
    files : mapping, optional
        ``{table: file name in the folder}``, e.g.
        ``{"opportunities": "sales_pipeline.csv", "reps": "sales_teams.csv"}``.
        A file named after a table that ``files=`` reads from elsewhere is
        left out, with a warning.

    Returns
    -------
    SalesData

    Raises
    ------
    FileNotFoundError
        When the folder, or a file ``files=`` names, does not exist, or the
        folder holds no table file.
    ValueError
        For an entry that is not a regular file inside the folder (a symbolic
        link leading outside it, a named pipe, a socket, a device), a directory
        named like a table, a CSV that cannot be parsed (the file and line are
        named), or a bundle.json that is not valid JSON or has unknown keys.
    InputValidationError
        When the tables fail validation (see :class:`SalesData`).

    Warns
    -----
    DataQualityWarning
        For files that are not read (not named after a table), and for CSV
        files that are not UTF-8 (read as Windows-1252).

    Notes
    -----
    Only regular files inside the folder are opened: each table file is
    resolved and checked with ``os.stat`` before it is opened, so a named pipe
    never blocks the reader.

    CSV files are UTF-8 (with or without a byte-order mark) or, failing that,
    Windows-1252, with a warning. The separator is read off the header line:
    ``;`` or tab when the header has more of them than commas. In
    ``;``-separated files, decimal commas are read in the columns the table
    holds as numbers (``amount``, ``score``, ``rate``, ``target``,
    ``billing_months``): a column whose every value is written that way
    (``1.234,56``, ``12,5``, ``€ 900,00``) is rewritten to ``1234.56``; other
    columns keep their text as in the file.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> from salesmetrics.datasets import sample_dir
    >>> data = sm.read_dir(sample_dir())
    >>> data.currency, data.timezone
    ('USD', 'America/New_York')

    A raw CRM export, mapped to the canonical tables (the mapping could
    equally sit in the folder's bundle.json):

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", sm.DataQualityWarning)
    ...     raw = sm.read_dir(
    ...         sample_dir() / "raw",
    ...         files={"opportunities": "Deals.csv"},
    ...         columns={"opportunities": {"Deal ID": "opportunity_id", "Deal created": "created_at",
    ...                                    "Pipeline stage": "status", "Won/Lost date": "closed_at", "Value": "amount"}},
    ...         values={"status": {"Closed Won": "won", "Closed Lost": "lost", "Qualified": "open",
    ...                            "Discovery call": "open", "Demo": "open", "Proposal": "open", "Negotiation": "open"}},
    ...         on_invalid="quarantine",
    ...     )
    >>> sorted(raw.tables), sorted(raw.opportunities["status"].unique())
    (['opportunities'], ['lost', 'open', 'won'])
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; pass the folder that holds accounts.csv, opportunities.csv, ...")
    root = folder.resolve()
    entries = sorted(folder.iterdir())
    meta: dict[str, Any] = {}
    bundle = folder / "bundle.json"
    if os.path.lexists(bundle):
        meta = _read_bundle_json(bundle, root)

    def setting(name: str, given: Any) -> tuple[Any, str]:
        return (given, f"{name}=") if given is not None else (meta.get(name), f"{name} (from {bundle})")

    columns, columns_src = setting("columns", columns)
    values, values_src = setting("values", values)
    files, files_src = setting("files", files)

    chosen: dict[str, Path] = {}
    if files:
        if not isinstance(files, Mapping):
            raise ValueError(f"{files_src} must map tables to file names, e.g. {{'opportunities': 'sales_pipeline.csv'}}.")
        for table, name in files.items():
            if table not in TABLE_NAMES:
                hint = difflib.get_close_matches(str(table), TABLE_NAMES, n=1)
                raise ValueError(
                    f"{files_src} names {table!r}, which is not a table"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                    + f"; tables are {', '.join(TABLE_NAMES)}."
                )
            file = _find_file(folder, name, entries, table, files_src)
            if _split_name(file.name) is None and not file.is_dir():
                raise ValueError(
                    f"{files_src} reads {table} from {file.name!r}; read_dir reads CSV (.csv, .csv.gz, .tsv) and Parquet "
                    "files. Save it as CSV UTF-8, or read it with pandas and pass the frame to SalesData."
                )
            chosen[table] = file
    mapped = {os.path.normcase(str(p)) for p in chosen.values()}
    ignored: list[str] = []
    overridden: list[str] = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or os.path.normcase(str(entry)) in mapped:
            continue
        split = _split_name(name)
        is_dir = entry.is_dir()
        stem = split[0] if split else name.lower()
        if stem not in TABLE_NAMES or (split is None and not is_dir):
            if not is_dir and not name.lower().endswith(_DOC_SUFFIXES):
                ignored.append(name)
            continue
        if stem in chosen:
            if files and stem in files:
                overridden.append(name)
                continue
            raise ValueError(f"{folder} holds more than one file for the {stem} table ({chosen[stem].name}, {name}); keep one of them.")
        if is_dir:
            raise _directory_error(folder, name, stem)
        chosen[stem] = entry
    if not chosen:
        raise FileNotFoundError(
            f"no table files in {folder}; expected files such as opportunities.csv (tables: {', '.join(TABLE_NAMES)}), "
            "or name yours with files={'opportunities': 'your_file.csv'} (from the command line: a bundle.json in the "
            "folder with {\"files\": {\"opportunities\": \"your_file.csv\"}}, and columns/values to map them)."
        )

    frames: dict[str, pd.DataFrame] = {}
    separators: dict[str, str] = {}
    for table in (t for t in TABLE_NAMES if t in chosen):
        entry = chosen[table]
        frames[table], separators[table] = _read_table(_regular_file(entry, root), shown=str(entry))
    if ignored or overridden:
        parts = []
        if ignored:
            parts.append(
                f"{', '.join(ignored)}: not named after a canonical table ({', '.join(TABLE_NAMES)}). Rename the file, "
                "read it with files={'<table>': '<file name>'}, or load it with conform()"
            )
        if overridden:
            parts.append(f"{', '.join(overridden)}: files= reads {'these tables' if len(overridden) > 1 else 'that table'} from another file")
        warnings.warn(f"read_dir ignored {'; '.join(parts)}.", DataQualityWarning, stacklevel=find_stack_level())

    if columns:
        if not isinstance(columns, Mapping):
            raise ValueError(f"{columns_src} must be a mapping, e.g. {{'Deal ID': 'opportunity_id'}}.")
        if _is_nested_columns(columns, columns_src):
            for table in frames:
                frames[table] = _rename(frames[table], table, columns.get(table))
        else:
            unused = [c for c in columns if not any(c in df.columns for df in frames.values())]
            if unused:
                present = sorted({str(c) for df in frames.values() for c in df.columns})
                near = _suggest(str(unused[0]), present)
                raise ValueError(
                    f"{columns_src} names {', '.join(repr(c) for c in unused)}, which no table read has"
                    + (f" (did you mean {near!r}?)" if near else "")
                    + f"; columns: {_listing(present)}."
                )
            for table, df in frames.items():
                frames[table] = _rename(df, table, {k: v for k, v in columns.items() if k in df.columns})
    if values:
        if not isinstance(values, Mapping):
            raise ValueError(f"{values_src} must be a mapping, e.g. {{'status': {{'Closed Won': 'won'}}}}.")
        if _is_nested_values(values, values_src):
            for table in frames:
                frames[table] = _map_values(frames[table], table, values.get(table))
        else:
            unused = [c for c in values if not any(c in df.columns for df in frames.values())]
            if unused:
                raise ValueError(
                    f"{values_src} names column {unused[0]!r}, which no table has after renaming; values are mapped "
                    f"after columns= renames, so use the canonical name. Tables read: {', '.join(frames)}."
                )
            for table, df in frames.items():
                frames[table] = _map_values(df, table, {k: v for k, v in values.items() if k in df.columns})
    for table, sep in separators.items():
        if sep == ";":
            frames[table] = _decimal_commas(frames[table], table)

    settings: dict[str, Any] = {
        "timezone": timezone if timezone is not None else meta.get("timezone", "UTC"),
        "currency": currency if currency is not None else meta.get("currency", "USD"),
        "fiscal_year_start": int(fiscal_year_start if fiscal_year_start is not None else meta.get("fiscal_year_start", 1)),
        "on_invalid": on_invalid if on_invalid is not None else meta.get("on_invalid", "raise"),
    }
    first_day = dayfirst if dayfirst is not None else meta.get("dayfirst")
    if first_day is not None:
        settings["dayfirst"] = first_day
    log = logging.getLogger("salesmetrics.data")
    for table, entry in chosen.items():
        log.info("read_dir: %s from %s (%d rows)", table, entry.name, len(frames[table]))
    for name in ignored:
        log.warning("read_dir: ignored %s (not named after a table)", name)
    for key, value in settings.items():
        given = {"timezone": timezone, "currency": currency, "fiscal_year_start": fiscal_year_start, "on_invalid": on_invalid,
                 "dayfirst": dayfirst}[key]
        log.info("read_dir: %s=%r (%s)", key, value, "given" if given is not None else "bundle.json" if key in meta else "default")
    kwargs: dict[str, Any] = {**frames, **settings}
    return SalesData(**kwargs)


def read_parquet(path: str | os.PathLike[str], /, *, tables: list[str] | None = None, files: Mapping[str, str] | None = None,
                 columns: Mapping[str, Any] | None = None, values: Mapping[str, Any] | None = None,
                 blocksize: str | int = "16MiB", storage_options: dict[str, Any] | None = None, **settings: Any) -> DaskSalesData:
    """A folder of Parquet tables as a :class:`DaskSalesData`: ``<table>.parquet`` or ``<table>/`` per canonical table.

    Parameters
    ----------
    path : str or path-like
        A local folder or a URL (``s3://bucket/crm/``, with the matching fsspec package installed).
    tables : list of str, optional
        The tables to read; default every canonical table found.
    files : mapping, optional
        ``{table: file or folder in path}`` for a table stored under another name (``{"opportunities": "deals"}``).
    columns, values : mapping, optional
        As for :func:`read_dir`: ``{table: {their column: canonical}}`` or one flat ``{their column: canonical}``;
        ``{table: {column: {their value: canonical}}}`` or one flat ``{column: {...}}``, applied after renaming. Both
        are applied lazily, partition by partition. (A ``bundle.json`` in the folder is not read: pass its settings.)
    blocksize : str or int, default "16MiB"
        The Parquet data (uncompressed, by row groups) per partition. Validation holds a few copies of a partition
        while it checks it: 16 MiB (about 300,000 activities) keeps a worker of 1.5 GiB well inside its memory;
        raise it with the workers' memory.
    storage_options : dict, optional
        Passed to fsspec (credentials, endpoint).
    **settings
        :meth:`SalesData.from_dask`'s settings: ``timezone``, ``currency``, ``fiscal_year_start``, ``on_invalid``,
        ``quarantine``, ``references``, ``as_of``, ``dayfirst``.

    Returns
    -------
    salesmetrics.DaskSalesData

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> import salesmetrics as sm
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"opportunity_id": ["a", "b"], "created_at": ["2025-01-05", "2025-01-06"], "status": ["won", "lost"],
    ...               "closed_at": ["2025-02-01", "2025-02-03"]}).to_parquet(f"{folder}/opportunities.parquet")
    >>> data = sm.read_parquet(folder)
    >>> data.rows, str(data.as_of.date())
    ({'opportunities': 2}, '2025-02-03')
    >>> print(sm.win_rate(data)[["period", "won", "lost", "win_rate"]].to_string(index=False))
    period  won  lost  win_rate
    2025Q1    1     1       0.5
    """
    dd = import_optional("dask.dataframe", "dask")
    import fsspec

    root = os.fspath(path)
    fs, base = fsspec.core.url_to_fs(root, **(storage_options or {}))
    wanted = list(tables) if tables is not None else list(TABLE_NAMES)
    unknown = sorted(set(wanted) - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"read_parquet: unknown table(s) {', '.join(unknown)}; tables are {', '.join(TABLE_NAMES)}.")
    found: dict[str, Any] = {}
    named = dict(files or {})
    if unknown_files := sorted(set(named) - set(TABLE_NAMES)):
        raise ValueError(f"read_parquet: files= names unknown table(s) {', '.join(unknown_files)}; tables are {', '.join(TABLE_NAMES)}.")
    if files is not None and tables is None:
        wanted = [t for t in wanted if t in named or t not in named.values()]
    for name in wanted:
        for candidate in ((named[name],) if name in named else (f"{name}.parquet", name)):
            location = f"{base.rstrip('/')}/{candidate}"
            if fs.exists(location):
                url = f"{root.rstrip('/')}/{candidate}"
                found[name] = dd.read_parquet(url, storage_options=storage_options, blocksize=blocksize)
                break
        else:
            if tables is not None or name in named:
                where = named.get(name, f"{name}.parquet or {name}/")
                raise FileNotFoundError(f"read_parquet: no {where} in {root}.")
    if not found:
        present = sorted(fs.ls(base, detail=False)) if fs.exists(base) else []
        raise FileNotFoundError(f"read_parquet: no canonical table in {root} (looked for <table>.parquet or <table>/ for "
                                f"{', '.join(TABLE_NAMES)}); it holds {', '.join(os.path.basename(p) for p in present[:20]) or 'nothing'}.")
    for name, frame in found.items():
        renames = _per_table(columns, name, frame.columns)
        if renames:
            frame = frame.rename(columns=renames)
        for column, mapping in _per_table(values, name, frame.columns).items():
            frame[column] = frame[column].replace(dict(mapping))
        found[name] = frame
    if unknown_settings := sorted(set(settings) - {"timezone", "currency", "fiscal_year_start", "on_invalid", "quarantine",
                                                   "references", "as_of", "dayfirst"}):
        raise TypeError(f"read_parquet: unknown option(s) {', '.join(unknown_settings)}; it takes tables, files, columns, values, "
                        "blocksize, storage_options, timezone, currency, fiscal_year_start, on_invalid, quarantine, references, as_of "
                        "and dayfirst.")
    return SalesData.from_dask(**found, **settings)


def _per_table(mapping: Mapping[str, Any] | None, table: str, present: Any) -> dict[str, Any]:
    """The part of a ``columns=`` / ``values=`` mapping for ``table``: its own entry, or the flat mapping's keys it has."""
    if not mapping:
        return {}
    if any(k in TABLE_NAMES and isinstance(v, Mapping) for k, v in mapping.items()):
        return dict(mapping.get(table, {}))
    return {k: v for k, v in mapping.items() if k in set(map(str, present))}

