"""The Dask path gives the pandas answers: figures, as_of, unresolved references, errors, quarantine.

Every expected value here comes from the pandas path on the same rows: ``sm.SalesData(**tables)`` (and the pandas
metric on it, or on the bare frames) is the oracle, and the Dask bundle (``SalesData.from_dask``, ``read_parquet``,
a metric given Dask frames) must equal it. The large tables (``BIG_TABLES``) are shuffled before they are cut into
partitions, so a partition is never an account's or a deal's rows; both paths get the same shuffled rows, so a row's
number (its position in the whole table) is the same in both. The small tables stay pandas.

All of it runs on a local cluster of two worker processes, so every partition is pickled to a worker and back.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import salesmetrics as sm
from salesmetrics.data._dask import BIG_TABLES

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed (pip install 'salesmetrics[dask]')")

# two generated companies, neither the one tests/test_partials.py uses (seed 23, 400 accounts, 18 months)
SIZES = {11: {"accounts": 80, "months": 18}, 31: {"accounts": 140, "months": 24}}


@contextmanager
def _quiet() -> Iterator[None]:
    """Both paths warn about the same unresolved references; the tests compare the frames, not the warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        yield


@functools.cache
def _company(seed: int) -> sm.SalesData:
    with _quiet():
        return sm.make_company(seed=seed, **SIZES[seed]).to_sales_data()


