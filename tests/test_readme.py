"""README.md's examples run as tested snippets, as the docs pages' do (tests/test_docs.py).

- the fenced ```python blocks run in order, in one namespace (they build on each other), in a temporary
  folder, unless the line before the fence is ``<!-- no-run: reason -->``; a FutureWarning or
  DeprecationWarning from salesmetrics or from the example's own lines fails: examples use the current API;
- the "Public real exports" block reads look-alikes written here (the real exports' headers, value formats
  and quirks, a few dozen rows from a fixed seed): the real files are not shipped, and tests never read them;
- every ``salesmetrics ...`` command in README names a subcommand whose ``--help`` lists each option it
  uses, and every ``make`` target README names is in the Makefile. Shell blocks are not run.
"""

from __future__ import annotations

import re
import string
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_docs import FENCE, NO_RUN

import salesmetrics as sm
from salesmetrics.reports.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = str(Path(sm.__file__).parent)
SHELL = {"bash", "sh", "shell", "console"}


def _blocks(langs: set[str]) -> list[str]:
    out = []
    for m in FENCE.finditer(README):
        before = README[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if m.group(1) in langs and not NO_RUN.search(before):
            assert "no-run" not in before, f"README.md: a no-run marker needs a reason: {before!r}"
            out.append(m.group(2))
    return out


# --- look-alikes of the public exports the README reads (headers and formats as in the real files) ---------

def _hexes(rng: np.random.RandomState, n: int) -> list[str]:
    return [rng.bytes(16).hex() for _ in range(n)]


def _days(rng: np.random.RandomState, start: str, span: int, n: int) -> pd.Series:
    return pd.Series(pd.Timestamp(start) + pd.to_timedelta(rng.randint(0, span, n), unit="D"))


def _maven(root: Path, rng: np.random.RandomState) -> dict[str, int]:
    """sales_pipeline / sales_teams / accounts. Managers are not agents; Prospecting deals have no engage
    date (quarantined); Engaging and Prospecting deals have no close date or value, some no account; lost
    deals are worth 0; the product 'GTXPro' as the pipeline spells it."""
    teams = pd.DataFrame({"sales_agent": ["Anna Snelling", "Moses Frase", "Violet Mclelland", "Boris Faz", "Carl Lin", "Zane Levy"],
                          "manager": ["Dustin Brinkmann"] * 2 + ["Cara Losch"] * 2 + ["Summer Sewald"] * 2,
                          "regional_office": ["Central"] * 2 + ["East"] * 2 + ["West"] * 2})
    accounts = pd.DataFrame({
        "account": ["Acme Corporation", "Betasoloin", "Bluth Company", "Cancity", "Cheers", "Codehow", "Isdom", "Sonron"],
        "sector": ["technolgy", "medical", "technolgy", "retail", "entertainment", "software", "medical", "retail"],
        "year_established": rng.randint(1979, 2017, 8), "revenue": (rng.uniform(5, 9000, 8)).round(2),
        "employees": rng.randint(9, 20000, 8), "office_location": ["United States"] * 6 + ["Kenya", "Panama"],
        "subsidiary_of": [None, None, "Acme Corporation", None, "Massive Dynamic", "Acme Corporation", None, None]})
    stages = ["Won"] * 14 + ["Lost"] * 8 + ["Engaging"] * 5 + ["Prospecting"] * 3
    n = len(stages)
    closed = np.isin(stages, ["Won", "Lost"])
    engage = _days(rng, "2016-10-20", 340, n).sort_values(ignore_index=True)
    close = engage + pd.to_timedelta(rng.randint(3, 120, n), unit="D")
    value = np.where(np.array(stages) == "Won", rng.randint(40, 6000, n), 0)
    pipeline = pd.DataFrame({
        "opportunity_id": ["".join(rng.choice(list(string.ascii_uppercase + string.digits), 8)) for _ in range(n)],
        "sales_agent": rng.choice(teams["sales_agent"], n),
        "product": rng.choice(["GTX Plus Basic", "GTXPro", "MG Special", "GTX Basic", "MG Advanced", "GTX Plus Pro", "GTK 500"], n),
        "account": [a if s in ("Won", "Lost") or i % 2 else None for i, (a, s) in enumerate(zip(rng.choice(accounts["account"], n), stages, strict=True))],
        "deal_stage": stages,
        "engage_date": [d.strftime("%Y-%m-%d") if s != "Prospecting" else None for d, s in zip(engage, stages, strict=True)],
        "close_date": [d.strftime("%Y-%m-%d") if c else None for d, c in zip(close, closed, strict=True)],
        "close_value": [str(v) if c else None for v, c in zip(value, closed, strict=True)]})
    (root / "maven_crm").mkdir()
    pipeline.to_csv(root / "maven_crm/sales_pipeline.csv", index=False)
    teams.to_csv(root / "maven_crm/sales_teams.csv", index=False)
    accounts.to_csv(root / "maven_crm/accounts.csv", index=False)
    return {"deals": n, "prospecting": stages.count("Prospecting"), "agents": len(teams)}


# dbt's mrr-playbook seed: month-start periods, end exclusive; new, expansion, contraction, churn and reactivation
PLAYBOOK = """subscription_id,customer_id,start_date,end_date,monthly_amount
1,1,2018-11-01,2019-02-01,50
2,1,2019-04-01,2019-06-01,50
3,1,2019-06-01,2019-08-01,75
4,2,2017-09-01,2017-11-01,25
5,3,2017-09-01,2017-10-01,50
6,5,2018-11-01,2018-12-01,50
7,5,2018-12-01,2019-03-01,25
8,5,2019-07-01,2019-08-01,50
9,6,2018-05-01,2018-06-01,35
10,6,2018-06-01,2020-01-01,65
11,7,2018-01-01,2018-02-01,55
12,7,2018-02-01,2019-12-01,70
13,10,2018-04-01,2018-05-01,80
14,10,2018-09-01,2018-10-01,50
15,10,2018-10-01,2019-04-01,25
16,17,2019-11-01,2019-12-01,100
17,17,2019-12-01,2020-01-01,95
18,53,2020-01-01,2020-02-01,50
"""


def _telco(root: Path, rng: np.random.RandomState) -> dict[str, int]:
    """IBM Telco: tenure in months and no dates; new customers have tenure 0 and TotalCharges ' '."""
    n = 30
    tenure = rng.randint(1, 73, n)
    tenure[:3] = 0
    churn = np.where(rng.uniform(size=n) < 0.3, "Yes", "No")
    churn[:3], churn[3:5] = "No", "Yes"  # as in the real file: no one churns at tenure 0
    phone = rng.choice(["Yes", "No"], n, p=[0.9, 0.1])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n)
    monthly = rng.uniform(18.25, 118.75, n).round(2)
    yes_no = {c: rng.choice(["Yes", "No"], n) for c in ["Partner", "Dependents", "PaperlessBilling"]}
    frame = {"customerID": [f"{rng.randint(1000, 9999)}-{''.join(rng.choice(list(string.ascii_uppercase), 5))}" for _ in range(n)],
             "gender": rng.choice(["Female", "Male"], n), "SeniorCitizen": rng.randint(0, 2, n),
             "Partner": yes_no["Partner"], "Dependents": yes_no["Dependents"], "tenure": tenure, "PhoneService": phone,
             "MultipleLines": np.where(phone == "No", "No phone service", rng.choice(["Yes", "No"], n)), "InternetService": internet}
    for col in ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"]:
        frame[col] = np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n))
    frame |= {"Contract": rng.choice(["Month-to-month", "One year", "Two year"], n), "PaperlessBilling": yes_no["PaperlessBilling"],
              "PaymentMethod": rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"], n),
              "MonthlyCharges": monthly,
              "TotalCharges": [" " if t == 0 else f"{t * m * rng.uniform(0.95, 1.05):.2f}" for t, m in zip(tenure, monthly, strict=True)],
              "Churn": churn}
    (root / "telco").mkdir()
    pd.DataFrame(frame).to_csv(root / "telco/Telco-Customer-Churn.csv", index=False)
    return {"customers": n, "churned": int((churn == "Yes").sum()), "new": int((tenure == 0).sum())}


