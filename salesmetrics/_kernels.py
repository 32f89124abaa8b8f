"""Vectorised primitives on text columns that the metrics' hot paths share: codes of labels, positions among a few
values, the one value of a column.

An Arrow-backed text column of more than :data:`SPLIT` rows is cut into one slice per core (zero-copy), and each
slice is hashed by Arrow's C++ kernels on its own thread (they release the GIL), then the slices' dictionaries are
unified; smaller or object-typed columns take pandas' one-thread path. The results are the same either way: codes
in order of first appearance, as :func:`pandas.factorize` gives them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from ._compat import is_arrow_text

SPLIT = 1_000_000
"""Columns longer than this are hashed on several threads."""


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _arrow(values: pd.Series) -> Any:
    """The column's Arrow data (a ChunkedArray, no copy), or None when it is not Arrow-backed text."""
    if not is_arrow_text(values.dtype):
        return None
    return values.array._pa_array  # type: ignore[attr-defined]


def in_pieces(array: Any, fn: Callable[[Any], Any]) -> list[Any]:
    """``fn`` on one zero-copy slice of an Arrow array per thread (one call when it is short), results in order."""
    n, k = len(array), _threads()
    if n <= SPLIT or k == 1:
        return [fn(array)]
    bounds = np.linspace(0, n, k + 1).astype("int64")
    slices = [array.slice(int(a), int(b - a)) for a, b in itertools.pairwise(bounds)]
    with ThreadPoolExecutor(k) as pool:
        return list(pool.map(fn, slices))


CHUNK = 1 << 20
"""Rows per range in :func:`in_ranges`: its temporaries stay in the processor's caches."""


def in_ranges(n: int, fn: Callable[[int, int], Any], size: int | None = None) -> list[Any]:
    """``fn(lo, hi)`` over consecutive ranges of ``size`` rows (default :data:`CHUNK`) covering ``0 .. n``, results in
    order, on one thread per core.

    Several element-wise passes over one range at a time keep their temporaries small (a ten-million-row
    temporary is fresh memory the kernel must fault in) and run on every core (numpy's loops release the GIL).

    Examples
    --------
    >>> a = np.arange(10)
    >>> parts = in_ranges(len(a), lambda lo, hi: np.flatnonzero(a[lo:hi] % 3 == 0) + lo, size=4)
    >>> np.concatenate(parts).tolist()
    [0, 3, 6, 9]
    """
    size = size or CHUNK
    bounds = [*range(0, n, size), n]
    ranges = list(itertools.pairwise(bounds)) if n else [(0, 0)]
    k = min(_threads(), len(ranges))
    if k <= 1:
        return [fn(lo, hi) for lo, hi in ranges]
    with ThreadPoolExecutor(k) as pool:
        return list(pool.map(lambda r: fn(*r), ranges))


