"""A fictional CRM export of the sample company, as a user would download it (``data/sample/raw/``).

Three CSV files in a made-up CRM's own vocabulary — ``Deals.csv``, ``Organizations.csv``, ``Users.csv`` —
for the last four quarters of the sample company, with the quirks real exports have:

- foreign column names ("Deal ID", "Org ID", "Pipeline stage", "Deal created", "Won/Lost date", "Value");
- deal status spelled as pipeline stages ("Closed Won", "Closed Lost", "Proposal", ...) and one deal
  "On hold", a stage the canonical model does not know;
- amounts as text with currency signs and thousands separators ("$12,000.00");
- two deals whose close date is before their creation date (swapped when someone edited them).

Notebook 05 maps it with :func:`~salesmetrics.conform`, shows the validation errors and fixes them.
``python -m salesmetrics.datasets --out data/sample`` rewrites it with the sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .generator import Company

__all__ = ["crm_export", "write_crm_export"]

STAGE_NAMES = {"Qualification": "Qualified", "Discovery": "Discovery call", "Demo": "Demo", "Proposal": "Proposal",
               "Negotiation": "Negotiation"}


def crm_export(company: Company) -> dict[str, pd.DataFrame]:
    """The three CSV files of the export, as DataFrames of text (deterministic for a given company).

    Examples
    --------
    >>> from salesmetrics.datasets import SAMPLE_SETTINGS, make_company
    >>> files = crm_export(make_company(**SAMPLE_SETTINGS))
    >>> sorted(files), list(files["Deals.csv"].columns)[:4]
    (['Deals.csv', 'Organizations.csv', 'Users.csv'], ['Deal ID', 'Org ID', 'Owner ID', 'Pipeline stage'])
    """
    t = company.tables
    end = company.end.tz_localize(company.timezone)
    start = end - pd.DateOffset(months=12)
    o = t["opportunities"]
    deals = o[(o["created_at"] >= start) & (o["currency"].isna())].reset_index(drop=True).copy()
    stage = pd.Series(np.where(deals["status"] == "won", "Closed Won", np.where(deals["status"] == "lost", "Closed Lost",
                                                                                 deals["stage"].map(STAGE_NAMES).fillna("Qualified"))),
                      dtype=object)
    open_rows = np.flatnonzero(deals["status"].to_numpy() == "open")
    if len(open_rows):
        stage.iloc[open_rows[0]] = "On hold"
    fmt = lambda s: s.dt.tz_localize(None).dt.strftime("%Y-%m-%d %H:%M")  # noqa: E731 - local wall-clock time, no zone
    created, closed = fmt(deals["created_at"]).copy(), fmt(deals["closed_at"])
    closed = closed.where(deals["closed_at"].notna(), "")
    won = np.flatnonzero(deals["status"].to_numpy() == "won")[:2]
    for i in won:  # edited by hand: the two dates swapped
        created.iloc[i], closed.iloc[i] = closed.iloc[i], created.iloc[i]
    out_deals = pd.DataFrame({
        "Deal ID": deals["opportunity_id"].str.replace("OPP-", "D-", regex=False),
        "Org ID": deals["account_id"].str.replace("ACC-", "ORG-", regex=False),
        "Owner ID": deals["owner_id"].str.replace("REP-", "U", regex=False),
        "Pipeline stage": stage,
        "Deal created": created,
        "Won/Lost date": closed,
        "Value": ["" if pd.isna(v) else f"${v:,.2f}" for v in deals["amount"]],
        "Deal type": deals["type"].map({"new_business": "New", "expansion": "Upsell"}).fillna(""),
        "Source": deals["source"].fillna(""),
    })
    a = t["accounts"]
    orgs = a[a["account_id"].isin(deals["account_id"])]
    out_orgs = pd.DataFrame({"Org ID": orgs["account_id"].str.replace("ACC-", "ORG-", regex=False), "Organization name": orgs["name"],
                             "Size band": orgs["segment"], "Region": orgs["region"], "Industry": orgs["industry"]})
    r = t["reps"]
    out_users = pd.DataFrame({"User ID": r["rep_id"].str.replace("REP-", "U", regex=False), "Name": r["name"], "Team": r["team"],
                              "Role": r["role"], "Start date": r["hired_at"].dt.strftime("%Y-%m-%d"),
                              "Leave date": r["terminated_at"].dt.strftime("%Y-%m-%d").fillna("")})
    return {"Deals.csv": out_deals, "Organizations.csv": out_orgs.reset_index(drop=True), "Users.csv": out_users}


def write_crm_export(company: Company, folder: str | Path) -> Path:
    """Write :func:`crm_export` as CSV files into ``folder``; return the folder."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in crm_export(company).items():
        frame.to_csv(path / name, index=False, lineterminator="\n")
    return path