def _shuffled(tables: dict[str, pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    """The large tables' rows in a random order (the same order is given to pandas and to Dask)."""
    return {name: frame.sample(frac=1.0, random_state=k) if name in BIG_TABLES else frame for name, frame in tables.items()}


def _on_dask(tables: dict[str, pd.DataFrame], n: int) -> dict[str, Any]:
    """The large tables as Dask frames of ``n`` partitions cut in row order (no sort by index), the small ones pandas."""
    return {name: dd.from_pandas(frame, npartitions=n, sort=False) if name in BIG_TABLES else frame for name, frame in tables.items()}


def _bounds(frame: pd.DataFrame, n: int) -> np.ndarray:
    """Where each of the ``n`` partitions of ``frame`` starts (and the end): ``dd.from_pandas`` cuts it in row order."""
    lengths = dd.from_pandas(frame, npartitions=n, sort=False).map_partitions(len).compute().to_numpy()
    return np.concatenate([[0], np.cumsum(lengths)])


def _settings(company: sm.SalesData) -> dict[str, str]:
    return {"timezone": company.timezone, "currency": company.currency}


def _raises(build: Any) -> sm.InputValidationError:
    with pytest.raises(sm.InputValidationError) as caught, _quiet():
        build()
    return caught.value


def _cases(failures: pd.DataFrame) -> pd.DataFrame:
    """Failures as a comparable frame: one row per (table, column, check, row), values as text."""
    out = failures[["table", "column", "check", "row", "fix"]].astype({"table": str, "column": str, "check": str, "fix": str})
    out["value"] = failures["value"].map(str).to_numpy()
    return out.sort_values(["table", "column", "check", "row"]).reset_index(drop=True)


class _Unreadable:
    """A frame whose partitions raise when computed: proof that a check ran on the meta alone."""

    @staticmethod
    def frame(raw: pd.DataFrame, n: int = 2) -> Any:
        def unreadable(part: pd.DataFrame) -> pd.DataFrame:
            raise AssertionError("a partition was read")

        return dd.from_pandas(raw, npartitions=n, sort=False).map_partitions(unreadable, meta=raw.iloc[:0])


# ------------------------------------------------------------------------------------------------------------------
# 1. any partitioning: every metric, as_of and unresolved equal the pandas bundle's
# ------------------------------------------------------------------------------------------------------------------

def _dropped(seed: int, drop_leads: bool, drop_reps: bool) -> dict[str, pd.DataFrame]:
    """The company's tables, without every seventh lead (activities and deals then refer to leads the export does not
    hold: the large-table anti-join finds them) and/or without its first two reps (the owner references to them
    are found per partition, against the small reps; a manager among them is unresolved in reps itself)."""
    tables = dict(_company(seed).tables)
    if drop_leads:
        tables["leads"] = tables["leads"].iloc[[i for i in range(len(tables["leads"])) if i % 7]]
    if drop_reps:
        tables["reps"] = tables["reps"].iloc[2:]
    return tables


@functools.cache
def _bundles(seed: int, n: int, drop_leads: bool, drop_reps: bool) -> tuple[sm.SalesData, Any]:
    """The pandas bundle and the Dask bundle of the same shuffled rows (the Dask one is lazy: cached, recomputed)."""
    company = _company(seed)
    tables = _shuffled(_dropped(seed, drop_leads, drop_reps), k=n)
    with _quiet():
        want = sm.SalesData(**tables, **_settings(company))
        got = sm.SalesData.from_dask(**_on_dask(tables, n), **_settings(company))
    return want, got


def _metric_calls(freq: str, by: str | None) -> list[tuple[str, dict[str, Any]]]:
    """Every metric that splits, with the options that change what a partial holds; the subscription metrics group by
    an account's attribute only (a subscription has no owner, so by='team' is a pandas error for them)."""
    sub_by = None if by == "team" else by
    return [("win_rate", {"freq": freq, "by": by, "weight": "amount"}), ("deal_size", {"freq": freq, "by": by}),
            ("sales_cycle", {"freq": freq, "by": by, "method": "km"}), ("close_rate", {"freq": freq, "by": by, "window": "90D"}),
            ("mrr_bridge", {"freq": freq, "by": sub_by}), ("retention", {"freq": freq, "by": sub_by}),
            ("response_sla", {"freq": freq, "by": by})]


@settings(max_examples=3, deadline=None)
@given(seed=st.sampled_from(sorted(SIZES)), n=st.sampled_from([1, 3, 7]), freq=st.sampled_from(["Q", "M"]),
       by=st.sampled_from([None, "segment", "team"]), drop_leads=st.booleans(), drop_reps=st.booleans())
@example(seed=31, n=7, freq="M", by="team", drop_leads=True, drop_reps=True)
@example(seed=11, n=3, freq="Q", by="segment", drop_leads=True, drop_reps=False)
def test_a_dask_bundle_equals_the_pandas_bundle(cluster, seed, n, freq, by, drop_leads, drop_reps):
    want, got = _bundles(seed, n, drop_leads, drop_reps)
    assert got.as_of == want.as_of and got.as_of_source == want.as_of_source  # the latest event, found per partition
    # unresolved: the same references, rows, distinct ids and examples (the first three in row order), in the same order
    pd.testing.assert_frame_equal(got.unresolved, want.unresolved)
    if drop_leads:  # the case is exercised: the anti-join between activities and leads found the leads not exported
        found = set(zip(got.unresolved["table"], got.unresolved["column"], strict=True))
        assert {("activities", "lead_id"), ("opportunities", "lead_id")} <= found
    assert got.rows == {name: len(getattr(want, name)) for name in BIG_TABLES} and not any(got.quarantined.values())
    with _quiet():
        for metric, options in _metric_calls(freq, by):
            pd.testing.assert_frame_equal(getattr(sm, metric)(got, **options), getattr(sm, metric)(want, **options),
                                          obj=f"{metric}({options})")


@pytest.mark.parametrize(("seed", "n", "by"), [(11, 3, "source"), (31, 7, "segment")])
def test_the_funnel_on_a_dask_frame_of_journeys_and_of_leads(cluster, seed, n, by):
    """The funnel on bare frames: lead journeys (one row per lead, the deal's dates joined in pandas first) and the
    leads alone (their own stages); a bundle with opportunities is refused, since a journey joins across the data."""
    company = _company(seed)
    journeys = sm.lead_journeys(company).sample(frac=1.0, random_state=n)
    leads = company.leads.sample(frac=1.0, random_state=n)
    lead_stages = ["created_at", "mql_at", "sql_at"]
    with _quiet():
        for frame, options in [(journeys, {"by": by, "freq": "M"}), (journeys, {"window": "60D"}),
                               (leads, {"stages": lead_stages, "by": by, "method": "period"})]:
            want = sm.funnel(frame, as_of=company.as_of, **options)
            got = sm.funnel(dd.from_pandas(frame, npartitions=n, sort=False), as_of=company.as_of, **options)
            pd.testing.assert_frame_equal(got, want, obj=f"funnel({options})")
        bundle = sm.SalesData.from_dask(leads=dd.from_pandas(leads, npartitions=1), fx_rates=company.fx_rates,
                                        opportunities=dd.from_pandas(company.opportunities, npartitions=1), **_settings(company))
    with pytest.raises(ValueError, match="funnel on a DaskSalesData: a lead's journey joins it to its deals"):
        sm.funnel(bundle)


# ------------------------------------------------------------------------------------------------------------------
# 2. bad rows spread over partitions: the pandas error, word for word
# ------------------------------------------------------------------------------------------------------------------

def _spoiled(seed: int, n: int, *, order: str) -> tuple[dict[str, pd.DataFrame], dict[str, list[int]]]:
    """The company's shuffled tables with bad rows put in chosen partitions of ``n``; returns them and the rows
    spoiled per check. ``order`` "forward": the non-number amount in partition 1, the deal closed before it was
    created in partition 3; "reverse": the other way round (the message's order must not follow the partitions).
    Always: one opportunity id in partitions 0 and n-1, one id twice inside partition 2, an activity with an
    unreadable date in the last partition. The deal with the bad amount has an owner who is not in reps, the one that
    closes early a currency without rates: pandas checks the references of the rows it keeps (all rows when it raises),
    so under quarantine neither is a reference problem."""
    company = _company(seed)
    tables = {name: frame.reset_index(drop=True) for name, frame in _shuffled(dict(company.tables), k=seed).items()}
    opps = tables["opportunities"].copy()
    bounds = _bounds(opps, n)
    closed = np.flatnonzero(opps["closed_at"].notna().to_numpy())
    amount_part, closed_part = (1, 3) if order == "forward" else (3, 1)
    amount_row = int(bounds[amount_part])
    closed_row = int(closed[(closed >= bounds[closed_part]) & (closed < bounds[closed_part + 1])][0])
    opps["amount"] = opps["amount"].astype(object)
    opps.loc[amount_row, "amount"] = "lots"
    opps.loc[closed_row, "closed_at"] = opps.loc[closed_row, "created_at"] - pd.Timedelta(days=3)
    opps.loc[amount_row, "owner_id"] = "REP-GONE"
    opps.loc[closed_row, "currency"] = "XYZ"
    first, last = int(bounds[0]), int(bounds[n - 1]) + 1
    opps.loc[last, "opportunity_id"] = opps.loc[first, "opportunity_id"]  # across partitions
    inside = int(bounds[2]) + 1
    opps.loc[inside + 1, "opportunity_id"] = opps.loc[inside, "opportunity_id"]  # inside partition 2
    acts = tables["activities"].copy()
    act_row = int(_bounds(acts, n)[n - 1]) + 2
    acts["occurred_at"] = acts["occurred_at"].astype(object)
    acts.loc[act_row, "occurred_at"] = "not a date"
    tables.update(opportunities=opps, activities=acts)
    rows = {"number": [amount_row], "closed_not_before_created": [closed_row],
            "unique": sorted([first, last, inside, inside + 1]), "timestamp": [act_row], "missing_fx_rate": [closed_row]}
    return tables, rows


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_bad_rows_in_several_partitions_give_the_pandas_error(cluster, order):
    """The pandas bundle's error on the same rows is the expected text, character for character."""
    seed, n = 31, 5
    company = _company(seed)
    tables, rows = _spoiled(seed, n, order=order)
    want = _raises(lambda: sm.SalesData(**tables, **_settings(company)))
    got = _raises(lambda: sm.SalesData.from_dask(**_on_dask(tables, n), **_settings(company)))
    assert str(got) == str(want)
    pd.testing.assert_frame_equal(_cases(got.failure_cases), _cases(want.failure_cases))
    # the rows spoiled above, each found (the oracle itself is checked: these are the failures pandas reports)
    found = want.failure_cases.groupby("check")["row"].agg(lambda r: sorted(r.astype(int)))
    assert {check: found[check] for check in rows} == rows
    assert "opportunities.amount [number]: 1 row(s) (rows " + str(rows["number"][0]) + ")" in str(got)


def test_tables_given_in_any_order_give_the_pandas_error(cluster):
    """from_dask's keywords in another order than the canonical one: the message still lists the tables as pandas does."""
    seed, n = 31, 5
    company = _company(seed)
    tables, _ = _spoiled(seed, n, order="forward")
    backwards = dict(reversed(list(_on_dask(tables, n).items())))
    want = _raises(lambda: sm.SalesData(**tables, **_settings(company)))
    got = _raises(lambda: sm.SalesData.from_dask(**backwards, **_settings(company)))
    assert str(got) == str(want)


# ------------------------------------------------------------------------------------------------------------------
# 3. quarantine: the rows set aside go to Parquet, the rest equals the pandas quarantined bundle
# ------------------------------------------------------------------------------------------------------------------

def test_quarantine_writes_the_pandas_rows_and_keeps_the_pandas_figures(cluster, tmp_path):
    """The same spoiled tables as above (and one account with an unreadable date), quarantined: pandas' quarantine is
    the oracle for the rows written, their reasons, what is unresolved and every figure."""
    seed, n = 31, 4
    company = _company(seed)
    tables, rows = _spoiled(seed, n, order="reverse")
    accounts = tables["accounts"].copy()
    accounts["created_at"] = accounts["created_at"].astype(object)
    accounts.loc[0, "created_at"] = "someday"  # a small table's row set aside: the deals on it become unresolved
    tables["accounts"] = accounts
    with _quiet():
        want = sm.SalesData(**tables, **_settings(company), on_invalid="quarantine")
        got = sm.SalesData.from_dask(**_on_dask(tables, n), **_settings(company), on_invalid="quarantine", quarantine=str(tmp_path))
    assert got.quarantine == {name: f"{tmp_path}/{name}" for name in want.quarantine if name in BIG_TABLES}
    assert set(want.quarantine) == {"accounts", "opportunities", "activities"}
    # pandas does not count the references of the rows it sets aside (the bad amount's owner, the early deal's currency)
    assert "owner_id" not in set(want.unresolved["column"]) and "missing_fx_rate" not in set(want.failure_cases["check"])
    pd.testing.assert_frame_equal(got.small.quarantine["accounts"], want.quarantine["accounts"])
    for name, held in want.quarantine.items():
        if name not in BIG_TABLES:
            continue
        written = pd.read_parquet(tmp_path / name).sort_values("row").reset_index(drop=True)
        # the same rows (numbered in the whole table) with the same reasons, and the same ids as given
        pd.testing.assert_frame_equal(written[["row", "reason"]], held[["row", "reason"]].astype({"row": "int64"}),
                                      check_dtype=False)
        key = "opportunity_id" if name == "opportunities" else "activity_id"
        assert written[key].tolist() == held[key].astype(str).tolist()
        assert got.quarantined[name] == len(held) and got.rows[name] == len(getattr(want, name))
    # every spoiled opportunity row is in the quarantine (rows from _spoiled)
    assert set(pd.read_parquet(tmp_path / "opportunities")["row"]) == set(rows["number"] + rows["closed_not_before_created"]
                                                                         + rows["unique"])
    pd.testing.assert_frame_equal(_cases(got.failure_cases), _cases(want.failure_cases))
    pd.testing.assert_frame_equal(got.unresolved, want.unresolved)  # the stage rows of the deals set aside
    assert got.as_of == want.as_of
    with _quiet():
        for metric, options in [("win_rate", {"by": "segment"}), ("close_rate", {"window": "90D"}), ("response_sla", {"by": "team"})]:
            pd.testing.assert_frame_equal(getattr(sm, metric)(got, **options), getattr(sm, metric)(want, **options),
                                          obj=f"{metric}({options})")


def test_quarantine_needs_a_folder_and_says_so_before_reading():
    opps = _Unreadable.frame(_company(11).opportunities)
    with pytest.raises(ValueError, match=re.escape("from_dask(on_invalid='quarantine') writes the rows set aside to Parquet: "
                                                   "pass quarantine='<folder>'")):
        sm.SalesData.from_dask(opportunities=opps, on_invalid="quarantine")


# ------------------------------------------------------------------------------------------------------------------
# 4. references="strict": a reference between large tables is a foreign_key failure, as in pandas
# ------------------------------------------------------------------------------------------------------------------

def _missing_lead(seed: int, n: int) -> tuple[dict[str, pd.DataFrame], list[int]]:
    """Two activities (in the first and the last partition) on a lead the export does not hold."""
    company = _company(seed)
    tables = {name: frame.reset_index(drop=True) for name, frame in _shuffled(dict(company.tables), k=3).items()}
    acts = tables["activities"].copy()
    bounds = _bounds(acts, n)
    rows = [int(bounds[0]), int(bounds[n - 1])]
    acts.loc[rows, "lead_id"] = "L-NOT-EXPORTED"
    tables["activities"] = acts
    return tables, rows


@pytest.mark.parametrize("bad_amount", [False, True])
def test_strict_references_between_large_tables_fail_as_in_pandas(cluster, bad_amount):
    """A reference to a lead not exported is a foreign_key failure; with a bad amount too, pandas lists both in one
    error (it checks references on every row when it raises), and so must Dask."""
    seed, n = 11, 3
    company = _company(seed)
    tables, rows = _missing_lead(seed, n)
    if bad_amount:
        opps = tables["opportunities"].copy()
        opps["amount"] = opps["amount"].astype(object)
        opps.loc[len(opps) - 1, "amount"] = "lots"
        tables["opportunities"] = opps
    want = _raises(lambda: sm.SalesData(**tables, **_settings(company), references="strict"))
    got = _raises(lambda: sm.SalesData.from_dask(**_on_dask(tables, n), **_settings(company), references="strict"))
    assert str(got) == str(want)
    pd.testing.assert_frame_equal(_cases(got.failure_cases), _cases(want.failure_cases))
    # the oracle: exactly the two rows changed above, as one foreign_key failure of activities.lead_id (and the amount)
    assert want.failure_cases[["table", "column", "check"]].drop_duplicates().values.tolist() == (
        [["opportunities", "amount", "number"]] * bad_amount + [["activities", "lead_id", "foreign_key"]])
    fk = want.failure_cases[want.failure_cases["check"] == "foreign_key"]
    assert sorted(fk["row"].astype(int)) == rows


def test_strict_quarantine_sets_aside_the_rows_that_refer_to_rows_set_aside(cluster, tmp_path):
    """With quarantine, a deal set aside (its amount is not a number) takes its stage rows with it: stage_history's
    reference to it is a foreign_key failure in the next round, in pandas and on Dask."""
    seed, n = 11, 3
    company = _company(seed)
    tables, _ = _missing_lead(seed, n)
    opps = tables["opportunities"].copy()
    staged = opps.index[opps["opportunity_id"].isin(tables["stage_history"]["opportunity_id"])][:2]
    opps["amount"] = opps["amount"].astype(object)
    opps.loc[staged, "amount"] = "lots"
    tables["opportunities"] = opps
    with _quiet():
        want = sm.SalesData(**tables, **_settings(company), references="strict", on_invalid="quarantine")
        got = sm.SalesData.from_dask(**_on_dask(tables, n), **_settings(company), references="strict", on_invalid="quarantine",
                                     quarantine=str(tmp_path))
    assert "stage_history" in want.quarantine  # the cascade is exercised
    pd.testing.assert_frame_equal(_cases(got.failure_cases), _cases(want.failure_cases))
    for name, held in want.quarantine.items():
        written = pd.read_parquet(tmp_path / name).sort_values("row").reset_index(drop=True)
        assert written["row"].tolist() == held["row"].tolist() and written["reason"].tolist() == held["reason"].tolist(), name
    with _quiet():
        pd.testing.assert_frame_equal(sm.sales_cycle(got, by="team"), sm.sales_cycle(want, by="team"))


# ------------------------------------------------------------------------------------------------------------------
# 5. read_parquet
# ------------------------------------------------------------------------------------------------------------------

def test_read_parquet_files_and_folders_equal_pandas(cluster, tmp_path):
    company = _company(11)
    names = ["accounts", "reps", "fx_rates", "leads", "opportunities", "stage_history", "subscriptions", "activities"]
    tables = {name: company.tables[name] for name in names}
    for name in ("accounts", "reps", "fx_rates", "leads", "stage_history"):  # <table>.parquet
        tables[name].to_parquet(tmp_path / f"{name}.parquet")
    for name, parts in (("opportunities", 2), ("subscriptions", 3), ("activities", 4)):  # <table>/part.<i>.parquet
        (tmp_path / name).mkdir()
        for i, piece in enumerate(np.array_split(np.arange(len(tables[name])), parts)):
            tables[name].iloc[piece].to_parquet(tmp_path / name / f"part.{i}.parquet")
    (tmp_path / "notes.txt").write_text("not a table")
    with _quiet():
        got = sm.read_parquet(tmp_path, **_settings(company))
        want = sm.SalesData(**tables, **_settings(company))
    assert sorted(got.tables) == sorted(names) and got.rows == {n: len(tables[n]) for n in BIG_TABLES}
    assert got.frames["activities"].npartitions == 4 and got.as_of == want.as_of  # the four part files written above
    with _quiet():
        for metric, options in [("win_rate", {"by": "team"}), ("mrr_bridge", {"by": "segment", "freq": "M"}),
                                ("response_sla", {"by": "source"})]:
            pd.testing.assert_frame_equal(getattr(sm, metric)(got, **options), getattr(sm, metric)(want, **options))


def test_read_parquet_names_what_a_folder_holds_when_no_table_is_there(tmp_path):
    pd.DataFrame({"id": [1]}).to_parquet(tmp_path / "deals.parquet")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError) as caught:
        sm.read_parquet(tmp_path)
    assert str(caught.value) == (f"read_parquet: no canonical table in {tmp_path} (looked for <table>.parquet or <table>/ for "
                                 "accounts, reps, assignments, leads, opportunities, stage_history, subscriptions, activities, spend, "
                                 "surveys, targets, fx_rates); it holds deals.parquet, notes.txt.")
    with pytest.raises(FileNotFoundError, match=re.escape(f"read_parquet: no leads.parquet or leads/ in {tmp_path}.")):
        sm.read_parquet(tmp_path, tables=["leads"])


# ------------------------------------------------------------------------------------------------------------------
# 6. wrong types and missing columns fail on the meta, before any partition is read
# ------------------------------------------------------------------------------------------------------------------

def test_wrong_types_and_missing_columns_fail_before_any_partition_is_read(cluster):
    raw = pd.DataFrame({"opportunity_id": ["o1", "o2"], "created_at": [True, False],
                        "amount": pd.to_datetime(["2025-01-01", "2025-01-02"]), "closed_at": ["2025-02-01", None]})
    leads = _company(11).leads
    err = _raises(lambda: sm.SalesData.from_dask(opportunities=_Unreadable.frame(raw), leads=_Unreadable.frame(leads)))
    lines = str(err).splitlines()
    assert lines[0] == "3 problem(s) found in 1 table(s):"  # status missing, created_at a bool, amount a date; leads are fine
    # the missing column's line is the pandas bundle's for the same columns
    pandas_error = _raises(lambda: sm.SalesData(opportunities=raw))
    assert lines[1] == str(pandas_error).splitlines()[1] == (
        "  opportunities.status [missing_column]. Fix: add a 'status' column, or rename yours with columns={'<your name>': "
        "'status'}; columns present: ['opportunity_id', 'created_at', 'amount', 'closed_at'].")
    # the type lines name the table, the column, the type found and the fix (the pandas fix for that kind)
    assert lines[2].startswith("  opportunities.created_at [timestamp]. Fix: the column's type is bool, which cannot be read as "
                               "timestamp: could not read these as date-times; use ISO 8601")
    assert lines[3].startswith(f"  opportunities.amount [number]. Fix: the column's type is {raw['amount'].dtype}, which cannot "
                               "be read as number: ")
    assert err.failure_cases[["table", "column", "check"]].values.tolist() == [
        ["opportunities", "status", "missing_column"], ["opportunities", "created_at", "timestamp"],
        ["opportunities", "amount", "number"]]
    # a metric given the bare frame fails the same way, before reading
    with pytest.raises(sm.InputValidationError, match=re.escape("opportunities.status [missing_column]")):
        sm.win_rate(_Unreadable.frame(raw), as_of="2025-03-31")


# ------------------------------------------------------------------------------------------------------------------
# 7. a metric that does not split refuses Dask data, naming those that do
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["mrr", "pipeline_coverage"])
def test_a_metric_that_does_not_split_refuses_dask_data(cluster, metric):
    company = _company(11)
    table = "subscriptions" if metric == "mrr" else "opportunities"
    frame = _Unreadable.frame(company.tables[table])
    with _quiet():
        bundle = sm.SalesData.from_dask(**{table: dd.from_pandas(company.tables[table], npartitions=2)}, fx_rates=company.fx_rates,
                                        **_settings(company))
    for data in (frame, bundle):  # a bare frame (never read) and a bundle
        with pytest.raises(TypeError) as caught:
            getattr(sm, metric)(data, as_of=company.as_of)
        message = str(caught.value)
        head, _, tail = message.partition("; on Dask data these metrics run: ")
        assert head == f"{metric} takes pandas tables"
        runs = tail.split(". For ")[0].split(", ")
        assert {"win_rate", "deal_size", "sales_cycle", "close_rate", "mrr_bridge", "retention", "response_sla", "funnel"} <= set(runs)
        assert metric not in runs
        assert message.endswith(f"For {metric}, compute the table first (frame.compute()) when it fits in memory.")


