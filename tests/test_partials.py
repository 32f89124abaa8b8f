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


# ----------------------------------------------------------------------------------------------------------
# mrr_movements and cohort_retention: pieces of whole accounts
# ----------------------------------------------------------------------------------------------------------


def _exact(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """The same frame: columns, dtypes, every value to the bit (money is integer cents until the finish)."""
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.equals(want)


@pytest.mark.parametrize("basis", ["logo", "revenue"])
@pytest.mark.parametrize("freq", ["Q", "M", "Y", None])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), backwards=st.booleans())
def test_cohort_retention_from_pieces_of_whole_accounts_is_exact(company, basis, freq, n, seed, backwards):
    """Accounts dealt at random (each piece starts at its own first month and holds its own cohorts): the changes in
    active accounts and in cents per cohort month and month add up to the whole's, whatever the order of the pieces."""
    subs, as_of = company.subscriptions, company.as_of
    want = sm.cohort_retention(subs, basis=basis, freq=freq, as_of=as_of, fx_rates=company.fx_rates)
    parts = [sm.partial("cohort_retention", piece, as_of=as_of, basis=basis, freq=freq, fx_rates=company.fx_rates)
             for piece in _account_pieces(subs, n, seed)]
    _exact(sm.combine("cohort_retention", parts[::-1] if backwards else parts, basis=basis, freq=freq), want)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), backwards=st.booleans())
def test_mrr_movements_from_pieces_of_whole_accounts_are_exact(company, n, seed, backwards):
    """Every piece's movements (integer cents), concatenated in any order, sorted by account and month: the whole's."""
    subs, as_of = company.subscriptions, company.as_of
    want = sm.mrr_movements(subs, as_of=as_of, fx_rates=company.fx_rates)
    parts = [sm.partial("mrr_movements", piece, as_of=as_of, fx_rates=company.fx_rates) for piece in _account_pieces(subs, n, seed)]
    got = sm.combine("mrr_movements", parts[::-1] if backwards else parts)
    _exact(got, want)
    assert list(got["account_id"]) == sorted(got["account_id"])


def _four_accounts() -> pd.DataFrame:
    """Listed d, c, b, a (the table's order is not the label order). As of 2025-04-30, month-end MRR:

    - a: $100 from Jan 10 on: Jan 100, Feb 100, Mar 100, Apr 100;
    - b: $3,600 a year (= $300 a month) from Jan 20, ended Mar 1: Jan 300, Feb 300, Mar 0 (churn), Apr 0;
    - c: $50 from Feb 1, a $25 add-on from Mar 1: Feb 50, Mar 75 (expansion), Apr 75;
    - d: $80.55 from Apr 5: Apr 80.55.
    """
    return pd.DataFrame({"subscription_id": ["s1", "s2", "s3", "s4", "s5"], "account_id": ["d", "c", "c", "b", "a"],
                         "start_date": ["2025-04-05", "2025-02-01", "2025-03-01", "2025-01-20", "2025-01-10"],
                         "end_date": [None, None, None, "2025-03-01", None], "amount": [80.55, 50, 25, 3600, 100],
                         "billing_months": [1, 1, 1, 12, 1]})


def _three_pieces(subs: pd.DataFrame) -> list[pd.DataFrame]:
    """{c, d} (its first month is February), {a}, {b}: pieces with different first months."""
    return [subs[subs["account_id"].isin(ids)] for ids in (["c", "d"], ["a"], ["b"])]


