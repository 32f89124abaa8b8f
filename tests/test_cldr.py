"""Money and numbers in CLDR's forms (the [cldr] extra, babel), and the same defaults without it.

Expected strings are CLDR 46's patterns for each locale (currency formats "¤#,##0.00" in en and ko, "#,##0.00 ¤" in
de; compact "0만" and "0.0억" in ko), as babel renders them; German and Korean separators by hand from the same
data: de groups with "." and writes decimals with ",", with a no-break space before the symbol.
"""

from __future__ import annotations

import pytest

from salesmetrics import formatting
from salesmetrics.formatting import format_money, format_number, format_percent, minor_units

NBSP = "\xa0"

pytest.importorskip("babel", reason="the [cldr] extra (babel) is not installed: pip install 'salesmetrics[cldr]'")


@pytest.mark.parametrize(("currency", "locale", "expected"), [
    ("BHD", "en_US", "BHD1,234.568"), ("JPY", "en_US", "¥1,235"), ("KRW", "en_US", "₩1,235"),
    ("CAD", "en_US", "CA$1,234.57"), ("EUR", "en_US", "€1,234.57"),
    ("BHD", "de_DE", f"1.234,568{NBSP}BHD"), ("JPY", "de_DE", f"1.235{NBSP}¥"), ("KRW", "de_DE", f"1.235{NBSP}₩"),
    ("CAD", "de_DE", f"1.234,57{NBSP}CA$"), ("EUR", "de_DE", f"1.234,57{NBSP}€"),
    ("BHD", "ko_KR", "BHD1,234.568"), ("JPY", "ko_KR", "JP¥1,235"), ("KRW", "ko_KR", "₩1,235"),
    ("CAD", "ko_KR", "CA$1,234.57"), ("EUR", "ko_KR", "€1,234.57"),
])
def test_a_locale_formats_money_as_cldr_says(currency, locale, expected):
    assert format_money(1234.5678, currency, locale=locale) == expected


def test_korean_compact_forms_count_in_man_and_eok():
    assert format_money(34_000_000, "KRW", compact=True, locale="ko_KR") == "₩3400만"
    assert format_money(120_000_000, "KRW", compact=True, locale="ko_KR") == "₩1.2억"
    assert format_money(34_000_000, "EUR", compact=True, locale="de_DE") == f"34{NBSP}Mio.{NBSP}€"
    # CLDR's German short form has no thousands ("Tsd." is not used for currency): three significant digits in whole,
    # grouped units instead, as the English form keeps three ($536k)
    assert format_money(535_873.89, "USD", compact=True, locale="de_DE") == f"536.000{NBSP}$"
    assert format_money(535_873.89, "USD", compact=True, locale="en_US") == "$536K"


def test_numbers_and_percentages_take_the_locale_separators():
    assert format_number(1234567.891, 2, locale="de_DE") == "1.234.567,89"
    assert format_number(1234567.891, locale="ko_KR") == "1,234,568"
    assert format_percent(0.4567, 1, locale="de_DE") == f"45,7{NBSP}%"
    assert format_percent(0.4567, locale="en_US") == "46%"


def test_an_unknown_locale_says_how_to_write_one():
    with pytest.raises(ValueError, match=r"locale='xx_YY' is not a CLDR locale; write e.g. 'de_DE'"):
        format_money(1.0, "EUR", locale="xx_YY")


@pytest.mark.parametrize(("currency", "expected"), [
    ("BHD", "BHD 1,234.568"), ("JPY", "¥1,235"), ("KRW", "₩1,235"), ("CAD", "CA$1,234.57"), ("EUR", "€1,234.57"),
    ("CLF", "CLF 1,234.5678"), ("USD", "$1,234.57"),
])
def test_the_default_is_the_same_with_and_without_babel(monkeypatch, currency, expected):
    """Without a locale, money shows CLDR's minor units and English symbol, from babel or from the built-in tables:
    the two agree for these currencies (and the deck does not change with the extra)."""
    assert format_money(1234.5678, currency) == expected
    monkeypatch.setattr(formatting, "_babel_numbers", lambda: None)
    assert format_money(1234.5678, currency) == expected
    assert minor_units(currency) == formatting._MINOR_UNITS.get(currency, 2)


def test_the_built_in_minor_units_equal_cldr_for_every_currency():
    from babel.numbers import get_currency_precision, list_currencies

    differ = {c for c in list_currencies() if get_currency_precision(c) != formatting._MINOR_UNITS.get(c, 2)}
    assert not differ


def test_a_locale_without_babel_names_the_extra(monkeypatch):
    import sys

    import salesmetrics as sm

    monkeypatch.setitem(sys.modules, "babel.numbers", None)
    with pytest.raises(sm.MissingDependencyError, match=r"pip install 'salesmetrics\[cldr\]'"):
        format_money(1.0, "EUR", locale="de_DE")


def test_the_review_writes_its_figures_in_the_locale_asked():
    """report(locale="de_DE"): the headline's bookings are CLDR's German compact form of the same value; the words
    stay English. An unknown locale is refused before any work."""
    import salesmetrics as sm
    from salesmetrics.reports.deck import review

    data = sm.load_sample()
    plain = next(s for s in review(data) if s.key == "headline")
    german = next(s for s in review(data, locale="de_DE") if s.key == "headline")
    value = next(f.value for f in plain.figures if f.kpi == "bookings" and f.period == "2025Q3")
    shown = next(f.text for f in german.figures if f.kpi == "bookings" and f.period == "2025Q3")
    assert shown == format_money(value, "USD", compact=True, locale="de_DE") and shown.endswith(f"{NBSP}$")
    assert german.title == plain.title
    with pytest.raises(ValueError, match="not a CLDR locale"):
        review(data, locale="xx_YY")
