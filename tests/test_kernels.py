"""The fast paths of #22 give exactly what the plain pandas / numpy ways give (references computed here, by those).

- text codes on one slice per thread (columns longer than ``_kernels.SPLIT``) equal :func:`pandas.factorize`, also
  when the slices meet the values in different orders and with missing values;
- period ordinals found among the periods' start instants equal :func:`salesmetrics.periods.to_period` in zones
  whose clocks jump at midnight (Santiago, Beirut, Havana, Cairo) and at half hours (Lord Howe, St John's), in
  every datetime unit, for months, quarters and fiscal years;
- quantiles by cell from per-cell selection equal :func:`numpy.quantile` of each cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesmetrics import _kernels
from salesmetrics._compat import TEXT
from salesmetrics.periods import period_ordinals, to_period
from salesmetrics.stats import group_quantiles

NAT = np.iinfo("int64").min


@pytest.fixture
def small_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slice columns of more than 1,000 rows, on at least two threads, so the threaded path runs on small data."""
    monkeypatch.setattr(_kernels, "SPLIT", 1_000)
    monkeypatch.setattr(_kernels, "_threads", lambda: 3)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_text_codes_on_slices_equal_pandas_factorize(small_split: None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 10_000
    words = np.array(["SMB", "Mid-Market", "Enterprise", "Ünïcode", "", None], dtype=object)
    values = words[rng.integers(0, len(words), n)]
    values[: n // 3] = np.where(values[: n // 3] == "SMB", "late", values[: n // 3])  # slices meet values in other orders
    series = pd.Series(values, dtype="str")
    codes, uniques = _kernels.text_codes(series)
    want_codes, want_uniques = pd.factorize(series)
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)


def test_text_codes_of_a_column_all_missing(small_split: None) -> None:
    codes, uniques = _kernels.text_codes(pd.Series([None] * 5_000, dtype="str"))
    assert (codes == -1).all() and len(uniques) == 0


def test_text_in_matches_exactly_on_slices(small_split: None) -> None:
    rng = np.random.default_rng(3)
    words = np.array(["won", "lost", "open", "Won", " won", None], dtype=object)
    series = pd.Series(words[rng.integers(0, len(words), 7_777)], dtype="str")
    got = _kernels.text_in(series, ("won", "lost"))
    want = np.where(series == "won", 0, np.where(series == "lost", 1, -1))
    assert got.tolist() == want.tolist()
    assert _kernels.text_in(series.astype(object), ("won", "lost")).tolist() == want.tolist()


@pytest.mark.parametrize("seed", [0, 4, 11])
def test_few_text_codes_are_exact_or_not_given(small_split: None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5_000, 20_000))
    words = np.array(["SMB", "Mid-Market", "Enterprise", "Ünïcode", "", None], dtype=object)
    series = pd.Series(words[rng.integers(0, len(words), n)], dtype=TEXT)
    codes, uniques = _kernels.few_text_codes(series, key=str)
    assert list(uniques) == sorted(w for w in words if w is not None)  # sorted by the key
    assert codes.tolist() == [-1 if v is None else list(uniques).index(v) for v in series.astype(object).where(series.notna(), None)]
    rare = series.copy()
    sampled = set(np.linspace(0, n - 1, 4_096).astype("int64").tolist())  # the rows few_text_codes reads first
    rare.iloc[int(rng.choice([i for i in range(n) if i not in sampled]))] = "a value no sample sees"
    assert _kernels.few_text_codes(rare) is None  # a row the sample missed: no codes, rather than wrong ones
    seen = series.copy()
    seen.iloc[max(sampled)] = "seen"  # one row again, but one the sample reads: coded
    codes, uniques = _kernels.few_text_codes(seen)
    assert uniques[codes[max(sampled)]] == "seen" and (codes == list(uniques).index("seen")).sum() == 1
    many = pd.Series(np.char.add("id", np.arange(n).astype(str)), dtype=TEXT)
    assert _kernels.few_text_codes(many) is None  # more distinct values than a few
    assert _kernels.few_text_codes(series.astype(object)) is None  # not Arrow-backed: pandas' path