# ------------------------------------------------------------------------------------------------------------------
# 8. the response SLA on bare Dask frames: leads and activities meet by account, whatever the partitions
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seed", "options"), [
    (11, {}),
    (31, {"calendar": True, "by": "source", "freq": "M"}),
    (31, {"calendar": True, "by": "team", "within": "4h"}),
])
def test_the_response_sla_on_bare_dask_frames(cluster, seed, options):
    company = _company(seed)
    options = dict(options)
    if options.pop("calendar", False):
        options["calendar"] = sm.BusinessCalendar(company.timezone, start="09:00", end="18:00")
    if options.get("by") == "team":
        options["reps"] = company.reps  # a small table, sent to every worker
    leads = company.leads.sample(frac=1.0, random_state=seed)
    acts = company.activities.sample(frac=1.0, random_state=seed + 1)
    with _quiet():
        want = sm.response_sla(leads, activities=acts, as_of=company.as_of, **options)
        got = sm.response_sla(dd.from_pandas(leads, npartitions=3, sort=False), as_of=company.as_of,
                              activities=dd.from_pandas(acts, npartitions=5, sort=False), **options)
    pd.testing.assert_frame_equal(got, want)
    assert want["leads"].sum() > 0  # the oracle measured leads


# ------------------------------------------------------------------------------------------------------------------
# what a new analyst found (warnings on workers, Parquet round trips, a renamed warehouse folder)
# ------------------------------------------------------------------------------------------------------------------


