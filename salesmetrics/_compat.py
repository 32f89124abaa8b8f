"""What differs between the pandas versions salesmetrics supports (2.2 and later, 3.x): one place for it.

pandas 3 reads text as its Arrow-backed ``str`` dtype (missing values are NaN); pandas 2.2 reads it as ``object``
unless asked. The library asks, everywhere, for :data:`TEXT`, which is that same dtype on both, so a column, a
group label or a validation message is the same whichever pandas is installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3
"""Whether the installed pandas is 3.x or later."""


def _text_dtype() -> Any:
    try:  # pandas >= 2.3: the dtype pandas 3 calls "str"
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pandas 2.2 names the same storage "pyarrow_numpy"
        return pd.StringDtype("pyarrow_numpy")  # type: ignore[call-overload,unused-ignore]


TEXT: Any = _text_dtype()
"""Arrow-backed strings with NaN for missing: pandas 3's ``str``, requested explicitly.

Examples
--------
>>> import pandas as pd
>>> pd.Series(["a", None], dtype=TEXT).isna().tolist()
[False, True]
"""


def is_arrow_text(dtype: Any) -> bool:
    """Whether ``dtype`` is a string dtype stored in Arrow (pandas 3's ``str``, 2.2's ``pyarrow_numpy`` or
    ``string[pyarrow]``).

    Examples
    --------
    >>> is_arrow_text(TEXT), is_arrow_text(object)
    (True, False)
    """
    return isinstance(dtype, pd.StringDtype) and str(dtype.storage).startswith("pyarrow")


def isascii(text: pd.Series) -> pd.Series:
    """``text.str.isascii()`` (pandas 3), spelled as a regular expression where pandas has no such method (2.2).

    Examples
    --------
    >>> isascii(pd.Series(["a", "é"], dtype=TEXT)).tolist()
    [True, False]
    """
    if hasattr(text.str, "isascii"):
        return text.str.isascii()
    return ~text.str.contains(r"[^\x00-\x7f]", regex=True)


def flags(values: pd.Series, default: bool = False) -> np.ndarray:
    """A string method's result as a numpy boolean mask, a missing value as ``default``.

    pandas 3 returns booleans; pandas 2.2 returns objects with NaN for missing text, and ``fillna`` on those warns
    of a coming change. This reads both the same way, without the warning.

    Examples
    --------
    >>> flags(pd.Series(["ab", None, "c"], dtype=TEXT).str.contains("a")).tolist()
    [True, False, False]
    """
    if values.dtype == bool:
        return values.to_numpy()
    raw = np.asarray(values.astype(object))
    missing = np.asarray(pd.isna(raw), dtype=bool)
    out = np.full(len(raw), default, dtype=bool)
    out[~missing] = raw[~missing].astype(bool)
    return out


def concat(frames: Any, **kwargs: Any) -> pd.DataFrame:
    """``pd.concat``, without pandas 2's warning that all-missing columns will count towards the result's dtypes
    (pandas 3 counts them; the library's frames give the same values either way, which the tests compare).

    Examples
    --------
    >>> len(concat([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [None]})], ignore_index=True))
    2
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The behavior of DataFrame concatenation with empty or all-NA", FutureWarning)
        return pd.concat(frames, **kwargs)
