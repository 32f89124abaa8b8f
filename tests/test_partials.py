"""Partial results that combine exactly: any split of the data, pieces computed apart, the same figures.

Every test splits a generated company's opportunities into pieces that are *not* aligned to accounts (rows dealt at
random), computes :func:`salesmetrics.partial` on each piece with the whole bundle's as_of, combines, and compares
with the pandas function on the whole table: counts exactly, amounts to the cent.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesmetrics as sm
from salesmetrics.datasets import make_company


@pytest.fixture(scope="module")
def company() -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_company(seed=23, accounts=400, months=18).to_sales_data()


def _pieces(opps: pd.DataFrame, n: int, seed: int) -> list[pd.DataFrame]:
    """``n`` pieces of random rows (an account's deals end up in several pieces); a piece may be empty of dated rows."""
    piece = np.random.default_rng(seed).integers(0, n, len(opps))
    return [opps[piece == i] for i in range(n)]


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    numbers = [c for c in want.columns if want[c].dtype.kind in "iufb"]
    pd.testing.assert_frame_equal(got.drop(columns=numbers), want.drop(columns=numbers))
    pd.testing.assert_frame_equal(got[numbers].round(2), want[numbers].round(2), check_exact=False, rtol=1e-12)
    for column in want.columns:  # counts are counts: same dtype, same values
        if want[column].dtype.kind in "iu":
            assert got[column].dtype.kind in "iu" and (got[column].to_numpy() == want[column].to_numpy()).all(), column


def _tables(metric: str, company: sm.SalesData) -> dict[str, pd.DataFrame]:
    """The small tables the metric joins (accounts, fx_rates), as far as it takes them."""
    import inspect

    takes = inspect.signature(getattr(sm, metric)).parameters
    return {k: getattr(company, k) for k in ("accounts", "fx_rates") if k in takes}


METRICS = [("win_rate", {}), ("win_rate", {"weight": "amount"}), ("deal_size", {}), ("sales_cycle", {}),
           ("sales_cycle", {"method": "km"}), ("close_rate", {}), ("close_rate", {"window": "90D"})]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(METRICS), n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000),
       freq=st.sampled_from(["Q", "M", None]), by=st.sampled_from([None, "segment", "owner_id", "source"]))
def test_any_split_combines_to_the_whole(company, case, n, seed, freq, by):
    metric, options = case
    opps, as_of = company.opportunities, company.as_of
    extra = _tables(metric, company)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        want = getattr(sm, metric)(opps, freq=freq, by=by, as_of=as_of, **extra, **options)
        parts = [sm.partial(metric, piece, as_of=as_of, freq=freq, by=by, **extra, **options) for piece in _pieces(opps, n, seed)]
    _same(sm.combine(metric, parts, freq=freq, by=by, **options), want)


def test_a_bundle_piece_and_a_fiscal_year(company):
    """Pieces may be bundles; their fiscal-year quarters (a year starting in April) carry through."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fiscal = sm.SalesData(**company.tables, timezone=company.timezone, currency=company.currency, fiscal_year_start=4)
        halves = [sm.SalesData(**{**fiscal.tables, "opportunities": piece}, timezone=fiscal.timezone, currency=fiscal.currency,
                               fiscal_year_start=4) for piece in _pieces(fiscal.opportunities, 2, seed=1)]
        want = sm.win_rate(fiscal, by="segment")
        got = sm.combine("win_rate", [sm.partial("win_rate", h, as_of=fiscal.as_of, by="segment") for h in halves], by="segment")
    _same(got, want)
    assert str(got["period"].dtype) == "period[Q-MAR]"


def test_a_group_a_piece_holds_only_open_deals_of_still_counts():
    """A piece whose deals in a group are all open has no dated row of it; the whole has the group, with zeros."""
    opps = pd.DataFrame({"opportunity_id": list("abc"), "created_at": ["2025-01-05"] * 3, "status": ["won", "lost", "open"],
                         "closed_at": ["2025-02-01", "2025-02-03", None], "source": ["web", "web", "partner"]})
    want = sm.win_rate(opps, by="source", as_of="2025-03-31")
    parts = [sm.partial("win_rate", opps.iloc[:2], as_of="2025-03-31", by="source"),
             sm.partial("win_rate", opps.iloc[2:], as_of="2025-03-31", by="source")]
    got = sm.combine("win_rate", parts, by="source")
    pd.testing.assert_frame_equal(got, want)
    assert got["source"].tolist() == ["partner", "web"] and got["won"].tolist() == [0, 1]


def test_close_rate_with_a_window_from_seven_pieces_and_a_different_as_of_is_refused(company):
    """The censoring-aware close rate (Kaplan-Meier within 90 days, deals still open censored) from seven pieces, by
    segment; pieces computed at different dates do not combine."""
    opps, as_of = company.opportunities, company.as_of
    want = sm.close_rate(opps, window="90D", by="segment", as_of=as_of, accounts=company.accounts)
    parts = [sm.partial("close_rate", piece, as_of=as_of, window="90D", by="segment", accounts=company.accounts)
             for piece in _pieces(opps, 7, seed=5)]
    _same(sm.combine("close_rate", parts, window="90D", by="segment"), want)
    assert want["pending"].sum() > 0 and want["incomplete"].any()  # the censoring is exercised
    earlier = sm.partial("close_rate", opps, as_of=as_of - pd.Timedelta(days=30), window="90D")
    with pytest.raises(ValueError, match="different as_of"):
        sm.combine("close_rate", [sm.partial("close_rate", opps, as_of=as_of, window="90D"), earlier], window="90D")


def _account_pieces(subs: pd.DataFrame, n: int, seed: int) -> list[pd.DataFrame]:
    """``n`` pieces holding whole accounts (an account's subscriptions together), accounts dealt at random."""
    accounts = subs["account_id"].unique()
    piece = dict(zip(accounts, np.random.default_rng(seed).integers(0, n, len(accounts)), strict=True))
    where = subs["account_id"].map(piece).to_numpy()
    return [subs[where == i] for i in range(n)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), freq=st.sampled_from(["Q", "M", None]),
       by=st.sampled_from([None, "segment"]), arr=st.booleans())