def test_cohort_retention_by_hand_from_three_pieces():
    """Worked by hand from :func:`_four_accounts` (as of 2025-04-30).

    Monthly cohorts: 2025-01 is {a, b}: 2 active at the end of Jan and Feb, 1 (a) at the end of Mar and Apr, so logo
    2/2, 2/2, 1/2, 1/2; its MRR is 400, 400, 100, 100 against 400 at age 0. 2025-02 is {c}: 1/1 three times; MRR 50,
    75, 75 against 50 (1, 1.5, 1.5). No account starts in March: no row. 2025-04 is {d}: 1/1 and 80.55/80.55.
    Quarterly: 2025Q1 is {a, b, c} (size 3), active at the end of March: a and c, and of April (Q2 is as of Apr 30):
    a and c: 2/3 at ages 0 and 1; its MRR at the end of March is 100 + 0 + 75 = 175, and at the end of April 175
    again. 2025Q2 is {d}: 1/1. All time: 3 of the 4 accounts ever acquired are active at as_of (a, c, d); MRR at
    as_of 100 + 75 + 80.55 = 255.55 over the first months' 100 + 300 + 50 + 80.55 = 530.55.
    """
    subs, as_of = _four_accounts(), "2025-04-30"

    def combined(**options):
        got = sm.combine("cohort_retention", [sm.partial("cohort_retention", p, as_of=as_of, **options) for p in _three_pieces(subs)],
                         **options)
        _exact(got, sm.cohort_retention(subs, as_of=as_of, **options))
        return got

    logo = combined(freq="M")
    assert logo["cohort"].astype(str).tolist() == ["2025-01"] * 4 + ["2025-02"] * 3 + ["2025-04"]
    assert logo["age"].tolist() == [0, 1, 2, 3, 0, 1, 2, 0]
    assert logo["numerator"].tolist() == [2, 2, 1, 1, 1, 1, 1, 1] and logo["denominator"].tolist() == [2, 2, 2, 2, 1, 1, 1, 1]
    revenue = combined(freq="M", basis="revenue")
    assert revenue["numerator"].tolist() == [400, 400, 100, 100, 50, 75, 75, 80.55]
    assert revenue["denominator"].tolist() == [400] * 4 + [50] * 3 + [80.55]
    assert revenue["value"].tolist() == [1, 1, 0.25, 0.25, 1, 1.5, 1.5, 1]
    quarterly = combined(freq="Q")
    assert quarterly["cohort"].astype(str).tolist() == ["2025Q1", "2025Q1", "2025Q2"] and quarterly["age"].tolist() == [0, 1, 0]
    assert quarterly["numerator"].tolist() == [2, 2, 1] and quarterly["denominator"].tolist() == [3, 3, 1]
    assert combined(freq="Q", basis="revenue")["numerator"].tolist() == [175, 175, 80.55]
    everything = combined(freq=None)
    assert (everything["numerator"].item(), everything["denominator"].item(), everything["value"].item()) == (3, 4, 0.75)
    money = combined(freq=None, basis="revenue")
    assert (money["numerator"].item(), money["denominator"].item()) == (255.55, 530.55)


def test_mrr_movements_by_hand_from_three_pieces_sorted_by_account_then_month():
    """Worked by hand from :func:`_four_accounts`: a new in Jan (+100); b new in Jan (+300), churned in Mar (-300);
    c new in Feb (+50), expanded in Mar (+25); d new in Apr (+80.55). Sorted by account, then month, whatever the
    table's order (d, c, b, a) or the pieces' order."""
    subs, as_of = _four_accounts(), "2025-04-30"
    got = sm.combine("mrr_movements", [sm.partial("mrr_movements", p, as_of=as_of) for p in _three_pieces(subs)])
    _exact(got, sm.mrr_movements(subs, as_of=as_of))
    assert got["account_id"].tolist() == ["a", "b", "b", "c", "c", "d"]
    assert got["period"].astype(str).tolist() == ["2025-01", "2025-01", "2025-03", "2025-02", "2025-03", "2025-04"]
    assert got["movement"].tolist() == ["new", "new", "churn", "new", "expansion", "new"]
    assert got["change"].tolist() == [100, 300, -300, 50, 25, 80.55]
    assert got["previous_mrr"].tolist() == [0, 0, 300, 0, 50, 0] and got["mrr"].tolist() == [100, 300, 0, 50, 75, 80.55]


@pytest.mark.parametrize(("metric", "options"), [("cohort_retention", {"freq": "Q"}), ("cohort_retention", {"freq": "M", "basis": "revenue"}),
                                                 ("cohort_retention", {"freq": None}), ("mrr_movements", {})])