def _olist(root: Path, rng: np.random.RandomState) -> dict[str, int]:
    """Olist MQLs and closed deals: some origins blank, some MQLs won, one deal won before its first contact."""
    n, n_won = 40, 10
    mql_ids = _hexes(rng, n)
    contact = _days(rng, "2017-06-14", 350, n)
    mqls = pd.DataFrame({"mql_id": mql_ids, "first_contact_date": contact.dt.strftime("%Y-%m-%d"),
                         "landing_page_id": rng.choice(_hexes(rng, 5), n),
                         "origin": rng.choice(["organic_search", "paid_search", "social", "unknown", "direct_traffic", "email"], n)})
    mqls.loc[[5, 17], "origin"] = None
    won = rng.choice(n, n_won, replace=False)
    won_at = contact[won] + pd.to_timedelta(rng.randint(1, 90 * 86400, n_won), unit="s")
    won_at.iloc[0] = contact[won[0]] - pd.Timedelta("1 days 04:21:05")  # won before the first contact, as in the export
    deals = pd.DataFrame({
        "mql_id": [mql_ids[i] for i in won], "seller_id": _hexes(rng, n_won), "sdr_id": rng.choice(_hexes(rng, 3), n_won),
        "sr_id": rng.choice(_hexes(rng, 3), n_won), "won_date": won_at.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
        "business_segment": rng.choice(["pet", "car_accessories", "home_decor", "health_beauty"], n_won),
        "lead_type": rng.choice(["online_medium", "online_big", "industry", "offline", None], n_won),
        "lead_behaviour_profile": rng.choice(["cat", "eagle", "wolf", "cat, wolf", None], n_won),
        "has_company": rng.choice([True, False, None], n_won), "has_gtin": rng.choice([True, None], n_won),
        "average_stock": rng.choice(["5-20", "50-200", "unknown", None], n_won),
        "business_type": rng.choice(["reseller", "manufacturer"], n_won),
        "declared_product_catalog_size": rng.choice([80.0, 300.0, np.nan], n_won),
        "declared_monthly_revenue": rng.choice([0.0, 0.0, 30000.0], n_won)})
    (root / "olist").mkdir()
    mqls.to_csv(root / "olist/olist_marketing_qualified_leads_dataset.csv", index=False)
    deals.to_csv(root / "olist/olist_closed_deals_dataset.csv", index=False)
    return {"mqls": n, "won": n_won, "origins": mqls["origin"].nunique() + 1}  # + "(missing)"