def test_the_mrr_bridge_from_pieces_of_whole_accounts_is_exact(company, n, seed, freq, by, arr):
    """Integer cents per month and group: the combined bridge equals the whole one exactly, ARPA after the sum."""
    subs, as_of = company.subscriptions, company.as_of
    extra = {"accounts": company.accounts, "fx_rates": company.fx_rates}
    want = sm.mrr_bridge(subs, freq=freq, by=by, arr=arr, as_of=as_of, **extra)
    parts = [sm.partial("mrr_bridge", piece, as_of=as_of, freq=freq, by=by, arr=arr, **extra)
             for piece in _account_pieces(subs, n, seed)]
    pd.testing.assert_frame_equal(sm.combine("mrr_bridge", parts, freq=freq, by=by, arr=arr), want)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), freq=st.sampled_from(["Q", "M", "Y", None]),
       by=st.sampled_from([None, "segment"]))
def test_retention_from_pieces_of_whole_accounts_is_exact(company, n, seed, freq, by):
    """Logo churn, GRR, NRR and the MRR churn rates: the snapshots at each period's start and end add up across
    pieces of whole accounts, in integer cents."""
    subs, as_of = company.subscriptions, company.as_of
    extra = {"accounts": company.accounts, "fx_rates": company.fx_rates}
    want = sm.retention(subs, freq=freq, by=by, as_of=as_of, **extra)
    parts = [sm.partial("retention", piece, as_of=as_of, freq=freq, by=by, **extra) for piece in _account_pieces(subs, n, seed)]
    pd.testing.assert_frame_equal(sm.combine("retention", parts, freq=freq, by=by), want)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), freq=st.sampled_from(["Q", "M", None]),
       by=st.sampled_from([None, "source"]), how=st.sampled_from([{}, {"window": "60D"}, {"method": "period"}]))
def test_the_funnel_from_pieces_of_journeys(company, n, seed, freq, by, how):
    """Lead journeys (one row per lead) dealt into pieces: every step's counts, the censoring-aware rates (with a
    window: Kaplan-Meier), pending and incomplete equal the whole funnel's."""
    journeys = sm.lead_journeys(company)
    want = sm.funnel(journeys, freq=freq, by=by, as_of=company.as_of, **how)
    parts = [sm.partial("funnel", piece, as_of=company.as_of, freq=freq, by=by, **how) for piece in _pieces(journeys, n, seed)]
    _same(sm.combine("funnel", parts, freq=freq, by=by, **how), want)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), freq=st.sampled_from(["Q", None]),
       by=st.sampled_from([None, "source"]), calendar=st.booleans())