def test_group_codes_are_the_same_by_the_sample_and_by_hashing(small_split: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from salesmetrics.data import _lookups

    rng = np.random.default_rng(8)
    labels = pd.Series(np.array(["West", "(missing)", "East", "(unknown)", "North"])[rng.integers(0, 5, 9_000)], dtype=TEXT)
    fast = _lookups.group_codes(labels)
    monkeypatch.setattr(_lookups, "few_text_codes", lambda *a, **k: None)
    slow = _lookups.group_codes(labels)
    assert list(fast[1]) == list(slow[1]) == ["East", "North", "West", "(missing)", "(unknown)"]
    assert fast[0].dtype == slow[0].dtype == np.int64 and fast[0].tolist() == slow[0].tolist()


def test_text_in_refuses_repeated_choices(small_split: None) -> None:
    with pytest.raises(ValueError, match="distinct"):
        _kernels.text_in(pd.Series(["won"] * 2_000, dtype=TEXT), ("won", "won"))


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 1_000])
def test_in_ranges_covers_every_row_once_in_order(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_kernels, "_threads", lambda: 3)
    parts = _kernels.in_ranges(n, lambda lo, hi: np.arange(lo, hi), size=10)
    assert np.concatenate(parts).tolist() == list(range(n))
    assert all(len(p) <= 10 for p in parts)


def test_together_keeps_the_order_of_the_calls() -> None:
    assert _kernels.together(*(lambda i=i: i * i for i in range(7))) == [i * i for i in range(7)]
    assert _kernels.together() == []


def test_single_value_on_slices(small_split: None) -> None:
    same = pd.Series(["EUR"] * 3_000 + [None] * 10, dtype="str")
    assert _kernels.single_value(same) == "EUR"
    other = same.copy()
    other.iloc[2_999] = "USD"  # in the last slice only
    assert _kernels.single_value(other) is None
    assert _kernels.single_value(pd.Series([None] * 3, dtype="str")) is None


def _reference(values: pd.Series, freq: str, fiscal: int) -> np.ndarray:
    p = to_period(values, freq, fiscal_year_start=fiscal)
    return np.where(pd.isna(p), NAT, p.asi8)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Seoul", "America/Santiago", "Asia/Beirut",
                                  "America/Havana", "Australia/Lord_Howe", "America/St_Johns", "Pacific/Apia", None])
@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_period_ordinals_equal_to_period(zone: str | None, unit: str) -> None:
    rng = np.random.default_rng(11)
    ns = pd.Timestamp("2000-01-01").value + rng.integers(0, 30 * 365 * 86_400 * 10**9, 20_000)
    stamps = pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]")))
    if zone is not None:
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(zone)
    stamps[::97] = pd.NaT
    stamps = stamps.dt.as_unit(unit)
    for freq in ("M", "Q", "Y"):
        for fiscal in (1, 4, 7):
            assert (period_ordinals(stamps, freq, fiscal_year_start=fiscal) == _reference(stamps, freq, fiscal)).all(), (freq, fiscal)


@pytest.mark.parametrize("zone", ["America/Santiago", "Asia/Beirut", "America/Havana", "America/Sao_Paulo", "Africa/Cairo"])
def test_period_ordinals_at_every_month_start_where_midnight_may_not_exist(zone: str) -> None:
    """One nanosecond before, at and after each local month start (the first instant of the day, where the clocks
    skip midnight), and an hour either side."""
    starts = pd.date_range("1990-01-01", "2030-01-01", freq="MS")
    local = starts.tz_localize(zone, ambiguous=np.ones(len(starts), dtype=bool), nonexistent="shift_forward")
    hour = 3_600 * 10**9
    instants = np.concatenate([local.asi8 + d for d in (-hour, -1, 0, 1, hour)])
    stamps = pd.Series(pd.to_datetime(instants, utc=True)).dt.tz_convert(zone)
    for freq in ("M", "Q"):
        assert (period_ordinals(stamps, freq) == _reference(stamps, freq, 1)).all(), freq