def test_a_warning_given_on_the_workers_reaches_the_caller_once_in_its_class(cluster):
    """Three partitions each warn that none of their lost deals has an amount; the caller gets one DataQualityWarning
    (filterable), saying it came from 3 of 3 partitions and that its count is one partition's."""
    opps = pd.DataFrame({"opportunity_id": list("abcdef"), "created_at": ["2025-01-05"] * 6,
                         "status": ["won", "lost", "won", "lost", "won", "lost"], "closed_at": ["2025-02-01"] * 6,
                         "amount": [10, None, 5, None, 7, None]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sm.win_rate(dd.from_pandas(opps, npartitions=3, sort=False), as_of="2025-03-31", weight="amount")
    found = [w for w in caught if "lost deals carries an amount" in str(w.message)]
    assert len(found) == 1 and found[0].category is sm.DataQualityWarning
    assert "[win_rate on Dask: in 3 of 3 partition(s); counts in this message are one partition's]" in str(found[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.DataQualityWarning)  # the user's filter acts on it, as in pandas
        with pytest.raises(sm.DataQualityWarning):
            sm.win_rate(dd.from_pandas(opps, npartitions=3, sort=False), as_of="2025-03-31", weight="amount")


def test_a_quarantined_bundle_round_trips_through_parquet_and_keeps_what_was_not_exported(cluster, tmp_path):
    """The bundle's frames carry no quarantine object (to_parquet used to fail on it), and the columns conform filled
    in stay "not exported" after Parquet, in pandas and on Dask: attrition stays unknown, not 0%."""
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["A", "B"]})
    opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "created_at": ["2025-01-05"] * 3, "status": ["won", "lost", "won"],
                         "closed_at": ["2025-02-01", "2025-02-01", "2024-12-01"], "owner_id": ["r1", "r2", "r1"]})
    with _quiet():
        data = sm.SalesData(reps=sm.conform(reps, "reps"), opportunities=opps, on_invalid="quarantine")
    assert len(data.quarantine["opportunities"]) == 1  # c closes before it opens
    data.reps.to_parquet(tmp_path / "reps.parquet")
    data.opportunities.to_parquet(tmp_path / "opportunities.parquet")
    with _quiet():
        back = sm.SalesData(reps=pd.read_parquet(tmp_path / "reps.parquet"))
        on_dask = sm.read_parquet(tmp_path)
    assert not back.has_column("reps", "terminated_at") and not on_dask.has_column("reps", "terminated_at")
    assert back.has_column("reps", "team") and on_dask.has_column("opportunities", "owner_id")
    assert not on_dask.has_column("opportunities", "amount")