def _write_lookalikes(root: Path) -> dict[str, dict[str, int]]:
    rng = np.random.RandomState(2025)
    (root / "mrr_playbook").mkdir()
    (root / "mrr_playbook/subscription_periods.csv").write_text(PLAYBOOK, encoding="utf-8")
    return {"maven": _maven(root, rng), "telco": _telco(root, rng), "olist": _olist(root, rng)}


# --- the tests ------------------------------------------------------------------------------------------------

def _deprecations(caught: list[warnings.WarningMessage]) -> list[str]:
    """FutureWarning / DeprecationWarning raised inside salesmetrics or pointing at the example's own lines."""
    return [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
            if issubclass(w.category, DeprecationWarning | PendingDeprecationWarning | FutureWarning)
            and (w.filename.startswith(PACKAGE) or w.filename.startswith("README.md"))]


def test_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _blocks({"python"})
    assert any("maven_crm/" in b for b in blocks), "the real-exports block is gone: update this test's look-alikes"
    expect = _write_lookalikes(tmp_path)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    for i, code in enumerate(blocks, 1):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(compile(code, f"README.md (python block {i})", "exec"), namespace)
        assert not _deprecations(caught), f"README python block {i} uses a deprecated API: {_deprecations(caught)}"

    # the real-exports recipes did what their comments say, on the look-alikes
    maven, billing, telco, olist = (namespace[k] for k in ("maven", "billing", "telco_data", "olist"))
    assert isinstance(maven, sm.SalesData) and isinstance(olist, sm.SalesData)
    m = expect["maven"]
    assert len(maven.quarantine["opportunities"]) == m["prospecting"]  # the deals without an engage date
    assert len(maven.opportunities) == m["deals"] - m["prospecting"]
    assert set(maven.opportunities["status"]) == {"won", "lost", "open"}
    assert maven.summary().loc["reps", "unresolved"] == m["agents"]  # every agent's manager is not an agent
    assert set(sm.win_rate(maven, by="team", freq=None)["team"]) == {"Central", "East", "West"}
    card = namespace["card"]  # the by-team design of the regions: one card each, from its own deals
    assert isinstance(card, pd.DataFrame) and list(dict.fromkeys(card["team"])) == ["Central", "East", "West"]
    wins = card[card["kpi"] == "win_rate"].set_index("team")["value"]
    by_hand = sm.win_rate(maven, by="team", as_of=card.attrs["as_of"]).pipe(lambda t: t[t["period"] == card["period"].iloc[0]])
    assert wins.to_dict() == pytest.approx(by_hand.set_index("team")["win_rate"].reindex(wins.index).to_dict(), nan_ok=True)
    assert wins.notna().any()
    assert billing.as_of == pd.Timestamp("2020-01-01", tz="UTC")  # the last subscription start
    t = expect["telco"]
    assert len(telco.subscriptions) == t["customers"] and telco.subscriptions["end_date"].notna().sum() == t["churned"]
    assert (telco.subscriptions["start_date"] == pd.Timestamp("2025-09-30")).sum() == t["new"]
    o = expect["olist"]
    assert len(olist.leads) == o["mqls"] and olist.leads["opportunity_id"].notna().sum() == o["won"]
    # a deal starts at its MQL's first contact: the one won before it is quarantined, not given a negative cycle
    assert (olist.opportunities["status"] == "won").sum() == o["won"] - 1 and len(olist.quarantine["opportunities"]) == 1
    assert (sm.sales_cycle(olist, freq=None)["median_days"] > 0).all()
    assert len(sm.lead_quality(olist, by="source")) == o["origins"]  # blank origins as "(missing)"
    for deck in ["maven.pptx", "maven.html", "mrr.pptx", "review.pptx", "review.html", "검토.pptx", "검토.html"]:
        assert (tmp_path / deck).stat().st_size > 10_000, deck


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    assert main([*command, "--help"]) == 0, f"salesmetrics {' '.join(command)} --help failed"
    return capsys.readouterr().out


