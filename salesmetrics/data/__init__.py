"""The SalesData bundle: validated canonical tables, read from files or frames.

Validation happens here, once, at the boundary. Each table is coerced to its
canonical types (ids to strings, amounts to numbers, time stamps to the
bundle's time zone), checked against its pandera schema lazily (every failure
is collected), then checked against the other tables. Failures either raise
one :class:`~salesmetrics.errors.InputValidationError` listing all of them,
or, with ``on_invalid="quarantine"``, move the offending rows, with their
reasons, to ``data.quarantine``. No row is ever dropped silently.

The package is split by concern:

- :mod:`._reading`: folders of files and foreign exports (``read_dir``, ``conform``);
- :mod:`._coerce`: canonical types, whole columns at a time;
- :mod:`._checks` and :mod:`._messages`: schema and cross-table checks, and the messages with their fixes;
- :mod:`._bundle`: :class:`SalesData`;
- :mod:`._lookups`: ids matched across tables, :class:`Inputs` for metric calls, ``by=`` group labels.
"""

from __future__ import annotations

from ._bundle import SalesData
from ._lookups import (
    MISSING_GROUP,
    NO_GROUP,
    SETTINGS_ATTR,
    UNKNOWN_GROUP,
    Inputs,
    can_group,
    frame_settings,
    group_codes,
    group_labels,
    index_in,
)
from ._messages import TABLE_NAMES, OnInvalid
from ._reading import conform, read_dir, read_parquet
from ._resolve import resolve

__all__ = [
    "MISSING_GROUP",
    "NO_GROUP",
    "SETTINGS_ATTR",
    "TABLE_NAMES",
    "UNKNOWN_GROUP",
    "Inputs",
    "OnInvalid",
    "SalesData",
    "can_group",
    "conform",
    "frame_settings",
    "group_codes",
    "group_labels",
    "index_in",
    "read_dir",
    "read_parquet",
    "resolve",
]
