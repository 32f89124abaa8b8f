"""read_stripe: Stripe subscriptions (API objects or the dashboard export) as canonical subscriptions and accounts.

How Stripe becomes the data model (docs/metrics.md, "From a billing system"):

- One canonical subscription per subscription item and price period: ``sub_X:si_Y``. An expanded schedule
  (``schedule.phases``) gives one row per phase item (``sub_X:phase2:price_Z``), and a recurring discount that
  starts or ends inside a row splits it in two (``sub_X:si_Y#1``, ``sub_X:si_Y#2``).
- amount = unit_amount × quantity in major units (÷100; zero-decimal currencies such as JPY and KRW ÷1,
  three-decimal BHD, JOD, KWD, OMR, TND ÷1000), after recurring discounts (``forever`` for life,
  ``repeating`` until the discount's end, ``once`` never: it is not recurring), before tax.
- billing_months = interval × interval_count in months; a period that is not a whole number of months
  (weeks, days) is prorated: the amount becomes the monthly equivalent (× 52/12 for a weekly price, × 365/12
  for a daily one) with billing_months 1.
- A subscription counts from ``start_date``, or from ``trial_end`` after a trial; an item added later from
  its ``created``. It ends at ``ended_at``, else at ``current_period_end`` when ``cancel_at_period_end``,
  else at ``cancel_at`` (a canceled subscription without ``ended_at``: at ``canceled_at``).
- Left out, counted and said: test-mode objects among live ones, incomplete / incomplete_expired / paused
  subscriptions and those that ended before their first paid day (canceled in a trial), metered (usage) and
  tiered prices, deleted customers (their subscriptions stay: that revenue was real).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._api import find_stack_level
from .._compat import concat, flags
from ..errors import DataQualityWarning, InputValidationError
from ..periods import check_timezone
from ._common import Mapper, norm, read_source

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData

__all__ = ["INTERVAL_MONTHS", "THREE_DECIMAL", "ZERO_DECIMAL", "read_stripe"]

ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
                          "XOF", "XPF"})
"""Stripe's zero-decimal currencies (docs.stripe.com/currencies, "Zero-decimal currencies"): whole units."""
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
"""Stripe's three-decimal currencies (docs.stripe.com/currencies, "Three-decimal currencies"): 1/1000 units."""
_ISO_4217 = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF",
    "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
    "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF",
    "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRO",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB",
    "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK",
    "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STD", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND",
    "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VEF", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG", "ZWL"
})
"""ISO 4217 codes in use (and HRK, MRO, STD, VEF that old Stripe data holds). All but the two sets above have
two decimals in Stripe's API (ISK, HUF and TWD too: the API keeps two decimals for them)."""
INTERVAL_MONTHS: dict[str, float] = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}
"""Months in one Stripe ``recurring.interval``: a week is 12/52 of a month, a day 12/365."""

_VENDOR = "read_stripe"
_OBJECTS = {"subscriptions": ("subscription",), "customers": ("customer",), "prices": ("price",)}
_LEFT_OUT_STATUS = {"incomplete": "incomplete subscriptions (first payment not made)",
                    "incomplete_expired": "incomplete_expired subscriptions (never paid)",
                    "paused": "paused subscriptions (trial ended without a payment method)"}
_TRUE = ["true", "1", "1.0", "yes", "t", "y"]


# internal name -> the field's spellings: the API object's first, then the dashboard export's column
_SUB = {
    "id": ("id", "subscription_id", "Subscription ID"),
    "start": ("start_date", "start", "Start Date (UTC)", "Start (UTC)"),
    "created": ("created", "Created (UTC)"),
    "ended_at": ("ended_at", "Ended At (UTC)"),
    "cancel_at": ("cancel_at", "Cancel At (UTC)"),
    "cancel_at_period_end": ("cancel_at_period_end", "Cancel At Period End"),
    "current_period_end": ("current_period_end", "Current Period End (UTC)"),
    "trial_start": ("trial_start", "Trial Start (UTC)"),
    "trial_end": ("trial_end", "Trial End (UTC)"),
    "canceled_at": ("canceled_at", "Canceled At (UTC)"),
    "status": ("status", "Status"),
}
_ITEM = {
    "unit_amount": ("price.unit_amount", "plan.amount", "unit_amount", "Amount"),
    "unit_amount_decimal": ("price.unit_amount_decimal", "plan.amount_decimal", "unit_amount_decimal"),
    "quantity": ("quantity", "Quantity"),
    "currency": ("price.currency", "plan.currency", "currency", "Currency"),
    "interval": ("price.recurring.interval", "plan.interval", "interval", "Interval"),
    "interval_count": ("price.recurring.interval_count", "plan.interval_count", "interval_count", "Interval Count"),
    "usage_type": ("price.recurring.usage_type", "plan.usage_type", "usage_type"),
    "billing_scheme": ("price.billing_scheme", "plan.billing_scheme", "billing_scheme"),
    "product": ("price.product.name", "price.product", "plan.product.name", "plan.product", "Product"),
    "price_id": ("price.id", "price", "plan.id", "Plan"),
}
_COUPON = {  # on a Discount object (``coupon`` before API 2025-03-31, ``source.coupon`` since)
    "percent_off": ("coupon.percent_off", "source.coupon.percent_off"),
    "amount_off": ("coupon.amount_off", "source.coupon.amount_off"),
    "duration": ("coupon.duration", "source.coupon.duration"),
    "months": ("coupon.duration_in_months", "source.coupon.duration_in_months"),
}