def test_a_piece_without_subscriptions_combines(company, metric, options):
    """A piece holding no account (no subscription at all) adds nothing, beside others or alone; an empty table's
    partial still carries its as_of, so the pieces of an empty table give the empty result."""
    subs, as_of, fx = company.subscriptions, company.as_of, company.fx_rates
    nothing = subs.iloc[:0]
    part = sm.partial(metric, nothing, as_of=as_of, fx_rates=fx, **options)
    assert len(part) == 1 and part["kind"].tolist() == ["piece"]
    parts = [part, *(sm.partial(metric, p, as_of=as_of, fx_rates=fx, **options) for p in _account_pieces(subs, 3, seed=4)), part]
    _exact(sm.combine(metric, parts, **options), getattr(sm, metric)(subs, as_of=as_of, fx_rates=fx, **options))
    _exact(sm.combine(metric, [part, part], **options), getattr(sm, metric)(nothing, as_of=as_of, fx_rates=fx, **options))


@pytest.fixture(scope="module")
def other_company() -> sm.SalesData:
    """Another generated company: another seed, size and span than ``company``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_company(seed=7, accounts=250, months=30).to_sales_data()


def test_another_company_in_bundles_with_a_fiscal_year(other_company):
    """Another generated company, its pieces bundles of whole accounts in a fiscal year from April (fiscal quarters
    as cohorts) and in the whole's currency."""
    other = other_company
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = sm.SalesData(subscriptions=other.subscriptions, fx_rates=other.fx_rates, currency=other.currency, fiscal_year_start=4)
        pieces = [sm.SalesData(subscriptions=p, fx_rates=other.fx_rates, currency=other.currency, fiscal_year_start=4)
                  for p in _account_pieces(other.subscriptions, 7, seed=11) if len(p)]
    as_of = other.as_of
    for basis in ("logo", "revenue"):
        for freq in ("Q", "M", "Y", None):
            want = sm.cohort_retention(whole, basis=basis, freq=freq, as_of=as_of)
            parts = [sm.partial("cohort_retention", p, as_of=as_of, basis=basis, freq=freq) for p in pieces]
            _exact(sm.combine("cohort_retention", parts, basis=basis, freq=freq), want)
    assert str(sm.combine("cohort_retention", [sm.partial("cohort_retention", p, as_of=as_of) for p in pieces])["cohort"].dtype) \
        == "period[Q-MAR]"
    _exact(sm.combine("mrr_movements", [sm.partial("mrr_movements", p, as_of=as_of) for p in pieces]), sm.mrr_movements(whole, as_of=as_of))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([1, 3, 7]), seed=st.integers(0, 10_000), basis=st.sampled_from(["logo", "revenue"]),
       freq=st.sampled_from(["Q", "M", "Y", None]))
def test_another_generated_company_in_bare_pieces(other_company, n, seed, basis, freq):
    """The same property on another company (seed 7, 250 accounts, 30 months), bare subscription pieces."""
    subs, as_of, fx = other_company.subscriptions, other_company.as_of, other_company.fx_rates
    pieces = _account_pieces(subs, n, seed)
    want = sm.cohort_retention(subs, basis=basis, freq=freq, as_of=as_of, fx_rates=fx)
    _exact(sm.combine("cohort_retention", [sm.partial("cohort_retention", p, as_of=as_of, basis=basis, freq=freq, fx_rates=fx)
                                           for p in pieces], basis=basis, freq=freq), want)
    _exact(sm.combine("mrr_movements", [sm.partial("mrr_movements", p, as_of=as_of, fx_rates=fx) for p in pieces]),
           sm.mrr_movements(subs, as_of=as_of, fx_rates=fx))


def test_cohort_retention_partials_check_the_basis():
    with pytest.raises(ValueError, match="basis must be 'logo' or 'revenue', got 'seats'"):
        sm.partial("cohort_retention", _four_accounts(), as_of="2025-04-30", basis="seats")


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


