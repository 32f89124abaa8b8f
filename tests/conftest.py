from __future__ import annotations

import pandas as pd
import pytest

import salesmetrics as sm
from salesmetrics.datasets import SAMPLE_SETTINGS, make_company


def html_texts(html: str) -> list[str]:
    """What a reader sees in an HTML deck: the text between tags, and the charts' titles, labels and names."""
    import json
    import re
    from html import unescape

    texts = [unescape(t).strip() for t in re.split(r"<[^>]+>", re.sub(r"<(script|style).*?</\1>", "", html, flags=re.S))]

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k != "template":
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("text", "name", "ticktext", "x", "y"):
            texts.append(node)

    for spec in re.findall(r"<script>\(function\(\)\{var f=(\{.*?\});f\.layout\.autosize", html, flags=re.S):
        walk(json.loads(spec))
    return [t for t in texts if t]


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of two worker processes (every partition is pickled to a worker and back), one per module."""
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'salesmetrics[dask]')")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  memory_limit="1GiB") as local, distributed.Client(local) as client:
        yield client


@pytest.fixture(scope="session")
def sample() -> sm.SalesData:
    return sm.load_sample()


@pytest.fixture(scope="session")
def company():
    """The sample company, regenerated in memory (the same seed as data/sample)."""
    return make_company(**SAMPLE_SETTINGS)


@pytest.fixture(scope="session")
def healthy():
    return make_company(seed=SAMPLE_SETTINGS["seed"], accounts=2_000, months=36, scenario="healthy")


@pytest.fixture()
def tables() -> dict[str, pd.DataFrame]:
    """A tiny valid bundle, every table present, written as a CRM export would be (strings)."""
    return {
        "accounts": pd.DataFrame({"account_id": ["a1", "a2", "a3"], "name": ["Acme", "Globex", "Initech"],
                                  "segment": ["SMB", "Enterprise", "SMB"], "created_at": ["2025-01-02", "2025-01-03", "2025-02-01"]}),
        "reps": pd.DataFrame({"rep_id": ["r1", "r2"], "team": ["SDR", "New Business"], "role": ["SDR", "AE"],
                              "hired_at": ["2024-01-01", "2024-06-01"], "terminated_at": [None, "2025-06-30"]}),
        "leads": pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": ["2025-01-02 09:00", "2025-01-05 10:00"],
                               "owner_id": ["r1", "r1"], "account_id": ["a1", "a2"], "mql_at": ["2025-01-02 12:00", None],
                               "opportunity_id": ["o1", None], "score": ["55", "20"]}),
        "opportunities": pd.DataFrame({"opportunity_id": ["o1", "o2", "o3"], "created_at": ["2025-01-10", "2025-02-01", "2025-03-01"],
                                       "status": ["won", "lost", "open"], "closed_at": ["2025-02-20", "2025-03-15", None],
                                       "amount": ["12000", "5000.50", "800"], "account_id": ["a1", "a2", "a3"],
                                       "owner_id": ["r2", "r2", "r2"], "lead_id": ["l1", None, None], "type": ["new_business"] * 3}),
        "stage_history": pd.DataFrame({"opportunity_id": ["o1", "o1"], "stage": ["Discovery", "Closed Won"],
                                       "entered_at": ["2025-01-10", "2025-02-20"]}),
        "subscriptions": pd.DataFrame({"subscription_id": ["s1", "s2"], "account_id": ["a1", "a2"], "start_date": ["2025-02-21", "2024-01-01"],
                                       "end_date": [None, "2025-01-01"], "amount": ["1000", "24000"], "billing_months": ["1", "12"],
                                       "currency": ["USD", "EUR"]}),
        "activities": pd.DataFrame({"activity_id": ["x1", "x2"], "owner_id": ["r1", "r2"], "occurred_at": ["2025-01-02 13:00", "2025-01-11 10:00"],
                                    "type": ["call", "meeting"], "lead_id": ["l1", None], "opportunity_id": [None, "o1"],
                                    "account_id": [None, "a1"], "automated": ["false", "no"]}),
        "spend": pd.DataFrame({"month": ["2025-01-01", "2025-02-01"], "amount": ["1,500.00", "2000"], "channel": ["paid_search", "events"],
                               "category": ["marketing", "marketing"]}),
        "surveys": pd.DataFrame({"account_id": ["a1", "a1"], "responded_at": ["2025-03-01", "2025-03-02"], "kind": ["csat", "NPS"],
                                 "score": ["4", "9"]}),
        "targets": pd.DataFrame({"period": ["2025Q1", "2025-01"], "metric": ["bookings", "mqls"], "target": ["50000", "100"],
                                 "scope": ["company", "SDR"]}),
        "fx_rates": pd.DataFrame({"currency": ["EUR", "EUR"], "date": ["2024-01-01", "2025-01-01"], "rate": ["1.10", "1.04"]}),
    }