def test_the_response_sla_from_bundles_of_whole_accounts(company, n, seed, freq, by, calendar):
    """Each piece a bundle of some accounts: their leads, and the activities on those leads or accounts (a touch
    logged on the account counts). Counts equal; the median and p90 response hours equal."""
    leads, acts = company.leads, company.activities
    accounts = company.accounts["account_id"].to_numpy()
    piece_of = dict(zip(accounts, np.random.default_rng(seed).integers(0, n, len(accounts)), strict=True))
    lead_piece = leads["account_id"].map(piece_of).fillna(0).to_numpy()  # leads without an account: piece 0
    act_piece = acts["account_id"].map(piece_of).to_numpy()
    on_lead = acts["lead_id"].map(dict(zip(leads["lead_id"], lead_piece, strict=True))).to_numpy()
    act_piece = np.where(np.isnan(act_piece.astype(float)), on_lead, act_piece)
    options = {"freq": freq, "by": by}
    if calendar:
        options["calendar"] = sm.BusinessCalendar(company.timezone, start="09:00", end="18:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = sm.response_sla(company, as_of=company.as_of, **options)
        parts = []
        for i in range(n):
            piece = sm.SalesData(**{**company.tables, "leads": leads[lead_piece == i], "activities": acts[act_piece == i]},
                                 timezone=company.timezone, currency=company.currency)
            parts.append(sm.partial("response_sla", piece, as_of=company.as_of, **options))
    _same(sm.combine("response_sla", parts, **options), want)


def test_as_of_is_required_and_options_are_checked():
    opps = pd.DataFrame({"opportunity_id": ["a"], "created_at": ["2025-01-05"], "status": ["open"]})
    with pytest.raises(ValueError, match="pass as_of, the whole data's"):
        sm.partial("win_rate", opps, as_of=None)
    with pytest.raises(TypeError, match="unknown option\\(s\\) window; it takes freq, by, weight"):
        sm.partial("win_rate", opps, as_of="2025-03-31", window=30)
    with pytest.raises(ValueError, match="no metric 'cohort_retention'; these split into partials: win_rate, deal_size, sales_cycle"):
        sm.partial("cohort_retention", opps, as_of="2025-03-31")
    monthly = sm.partial("win_rate", opps, as_of="2025-03-31", freq="M")
    quarterly = sm.partial("win_rate", opps, as_of="2025-03-31", freq="Q")
    with pytest.raises(ValueError, match="different periods"):
        sm.combine("win_rate", [monthly, quarterly])


# ----------------------------------------------------------------------------------------------------------
# on Dask: a local cluster of two worker processes
# ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'salesmetrics[dask]')")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  memory_limit="1GiB") as local, distributed.Client(local) as client:
        yield client


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(METRICS), n=st.sampled_from([1, 3, 7]), by=st.sampled_from([None, "segment", "owner_id"]))
def test_on_a_local_cluster_every_partitioning_gives_the_pandas_result(cluster, company, case, n, by):
    import dask.dataframe as dd

    metric, options = case
    opps = company.opportunities.sample(frac=1.0, random_state=n)  # rows shuffled: partitions are not accounts
    extra = _tables(metric, company)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        want = getattr(sm, metric)(opps, by=by, as_of=company.as_of, **extra, **options)
        got = sm.on_dask(metric, dd.from_pandas(opps, npartitions=n, sort=False), as_of=company.as_of, by=by, **extra, **options)
    _same(got, want)


def test_on_dask_fails_before_computing_on_a_frame_without_the_columns(cluster):
    """The message is the pandas one, word for word; and no partition is read (computing this frame would raise)."""
    import dask.dataframe as dd

    raw = pd.DataFrame({"id": ["a"], "created": ["2025-01-01"]})

    def unreadable(part: pd.DataFrame) -> pd.DataFrame:
        raise AssertionError("a partition was read")

    frame = dd.from_pandas(raw, npartitions=1).map_partitions(unreadable, meta=raw.iloc[:0])
    with pytest.raises(sm.InputValidationError) as pandas_error:
        sm.win_rate(raw, as_of="2025-03-31")
    with pytest.raises(sm.InputValidationError) as dask_error:
        sm.on_dask("win_rate", frame, as_of="2025-03-31")
    assert str(dask_error.value) == str(pandas_error.value)
    assert "opportunities.created_at [missing_column]. Fix: pass columns={'created': 'created_at'}" in str(dask_error.value)


@pytest.mark.parametrize("n", [1, 3, 7])
def test_the_mrr_bridge_on_a_local_cluster_shuffles_accounts_together(cluster, company, n):
    """Subscriptions partitioned by row (an account's spread over partitions): on_dask shuffles them by account first,
    so new and returning customers are told apart as in pandas (map_partitions alone would count some twice)."""
    import dask.dataframe as dd

    subs = company.subscriptions.sample(frac=1.0, random_state=n)
    extra = {"accounts": company.accounts, "fx_rates": company.fx_rates}
    want = sm.mrr_bridge(subs, by="segment", as_of=company.as_of, **extra)
    got = sm.on_dask("mrr_bridge", dd.from_pandas(subs, npartitions=n, sort=False), as_of=company.as_of, by="segment", **extra)
    pd.testing.assert_frame_equal(got, want)


def test_on_dask_asks_for_the_activities_of_the_response_sla(cluster):
    import dask.dataframe as dd

    frame = dd.from_pandas(pd.DataFrame({"lead_id": ["a"], "created_at": ["2025-01-01"]}), npartitions=1)
    with pytest.raises(sm.MissingDataError, match=r"response_sla on Dask needs activities=: a Dask frame of the activities"):
        sm.on_dask("response_sla", frame, as_of="2025-03-31")