def test_a_partial_keeps_its_labels_once_and_combines_after_an_engine_made_them_text(company):
    """Every row of a partial carries its kind, as_of, settings, freq and group; as categories each is stored once, so
    a row of response times is its numbers (the 11 integer and float columns: 88 bytes) and a code per label, not
    the 330 bytes it took as text. An engine that hands the columns back as text (Spark's string columns) or a
    Parquet round trip combines to the same result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = sm.response_sla(company, as_of=company.as_of, freq="M")
        part = sm.partial("response_sla", company, as_of=company.as_of, freq="M")
    values = part[part["kind"] == "values"]
    assert len(values) > 500
    assert values.memory_usage(deep=True, index=False).sum() / len(values) < 100
    as_text = part.astype({c: "str" for c in ("kind", "as_of", "meta", "freq", "group")})
    _same(sm.combine("response_sla", [as_text]), want)
    buffer = __import__("io").BytesIO()
    part.to_parquet(buffer)
    _same(sm.combine("response_sla", [pd.read_parquet(buffer), as_text.iloc[:0]]), want)


def test_as_of_is_required_and_options_are_checked():
    opps = pd.DataFrame({"opportunity_id": ["a"], "created_at": ["2025-01-05"], "status": ["open"]})
    with pytest.raises(ValueError, match="pass as_of, the whole data's"):
        sm.partial("win_rate", opps, as_of=None)
    with pytest.raises(TypeError, match="unknown option\\(s\\) window; it takes freq, by, weight"):
        sm.partial("win_rate", opps, as_of="2025-03-31", window=30)
    with pytest.raises(ValueError, match="no metric 'mrr'; these split into partials: win_rate, deal_size, sales_cycle"):
        sm.partial("mrr", opps, as_of="2025-03-31")
    monthly = sm.partial("win_rate", opps, as_of="2025-03-31", freq="M")
    quarterly = sm.partial("win_rate", opps, as_of="2025-03-31", freq="Q")
    with pytest.raises(ValueError, match="different periods"):
        sm.combine("win_rate", [monthly, quarterly])


# ----------------------------------------------------------------------------------------------------------
# on Dask: a local cluster of two worker processes
# ----------------------------------------------------------------------------------------------------------


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


def test_combine_reads_the_partials_options_and_refuses_other_ones():
    """retention's partial is laid on months whatever freq is; combine reads freq from the partials (it used to take
    its own default "Q" and report monthly sums as quarters without a word)."""
    subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"], "start_date": ["2025-01-01", "2025-02-01"],
                         "end_date": [None, "2025-03-01"], "amount": [100, 50]})
    parts = [sm.partial("retention", subs.iloc[[i]], as_of="2025-03-31", freq="M") for i in range(2)]
    pd.testing.assert_frame_equal(sm.combine("retention", parts), sm.retention(subs, as_of="2025-03-31", freq="M"))
    with pytest.raises(ValueError, match=r"freq='Q' here, but the partials were computed with freq='M'"):
        sm.combine("retention", parts, freq="Q")


def test_pieces_read_in_different_currencies_are_refused():
    """A bare piece whose rows are all in EUR reports in EUR; its cents cannot be added to a USD piece's."""
    subs = pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a", "b"], "start_date": ["2025-01-01"] * 2,
                         "amount": [100, 50], "currency": ["USD", "EUR"]})
    parts = [sm.partial("mrr_bridge", subs.iloc[[i]], as_of="2025-03-31") for i in range(2)]
    with pytest.raises(ValueError, match=r"different reporting currencies \(EUR, USD\).*currency='USD', fx_rates=rates"):
        sm.combine("mrr_bridge", parts)
    rates = pd.DataFrame({"currency": ["EUR"], "date": ["2025-01-01"], "rate": [1.1]})
    bundles = [sm.SalesData(subscriptions=subs.iloc[[i]], currency="USD", fx_rates=rates) for i in range(2)]
    got = sm.combine("mrr_bridge", [sm.partial("mrr_bridge", b, as_of="2025-03-31") for b in bundles])
    assert got["ending_mrr"].iloc[-1] == 155.0  # $100 + €50 at 1.1 $/€ = $155.00