def _commands() -> list[str]:
    """`salesmetrics ...` lines of README's shell blocks and inline code, comments and brackets dropped."""
    lines = [ln.strip().removeprefix("$ ").split("#", 1)[0] for b in _blocks(SHELL) for ln in b.splitlines()]
    inline = re.findall(r"`(salesmetrics [^`]+)`", FENCE.sub("", README))
    return [re.sub(r"[\[\]]", " ", c).split(maxsplit=1)[1] for c in lines + inline if c.startswith("salesmetrics ")]


def test_cli_commands_in_readme_exist(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands()
    top = _help(capsys)
    subcommands = set(re.search(r"\{([\w,]+)\}", top).group(1).split(","))  # type: ignore[union-attr]
    used = {c.split()[0] for c in commands}
    assert {"report", "diagnose", "summary", "validate"} <= used <= subcommands, used
    for command in commands:
        tokens = command.split()
        text = _help(capsys, tokens[0])
        for j, token in enumerate(tokens):
            if token.startswith("--"):
                assert re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", text), f"README: salesmetrics {command}: no {token}"
                value = tokens[j + 1] if j + 1 < len(tokens) else ""
                if "|" in value:  # --org process|functional: every choice exists
                    assert all(c in text for c in value.split("|")), f"README: salesmetrics {command}: {token} {value}"
    # "`--timezone` and `--currency` go before or after the command"; the section's other options exist
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(--[a-z][a-z-]*)`", FENCE.sub("", section)))
    assert {"--timezone", "--currency", "--as-of"} <= named
    helps = {sub: _help(capsys, sub) for sub in sorted(used)}
    for option in named:
        assert any(option in h for h in [top, *helps.values()]), f"README names {option}, which no command has"
    for option in ("--timezone", "--currency"):
        assert option in top and all(option in h for h in helps.values()), option


def test_make_targets_in_readme_exist() -> None:
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    shell = [ln.split()[1] for b in _blocks(SHELL) for ln in b.splitlines() if ln.startswith("make ")]
    named = set(shell) | set(re.findall(r"`make ([\w-]+)`", FENCE.sub("", README)))
    assert {"demo", "test", "lab", "docs", "sample", "bench"} <= named
    assert named <= targets, f"README names make targets the Makefile lacks: {sorted(named - targets)}"


def test_the_docs_recipes_for_real_exports_match_the_readme() -> None:
    """docs/mapping-your-export.md repeats README's recipes for the public exports (there the bundle is ``data``); a
    fix to one (the Olist deal starting at its MQL's first contact, not at its close) must reach the other."""
    docs = (ROOT / "docs" / "mapping-your-export.md").read_text(encoding="utf-8")

    def recipe(page: str, name: str) -> list[str]:
        block = page[page.index(f"# {name}:"):]
        lines = block.split("\n\n", 1)[0].splitlines()
        return [re.sub(r"\b(maven|billing|telco_data|olist)\b", "data", line).replace("data_data", "data") for line in lines]

    for name in ("Maven CRM", "dbt mrr-playbook", "Olist"):
        assert recipe(docs, name) == recipe(README, name), name