def positions(mask: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(mask)``, a range of rows per core.

    Examples
    --------
    >>> positions(np.array([True, False, True])).tolist()
    [0, 2]
    """
    def part(lo: int, hi: int) -> np.ndarray:
        found = np.flatnonzero(mask[lo:hi])
        found += lo
        return found

    parts = in_ranges(len(mask), part, size=max(-(-len(mask) // _threads()), CHUNK))
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def together(*calls: Callable[[], Any]) -> list[Any]:
    """The results of ``calls`` (functions of no argument), in order, run on one thread each up to the number of
    cores: numpy's loops and Arrow's kernels release the GIL, so independent passes over long arrays overlap.

    Examples
    --------
    >>> a = np.arange(10)
    >>> together(lambda: int(a.min()), lambda: int(a.max()))
    [0, 9]
    """
    k = min(_threads(), len(calls))
    if k <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(k) as pool:
        return list(pool.map(lambda call: call(), calls))


def _indices(indices: Any) -> np.ndarray:
    """Arrow integer indices as numpy (nulls as -1), without a copy where there are no nulls."""
    import pyarrow.compute as pc

    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    return np.asarray(indices.to_numpy(zero_copy_only=False))


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a text column (missing: -1) and its distinct values (object array), in order of first
    appearance, as :func:`pandas.factorize`.

    Examples
    --------
    >>> codes, uniques = text_codes(pd.Series(["b", None, "a", "b"], dtype="str"))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    array = _arrow(values)
    if array is None or len(array) <= SPLIT:
        codes, uniques = pd.factorize(values)
        return np.asarray(codes, dtype="int64"), np.asarray(uniques, dtype=object)
    import pyarrow as pa
    import pyarrow.compute as pc

    def encode(piece: Any) -> tuple[list[np.ndarray], Any]:
        encoded = pc.dictionary_encode(piece)
        chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
        if not chunks:
            return [], pa.array([], type=pa.large_string())
        # a chunked input's chunks share the one dictionary the kernel built
        return [_indices(chunk.indices) for chunk in chunks], chunks[-1].dictionary.cast(pa.large_string())

    parts = in_pieces(array, encode)
    uniques = pc.unique(pa.concat_arrays([d for _, d in parts]))  # in order of first appearance, the first slice's first
    out = np.empty(len(array), dtype="int64")
    at = 0
    for codes, dictionary in parts:
        remap = np.asarray(pc.index_in(dictionary, value_set=uniques).to_numpy(zero_copy_only=False), dtype="int64")
        same = np.array_equal(remap, np.arange(len(remap)))  # the usual case: every slice met the values in one order
        remap = np.append(remap, -1)  # code -1 (missing) takes remap's last entry, -1
        for c in codes:
            if same:
                out[at:at + len(c)] = c
            else:
                np.take(remap, c, out=out[at:at + len(c)])
            at += len(c)
    return out, np.asarray(uniques.to_pylist(), dtype=object)


def few_text_codes(values: pd.Series, most: int = 126, key: Callable[[str], Any] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes (int8; missing: -1) and distinct values (object array) of a long Arrow text column with at most ``most``
    distinct values, or None when the column is not one (short, not Arrow-backed, or with more values).

    The distinct values are read from a sample of rows evenly spaced over the column, then every row is looked up
    among them (a lookup in a small set costs about half of hashing every row into a new dictionary). A value
    the sample missed makes the function return None, so a caller falls back to :func:`text_codes`: the codes
    are exact or not given. The distinct values are sorted by ``key``; without it they are in no particular order.

    Examples
    --------
    >>> s = pd.Series(["b", "a", None] * 400_000, dtype="str")
    >>> codes, uniques = few_text_codes(s)
    >>> sorted(uniques.tolist()), bool((uniques[codes[:2]] == ["b", "a"]).all()), int(codes[2])
    (['a', 'b'], True, -1)
    >>> few_text_codes(pd.Series(["b", "a"], dtype="str")) is None  # short: pandas' path is as fast
    True
    """
    array = _arrow(values)
    if array is None or len(array) <= SPLIT:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    sample = array.take(pa.array(np.linspace(0, n - 1, min(n, 4096)).astype("int64")))
    uniques = pc.unique(sample).drop_null()
    if len(uniques) > min(most, 126):
        return None
    if key is not None:
        uniques = pa.array(sorted(uniques.to_pylist(), key=key), type=uniques.type)

    def codes(piece: Any) -> tuple[int, np.ndarray]:
        found = pc.cast(pc.index_in(piece, value_set=uniques), pa.int8())
        unmatched = found.null_count  # missing values, and values the sample missed
        if unmatched:
            found = pc.fill_null(found, -1)
        return unmatched, np.asarray(found.to_numpy(zero_copy_only=False))

    parts = in_pieces(array, codes)
    if sum(u for u, _ in parts) != array.null_count:
        return None
    out = np.concatenate([c for _, c in parts]) if len(parts) != 1 else parts[0][1]
    return out, np.asarray(uniques.to_pylist(), dtype=object)


def text_in(values: pd.Series, choices: Sequence[str]) -> np.ndarray:
    """For each value of a text column, its position in ``choices`` (exact match), -1 for any other value and for
    missing ones. Arrow text is compared choice by choice (an equality pass costs less than hashing), on one slice
    of the column per thread.

    Examples
    --------
    >>> text_in(pd.Series(["won", "lost", None, "open", "Won"], dtype="str"), ["won", "lost"]).tolist()
    [0, 1, -1, -1, -1]
    """
    array = _arrow(values)
    if array is None:
        out = np.full(len(values), -1, dtype="int8")
        for i, choice in enumerate(choices):
            out[np.asarray(values == choice, dtype=bool)] = i
        return out
    import pyarrow.compute as pc

    if len(set(choices)) != len(choices) or len(choices) > 126:
        raise ValueError(f"text_in: choices must be distinct and at most 126, got {list(choices)!r}")

    def codes(piece: Any) -> np.ndarray:
        found = np.full(len(piece), -1, dtype="int8")
        for i, choice in enumerate(choices):  # choices are distinct: a value matches at most one, so codes add up
            same = pc.equal(piece, choice)
            if same.null_count:
                same = pc.fill_null(same, False)
            hit = np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool).view(np.int8)
            found += hit * np.int8(i + 1) if i else hit
        return found

    parts = in_pieces(array, codes)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def single_value(values: pd.Series) -> str | None:
    """The column's one distinct value when every present value is the same, else None (also when all are missing).

    Examples
    --------
    >>> single_value(pd.Series(["EUR", None, "EUR"], dtype="str")), single_value(pd.Series(["EUR", "USD"], dtype="str"))
    ('EUR', None)
    """
    array = _arrow(values)
    first = values.first_valid_index()
    if first is None:
        return None
    if array is None:
        codes = values.dropna().unique()
        return str(codes[0]) if len(codes) == 1 else None
    import pyarrow.compute as pc

    value = values.loc[first]
    value = value.iloc[0] if isinstance(value, pd.Series) else value  # a repeated index label
    same = in_pieces(array, lambda piece: pc.all(pc.equal(piece, value)).as_py())  # missing values are skipped
    return str(value) if all(x is not False for x in same) else None
