"""Words people read, per language: one catalogue per language in ``salesmetrics/locales/<lang>.json``.

Every string the deck, the charts and the findings show comes from here, so a Korean deck is the same
deck with another catalogue. A test checks that every catalogue has the same keys.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

__all__ = ["LANGUAGES", "catalogue", "text"]

LANGUAGES = ("en", "ko")


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` ("en" or "ko").

    Examples
    --------
    >>> catalogue("ko")["kpi.win_rate"]
    '거래 성사율'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}.")
    with resources.files("salesmetrics").joinpath("locales", f"{lang}.json").open(encoding="utf-8") as f:
        return dict(json.load(f))


def text(key: str, lang: str = "en", /, **params: Any) -> str:
    """The string ``key`` in ``lang``, with ``{placeholders}`` filled from ``params``.

    Examples
    --------
    >>> text("deck.title", "en", quarter="2025Q3"), text("deck.title", "ko", quarter="2025Q3")
    ('Quarterly sales review, 2025Q3', '분기 영업 리뷰, 2025Q3')
    """
    template = catalogue(lang).get(key)
    if template is None:
        raise KeyError(f"no string {key!r} in the {lang!r} catalogue (salesmetrics/locales/{lang}.json).")
    return template.format(**params) if params else template
