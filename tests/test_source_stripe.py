"""read_stripe: Stripe Subscription objects and the dashboard export as canonical subscriptions and accounts.

The fixtures (tests/fixtures/stripe/, see its README for where each shape comes from) hold 33 API subscriptions
with every quirk the reader handles, and a 10-row dashboard export. Golden MRR is worked by hand in the test
docstrings; the round trip turns generated canonical subscriptions into Stripe objects and back, and every
revenue metric must come out the same to the cent.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import make_company
from salesmetrics.errors import DataQualityWarning, InputValidationError, MissingDataError
from salesmetrics.schemas import column_kinds
from salesmetrics.sources._common import NOT_AVAILABLE
from salesmetrics.sources._stripe import read_stripe

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
# illustrative rates (one unit in USD), constant over the fixture's year, so the hand arithmetic stays readable
FX = pd.DataFrame({"currency": ["EUR", "KRW", "JPY", "BHD"], "date": ["2023-01-01"] * 4, "rate": [1.10, 0.00075, 0.0065, 2.65]})


def _api() -> dict[str, Any]:
    return {"subscriptions": json.loads((FIXTURES / "subscriptions.json").read_text()),
            "customers": json.loads((FIXTURES / "customers.json").read_text())}


def _read(source: Any, **options: Any) -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_stripe(source, **{"currency": "USD", "fx_rates": FX, "segment": "segment", **options})


@pytest.fixture(scope="module")
def fixture_data() -> sm.SalesData:
    return _read(_api())


def _month_end(data: sm.SalesData, month: str, as_of: str = "2024-12-31") -> pd.Series:
    out = sm.mrr(data, freq="M", as_of=as_of)
    return out[out["period"] == pd.Period(month, "M")].set_index("account_id")["mrr"]


# ------------------------------------------------------------------------------------------------------------
# golden numbers, by hand
# ------------------------------------------------------------------------------------------------------------


def test_golden_mrr_march(fixture_data: sm.SalesData) -> None:
    """MRR at 2024-03-31, by hand from tests/fixtures/stripe/subscriptions.json (fx: EUR 1.10, KRW 0.00075,
    JPY 0.0065, BHD 2.65 USD). Active at the month end (started by March 31, not ended in or before March):

    ======== ======================================================= ========
    account  subscription and arithmetic                             MRR
    ======== ======================================================= ========
    cus_01   A01 $49.00 monthly (its metered item is usage: no MRR)    49.00
    cus_02   A02 $15.00 × quantity 5                                   75.00
    cus_03   A03 $1,200.00 yearly, from Mar 15: 1,200 / 12             100.00
    cus_05   A05 ₩59,000 monthly (zero-decimal): 59,000 × 0.00075      44.25
    cus_06   A06 ¥120,000 yearly (zero-decimal): 10,000 × 0.0065       65.00
    cus_07   A07 20.000 BHD (unit_amount 20000, three-decimal) × 2.65  53.00
    cus_12   A12 $100 with 50% off for 3 months (Feb-Apr): 100 × 0.5   50.00
    cus_13   A13 $250 with 20% off forever: 250 × 0.8                 200.00
    cus_14   A14 $300 + $200 less $50 off forever                     450.00
    cus_15   A15 $80; its 25% coupon is ``once``: not recurring        80.00
    cus_16   A16 schedule phase 1 (Jan-Jun): $40                       40.00
    cus_17   A17 $35 (customer deleted later; the revenue was real)    35.00
    cus_20   A20 $20 (ends Sep 10)                                     20.00
    cus_22   A22 $300 every 3 months: 300 / 3                         100.00
    cus_23   A23 $500 (customer expanded in the object)               500.00
    cus_24   A24 €90 × 1.10                                            99.00
    cus_27   A27 $25, past_due still counts                            25.00
    cus_28   A28 $24 every 2 weeks: 24 × 52 / 24                       52.00
    cus_30   A30 $50 (its $20 item is created Aug 1)                   50.00
    ======== ======================================================= ========

    19 accounts, 2,087.25. Not counted: A04 (starts Apr 1), A08 (trial until May 15), A31 (ended Feb 1), A10
    (canceled in its trial), A18 (test mode), A19 (incomplete_expired), the rest start later.
    """
    march = _month_end(fixture_data, "2024-03")
    assert len(march) == 19
    assert march.sum() == pytest.approx(2087.25, abs=1e-9)
    assert march[["cus_02", "cus_05", "cus_07", "cus_12", "cus_14", "cus_16", "cus_28"]].tolist() == [75.0, 44.25, 53.0, 50.0, 450.0,
                                                                                                     40.0, 52.0]


def test_golden_mrr_december(fixture_data: sm.SalesData) -> None:
    """MRR at 2024-12-31, by hand, changes since March (the rest as in March):

    - added: A04 $10 weekly: 10 × 52 / 12 = 43.33; A08 $30 (from its trial end, May 15); A11 $60 (cancels at
      period end, 2025-01-15); A21 $150 (cancel_at 2025-03-01); A25 cus_01's add-on $10 × 3 = 30 (cus_01: 79);
      A26 ₩1,200,000 yearly: 100,000 × 0.00075 = 75; A29 $1 daily: 365 / 12 = 30.42; A30's second item +20
      (cus_30: 70); A32 cus_20 back at $20 (reactivation); A34 $120 yearly = 10.
    - changed: A12's discount ended May 1: 50 -> 100; A16's schedule phase 2 (from Jul 1): 40 -> 60.
    - gone: A17 (ended Jun 15), A20 (ended Sep 10).
    - not yet: A09 still trialing (trial ends 2025-01-03).

    2,087.25 − 35 − 20 + 50 + 20 + 43.33 + 30 + 60 + 150 + 30 + 75 + 30.42 + 20 + 20 + 10 = 2,571.00,
    25 accounts (19 − cus_17 + cus_04, 08, 11, 21, 26, 29, 34; cus_20 left and came back).
    """
    december = _month_end(fixture_data, "2024-12")
    assert len(december) == 25
    assert december.sum() == pytest.approx(2571.00, abs=1e-9)
    assert december[["cus_01", "cus_04", "cus_12", "cus_16", "cus_26", "cus_29", "cus_30"]].tolist() == [79.0, 43.33, 100.0, 60.0,
                                                                                                         75.0, 30.42, 70.0]
    assert "cus_09" not in december.index  # still in its trial at as_of
    bridge = sm.mrr_bridge(fixture_data, freq="M", as_of="2024-12-31").set_index("period")
    assert bridge.loc[pd.Period("2024-11", "M"), "reactivation"] == 20.0  # cus_20 came back
    assert bridge.loc[pd.Period("2024-05", "M"), "expansion"] == 50.0  # A12's discount ended
    assert bridge.loc[pd.Period("2024-07", "M"), "expansion"] == pytest.approx(20.0)  # A16's phase 2: 40 -> 60


def test_golden_mrr_of_the_dashboard_export() -> None:
    """The dashboard export (tests/fixtures/stripe/export/): Amount in major units, dates as text in UTC.

    At 2024-03-31: A02 15.00 × 5 = 75, A03 1,200 / 12 = 100, A06 ¥120,000 / 12 × 0.0065 = 65, A07 20.000 BHD ×
    2.65 = 53, A13 250 (its coupon FOREVER20 is named, its terms are not: not applied, and said), A20 20, A28
    24 × 52 / 24 = 52: 615. At 2024-12-31: A20 ended (−20), A08 (trial ended May 15) +30, A11 +60: 685.
    A19 is incomplete_expired: left out.
    """
    with pytest.warns(DataQualityWarning, match="coupon's terms are not in the data"):
        data = read_stripe(FIXTURES / "export", currency="USD", fx_rates=FX, segment="segment")
    assert _month_end(data, "2024-03").sum() == pytest.approx(615.0)
    assert _month_end(data, "2024-12").sum() == pytest.approx(685.0)
    subs = data.subscriptions.set_index("subscription_id")
    assert subs.loc["sub_A08", "start_date"] == pd.Timestamp("2024-05-15")
    assert subs.loc["sub_A11", "end_date"] == pd.Timestamp("2025-01-15")
    assert data.provenance.attrs["left_out"]["incomplete_expired subscriptions (never paid)"] == 1
    accounts = data.accounts.set_index("account_id")
    assert accounts.loc["cus_28", "name"] == "billing@customer28.example"  # no name: the email
    assert accounts.loc["cus_03", "segment"] == "Mid-Market"


# ------------------------------------------------------------------------------------------------------------
# each quirk, row by row
# ------------------------------------------------------------------------------------------------------------


def test_rows_amounts_and_periods(fixture_data: sm.SalesData) -> None:
    subs = fixture_data.subscriptions.set_index("subscription_id")
    row = subs.loc
    assert row["sub_A02:si_A021", ["amount", "billing_months"]].tolist() == [75.0, 1]  # 1500 cents × 5
    assert row["sub_A03:si_A031", ["amount", "billing_months"]].tolist() == [1200.0, 12]  # yearly
    assert row["sub_A22:si_A221", ["amount", "billing_months"]].tolist() == [300.0, 3]  # month × 3
    assert row["sub_A05:si_A051", ["amount", "currency"]].tolist() == [59000.0, "KRW"]  # zero-decimal: 59000 is ₩59,000
    assert row["sub_A06:si_A061", ["amount", "currency"]].tolist() == [120000.0, "JPY"]
    assert row["sub_A07:si_A071", ["amount", "currency"]].tolist() == [20.0, "BHD"]  # three-decimal: 20000 / 1000
    assert row["sub_A04:si_A041", "amount"] == pytest.approx(10 * 52 / 12)  # weekly, as its monthly equivalent
    assert row["sub_A28:si_A281", "amount"] == pytest.approx(24 * 52 / 24)  # every 2 weeks
    assert row["sub_A29:si_A291", "amount"] == pytest.approx(1 * 365 / 12)  # daily
    assert (subs.loc[["sub_A04:si_A041", "sub_A28:si_A281", "sub_A29:si_A291"], "billing_months"] == 1).all()
    assert row["sub_A14:si_A141", "amount"] + row["sub_A14:si_A142", "amount"] == 450.0  # $50 off, shared 3:2
    assert row["sub_A14:si_A141", "amount"] == 270.0
    assert row["sub_A15:si_A151", "amount"] == 80.0  # a ``once`` coupon is not recurring
    assert "sub_A01:si_A012" not in subs.index  # metered: usage, not MRR


def test_rows_dates(fixture_data: sm.SalesData) -> None:
    subs = fixture_data.subscriptions.set_index("subscription_id")
    day = pd.Timestamp
    assert subs.loc["sub_A08:si_A081", "start_date"] == day("2024-05-15")  # counts from the trial's end
    assert subs.loc["sub_A09:si_A091", "start_date"] == day("2025-01-03")  # still trialing
    assert subs.loc["sub_A11:si_A111", "end_date"] == day("2025-01-15")  # cancel_at_period_end: current_period_end
    assert subs.loc["sub_A21:si_A211", "end_date"] == day("2025-03-01")  # cancel_at
    assert subs.loc["sub_A20:si_A201", "end_date"] == day("2024-09-10")  # ended_at
    assert subs.loc["sub_A30:si_A302", "start_date"] == day("2024-08-01")  # an item added later
    assert subs.loc["sub_A30:si_A301", "start_date"] == day("2024-01-01")
    # a repeating coupon: the discounted months, then full price
    assert subs.loc[["sub_A12:si_A121#1", "sub_A12:si_A121#2"], ["start_date", "end_date", "amount"]].values.tolist() == [
        [day("2024-02-01"), day("2024-05-01"), 50.0], [day("2024-05-01"), pd.NaT, 100.0]]
    # a price change (schedule phases): one row per price period
    assert subs.loc[["sub_A16:phase1:price_basic", "sub_A16:phase2:price_pro"], ["start_date", "end_date", "amount"]].values.tolist() == [
        [day("2024-01-01"), day("2024-07-01"), 40.0], [day("2024-07-01"), pd.NaT, 60.0]]
    assert not any(i.startswith(("sub_A10", "sub_A18", "sub_A19")) for i in subs.index)


def test_trialing_at_as_of_is_not_mrr_and_counts_after(fixture_data: sm.SalesData) -> None:
    """A09's trial ends 2025-01-03: no MRR at 2024-12-31, $99 in January 2025; A11 cancels at its period end
    (2025-01-15), so it is gone by the end of January."""
    january = _month_end(fixture_data, "2025-01", as_of="2025-01-31")
    assert january["cus_09"] == 99.0
    assert "cus_11" not in january.index
    assert "cus_09" not in _month_end(fixture_data, "2024-12").index


def test_left_out_and_deleted_are_counted_and_said() -> None:
    with pytest.warns(DataQualityWarning) as caught:
        data = read_stripe(_api(), currency="USD", fx_rates=FX, segment="segment")
    said = " ".join(str(w.message) for w in caught)
    assert data.provenance.attrs["left_out"] == {
        "test-mode subscriptions (livemode false)": 1,
        "test-mode customers (livemode false)": 1,
        "incomplete_expired subscriptions (never paid)": 1,
        "metered (usage-based) price items: usage is not MRR": 1,
        "discounts not applied: their coupon's terms are not in the data (expand data.discounts)": 1,
        "subscriptions that ended before their first paid day (canceled in a trial)": 1,
    }
    assert data.provenance.attrs["dropped"] == {"customer": 1}  # cus_17, deleted
    assert "test-mode subscriptions (livemode false): 1" in said and "customer 1" in said
    # the deleted customer's subscription stays (its revenue was real); the account is an unresolved reference
    assert data.unresolved.set_index("column").loc["account_id", "examples"] == "cus_17"
    assert "cus_17" not in set(data.accounts["account_id"])
    assert "cus_18" not in set(data.accounts["account_id"])


def test_test_mode_options() -> None:
    api = _api()
    kept = _read(api, test_mode="keep")
    assert "sub_A18:si_A181" in set(kept.subscriptions["subscription_id"])
    only_test = [dict(s, livemode=False) for s in api["subscriptions"][:3]]
    assert len(_read(only_test, segment=None).subscriptions) == 3  # "auto": test objects alone are kept
    with pytest.raises(MissingDataError):
        _read(only_test, test_mode="drop", segment=None)  # nothing left


def test_subscriptions_alone_build_accounts_from_customer_fields() -> None:
    data = _read(_api()["subscriptions"])
    accounts = data.accounts.set_index("account_id")
    assert accounts.loc["cus_23", ["name", "segment"]].tolist() == ["Delta Labs", "Enterprise"]  # expanded in A23
    assert pd.isna(accounts.loc["cus_01", "name"])
    assert set(data.subscriptions["account_id"]) <= set(accounts.index)
    assert _month_end(data, "2024-12").sum() == pytest.approx(2571.00)


def test_field_names_any_case_and_time_zone() -> None:
    """Field names match whatever their case or underscores; instants become dates in the reporting zone
    (2024-01-31 20:00 UTC is February 1 in Seoul)."""
    sub = {"ID": "sub_1", "Customer": "cus_1", "Status": "active", "StartDate": 1706731200, "Created": 1706731200,
           "Items": {"Data": [{"ID": "si_1", "Quantity": 2, "Price": {"UnitAmount": 1000, "Currency": "USD",
                                                                       "Recurring": {"Interval": "month", "IntervalCount": 1}}}]}}
    data = read_stripe([sub], timezone="Asia/Seoul")
    row = data.subscriptions.iloc[0]
    assert row["subscription_id"] == "sub_1:si_1"
    assert row["start_date"] == pd.Timestamp("2024-02-01")
    assert row["amount"] == 20.0
    assert read_stripe([sub]).subscriptions.iloc[0]["start_date"] == pd.Timestamp("2024-01-31")


# ------------------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------------------


def test_missing_required_fields_give_one_error_naming_each_and_its_option() -> None:
    sub = {"id": "sub_1", "status": "active", "items": {"data": [{"id": "si_1", "quantity": 1,
                                                                  "price": {"unit_amount": 1000, "recurring": {"interval": "month"}}}]}}
    with pytest.raises(MissingDataError) as err:
        read_stripe([sub])
    message = str(err.value)
    assert "3 required field(s)" in message
    assert "subscription.customer" in message
    assert "subscription.start_date" in message
    assert "subscription item.price.currency: or pass currency='USD'" in message
    data = read_stripe([dict(sub, customer="cus_1", start_date=1704067200)], currency="EUR")  # the option supplies it
    assert data.subscriptions["currency"].tolist() == ["EUR"]


def test_export_without_interval_names_the_option(tmp_path: Path) -> None:
    pd.DataFrame({"id": ["sub_1"], "Customer ID": ["cus_1"], "Amount": ["10.00"], "Currency": ["usd"],
                  "Start Date (UTC)": ["2024-01-01 00:00"], "Status": ["active"]}).to_csv(tmp_path / "subscriptions.csv", index=False)
    with pytest.raises(MissingDataError, match=r"subscription.Interval: or pass interval='month'"):
        read_stripe(tmp_path)
    assert read_stripe(tmp_path, interval="year").subscriptions["billing_months"].tolist() == [12]


def test_unknown_interval_and_currency_are_named_with_the_option() -> None:
    sub = _api()["subscriptions"][1]  # A02: $15 × 5 monthly
    odd = json.loads(json.dumps(sub))
    odd["items"]["data"][0]["price"]["recurring"]["interval"] = "fortnight"
    odd["items"]["data"][0]["price"]["currency"] = "xts"
    with pytest.raises(InputValidationError) as err:
        read_stripe([odd])
    message = str(err.value)
    assert "unknown interval 'fortnight': pass interval_months={'fortnight': <months in one interval>}" in message
    assert "unknown currency 'XTS': pass currency_decimals={'XTS': 2}" in message
    assert set(err.value.failure_cases["check"]) == {"known_currency", "known_interval"}
    data = read_stripe([odd], interval_months={"fortnight": 12 / 26}, currency_decimals={"xts": 2})
    assert data.subscriptions["amount"].tolist() == [pytest.approx(75 * 26 / 12)]  # prorated like a 2-week price


def test_source_of_the_wrong_kind() -> None:
    with pytest.raises(TypeError, match="list of Stripe Subscription objects"):
        read_stripe(42)
    with pytest.raises(MissingDataError, match="subscriptions"):
        read_stripe([])


# ------------------------------------------------------------------------------------------------------------
# provenance
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["api", "export"])
def test_provenance_covers_every_canonical_column(source: str) -> None:
    data = _read(_api() if source == "api" else FIXTURES / "export")
    report = data.provenance
    for table in ("subscriptions", "accounts"):
        said = report[report["table"] == table].set_index("column")["source"]
        assert set(said.index) == set(column_kinds(table)), table
        read = [c for c, s in said.items() if s != NOT_AVAILABLE]
        assert all(data.has_column(table, c) for c in read), table
    subs = report[report["table"] == "subscriptions"].set_index("column")["source"]
    assert NOT_AVAILABLE not in set(subs)
    assert subs["amount"].startswith(("subscription item.price.unit_amount", "subscription.Amount"))
    accounts = report[report["table"] == "accounts"].set_index("column")["source"]
    assert accounts["segment"] in ("customer.metadata.segment", "customer.segment (metadata)")
    assert accounts["industry"] == NOT_AVAILABLE


# ------------------------------------------------------------------------------------------------------------
# round trip: canonical -> Stripe API objects -> read_stripe -> the same metrics
# ------------------------------------------------------------------------------------------------------------


def _to_stripe(company: Any, as_of: pd.Timestamp) -> dict[str, list[dict[str, Any]]]:
    """The reverse mapping, as Stripe would hold the generated company's subscriptions.

    Each subscription is a Subscription object (Unix time stamps at local midnight in the company's zone, amounts
    in cents, monthly/quarterly/yearly prices); on a share of them the quirks the reader must undo: quantity > 1
    (unit price × quantity), a trial before the start, an expanded customer, an end after ``as_of`` as
    ``cancel_at_period_end`` or ``cancel_at``. Two adjacent subscriptions of an account with the same product
    (a contraction at renewal) become one subscription whose schedule has two phases. Plus noise the reader
    must leave out: a test-mode copy and an incomplete_expired subscription.
    """
    tz = company.timezone
    subs = company.subscriptions.sort_values(["account_id", "start_date"], kind="stable").reset_index(drop=True)
    accounts = company.accounts.set_index("account_id")

    def unix(day: Any) -> int | None:
        return None if pd.isna(day) else int(pd.Timestamp(day).tz_localize(tz).timestamp())

    def price(i: int, row: Any) -> tuple[dict[str, Any], int]:
        cents = round(row["amount"] * 100)
        quantity = 4 if i % 3 == 0 and cents % 4 == 0 and cents else 1
        months = int(row["billing_months"])
        recurring = {"interval": "year", "interval_count": months // 12} if months % 12 == 0 else {"interval": "month", "interval_count": months}
        return ({"id": f"price_{i}", "object": "price", "currency": str(row["currency"] if pd.notna(row["currency"]) else "USD").lower(),
                 "unit_amount": cents // quantity, "recurring": {**recurring, "usage_type": "licensed"}, "product": row["product"],
                 "billing_scheme": "per_unit", "type": "recurring"}, quantity)

    nxt = subs.shift(-1)
    pair = ((subs["account_id"] == nxt["account_id"]) & (subs["end_date"] == nxt["start_date"]) & (subs["product"] == nxt["product"])
            & (subs["billing_months"] == nxt["billing_months"]) & (subs["currency"].fillna("") == nxt["currency"].fillna("")))
    pair &= ~pair.shift(1, fill_value=False)  # a row is in one pair at most
    out: list[dict[str, Any]] = []
    skip = False
    for i, row in subs.iterrows():
        if skip:
            skip = False
            continue
        i = int(i)  # type: ignore[call-overload]
        last = subs.loc[i + 1] if pair[i] else row
        skip = bool(pair[i])
        start, end = unix(row["start_date"]), unix(last["end_date"])
        current, quantity = price(i, last)
        sub: dict[str, Any] = {
            "id": f"sub_{i}", "object": "subscription", "livemode": True, "customer": row["account_id"],
            "status": "canceled" if end is not None and pd.Timestamp(last["end_date"]).tz_localize(tz) <= as_of else "active",
            "created": start, "start_date": start, "ended_at": None, "cancel_at": None, "cancel_at_period_end": False,
            "current_period_end": None, "trial_start": None, "trial_end": None, "discount": None, "schedule": None,
            "items": {"object": "list", "data": [{"id": f"si_{i}", "object": "subscription_item", "created": start,
                                                  "quantity": quantity, "price": current}]},
        }
        if sub["status"] == "canceled":
            sub["ended_at"] = sub["canceled_at"] = end
        elif end is not None and i % 2:
            sub.update(cancel_at_period_end=True, current_period_end=end, cancel_at=end)
        elif end is not None:
            sub["cancel_at"] = end
        if i % 5 == 0:  # a two-week trial before the paid start
            sub.update(trial_start=start - 14 * 86400, trial_end=start, start_date=start - 14 * 86400, created=start - 14 * 86400)
            sub["items"]["data"][0]["created"] = sub["created"]
        if i % 7 == 0:
            account = accounts.loc[row["account_id"]]
            sub["customer"] = {"id": row["account_id"], "object": "customer", "name": account["name"]}
        if pair[i]:
            first, first_quantity = price(i, row)
            first["id"] = f"price_{i}_before"
            sub["schedule"] = {"id": f"sub_sched_{i}", "object": "subscription_schedule", "phases": [
                {"start_date": start, "end_date": unix(row["end_date"]), "items": [{"price": first, "quantity": first_quantity}]},
                {"start_date": unix(row["end_date"]), "end_date": None, "items": [{"price": current["id"], "quantity": quantity}]}]}
        out.append(sub)
    out.append(dict(out[0], id="sub_test", livemode=False))
    out.append(dict(out[1], id="sub_incomplete", status="incomplete_expired"))
    customers = [{"id": a, "object": "customer", "livemode": True, "name": r["name"],
                  "created": int(pd.Timestamp(r["created_at"]).timestamp()), "metadata": {"segment": r["segment"]}}
                 for a, r in accounts.iterrows()]
    return {"subscriptions": out, "customers": customers}


@pytest.mark.parametrize(("seed", "size", "months"), [(3, 300, 24), (11, 900, 30)])
def test_round_trip_gives_the_same_revenue_metrics(seed: int, size: int, months: int) -> None:
    company = make_company(seed=seed, accounts=size, months=months)
    as_of = (company.end - pd.DateOffset(months=2)).tz_localize(company.timezone)
    canonical = company.to_sales_data(as_of=as_of)
    stripe = _to_stripe(company, as_of)
    assert any(s["schedule"] for s in stripe["subscriptions"])  # the reverse mapping used schedules
    data = _read(stripe, timezone=company.timezone, fx_rates=company.fx_rates, as_of=as_of)
    assert data.provenance.attrs["left_out"] == {"test-mode subscriptions (livemode false)": 1,
                                                 "incomplete_expired subscriptions (never paid)": 1}
    for metric, options in ((sm.mrr, {"freq": "M"}), (sm.mrr_bridge, {"freq": "M"}), (sm.mrr_bridge, {"freq": "Q", "by": "segment"}),
                            (sm.retention, {"freq": "Q"}), (sm.retention, {"freq": "M", "by": "segment"}),
                            (sm.cohort_retention, {})):
        expected, got = metric(canonical, **options), metric(data, **options)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=f"{metric.__name__}({options})")
    assert sm.mrr(data, freq="M")["mrr"].sum() > 0
    assert np.isclose(sm.mrr_bridge(data, freq=None)["ending_mrr"].iloc[0], sm.mrr_bridge(canonical, freq=None)["ending_mrr"].iloc[0])


def test_canceled_without_ended_at_ends_when_canceled(tmp_path: Path) -> None:
    """An export without an "Ended At" column: a canceled subscription ends at "Canceled At", not never."""
    pd.DataFrame({"id": ["sub_1", "sub_2"], "Customer ID": ["cus_1", "cus_2"], "Amount": ["10.00", "20.00"], "Currency": ["usd", "usd"],
                  "Interval": ["month", "month"], "Status": ["canceled", "active"], "Start Date (UTC)": ["2024-01-01 00:00"] * 2,
                  "Canceled At (UTC)": ["2024-04-10 09:00", ""]}).to_csv(tmp_path / "subscriptions.csv", index=False)
    data = read_stripe(tmp_path)
    assert data.subscriptions["end_date"].tolist()[0] == pd.Timestamp("2024-04-10")
    assert pd.isna(data.subscriptions["end_date"].tolist()[1])
    assert _month_end(data, "2024-04", as_of="2024-04-30").sum() == 20.0


def test_an_as_of_read_off_the_export_says_which_field_set_it():
    """The reader dates the export by its latest event; the bundle must not call that date "given"."""
    subs = [{"id": "sub_1", "customer": "cus_1", "status": "canceled", "start_date": 1704067200, "created": 1704067200,
             "ended_at": 1711929600, "canceled_at": 1711929600,
             "items": {"data": [{"id": "si_1", "quantity": 1, "price": {"unit_amount": 1000, "currency": "usd",
                                                                      "recurring": {"interval": "month", "interval_count": 1}}}]}}]
    data = sm.read_stripe(subs)
    assert data.as_of == pd.Timestamp("2024-04-01", tz="UTC")  # 1711929600: the end, an event that happened
    assert data.as_of_source in ("subscriptions.ended_at", "subscriptions.canceled_at")
    assert sm.read_stripe(subs, as_of="2024-03-31").as_of_source == "given"