def test_read_parquet_maps_a_warehouse_folder_as_read_dir_does(cluster, tmp_path):
    """A folder named "deals" with the CRM's own column names and stage labels: files=, columns= and values= as for
    read_dir. Expected by hand: one won and one lost deal closed in 2025Q1, win rate 1 / 2."""
    (tmp_path / "deals").mkdir()
    pd.DataFrame({"Deal ID": ["a", "b"], "Created": ["2025-01-05", "2025-01-06"], "Stage": ["Closed Won", "Closed Lost"],
                  "Close Date": ["2025-02-01", "2025-02-03"]}).to_parquet(tmp_path / "deals" / "part.0.parquet")
    data = sm.read_parquet(tmp_path, files={"opportunities": "deals"},
                           columns={"Deal ID": "opportunity_id", "Created": "created_at", "Stage": "status", "Close Date": "closed_at"},
                           values={"status": {"Closed Won": "won", "Closed Lost": "lost"}})
    got = sm.win_rate(data)
    assert got[["won", "lost"]].iloc[0].tolist() == [1, 1] and got["win_rate"].iloc[0] == 0.5
    with pytest.raises(TypeError, match=r"read_parquet: unknown option\(s\) colums; it takes tables, files, columns"):
        sm.read_parquet(tmp_path, files={"opportunities": "deals"}, colums={})
    with pytest.raises(FileNotFoundError, match=r"read_parquet: no sales in "):
        sm.read_parquet(tmp_path, files={"opportunities": "sales"})


def test_results_come_back_in_order_and_leave_the_workers(cluster):
    """On a cluster each piece's partial is fetched when it is done (hundreds of response-time partials left on 1.5 GiB
    workers until the last one finished outgrew them): the results keep the tasks' order though the last task ends
    first, and no worker holds one afterwards. A scheduler the caller chose is used instead."""
    import time

    import dask

    from salesmetrics.scale import _gather

    def slow(i: int) -> list[int]:
        time.sleep(0.3 * (3 - i))
        return [i] * 1000

    got = _gather([dask.delayed(slow)(i) for i in range(4)])
    assert [g[0] for g in got] == [0, 1, 2, 3]
    held = [sum(cluster.run(lambda dask_worker: len(dask_worker.data)).values())]
    while held[-1] and len(held) < 50:  # the scheduler tells the workers to forget a result a moment after it is fetched
        time.sleep(0.1)
        held.append(sum(cluster.run(lambda dask_worker: len(dask_worker.data)).values()))
    assert held[-1] == 0, held
    with dask.config.set(scheduler="sync"):
        assert [g[0] for g in _gather([dask.delayed(slow)(i) for i in (3, 2)])] == [3, 2]