def _pick(frame: pd.DataFrame, aliases: tuple[str, ...]) -> pd.Series | None:
    found = Mapper.find(frame, *aliases)
    return None if found is None else frame[found].reset_index(drop=True)


def _under(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The fields of a nested object, whatever its spelling: ``discount.coupon.percent_off`` -> ``coupon.percent_off``."""
    fields = {c: str(c).split(".", 1)[1] for c in frame.columns if "." in str(c) and norm(str(c).split(".", 1)[0]) == prefix}
    return frame[list(fields)].rename(columns=fields).reset_index(drop=True)


def _take(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """``values`` at ``positions``, its dtype kept (time-zone aware stamps stay so), on a fresh RangeIndex."""
    return pd.Series(values.array.take(np.asarray(positions, dtype="int64")))


def _flatten(records: list[Any]) -> pd.DataFrame:
    """API objects as one flat frame: nested objects become ``parent.field`` columns (``price.recurring.interval``),
    lists stay list cells (``items.data``). Column-wise, one level at a time: ``pd.json_normalize`` walks every
    object in Python and takes minutes on a million subscriptions."""
    frame = pd.DataFrame(records)
    for column in [c for c in frame.columns if frame[c].dtype == object]:
        values = frame[column].to_numpy()
        nested = np.fromiter((isinstance(v, Mapping) for v in values), dtype=bool, count=len(values))
        if not nested.any():
            continue
        inner = _flatten(values[nested].tolist()).set_axis(np.flatnonzero(nested))
        frame = frame.drop(columns=column) if nested.all() else frame.assign(**{column: frame[column].where(~nested)})
        frame = frame.join(inner.add_prefix(f"{column}."))
    return frame


def _flat(value: Any) -> Any:
    """A list of API objects as one flat frame; other values unchanged."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, Mapping) for v in value):
        return _flatten(list(value))
    return value


def _nested(column: pd.Series | None) -> tuple[pd.DataFrame, pd.Series]:
    """The objects in a column of lists (``items.data``, ``discounts``, ``schedule.phases``), one flat row each,
    with ``_row`` the position of the row that held them; and the strings found instead (ids not expanded)."""
    if column is None:
        return pd.DataFrame({"_row": pd.Series([], dtype="int64")}), pd.Series([], dtype=object)
    cells = pd.Series(column.to_numpy(), index=np.arange(len(column))).explode()
    is_object = cells.map(lambda v: isinstance(v, Mapping)).to_numpy(dtype=bool)
    out = _flatten(cells[is_object].tolist())
    out["_row"] = cells.index.to_numpy()[is_object]
    return out, cells[~is_object & cells.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)]


def _instant(values: pd.Series | None, n: int) -> pd.Series:
    """UTC time stamps from Unix seconds (the API) or text in UTC (the export's "(UTC)" columns)."""
    if values is None:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    values = values.reset_index(drop=True)
    number = pd.to_numeric(values, errors="coerce")
    if number.notna().sum() == values.notna().sum():
        return pd.to_datetime(number, unit="s", utc=True).astype("datetime64[ns, UTC]")
    return pd.to_datetime(values, utc=True, format="mixed").astype("datetime64[ns, UTC]")


def _number(frame: pd.DataFrame, aliases: tuple[str, ...]) -> pd.Series:
    """The field as floats (NaN where empty or absent)."""
    found = _pick(frame, aliases)
    return pd.Series(np.nan, index=range(len(frame))) if found is None else pd.to_numeric(found, errors="coerce")


def _text(frame: pd.DataFrame, aliases: tuple[str, ...]) -> pd.Series:
    """The field as stripped lower-case text ("" where empty or absent)."""
    found = _pick(frame, aliases)
    return pd.Series("", index=range(len(frame))) if found is None else found.astype("string").str.strip().str.lower().fillna("")


