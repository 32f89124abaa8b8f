"""Bad values get named failures, never a library exception (issue 14, point 7).

Each test feeds a small frame, as a user would, to ``sm.SalesData`` or ``sm.conform`` and checks the
failure's check name, table, column, row and that its fix names the remedy; in quarantine mode the row
is set aside with its reason and kept + quarantined = input.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesmetrics as sm
from salesmetrics.data._checks import _validate_table
from salesmetrics.data._messages import _NFC_RANGES, UNICODE_HINT, unicode_hint


def _subs(end_date, *, start_date=None, amount=None, billing_months=None) -> pd.DataFrame:
    n = len(end_date)
    frame = pd.DataFrame({
        "subscription_id": [f"s{i}" for i in range(n)],
        "account_id": ["a1"] * n,
        "start_date": start_date if start_date is not None else ["2025-01-01"] * n,
        "amount": amount if amount is not None else ["100"] * n,
    })
    frame["end_date"] = end_date  # keeps the dtype given (object, datetime64[s], int, ...)
    if billing_months is not None:
        frame["billing_months"] = billing_months
    return frame


def _opps(created_at, **extra) -> pd.DataFrame:
    n = len(created_at)
    frame = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(n)], "status": ["open"] * n})
    frame["created_at"] = created_at
    for column, values in extra.items():
        frame[column] = values
    return frame


def _raise(**tables) -> sm.InputValidationError:
    with pytest.raises(sm.InputValidationError) as info:
        sm.SalesData(**tables)
    return info.value


def _quarantine(**tables) -> sm.SalesData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(**tables, on_invalid="quarantine")
    for name, given_frame in tables.items():
        kept = len(data.tables.get(name, ()))
        held = len(data.quarantine.get(name, ()))
        assert kept + held == len(given_frame), name
    return data


def _hits(err: sm.InputValidationError, check: str) -> pd.DataFrame:
    fc = err.failure_cases
    return fc[fc["check"] == check]


# ----------------------------------------------------------------------------------------------------------
# dates out of range
# ----------------------------------------------------------------------------------------------------------

OUT_OF_RANGE = {
    "text 9999-12-31": pd.Series(["2026-01-01", "9999-12-31", None], dtype=object),
    "text 0001-01-01": pd.Series(["2026-01-01", "0001-01-01", None], dtype=object),
    "python datetime": pd.Series([dt.datetime(2026, 1, 1), dt.datetime(9999, 12, 31), None], dtype=object),
    "python date": pd.Series([dt.date(2026, 1, 1), dt.date(1, 1, 1), None], dtype=object),
    "datetime64[s] column": pd.Series(np.array(["2026-01-01", "9999-12-31", "NaT"], dtype="datetime64[s]")),
    "int column yyyymmdd": pd.Series([20260101, 99991231, None], dtype="Int64"),
    "month-first text": pd.Series(["01/31/2026", "12/31/9999", None], dtype=object),
}


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_date_out_of_range_is_a_named_failure_with_the_open_end_fix(case):
    subs = _subs(OUT_OF_RANGE[case])
    err = _raise(subscriptions=subs)
    hit = _hits(err, "date_out_of_range")
    assert hit[["table", "column", "row"]].values.tolist() == [["subscriptions", "end_date", 1]]
    fix = hit["fix"].iloc[0]
    assert "1678" in fix and "2261" in fix and "empty cell" in fix and "9999-12-31" in fix
    assert "subscriptions.end_date [date_out_of_range]" in str(err)
    assert len(err.failure_cases) == 1  # one failure per bad cell: not also "date" or "missing_value"

    data = _quarantine(subscriptions=subs)
    q = data.quarantine["subscriptions"]
    assert q["row"].tolist() == [1] and q["reason"].tolist() == ["end_date: date_out_of_range"]
    assert data.subscriptions["subscription_id"].tolist() == ["s0", "s2"]
    assert data.subscriptions["end_date"].iloc[0] == pd.Timestamp("2026-01-31" if case == "month-first text" else "2026-01-01")
    assert pd.isna(data.subscriptions["end_date"].iloc[1])  # an empty end is an open end


def test_time_stamps_out_of_range_with_and_without_offset():
    aware = _opps(["2025-01-01T09:00:00+09:00", "9999-12-31T00:00:00+00:00"])
    naive = _opps(["2025-01-01 09:00", "2300-01-01 09:00"])
    for frame in (aware, naive):
        hit = _hits(_raise(opportunities=frame), "date_out_of_range")
        assert hit[["table", "column", "row"]].values.tolist() == [["opportunities", "created_at", 1]]
    typed = _opps(pd.Series(np.array(["2025-01-01", "1000-01-01"], dtype="datetime64[us]")).dt.tz_localize("UTC"))
    assert _hits(_raise(opportunities=typed), "date_out_of_range")["row"].tolist() == [1]


def test_conform_names_the_out_of_range_date():
    raw = pd.DataFrame({"Sub": ["s1", "s2"], "Account": ["a1", "a1"], "Start": ["2025-01-01", "2025-02-01"],
                        "End": ["9999-12-31", ""], "MRR": ["10", "20"]})
    with pytest.raises(sm.InputValidationError) as info:
        sm.conform(raw, "subscriptions", columns={"Sub": "subscription_id", "Account": "account_id", "Start": "start_date",
                                                  "End": "end_date", "MRR": "amount"})
    hit = _hits(info.value, "date_out_of_range")
    assert hit[["table", "column", "row", "value"]].values.tolist() == [["subscriptions", "end_date", 0, "9999-12-31"]]


@pytest.mark.parametrize("values", [["2026-01-01", "-1"], ["2026-01-01", "0"], ["2026-01-01", "03/04"]])
def test_text_that_is_no_date_is_unreadable_not_out_of_range(values):
    err = _raise(subscriptions=_subs(values))
    assert err.failure_cases[["column", "check", "row"]].values.tolist() == [["end_date", "date", 1]]
    assert "ISO 8601" in err.failure_cases["fix"].iloc[0]


def test_numbers_in_a_time_stamp_column_are_unreadable():
    frame = _opps(pd.Series([20250101, -1, 0], dtype="int64"))
    err = _raise(opportunities=frame)
    assert err.failure_cases[["column", "check", "row"]].values.tolist() == [["created_at", "timestamp", 1], ["created_at", "timestamp", 2]]
    data = _quarantine(opportunities=frame)
    assert data.opportunities["created_at"].tolist() == [pd.Timestamp("2025-01-01", tz="UTC")]
    assert data.quarantine["opportunities"]["reason"].tolist() == ["created_at: timestamp"] * 2


# ----------------------------------------------------------------------------------------------------------
# numbers
# ----------------------------------------------------------------------------------------------------------


def test_infinite_amounts_fail_as_text_and_as_floats():
    for amounts in (["12", "inf", "-inf", "Infinity"], [12.0, np.inf, -np.inf, float("inf")]):
        frame = _opps(["2025-01-01"] * 4, amount=amounts)
        hit = _hits(_raise(opportunities=frame), "not_finite")
        assert hit[["table", "column"]].drop_duplicates().values.tolist() == [["opportunities", "amount"]]
        assert hit["row"].tolist() == [1, 2, 3]
        assert "finite" in hit["fix"].iloc[0] and "empty" in hit["fix"].iloc[0]
        data = _quarantine(opportunities=frame)
        assert data.opportunities["amount"].tolist() == [12.0]
        assert set(data.quarantine["opportunities"]["reason"]) == {"amount: not_finite"}


def test_not_finite_applies_to_every_float_column():
    leads = pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2025-01-01", "2025-01-02"], "score": ["55", "-Infinity"]})
    rates = pd.DataFrame({"currency": ["EUR", "EUR"], "date": ["2025-01-01", "2025-01-02"], "rate": ["1.1", "inf"]})
    err = _raise(leads=leads, fx_rates=rates)
    hit = _hits(err, "not_finite")
    assert hit[["table", "column", "row"]].values.tolist() == [["leads", "score", 1], ["fx_rates", "rate", 1]]


def test_nan_text_in_a_number_column_is_missing_as_read_csv_would_read_it():
    frame = _opps(["2025-01-01"] * 3, amount=["nan", "NaN", "100"])
    data = sm.SalesData(opportunities=frame)
    assert data.opportunities["amount"].isna().tolist() == [True, True, False]
    # where a value is required, it is then a missing value, not an unreadable number
    err = _raise(subscriptions=_subs([None], amount=["nan"]))
    assert err.failure_cases[["column", "check"]].values.tolist() == [["amount", "missing_value"]]


def test_amounts_beyond_exact_cents_fail_in_every_money_column():
    limit = 2**53 / 100  # 90,071,992,547,409.92: the largest amount whose cents a float holds exactly
    ok, too_big = "90071992547409", "90071992547410"
    assert float(ok) < limit < float(too_big)
    opps = _opps(["2025-01-01"] * 3, amount=[ok, too_big, "-1e20"])
    subs = _subs([None, None], amount=[ok, "1e15"])
    spend = pd.DataFrame({"month": ["2025-01-01", "2025-02-01"], "amount": [1e14, 10.0]})
    targets = pd.DataFrame({"period": ["2025Q1", "2025Q2"], "metric": ["bookings"] * 2, "target": ["1e16", "5"]})
    err = _raise(opportunities=opps, subscriptions=subs, spend=spend, targets=targets)
    hit = _hits(err, "amount_too_large")
    assert hit[["table", "column", "row"]].values.tolist() == [
        ["opportunities", "amount", 1], ["opportunities", "amount", 2], ["subscriptions", "amount", 1],
        ["spend", "amount", 0], ["targets", "target", 0],
    ]
    assert "2**53 cents" in hit["fix"].iloc[0]
    assert not (err.failure_cases["check"] == "not_negative").any()  # -1e20 is reported once, as too large
    # a non-money float may be large
    leads = pd.DataFrame({"lead_id": ["l1"], "created_at": ["2025-01-01"], "score": ["1e15"]})
    assert sm.SalesData(leads=leads).leads["score"].iloc[0] == 1e15


def test_huge_float_ids_and_billing_months_are_failures_or_text_never_a_crash():
    accounts = pd.DataFrame({"account_id": [1e20, 2.0]})
    assert sm.SalesData(accounts=accounts).accounts["account_id"].tolist() == ["1e+20", "2.0"]
    err = _raise(subscriptions=_subs([None], billing_months=[1e20]))
    assert err.failure_cases[["column", "check", "row"]].values.tolist() == [["billing_months", "integer", 0]]


# ----------------------------------------------------------------------------------------------------------
# day-first vs month-first
# ----------------------------------------------------------------------------------------------------------


def test_one_day_first_value_settles_the_whole_column():
    subs = _subs([None] * 4, start_date=["25/04/2025", "03/04/2025", "3.4.2025", "2025-07-01"])
    start = sm.SalesData(subscriptions=subs).subscriptions["start_date"]
    assert start.tolist() == [pd.Timestamp("2025-04-25"), pd.Timestamp("2025-04-03"), pd.Timestamp("2025-04-03"), pd.Timestamp("2025-07-01")]


def test_one_month_first_value_settles_the_whole_column_with_times_and_zones():
    opps = _opps(["04/25/2025 10:00", "03/04/2025 09:30", "03-04-2025T09:30"])
    created = sm.SalesData(opportunities=opps, timezone="Asia/Seoul").opportunities["created_at"]
    assert created.tolist() == [pd.Timestamp("2025-04-25 10:00", tz="Asia/Seoul")] + [pd.Timestamp("2025-03-04 09:30", tz="Asia/Seoul")] * 2


def test_ambiguous_day_month_order_is_a_failure_with_the_dayfirst_fix():
    subs = _subs([None] * 4, start_date=["03/04/2025", "05/05/2025", "2025-07-01", "04/03/2025"])
    err = _raise(subscriptions=subs)
    hit = _hits(err, "date_order_ambiguous")
    # 05/05/2025 reads the same either way and ISO is never affected: only rows 0 and 3 fail
    assert hit[["table", "column", "row"]].values.tolist() == [["subscriptions", "start_date", 0], ["subscriptions", "start_date", 3]]
    assert "dayfirst=True (31/12/2025)" in hit["fix"].iloc[0] and "dayfirst=False (12/31/2025)" in hit["fix"].iloc[0]
    assert len(err.failure_cases) == 2
    data = _quarantine(subscriptions=subs)
    assert data.quarantine["subscriptions"]["reason"].tolist() == ["start_date: date_order_ambiguous"] * 2
    assert data.subscriptions["start_date"].tolist() == [pd.Timestamp("2025-05-05"), pd.Timestamp("2025-07-01")]


def test_day_first_and_month_first_in_one_column_fail_on_the_minority():
    dates = ["13/04/2025", "14/04/2025", "03/04/2025", "04/25/2025"]  # two day-first only, one month-first only
    subs = _subs([None] * 4, start_date=dates)
    hit = _hits(_raise(subscriptions=subs), "date_order_mixed")
    assert hit[["table", "column", "row", "value"]].values.tolist() == [["subscriptions", "start_date", 3, "04/25/2025"]]
    fix = hit["fix"].iloc[0]
    assert "2 value(s) can only be day-first" in fix and "1 only month-first" in fix and "read day-first" in fix
    data = _quarantine(subscriptions=subs)
    # never two formats in one column: the ambiguous 03/04 follows the column's day-first order
    assert data.subscriptions["start_date"].tolist() == [pd.Timestamp("2025-04-13"), pd.Timestamp("2025-04-14"), pd.Timestamp("2025-04-03")]
    assert data.quarantine["subscriptions"]["reason"].tolist() == ["start_date: date_order_mixed"]


def test_a_tie_between_orders_fails_every_value_that_takes_a_side():
    subs = _subs([None] * 3, start_date=["13/04/2025", "04/25/2025", "03/04/2025"])
    fc = _raise(subscriptions=subs).failure_cases
    assert fc[["check", "row"]].values.tolist() == [["date_order_ambiguous", 2], ["date_order_mixed", 0], ["date_order_mixed", 1]]


def test_dayfirst_given_decides_and_flags_values_against_it():
    frame = _subs([None] * 3, start_date=["03/04/2025", "04/03/2025", "12/31/2025"])
    coerced, fc = _validate_table("subscriptions", frame, "UTC", "USD", dayfirst=True)
    assert coerced["start_date"].iloc[:2].tolist() == [pd.Timestamp("2025-04-03"), pd.Timestamp("2025-03-04")]
    assert fc[["check", "row"]].values.tolist() == [["date_order_mixed", 2]]
    assert "dayfirst=True" in fc["fix"].iloc[0] and "pass dayfirst=False" in fc["fix"].iloc[0]
    coerced, fc = _validate_table("subscriptions", frame, "UTC", "USD", dayfirst=False)
    assert len(fc) == 0
    assert coerced["start_date"].tolist() == [pd.Timestamp("2025-03-04"), pd.Timestamp("2025-04-03"), pd.Timestamp("2025-12-31")]


def test_conform_passes_dayfirst_through():
    raw = pd.DataFrame({"opportunity_id": ["o1", "o2"], "created_at": ["03/04/2025", "04/03/2025"], "status": ["open", "open"]})
    with pytest.raises(sm.InputValidationError, match="date_order_ambiguous"):
        sm.conform(raw, "opportunities")
    opps = sm.conform(raw, "opportunities", dayfirst=True)
    assert opps["created_at"].dt.month.tolist() == [4, 3]


# ----------------------------------------------------------------------------------------------------------
# billing_months
# ----------------------------------------------------------------------------------------------------------


def test_billing_months_of_zero_has_its_own_check_and_fix():
    subs = _subs([None] * 3, billing_months=["0", "12", "-3"])
    err = _raise(subscriptions=subs)
    hit = _hits(err, "billing_months_positive")
    assert hit[["table", "column", "row"]].values.tolist() == [["subscriptions", "billing_months", 0], ["subscriptions", "billing_months", 2]]
    assert "1 monthly, 3 quarterly, 12 annual" in hit["fix"].iloc[0] and "0 is not a billing period" in hit["fix"].iloc[0]
    assert "amounts must be zero or more" not in str(err)
    data = _quarantine(subscriptions=subs)
    assert data.subscriptions["billing_months"].tolist() == [12]
    assert set(data.quarantine["subscriptions"]["reason"]) == {"billing_months: billing_months_positive"}
    # other tables keep their messages: a negative amount is still not_negative, about amounts
    neg = _hits(_raise(subscriptions=_subs([None], amount=["-5"])), "not_negative")
    assert neg["fix"].iloc[0].startswith("amounts must be zero or more")


# ----------------------------------------------------------------------------------------------------------
# messages
# ----------------------------------------------------------------------------------------------------------


def test_messages_cut_long_values_and_keep_them_whole_in_failure_cases():
    huge = "a" * 1_048_576
    err = _raise(opportunities=_opps(["2025-01-01", huge]), accounts=pd.DataFrame({"account_id": [huge, huge]}))
    text = str(err)
    assert len(text) < 3_000
    assert "(1,048,576 chars)" in text and "…" in text
    assert all(len(line) <= 600 for line in text.splitlines())
    assert err.failure_cases["value"].map(len).tolist() == [1_048_576] * 3


def test_message_lines_are_capped_when_a_user_column_name_is_huge():
    accounts = pd.DataFrame({"x" * 500_000: ["a1"]})  # no account_id; the fix lists the columns present
    with pytest.raises(sm.InputValidationError) as info:
        sm.SalesData(accounts=accounts)
    lines = str(info.value).splitlines()
    assert max(len(line) for line in lines) <= 600
    assert "accounts.account_id [missing_column]" in str(info.value)


# ----------------------------------------------------------------------------------------------------------
# Unicode normalisation
# ----------------------------------------------------------------------------------------------------------

NFC_JOSE, NFD_JOSE = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
NFC_KOREA, NFD_KOREA = unicodedata.normalize("NFC", "한국상사"), unicodedata.normalize("NFD", "한국상사")


def test_ids_that_differ_only_by_normalisation_are_named():
    assert NFC_JOSE != NFD_JOSE and NFC_KOREA != NFD_KOREA
    accounts = pd.DataFrame({"account_id": [NFC_JOSE, "a2", NFD_JOSE, NFC_KOREA, NFD_KOREA, "Zoë"]})
    err = _raise(accounts=accounts)
    hit = _hits(err, "unicode_normalisation")
    assert hit[["table", "column", "row"]].values.tolist() == [["accounts", "account_id", r] for r in (0, 2, 3, 4)]
    assert hit["fix"].iloc[0] == UNICODE_HINT and "unicodedata.normalize('NFC', id)" in UNICODE_HINT
    assert r"'Jos\xe9'" in str(err) and r"'Jose\u0301'" in str(err)  # the message shows how they differ
    data = _quarantine(accounts=accounts)
    assert data.accounts["account_id"].tolist() == ["a2", "Zoë"]
    assert set(data.quarantine["accounts"]["reason"]) == {"account_id: unicode_normalisation"}


def test_unicode_hint_for_reference_checks():
    keys = pd.Series([NFC_JOSE, "Ana", NFC_KOREA])
    assert unicode_hint(pd.Series([NFD_JOSE]), keys) == UNICODE_HINT
    assert unicode_hint(pd.Series([NFD_KOREA, "zzz"]), keys) == UNICODE_HINT
    assert unicode_hint(pd.Series([NFC_JOSE.upper()]), keys) == ""
    assert unicode_hint(pd.Series(["Bob", None]), keys) == ""
    assert unicode_hint(pd.Series(["\u212a1"]), pd.Series(["K1"])) == UNICODE_HINT  # Kelvin sign -> K
    assert unicode_hint(pd.Series([], dtype="str"), keys) == ""


def test_nfc_ranges_hold_every_character_normalisation_can_touch():
    """Text without a character in ``_NFC_RANGES`` is NFC (see _messages): check it for every code point."""
    lows = np.array([a for a, _ in _NFC_RANGES])
    highs = np.array([b for _, b in _NFC_RANGES])
    missed = []
    for cp in range(0x80, 0x110000):
        ch = chr(cp)
        decomposition = unicodedata.decomposition(ch)
        second = decomposition and not decomposition.startswith("<") and len(decomposition.split()) == 2
        touched = unicodedata.combining(ch) or unicodedata.normalize("NFC", ch) != ch
        if touched or 0x1161 <= cp <= 0x11C2:
            i = np.searchsorted(lows, cp, side="right") - 1
            if i < 0 or cp > highs[i]:
                missed.append(hex(cp))
        if second:
            composed = int(decomposition.split()[1], 16)
            i = np.searchsorted(lows, composed, side="right") - 1
            if i < 0 or composed > highs[i]:
                missed.append(hex(composed))
    assert missed == []


# ----------------------------------------------------------------------------------------------------------
# property: whatever text lands in a date column, the answer is a named failure or a value
# ----------------------------------------------------------------------------------------------------------

DATE_LIKE = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A-?\d{1,5}([/.\- ]\d{1,5}){0,2}( \d{1,2}:\d{2}( ?[AP]M)?)?( ?[+-]\d{2}:?\d{2}|Z| UTC)?\Z"),
    st.sampled_from(["9999-12-31", "0001-01-01", "-1", "0", "inf", "nan", "Jan 5 2025", "31/12/2025", "12/31/2025",
                     "2025-02-30", "2025-07-01T25:00", "1e400", "NaT", "None", "\x00", "٢٠٢٥-٠١-٠١"]),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), DATE_LIKE), min_size=1, max_size=8), timestamp=st.booleans(), dayfirst=st.sampled_from([None, True, False]))
def test_property_anything_in_a_date_column_is_a_value_or_a_named_failure(values, timestamp, dayfirst):
    if timestamp:
        frame = pd.DataFrame({"opportunity_id": [f"o{i}" for i in range(len(values))], "status": "open"})
        frame["created_at"] = pd.Series(values, dtype=object)
        table, column = "opportunities", "created_at"
    else:
        frame = _subs(pd.Series(values, dtype=object))
        table, column = "subscriptions", "end_date"
    coerced, fc = _validate_table(table, frame, "Asia/Seoul", "USD", dayfirst=dayfirst)  # raises nothing
    assert set(fc["row"].dropna()) <= set(range(len(values)))
    assert (fc["fix"].str.len() > 10).all()
    ok = ~coerced.index.isin(fc["row"].dropna().astype(int))
    read = coerced.loc[ok, column].dropna()
    assert ((read >= pd.Timestamp("1678-01-01", tz=read.dt.tz)) & (read < pd.Timestamp("2262-01-01", tz=read.dt.tz))).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        data = sm.SalesData(**{table: frame}, on_invalid="quarantine", dayfirst=dayfirst)  # raises nothing either
    assert len(data.tables[table]) + len(data.quarantine.get(table, ())) == len(values)
    assert sorted(data.quarantine[table]["row"]) == sorted(set(fc["row"].astype(int))) if len(fc) else table not in data.quarantine
