"""The five signs that a sales reorganisation is due (the seed article), in their reporting order.

A leaf module: formatting, the diagnostics and the reports all name the signs, and none of them needs the
others to do so.
"""

from __future__ import annotations

SIGNS = ("declining_sales", "rep_turnover", "unclear_roles", "market_response", "customer_satisfaction")
"""Sign keys, in the order findings, overviews and decks present them."""