def _flag(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(values.dtype):
        return flags(values)
    return flags(values.astype("string").str.strip().str.lower().isin(_TRUE))


def _earliest(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise minimum where an empty value means "never" (no end)."""
    return a.where(b.isna() | (a.notna() & (a <= b)), b)


def _latest(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise maximum, ignoring empty values."""
    return a.where(b.isna() | (a.notna() & (a >= b)), b)


def _live_only(frame: pd.DataFrame, test_mode: str, what: str, left_out: dict[str, int]) -> pd.DataFrame:
    """``frame`` without test-mode objects (``livemode`` false): with "auto" only when live ones are there too."""
    mode = _pick(frame, ("livemode",))
    if mode is None or test_mode == "keep":
        return frame
    test = ~_flag(mode, len(frame)) & mode.notna().to_numpy()
    if test.any() and (test_mode == "drop" or not test.all()):
        left_out[f"test-mode {what} (livemode false)"] = int(test.sum())
        return frame.loc[~test].reset_index(drop=True)
    return frame


def _load(source: Any) -> dict[str, pd.DataFrame]:
    if isinstance(source, (str, os.PathLike)):
        return read_source(source, _OBJECTS, _VENDOR)
    if isinstance(source, Mapping):
        return read_source({k: _flat(v) for k, v in source.items()}, _OBJECTS, _VENDOR)
    if isinstance(source, (list, tuple, pd.DataFrame)):
        return {"subscriptions": _flat(source)} if len(source) else {}
    raise TypeError(f"{_VENDOR}: source must be a list of Stripe Subscription objects, a dict of object lists "
                    f"({', '.join(_OBJECTS)}) or a folder of dashboard exports, not {type(source).__name__}.")


def _customer_ids(subs: pd.DataFrame) -> pd.Series | None:
    """``customer``: an id, or an expanded Customer object (flattened to ``customer.id``)."""
    found = [subs[c].reset_index(drop=True) for c in subs.columns if norm(c) in ("customer", "customerid")]
    if not found:
        return None
    ids = found[0]
    for other in found[1:]:
        ids = ids.where(ids.notna(), other)
    return ids.astype("string")


def _phase_rows(subs: pd.DataFrame, items: pd.DataFrame, prices: pd.DataFrame | None, m: Mapper) -> pd.DataFrame:
    """One row per item of each phase of an expanded ``schedule`` (its price periods), ``_from``/``_to`` its dates.
    A price given by id is looked up among the subscription items' prices and the ``prices`` objects."""
    phases, _ = _nested(_pick(subs, ("schedule.phases",)))
    if not len(phases):
        return phases
    phases["_phase"] = phases.groupby("_row").cumcount()
    last = phases["_phase"] == phases.groupby("_row")["_phase"].transform("max")
    rows, _ = _nested(_pick(phases, ("items",)))
    at = rows["_row"].to_numpy()
    rows["_row"] = phases["_row"].to_numpy()[at]
    rows["_phase"] = phases["_phase"].to_numpy()[at]
    rows["_from"] = _take(_instant(_pick(phases, ("start_date",)), len(phases)), at)
    rows["_to"] = _take(_instant(_pick(phases, ("end_date",)), len(phases)).where(~last), at)  # the last phase goes on
    by_id = Mapper.find(rows, "price")  # a price given by its id, not expanded
    known = [f.rename(columns={key: "id"}) for f in (_under(items, "price"), prices)
             if f is not None and (key := Mapper.find(f, "id")) is not None]
    if by_id is not None and known:
        catalogue = pd.concat(known, ignore_index=True).drop_duplicates("id").set_index("id")
        for column in catalogue.columns:
            looked_up, target = rows[by_id].map(catalogue[column]), f"price.{column}"
            rows[target] = rows[target].where(rows[target].notna(), looked_up) if target in rows.columns else looked_up
        rows["price.id"] = rows["price.id"].where(rows["price.id"].notna(), rows[by_id])
    unit = _pick(rows, _ITEM["unit_amount"])
    if unit is None or unit.isna().any():
        missing = rows[by_id][unit.isna() if unit is not None else slice(None)] if by_id is not None else pd.Series(dtype=str)
        m.require("subscription.schedule.phases.items", f"price ({', '.join(sorted(missing.astype(str).unique())[:3])})",
                  "expand data.schedule.phases.items.price when listing, or give the Price objects as source['prices']")
    return rows


def _discounts(subs: pd.DataFrame, left_out: dict[str, int]) -> pd.DataFrame:
    """Recurring discounts per subscription row ``_row``: ``percent_off``, ``amount_off`` (minor units), and the
    window ``[_from, _to)`` (empty: open). ``once`` coupons are not recurring and do not change MRR."""
    single = _under(subs, "discount").assign(_row=np.arange(len(subs)))
    listed, ids = _nested(_pick(subs, ("discounts",)))
    found = concat([f for f in (single, listed) if len(f)] or [single], ignore_index=True)
    if (key := Mapper.find(found, "id")) is not None:
        found = found.drop_duplicates(["_row", key]).reset_index(drop=True)  # ``discount`` is one of ``discounts`` too
        ids = ids[~ids.isin(found[key])]
    coupon = _pick(subs, ("Coupon",))  # the dashboard export names the coupon, not its terms
    if (unknown := len(ids) + (int(coupon.notna().sum()) if coupon is not None else 0)):
        left_out["discounts not applied: their coupon's terms are not in the data (expand data.discounts)"] = unknown
    pct, off, months = (_number(found, _COUPON[k]) for k in ("percent_off", "amount_off", "months"))
    duration = _text(found, _COUPON["duration"])
    out = pd.DataFrame({"_row": found["_row"].to_numpy(), "percent_off": pct.fillna(0), "amount_off": off.fillna(0),
                        "_from": _instant(_pick(found, ("start",)), len(found)), "_to": _instant(_pick(found, ("end",)), len(found))})
    open_repeating = (duration == "repeating") & out["_to"].isna() & months.notna()  # no ``end`` given: start + months
    for k in months[open_repeating].unique():
        rows = open_repeating & (months == k)
        out.loc[rows, "_to"] = out.loc[rows, "_from"] + pd.DateOffset(months=int(k))
    return out.loc[(pct.notna() | off.notna()) & (duration != "once")].reset_index(drop=True)


def _segments(rows: pd.DataFrame, discounts: pd.DataFrame) -> pd.DataFrame:
    """Each row cut where a discount of its subscription starts or ends: ``_item`` (the row), ``_row``, ``start``,
    ``end``, and the discounts in force: ``keep`` (share of the price left by percent_off) and ``amount_off``."""
    starts = rows[["_row", "start"]].assign(_item=np.arange(len(rows))).rename(columns={"start": "at"})
    if len(discounts):
        cuts = pd.concat([discounts[["_row", "_from"]].set_axis(["_row", "at"], axis=1),
                          discounts[["_row", "_to"]].set_axis(["_row", "at"], axis=1)]).dropna().drop_duplicates()
        pairs = rows[["_row", "start", "end"]].assign(_item=np.arange(len(rows))).merge(cuts, on="_row")
        inside = (pairs["at"] > pairs["start"]) & (pairs["end"].isna() | (pairs["at"] < pairs["end"]))
        starts = pd.concat([starts, pairs.loc[inside, ["_row", "at", "_item"]]]).drop_duplicates(["_item", "at"])
    seg = starts.sort_values(["_item", "at"], kind="stable").reset_index(drop=True)
    following = seg.groupby("_item")["at"].shift(-1)
    seg["start"], seg["end"] = seg.pop("at"), following.where(following.notna(), _take(rows["end"], seg["_item"].to_numpy()))
    seg["keep"], seg["amount_off"] = 1.0, 0.0
    if len(discounts):
        on = seg[["_row", "start"]].reset_index(names="_seg").merge(discounts, on="_row")
        on = on[(on["_from"].isna() | (on["_from"] <= on["start"])) & (on["_to"].isna() | (on["start"] < on["_to"]))]
        seg["keep"] = (1 - on["percent_off"] / 100).groupby(on["_seg"]).prod().reindex(seg.index, fill_value=1.0)
        seg["amount_off"] = on["amount_off"].groupby(on["_seg"]).sum().reindex(seg.index, fill_value=0.0)
    return seg


def _unknown(values: pd.Series, known: Mapping[str, Any], column: str, check: str, fix: str) -> list[dict[str, Any]]:
    """One failure per value not in ``known`` (``row``: the first item that has it)."""
    bad = values[values.notna() & ~values.isin(list(known))].drop_duplicates()
    return [{"table": "subscriptions", "column": column, "check": check, "row": int(i), "value": v,
             "fix": fix.format(value=v)} for i, v in zip(bad.index.to_numpy(), bad.to_numpy(), strict=True)]


def _accounts(m: Mapper, subs: pd.DataFrame, customers: pd.DataFrame | None, segment: str | None) -> pd.DataFrame:
    """Customers as accounts: the customers given, else the customers the subscriptions name (expanded or not)."""
    if customers is not None:
        obj, source = "customer", customers
    else:
        obj = "subscription.customer"
        source = _under(subs, "customer")
        for column in ("Customer Name", "Customer Email", "Customer Description"):  # the dashboard export's
            if (spelled := Mapper.find(subs, column)) is not None:
                source[column] = subs[spelled].to_numpy()
        source = source.assign(id=_customer_ids(subs))
        source = source.groupby("id", sort=False, dropna=True).first().reset_index()
    source = m.drop_deleted(source, obj)
    ids = m.take(source, obj, "accounts", "account_id", ("id", "Customer ID"), required=True)
    out = pd.DataFrame({"account_id": ids.astype("string") if ids is not None else pd.Series(dtype="string")})
    names = [(c, values) for c in ("name", "Customer Name", "email", "Customer Email", "description", "Customer Description")
             if (values := _pick(source, (c,))) is not None]
    if names:
        name = names[0][1].astype("string")
        for _, other in names[1:]:
            name = name.where(name.notna() & (name.str.strip() != ""), other.astype("string"))
        out["name"] = name
        m.record("accounts", "name", f"{obj}." + ", else ".join(str(Mapper.find(source, c)) for c, _ in names))
    else:
        m.record("accounts", "name", "not available")
    if segment is not None:
        segments = m.take(source, obj, "accounts", "segment", (f"metadata.{segment}", f"{segment} (metadata)"), required=True,
                          option="segment=<a metadata key the customers carry>")
        if segments is not None:
            out["segment"] = segments.astype("string")
    else:
        m.record("accounts", "segment", "not available")
    created = m.take(source, obj, "accounts", "created_at", ("created", "Created (UTC)"))
    if created is not None:
        out["created_at"] = _instant(created, len(source))
    for column in ("industry", "region"):
        m.record("accounts", column, "not available")
    return out.drop_duplicates("account_id").reset_index(drop=True)


def read_stripe(
    source: Any,
    *,
    timezone: str = "UTC",
    currency: str | None = None,
    fiscal_year_start: int = 1,
    on_invalid: Literal["raise", "quarantine"] = "raise",
    as_of: Any = None,
    segment: str | None = None,
    test_mode: Literal["auto", "drop", "keep"] = "auto",
    fx_rates: pd.DataFrame | None = None,
    interval: str | None = None,
    interval_months: Mapping[str, float] | None = None,
    currency_decimals: Mapping[str, int] | None = None,
    export_amounts: Literal["major", "minor"] = "major",
) -> SalesData:
    """Stripe subscriptions and customers as a validated SalesData (subscriptions and accounts) with provenance.

    Each subscription item (and each price period of it) becomes one canonical subscription whose MRR is its
    recurring charge after recurring discounts, before tax (docs/metrics.md, "From a billing system"):

    - amount = unit_amount × quantity in major units: ÷100, ÷1 for Stripe's zero-decimal currencies (JPY,
      KRW, VND, CLP, ...), ÷1000 for BHD, JOD, KWD, OMR, TND.
    - billing_months = interval × interval_count (month 1, year 12). Weekly and daily prices are prorated:
      ``amount`` holds the monthly equivalent (a weekly price × 52/12, a daily one × 365/12) with
      billing_months 1, so MRR is right though ``amount`` is then not the charge.
    - The subscription counts from ``start_date``, or from ``trial_end`` after a trial (one still trialing at
      ``as_of`` is not MRR); an item added later counts from its ``created``. It ends at ``ended_at``, else at
      ``current_period_end`` when ``cancel_at_period_end``, else at ``cancel_at``.
    - Discounts (``discount``, or ``discounts`` expanded) with ``percent_off`` or ``amount_off`` (shared among
      the items in proportion to their amounts): ``forever`` for life; ``repeating`` until the discount's
      ``end`` (or ``start`` + ``duration_in_months``), then full price: two periods; ``once`` changes no MRR.
    - A price change shows in an expanded ``schedule``: each phase's items are price periods of their own.
      The API object alone shows only current prices.

    Left out, counted in ``data.provenance.attrs["left_out"]`` and said in one warning: test-mode objects,
    incomplete, incomplete_expired and paused subscriptions, subscriptions that ended before their first paid
    day (canceled in a trial), metered (usage) and tiered prices, discounts whose terms are not in the data.
    Deleted customers are dropped from accounts (counted in ``provenance.attrs["dropped"]``); their
    subscriptions stay, so their references are reported as unresolved.

    Parameters
    ----------
    source : list of dict, dict, str or pathlib.Path
        Stripe Subscription objects as the API returns them (Unix time stamps; ``customer`` an id or an expanded
        Customer); or a dict ``{"subscriptions": [...], "customers": [...], "prices": [...]}`` of API objects
        (or DataFrames); or a folder holding the dashboard's subscriptions export (``subscriptions.csv``) and,
        optionally, ``customers.csv``. Field names match whatever their case and underscores.
    timezone : str, default "UTC"
        Reporting time zone: start and end instants become calendar dates there.
    currency : str, optional
        Reporting currency; by default the data's only currency (with several, the most common, and
        ``fx_rates`` are needed). An export without a currency column is read as priced in it.
    fiscal_year_start : int, default 1
        Month in which the fiscal year starts.
    on_invalid : {"raise", "quarantine"}, default "raise"
        What :class:`~salesmetrics.SalesData` does with invalid rows.
    as_of : date-like, optional
        Reporting date; by default the latest event in the data (a subscription created, started, canceled or
        ended, a trial started, a customer created); scheduled dates (period ends, trial ends) do not count.
    segment : str, optional
        The customer metadata key that holds the segment (``metadata.segment``, or the export's
        ``segment (metadata)`` column); without it accounts have no segment.
    test_mode : {"auto", "drop", "keep"}, default "auto"
        Test-mode objects (``livemode`` false): "auto" drops them only when live objects are there too.
    fx_rates : pandas.DataFrame, optional
        Canonical fx_rates for prices in other currencies than the reporting one.
    interval : str, optional
        The billing interval ("month", "year", ...) of an export without an interval column.
    interval_months : mapping of str to float, optional
        Months in an interval Stripe does not have, e.g. ``{"quarter": 3}``; adds to :data:`INTERVAL_MONTHS`.
    currency_decimals : mapping of str to int, optional
        Decimals of a currency code not known here, e.g. ``{"xts": 2}``.
    export_amounts : {"major", "minor"}, default "major"
        Units of the dashboard export's ``Amount`` column (it shows 29.99, not 2999). API fields
        (``unit_amount``) are always minor units.

    Returns
    -------
    SalesData
        ``subscriptions`` and ``accounts`` (and ``fx_rates`` when given); ``provenance`` says where each
        canonical column came from, or that it is not available and what that disables.

    Raises
    ------
    MissingDataError
        Required fields missing: one error lists them all and the options that supply them.
    InputValidationError
        A currency or interval not known, named with the option that handles it.

    Examples
    --------
    A yearly plan of $1,200 for 2 seats, and a weekly ¥3,000 plan that started with a 14-day trial:

    >>> subs = [
    ...     {"id": "sub_1", "customer": "cus_1", "status": "active", "start_date": 1704067200, "created": 1704067200,
    ...      "items": {"data": [{"id": "si_1", "quantity": 2, "price": {"unit_amount": 120000, "currency": "usd",
    ...                                                             "recurring": {"interval": "year", "interval_count": 1}}}]}},
    ...     {"id": "sub_2", "customer": "cus_2", "status": "active", "start_date": 1706745600, "created": 1706745600,
    ...      "trial_start": 1706745600, "trial_end": 1707955200,
    ...      "items": {"data": [{"id": "si_2", "quantity": 1, "price": {"unit_amount": 3000, "currency": "jpy",
    ...                                                             "recurring": {"interval": "week", "interval_count": 1}}}]}},
    ... ]
    >>> data = read_stripe(subs, currency="USD", as_of="2024-03-31",
    ...                    fx_rates=pd.DataFrame({"currency": ["JPY"], "date": ["2024-01-01"], "rate": [0.0066]}))
    >>> data.subscriptions[["subscription_id", "start_date", "amount", "billing_months", "currency"]]
      subscription_id start_date    amount  billing_months currency
    0       sub_1:si_1 2024-01-01    2400.0              12      USD
    1       sub_2:si_2 2024-02-15   13000.0               1      JPY
    >>> import salesmetrics as sm
    >>> sm.mrr(data, freq="M")["mrr"].tolist()  # $200; ¥13,000 × 0.0066 = $85.80 from February
    [200.0, 200.0, 200.0, 85.8, 85.8]
    """
    check_timezone(timezone)  # before any reading
    m = Mapper(_VENDOR)
    left_out: dict[str, int] = {}
    found = _load(source)
    if found.get("subscriptions") is None or not len(found["subscriptions"]):
        m.require("subscriptions", "", "a list of Subscription objects, or subscriptions.csv in the folder")
        m.check()
    subs = _live_only(found["subscriptions"].reset_index(drop=True), test_mode, "subscriptions", left_out)
    customers = found.get("customers")
    if customers is not None:
        customers = _live_only(customers.reset_index(drop=True), test_mode, "customers", left_out)
    status = _pick(subs, _SUB["status"])
    if status is not None:
        status = status.astype("string").str.strip().str.lower()
        for value, label in _LEFT_OUT_STATUS.items():
            if (n_status := int((status == value).sum())):
                left_out[label] = n_status
        subs = subs.loc[~status.isin(list(_LEFT_OUT_STATUS)).fillna(False).to_numpy()].reset_index(drop=True)
    n = len(subs)

    # -- the subscription's fields; every missing required one is collected, then one error
    items_column = Mapper.find(subs, "items.data", "items")
    per_item = items_column is not None

    def named(aliases: tuple[str, ...]) -> tuple[str, ...]:  # a message names the export's column when it is one
        return aliases if per_item else tuple(sorted(aliases, key=str.islower))

    sub_id = m.take(subs, "subscription", "subscriptions", "subscription_id", named(_SUB["id"]), required=True)
    customer = _customer_ids(subs)
    m.record("subscriptions", "account_id", "subscription.customer (its id when expanded)")
    if customer is None:
        m.require("subscription", "customer" if per_item else "Customer ID")
    start = m.take(subs, "subscription", "subscriptions", "start_date", named(_SUB["start"]), required=True)
    stamps = {k: _instant(_pick(subs, _SUB[k]), n) for k in ("created", "ended_at", "cancel_at", "current_period_end",
                                                              "trial_start", "trial_end", "canceled_at")}
    stamps["start"] = _instant(start, n)

    # -- items (one row each), or the export's one row per subscription; an expanded schedule's phases replace them
    items = _nested(subs[items_column])[0] if items_column else subs.assign(_row=np.arange(n))
    items["_from"] = pd.Series(pd.NaT, index=items.index, dtype="datetime64[ns, UTC]")
    items["_to"] = items["_from"]
    if per_item:  # an item added after the subscription began counts from its creation
        made = _instant(_pick(items, ("created",)), len(items))
        items["_from"] = made.where(made > _take(stamps["created"], items["_row"].to_numpy()) + pd.Timedelta(days=1))
        key = Mapper.find(items, "id")
        items["_name"] = ":" + items[key].astype("string") if key is not None else ""
    else:
        items["_name"] = ""
    phases = _phase_rows(subs, items, found.get("prices"), m)
    if len(phases):
        price = _pick(phases, _ITEM["price_id"])
        phases["_name"] = ":phase" + (phases["_phase"] + 1).astype(str) + ":" + (price.astype("string") if price is not None else "")
        items = pd.concat([items[~items["_row"].isin(phases["_row"])], phases]).sort_values("_row", kind="stable")
        items = items.reset_index(drop=True)
    item = "subscription item" if per_item else "subscription"
    unit = m.take(items, item, "subscriptions", "amount", named(_ITEM["unit_amount"]), required=True)
    code = m.take(items, item, "subscriptions", "currency", named(_ITEM["currency"]), required=currency is None,
                  option="currency='USD' (every price in that currency)")
    period = m.take(items, item, "subscriptions", "billing_months", named(_ITEM["interval"]), required=interval is None,
                    option="interval='month' (every price billed so)")
    product = m.take(items, item, "subscriptions", "product", _ITEM["product"])
    accounts = _accounts(m, subs, customers, segment)
    m.check()
    assert sub_id is not None and customer is not None and unit is not None  # m.check() raised otherwise

    # -- prices: usage-based and tiered ones have no recurring unit amount
    r = items["_row"].to_numpy()
    items["_base"] = sub_id.astype("string").to_numpy()[r] + items["_name"].fillna("")
    metered = (_text(items, _ITEM["usage_type"]) == "metered").to_numpy(dtype=bool)
    tiered = (_text(items, _ITEM["billing_scheme"]) == "tiered").to_numpy(dtype=bool)
    for label, mask in (("metered (usage-based) price items: usage is not MRR", metered),
                        ("tiered price items: no unit amount", tiered & ~metered)):
        if mask.any():
            left_out[label] = int(mask.sum())
    code = (code if code is not None else pd.Series(currency, index=items.index)).astype("string").str.strip().str.upper()
    code = code.fillna(currency.upper()) if currency else code
    period = (period if period is not None else pd.Series(interval, index=items.index)).astype("string").str.strip().str.lower()
    period = period.fillna(interval.lower()) if interval else period
    digits: dict[str, int] = {**dict.fromkeys(_ISO_4217, 2), **dict.fromkeys(ZERO_DECIMAL, 0), **dict.fromkeys(THREE_DECIMAL, 3),
                              **{k.upper(): int(v) for k, v in (currency_decimals or {}).items()}}
    months_in = {**INTERVAL_MONTHS, **{k.lower(): float(v) for k, v in (interval_months or {}).items()}}
    usable = ~(metered | tiered)
    unknown = (_unknown(code.set_axis(r)[usable], digits, "currency", "known_currency",  # failures name the subscription's row
                        "pass currency_decimals={{'{value}': 2}} (its decimals)")
               + _unknown(period.set_axis(r)[usable], months_in, "billing_months", "known_interval",
                          "pass interval_months={{'{value}': <months in one interval>}}"))
    if unknown:
        failures = pd.DataFrame(unknown)
        raise InputValidationError(f"{_VENDOR}: " + "; ".join(f"unknown {f['column'].replace('billing_months', 'interval')} "
                                                             f"{f['value']!r}: {f['fix']}" for f in unknown) + ".", failures)

    # -- dates: each row's [start, end) as UTC instants, then cut where a discount starts or ends
    sub_end = stamps["ended_at"]
    sub_end = sub_end.where(sub_end.notna() | ~pd.Series(_flag(_pick(subs, _SUB["cancel_at_period_end"]), n)),
                            stamps["current_period_end"])
    sub_end = sub_end.where(sub_end.notna(), stamps["cancel_at"])
    sub_end = sub_end.where(sub_end.notna() | (_text(subs, _SUB["status"]) != "canceled"), stamps["canceled_at"])  # no ended_at
    first_paid = _latest(stamps["start"], stamps["trial_end"])
    rows = pd.DataFrame({"_row": r})
    rows["start"] = _latest(_take(first_paid, r), items["_from"].reset_index(drop=True))
    item_end = _pick(items, ("current_period_end",)) if per_item else None
    end = _take(sub_end, r)
    if item_end is not None:  # API 2025-03-31 keeps the period on the item
        pe = _instant(item_end, len(items))
        wants = pd.Series(_flag(_pick(subs, _SUB["cancel_at_period_end"]), n)[r]) & _take(stamps["ended_at"], r).isna()
        end = end.where(~(wants & pe.notna()), pe)
    rows["end"] = _earliest(end, items["_to"].reset_index(drop=True))
    seg = _segments(rows, _discounts(subs, left_out))
    i = seg["_item"].to_numpy()

    # -- amounts: minor units × quantity, less discounts, to major units, prorated to whole months
    price = pd.to_numeric(unit, errors="coerce")
    decimal = _pick(items, _ITEM["unit_amount_decimal"])
    if decimal is not None:
        price = price.where(price.notna(), pd.to_numeric(decimal, errors="coerce"))
    scale = 10.0 ** code.map(digits).astype("float64").to_numpy()
    if norm(Mapper.find(items, *_ITEM["unit_amount"])) == "amount" and export_amounts == "major":  # the export's Amount
        price = np.rint(price * scale)
    quantity = _number(items, _ITEM["quantity"]).fillna(1)
    base = (price * quantity).to_numpy(float)[i] * seg["keep"].to_numpy()
    together = pd.Series(base).groupby([seg["_row"], seg["start"]], dropna=False).transform("sum").to_numpy()
    share = np.divide(base, together, out=np.zeros_like(base), where=together > 0)
    minor = np.maximum(base - seg["amount_off"].to_numpy() * share, 0)
    months = period.map(months_in).astype("float64").to_numpy() * _number(items, _ITEM["interval_count"]).fillna(1).to_numpy()
    whole = np.isclose(months, np.round(months), rtol=0, atol=1e-6) & (np.round(months) >= 1)
    bill = np.where(whole, np.round(months), 1)[i]
    amount = (minor / scale[i]) / np.where(whole, 1.0, months)[i]

    # -- calendar dates in the reporting time zone; a row with no day in force never billed
    def day(ts: pd.Series) -> np.ndarray:
        return np.asarray(ts.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize().to_numpy())

    start_day, end_day = day(seg["start"]), day(seg["end"])
    billed = ~(end_day <= start_day) & usable[i]
    ever = pd.Series(billed).groupby(seg["_row"].to_numpy()).any()
    if (n_never := int((~ever[ever.index.isin(r[usable])]).sum())):
        left_out["subscriptions that ended before their first paid day (canceled in a trial)"] = n_never
    keep = np.flatnonzero(billed)
    seg = seg.iloc[keep].reset_index(drop=True)
    i = i[keep]
    ids = items["_base"].astype("string").to_numpy()[i]
    k = seg.groupby("_item").cumcount().to_numpy() + 1
    several = seg.groupby("_item")["_item"].transform("size").to_numpy() > 1
    ids = np.where(several, pd.Series(ids).astype(str) + "#" + pd.Series(k).astype(str), ids)
    subscriptions = pd.DataFrame({
        "subscription_id": ids,
        "account_id": customer.to_numpy()[r[i]],
        "start_date": start_day[keep],
        "end_date": end_day[keep],
        "amount": amount[keep],
        "billing_months": bill[keep].astype("int64"),
        "currency": code.to_numpy()[i],
    })
    if product is not None:
        subscriptions["product"] = product.astype("string").to_numpy()[i]
    unit_field = Mapper.find(items, *_ITEM["unit_amount"])
    id_field = f"subscription.{Mapper.find(subs, *_SUB['id'])}" + (":items.data.id (one row per item and price period)" if per_item else "")
    m.record("subscriptions", "subscription_id", id_field)
    m.record("subscriptions", "start_date", f"subscription.{Mapper.find(subs, *_SUB['start'])}; trial_end after a trial; "
                                            "an item's created when added later; a schedule phase's start_date")
    m.record("subscriptions", "end_date", "subscription.ended_at, else current_period_end when cancel_at_period_end, else cancel_at, "
                                          "else canceled_at when canceled")
    m.record("subscriptions", "amount", f"{item}.{unit_field} × quantity in major units, after recurring discounts; "
                                        "weekly and daily prices as their monthly equivalent")
    m.record("subscriptions", "billing_months", f"{item}.{Mapper.find(items, *_ITEM['interval'])} × interval_count"
             if Mapper.find(items, *_ITEM["interval"]) else f"interval={interval!r}")
    if Mapper.find(items, *_ITEM["currency"]) is None:
        m.record("subscriptions", "currency", f"currency={currency!r}")

    # -- reporting currency and as_of
    reporting = currency.upper() if currency else None
    if reporting is None:
        counts = subscriptions["currency"].value_counts()
        reporting = str(counts.index[0]) if len(counts) else "USD"
        if len(counts) > 1:
            warnings.warn(f"{_VENDOR}: prices in {', '.join(map(str, counts.index))}; reporting in {reporting}, the most common. "
                          "Pass currency= and fx_rates= to choose.", DataQualityWarning, stacklevel=find_stack_level())
    found_from = ""
    if as_of is None:  # the latest event that happened (a scheduled end or trial end is not one)
        events = {f"subscriptions.{k}": stamps[k] for k in ("created", "start", "canceled_at", "ended_at", "trial_start")}
        if customers is not None and "created_at" in accounts.columns:
            events["accounts.created_at"] = accounts["created_at"]
        dated = {name: s.max() for name, s in events.items() if s.notna().any()}
        if dated:
            found_from = max(dated, key=lambda name: dated[name])
            as_of = dated[found_from].tz_convert(timezone)
    tables = {"subscriptions": subscriptions, "accounts": accounts, **({"fx_rates": fx_rates} if fx_rates is not None else {})}
    m.complete(tables)  # every column of the tables read, in the tables' order
    data = m.bundle(tables, timezone=timezone, currency=reporting, fiscal_year_start=fiscal_year_start,
                    on_invalid=on_invalid, as_of=as_of)
    assert data.provenance is not None
    if found_from:  # not "given": the reader read it off the export
        data.__dict__["_as_of_from"] = found_from.replace(".start", ".start_date")  # the Stripe field, e.g. subscriptions.ended_at
    data.provenance.attrs["left_out"] = dict(left_out)
    if left_out:
        warnings.warn(f"{_VENDOR} left out: " + "; ".join(f"{label}: {count:,}" for label, count in left_out.items())
                      + " (provenance.attrs['left_out']).", DataQualityWarning, stacklevel=find_stack_level())
    return data