def test_period_ordinals_of_nothing() -> None:
    assert len(period_ordinals(pd.Series([], dtype="datetime64[ns, UTC]"), "Q")) == 0
    assert (period_ordinals(pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns, UTC]"), "Q") == NAT).all()


@pytest.mark.parametrize("seed", [2, 5, 9])
def test_group_quantiles_by_selection_equal_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(30):
        n, k = int(rng.integers(0, 5_000)), int(rng.integers(1, 50))
        cell = rng.integers(0, k, n)
        values = rng.normal(size=n).round(1)  # ties
        values[rng.random(n) < 0.05] = np.nan
        qs = (0.1, 0.25, 0.5, 0.75, 0.9)
        got = group_quantiles(cell, values, k, qs)
        for i in range(k):
            x = values[(cell == i) & ~np.isnan(values)]
            for q in qs:
                want = np.quantile(x, q) if len(x) else np.nan
                assert np.isclose(got[q][i], want, equal_nan=True), (i, q)


def test_group_quantiles_leave_out_rows_in_no_cell() -> None:
    # cell -1 (a row in no cell) and a cell past the last are ignored: the medians of [1, 3] and [10]
    out = group_quantiles(np.array([0, -1, 0, 1, 2, -1]), np.array([1.0, 100.0, 3.0, 10.0, 50.0, -7.0]), 2, (0.5,))
    assert out[0.5].tolist() == [2.0, 10.0]


@pytest.mark.parametrize("seed", [3, 11])
def test_ranges_of_rows_give_the_same_medians_positions_and_pipeline_tables(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Ranges of 997 rows on three threads (the ten-million-row path on small data): each cell's quantiles equal
    numpy's own ``np.quantile`` of that cell's values (the reference, computed cell by cell), ``positions`` equals
    ``np.flatnonzero``, and win_rate / deal_size give the same tables as in one range."""
    import salesmetrics as sm
    from salesmetrics import stats

    rng = np.random.default_rng(seed)
    n, n_cells = int(rng.integers(5_000, 9_000)), int(rng.integers(3, 40))
    cell = rng.integers(-1, n_cells + 1, n)
    values = rng.gamma(2.0, 1_000.0, n)
    values[rng.random(n) < 0.02] = np.nan
    opps = pd.DataFrame({"opportunity_id": pd.Series([f"o{i}" for i in range(n)], dtype=TEXT),
                         "created_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
                         "status": pd.Series(np.array(["won", "lost", "open"])[rng.integers(0, 3, n)], dtype=TEXT),
                         "amount": rng.gamma(2.0, 1_000.0, n),
                         "segment": pd.Series(np.array(["SMB", "Enterprise", None], dtype=object)[rng.integers(0, 3, n)], dtype=TEXT)})
    opps["closed_at"] = opps["created_at"] + pd.to_timedelta(rng.integers(1, 120, n), unit="D")
    opps.loc[opps["status"] == "open", "closed_at"] = pd.NaT
    one = [f(opps, by="segment", as_of="2024-12-31") for f in (sm.win_rate, sm.deal_size)]
    monkeypatch.setattr(_kernels, "CHUNK", 997)
    monkeypatch.setattr(stats, "CHUNK", 997)
    monkeypatch.setattr(_kernels, "_threads", lambda: 3)
    got = group_quantiles(cell, values, n_cells, (0.25, 0.5, 0.9))
    for i in range(n_cells):
        mine = values[(cell == i) & ~np.isnan(values)]
        for q in (0.25, 0.5, 0.9):
            want = np.quantile(mine, q) if len(mine) else np.nan  # numpy's default (linear) interpolation
            assert got[q][i] == pytest.approx(want, rel=1e-12, nan_ok=True), (i, q)
    mask = rng.random(n) < 0.3
    assert np.array_equal(_kernels.positions(mask), np.flatnonzero(mask))
    for f, before in zip((sm.win_rate, sm.deal_size), one, strict=True):
        pd.testing.assert_frame_equal(f(opps, by="segment", as_of="2024-12-31"), before)
