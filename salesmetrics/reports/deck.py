"""The quarterly reorg review: one deck, as PPTX (python-pptx, matplotlib images) or self-contained HTML (plotly).

The content is built once (:func:`review`) as a list of slides — title, charts (named plot functions
with their result frames), bullets and tables of already formatted strings — and then rendered by
either backend, so both files always tell the same story.

Everything that comes from the data is treated as untrusted: HTML escapes every string (and plotly's
JSON is made safe inside ``<script>``), PPTX drops characters XML cannot hold, and CSV exports
(:func:`to_csv`) neutralise cells a spreadsheet would run as a formula (= + - @).
"""

from __future__ import annotations

import html
import io
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._api import data_first
from ..errors import import_optional
from ..formatting import format_duration, format_money, format_number, format_percent, format_value, label
from ..i18n import text
from ..periods import as_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from ..data import SalesData
    from ..org import OrgDesign

__all__ = ["Slide", "report", "review", "to_csv"]

Progress = Callable[[str], None]


@dataclass
class Chart:
    """A chart to draw: the name of a function in salesmetrics.plot / salesmetrics.interactive, and its arguments."""

    name: str
    frame: Any
    kwargs: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"

    def draw(self, module: Any) -> Any:
        """Draw with ``module`` (salesmetrics.plot or salesmetrics.interactive), in the chart's language."""
        frame = self.frame.copy() if hasattr(self.frame, "copy") else self.frame
        if hasattr(frame, "attrs"):
            frame.attrs = {**getattr(self.frame, "attrs", {}), "lang": self.lang}
        return getattr(module, self.name)(frame, **self.kwargs)


@dataclass
class Slide:
    """One page of the review."""

    title: str
    subtitle: str = ""
    charts: list[Chart] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None  # strings, ready to show
    lang: str = "en"




def _quarter(data: SalesData, quarter: Any, as_of: Any = None) -> tuple[pd.Period, pd.Timestamp]:
    """The quarter to report and the as_of to compute it at.

    ``as_of`` (default: the data's) is the reporting date: the default quarter is the last complete one
    at it, and figures are computed at the quarter's end or at ``as_of``, whichever comes first.
    """
    from ..periods import freq_alias, last_complete_period, parse_period

    if as_of is None:
        if data.as_of is None:
            raise ValueError("the bundle has no time stamps; nothing to report. Pass as_of='YYYY-MM-DD'.")
        now = data.as_of
    else:
        now = as_timestamp(as_of, data.timezone)
    if quarter is None:
        q = last_complete_period(now, "Q", fiscal_year_start=data.fiscal_year_start)
    else:
        q = parse_period(str(quarter), fiscal_year_start=data.fiscal_year_start).asfreq(freq_alias("Q", data.fiscal_year_start))
    start = pd.Timestamp(q.start_time).tz_localize(data.timezone)
    if start > now:
        raise ValueError(f"quarter {q} starts after as_of {now:%Y-%m-%d}; choose an earlier quarter or a later as_of.")
    return q, min(pd.Timestamp(q.end_time).tz_localize(data.timezone), now)


def review(
    data: SalesData,
    *,
    quarter: Any = None,
    org: str | OrgDesign = "process",
    progress: Progress | None = None,
    lang: str = "en",
    as_of: Any = None,
) -> list[Slide]:
    """The slides of the quarterly reorg review, ready for :func:`report` to render.

    Examples
    --------
    >>> import salesmetrics as sm
    >>> slides = review(sm.load_sample(), quarter="2025Q3")
    >>> [s.title for s in slides][:3]
    ['Quarterly sales review, 2025Q3', 'Headline KPIs against targets', 'Do we need to reorganise? The five signs']
    """
    import salesmetrics as sm

    from ..formatting import shorten

    step = progress or (lambda _name: None)
    q, as_of = _quarter(data, quarter, as_of)
    cur = data.currency
    slides: list[Slide] = []

    def t(key: str, **params: Any) -> str:
        return text(key, lang, **params)

    money = lambda v, compact=True: format_money(v, cur, compact=compact, lang=lang)  # noqa: E731
    chart = lambda name, frame, **kw: Chart(name, frame, kw, lang)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DefinitionWarning)
        step("scorecards")
        card = sm.scorecard(data, org=org, as_of=as_of)
        design = card.attrs.get("org", org if isinstance(org, str) else org.name)
        slides.append(Slide(t("deck.title", quarter=q), t("deck.subtitle", date=f"{as_of:%Y-%m-%d}", tz=data.timezone, currency=cur,
                                                           org=design), lang=lang))
        head = card.drop_duplicates("kpi")
        fmt = lambda col: [format_value(v, u, cur, compact=True, lang=lang) for v, u in zip(head[col], head["unit"], strict=True)]  # noqa: E731
        table = pd.DataFrame({
            t("col.kpi"): [label("kpi", k, lang, default=str(n)) for k, n in zip(head["kpi"], head["label"], strict=True)], t("col.value"): fmt("value"), t("col.target"): fmt("target"),
            t("col.attainment"): [format_percent(a) for a in head["attainment"]], t("col.previous"): fmt("previous")})
        slides.append(Slide(t("deck.headline"), t("deck.headline_sub", quarter=q), table=table))

        step("diagnostics")
        found = sm.diagnose(data, as_of=as_of, org=org, lang=lang)
        alarms = found[found["severity"] != "info"]
        # one line per finding under the chart (the full evidence is on the sign's own page)
        slides.append(Slide(t("deck.signs"), t("deck.signs_sub", n=len(alarms)), charts=[chart("findings", found)],
                            bullets=[shorten(f"{t('sev.' + str(sev))} · {t('sign.' + str(sign))} · {scope}: {ev}", 115 if lang == "en" else 70) for sev, sign, scope, ev in
                                     zip(alarms["severity"], alarms["sign"], alarms["scope"], alarms["evidence"], strict=True)][:6]))
        parts: dict[str, Callable[[], Any]] = {
            "declining_sales": lambda: sm.sales_decline(data, as_of=as_of),
            "rep_turnover": lambda: sm.rep_turnover(data, as_of=as_of),
            "unclear_roles": lambda: sm.role_clarity(data, as_of=as_of, org=org),
            "market_response": lambda: sm.market_response(data, as_of=as_of),
            "customer_satisfaction": lambda: sm.customer_satisfaction(data, as_of=as_of),
        }
        for i, (sign, compute) in enumerate(parts.items(), start=1):
            step(sign)
            mine = found[(found["sign"] == sign) & (found["severity"] != "info")]
            info = found[(found["sign"] == sign) & (found["severity"] == "info")]
            scope = str(mine["scope"].iloc[0]) if len(mine) else None
            charts = []
            if not (info["metric"] == "not_assessed").any():  # its tables and columns are there: draw the evidence
                try:
                    charts = [_sign_chart(sign, compute(), scope, lang)]
                except ValueError:  # e.g. a by= column diagnose did without: the findings stand, without the chart
                    charts = []
            # not assessed is never shown as "no sign": its page says why, and what to add
            bullets = [str(e) for e in mine["evidence"]] or [str(e) for e in info["evidence"]] or [t("deck.no_sign")]
            if len(mine):
                bullets.append(t("deck.todo", text=mine["recommendation"].iloc[0]))
            subtitle = t("deck.scope", scope=scope) if scope else t("chart.not_assessed") if len(info) else ""
            slides.append(Slide(t("deck.sign", i=i, name=t(f"sign.{sign}")), subtitle, charts=charts, bullets=bullets[:4]))

        step("revenue")
        if data.subscriptions is not None:
            bridge = sm.mrr_bridge(data, freq="Q", as_of=as_of)
            ret = sm.retention(data, freq="Q", as_of=as_of)
            r = ret[ret["period"] == q]
            bullets = []
            if len(r):
                r0 = r.iloc[0]
                bullets = [t("deck.retention_line", nrr=format_percent(r0["nrr"], 1), grr=format_percent(r0["grr"], 1),
                             churn=format_percent(r0["logo_churn_rate"], 1), lost=f"{r0['churned_customers']:.0f}",
                             start=f"{r0['starting_customers']:.0f}")]
            slides.append(Slide(t("deck.revenue"), str(q), charts=[chart("mrr_bridge", bridge, period=q), chart("mrr_trend", bridge)],
                                bullets=bullets))
            slides.append(Slide(t("deck.cohorts"), t("deck.cohorts_sub"), charts=[chart("cohort_heatmap", sm.cohort_retention(data, freq="M", as_of=as_of))]))

        step("funnel and SLA")
        if data.leads is not None:
            journeys = sm.lead_journeys(data)
            recent = journeys[journeys["created_at"] > as_of - pd.Timedelta(days=365)]
            stages = sm.funnel(recent, freq=None, as_of=as_of)  # the stages the export has
            charts = [chart("funnel", stages)]
            bullets = []
            if data.activities is not None:
                sla = sm.response_sla(data, freq="Q", as_of=as_of)
                charts.append(chart("sla_compliance", sla, target=0.9))
                last = sla[sla["period"] == q]
                if len(last):
                    bullets.append(t("deck.sla_line", quarter=q, share=format_percent(last["compliance"].iloc[0]),
                                     within=format_duration(sla.attrs.get("within", "24h")), hours=f"{last['median_response_hours'].iloc[0]:.1f}"))
            slides.append(Slide(t("deck.funnel"), t("deck.funnel_sub"), charts=charts, bullets=bullets))

        step("pipeline")
        if data.opportunities is not None:
            o = data.opportunities
            closed = o["closed_at"].notna() & (o["closed_at"] <= as_of)
            seen = o[o["created_at"] <= as_of]
            days = ((seen["closed_at"].where(closed[seen.index], as_of)) - seen["created_at"]).dt.total_seconds() / 86_400
            km = sm.kaplan_meier(days, closed[seen.index])
            wins = sm.win_rate(data)
            slides.append(Slide(t("deck.pipeline"), t("deck.pipeline_sub"),
                                charts=[chart("win_rate", wins[wins["period"] <= q]), chart("kaplan_meier", km)]))
            slides.append(Slide(t("deck.deals"), t("deck.deals_sub", date=f"{as_of:%Y-%m-%d}"), table=_open_deals(data, as_of, lang=lang)))

        step("unit economics")
        if data.spend is not None and data.subscriptions is not None:
            ue = sm.unit_economics(data, gross_margin=0.8, as_of=as_of).tail(4)
            slides.append(Slide(t("deck.economics"), t("deck.economics_sub"), table=pd.DataFrame({
                t("col.quarter"): ue["period"].astype(str), t("col.arpa"): [money(v, False) for v in ue["arpa"]],
                t("col.churn"): [format_percent(v, 1) for v in ue["monthly_logo_churn"]], t("col.ltv"): [money(v) for v in ue["ltv"]],
                t("col.cac"): [money(v) for v in ue["cac"]], t("col.ltv_cac"): [format_number(v, 1) for v in ue["ltv_cac"]],
                t("col.payback"): [format_number(v, 1) for v in ue["payback_months"]]})))

        slides.append(Slide(t("deck.scorecards", org=design), str(q), charts=[chart("scorecard", card)]))

        step("plan")
        if data.leads is None or data.opportunities is None:  # said plainly, not as the function's error
            slides.append(Slide(t("deck.plan_missing"), bullets=[t("deck.plan_needs_leads")]))
        else:
            try:
                target = card.loc[card["kpi"] == "bookings", "target"]
                goal = float(target.iloc[0]) if len(target) and not np.isnan(target.iloc[0]) else float(card.loc[card["kpi"] == "bookings", "value"].iloc[0])
                if np.isnan(goal):  # no bookings target and no measured bookings: nothing to work back from
                    slides.append(Slide(t("deck.plan_missing"), bullets=[t("deck.plan_needs_amounts")]))
                else:
                    plan = sm.plan_funnel(data, target_bookings=goal, period=str(q + 1))
                    slides.append(Slide(t("deck.plan", goal=money(goal)), t("deck.plan_sub", quarter=q + 1),
                                        table=pd.DataFrame({t("col.item"): plan["item"], t("col.value"): [format_number(v, 1) for v in plan["value"]],
                                                            t("col.per_month"): [format_number(v, 1) for v in plan["per_month"]],
                                                            t("col.basis"): plan["basis"]})))
            except (ValueError, IndexError, KeyError) as err:
                slides.append(Slide(t("deck.plan_missing"), bullets=[t("deck.not_available", reason=err)]))

        step("data quality")
        slides.append(_quality_slide(data, lang))
    return [_without_empty_charts(s, lang) for s in slides]


def _without_empty_charts(slide: Slide, lang: str = "en") -> Slide:
    """The slide without the charts that have no rows to draw (one month of data, say), and a line saying so.

    The overview of the signs is kept even when empty: it draws every sign's status from no findings.
    """
    empty = [c for c in slide.charts if c.name != "findings" and hasattr(c.frame, "__len__") and len(c.frame) == 0]
    if not empty:
        return slide
    slide.charts = [c for c in slide.charts if not any(c is e for e in empty)]
    slide.bullets = [*slide.bullets, text("deck.chart_empty", lang, n=len(empty))]
    return slide


def _quality_slide(data: SalesData, lang: str = "en", max_lines: int = 5) -> Slide:
    """Rows kept and set aside per table (with the share and the top reasons), unresolved references, and what set as_of."""
    from ..formatting import quarantine_lines, share, shorten

    def t(key: str, **params: Any) -> str:
        return text(key, lang, **params)

    summary = data.summary()
    given = {name: int(summary.loc[name, "rows"]) + int(summary.loc[name, "quarantined"]) for name in summary.index}
    table = pd.DataFrame({
        t("col.table"): [str(n) for n in summary.index],
        t("col.rows_kept"): [f"{int(v):,}" for v in summary["rows"]],
        t("col.quarantined"): [f"{int(v):,} ({share(int(v), given[n])})" if v else "0" for n, v in summary["quarantined"].items()],
        t("col.unresolved"): [f"{int(v):,}" for v in summary["unresolved"]],
        t("col.dates"): [f"{a} – {b}" if a else "–" for a, b in zip(summary["first"], summary["last"], strict=True)],
        t("col.date_column"): [c or "–" for c in summary["date_column"]],
    })
    lines = []
    for name, n, total, reasons in quarantine_lines(data):
        top = ", ".join(f"{shorten(r, 40)} ({k:,})" for r, k in reasons[:2]) or "–"
        lines.append(t("deck.quarantine_line", table=name, n=f"{n:,}", total=f"{total:,}", share=share(n, total), reasons=top))
    columns = ["table", "column", "references", "rows", "distinct", "examples"]
    for name, column, refs, n, distinct, examples in data.unresolved[columns].itertuples(index=False, name=None):
        lines.append(t("deck.unresolved_line", table=name, column=column, rows=f"{int(n):,}", distinct=f"{int(distinct):,}",
                       references=refs, examples=shorten(examples, 50)))
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], f"… (+{len(lines) - max_lines + 1})"]
    source = data.as_of_source
    where = t("deck.asof_given") if source == "given" else t("deck.asof_latest", column=source) if source else "–"
    subtitle = t("deck.quality_full", n=f"{int(summary['quarantined'].sum()):,}", u=f"{int(summary['unresolved'].sum()):,}",
                 date=f"{data.as_of:%Y-%m-%d}" if data.as_of is not None else "–", source=where)
    return Slide(t("deck.quality"), subtitle, table=table, bullets=lines or [t("deck.quality_clean")], lang=lang)


def _sign_chart(sign: str, part: Any, scope: str | None, lang: str = "en") -> Chart:
    table = part.table
    if sign == "declining_sales":
        shown = scope if scope and scope in set(table["scope"]) else None
        mine = table[table["scope"] == (shown or "company")]
        won = mine.loc[mine["won"] > 0, "period"]
        if len(won):  # the chart indexes to its first period: start where the scope first won a deal, not at zero
            trimmed = table[table["period"] >= won.min()]
            trimmed.attrs = dict(table.attrs)
            table = trimmed
        return Chart("decline_drivers", table, {"scope": shown}, lang)
    if sign == "rep_turnover":
        return Chart("attrition", table, {}, lang)
    if sign == "unclear_roles":
        lanes = table[table["metric"] == "out_of_lane_share"]
        return Chart("trend", lanes, {"value": "value", "by": "scope", "unit": "rate", "title": text("chart.lanes", lang),
                                      "highlight": scope.split(",") if scope else None}, lang)
    if sign == "market_response":
        by = next(c for c in table.columns if c not in ("period", "leads", "lead_share", "converted", "conversion", "unowned_share",
                                                    "bookings_share"))
        return Chart("trend", table, {"value": "leads", "by": by, "title": text("chart.leads_by", lang, by=by), "highlight": scope}, lang)
    by = next(c for c in table.columns if c not in ("period", "csat", "csat_4plus", "csat_responses", "nps", "nps_responses"))
    return Chart("trend", table[table[by] != "(all)"], {"value": "csat", "by": by, "title": text("chart.csat_by", lang, by=by),
                                                        "highlight": scope}, lang)


def _open_deals(data: SalesData, as_of: pd.Timestamp, n: int = 10, lang: str = "en") -> pd.DataFrame:
    from ..money import to_reporting

    o = data.opportunities
    assert o is not None
    live = o[(o["created_at"] <= as_of) & ((o["status"] == "open") | (o["closed_at"] > as_of))].copy()
    live["_amount"] = to_reporting(live["amount"].to_numpy(float), live["currency"], live["created_at"], data.fx_rates, data.currency)
    top = live.sort_values("_amount", ascending=False).head(n)
    def shown(ids: pd.Series, table: pd.DataFrame | None, key: str) -> list[str]:
        """Each id's name where the export has one, else the id itself; "–" where there is neither."""
        names = table.dropna(subset=["name"]).drop_duplicates(key).set_index(key)["name"] if table is not None and "name" in table.columns \
            else pd.Series(dtype=object)
        return ["–" if pd.isna(i) else str(names.get(i, i)) for i in ids]

    return pd.DataFrame({
        text("col.account", lang): shown(top["account_id"], data.accounts, "account_id"),
        text("col.owner", lang): shown(top["owner_id"], data.reps, "rep_id"),
        text("col.stage", lang): top["stage"].fillna("–").astype(str) if "stage" in top.columns else "–",
        text("col.amount", lang): [format_money(v, data.currency, compact=True, lang=lang) for v in top["_amount"]],
        text("col.days_open", lang): [f"{(as_of - c).days}" for c in top["created_at"]],
    })


# ----------------------------------------------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: Any) -> str:
    return _XML_BAD.sub("", str(text))


def _pptx(slides: list[Slide], path: Path, progress: Progress | None) -> None:
    import_optional("pptx", "deck")
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    from .. import plot

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    for i, s in enumerate(slides):
        if progress:
            progress(f"slide {i + 1}")
        if i == 0:
            slide = prs.slides.add_slide(prs.slide_layouts[0])
            slide.shapes.title.text = _xml_safe(s.title)
            slide.placeholders[1].text = _xml_safe(s.subtitle)
            continue
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = _xml_safe(s.title)
        title = slide.shapes.title
        title.left, title.top, title.width, title.height = Inches(0.4), Inches(0.2), Inches(12.5), Inches(0.8)
        title.text_frame.paragraphs[0].font.size = Pt(28)
        top = Inches(1.0)
        if s.subtitle:
            box = slide.shapes.add_textbox(Inches(0.45), Inches(0.95), Inches(12.4), Inches(0.4))
            box.text_frame.text = _xml_safe(s.subtitle)
            box.text_frame.paragraphs[0].font.size = Pt(13)
            top = Inches(1.4)
        chart_h = Inches(4.2) if s.bullets else Inches(5.6)
        width = Inches(12.4) / max(1, len(s.charts))
        for j, chart in enumerate(s.charts):
            ax = chart.draw(plot)
            fig = ax.figure
            fig.set_size_inches(12.4 / len(s.charts), (4.2 if s.bullets else 5.6))
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150)
            buf.seek(0)
            slide.shapes.add_picture(buf, Inches(0.45) + Emu(int(width * j)), top, width=Emu(int(width)))
        y = top + (chart_h if s.charts else 0)
        if s.table is not None:
            room = Inches(7.5) - y - Inches(0.3)
            if s.bullets:  # the table as tall as its rows, the bullets below it
                used = _pptx_table(slide, s.table, Inches(0.45), y, Inches(12.4), room, row_height=Inches(0.32))
                y = y + used + Inches(0.1)
            else:
                _pptx_table(slide, s.table, Inches(0.45), y, Inches(12.4), room)
        if s.bullets:
            box = slide.shapes.add_textbox(Inches(0.45), y + Inches(0.1), Inches(12.4), Inches(7.3) - y)
            frame = box.text_frame
            frame.word_wrap = True
            for k, text in enumerate(s.bullets):
                para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
                para.text = "• " + _xml_safe(text)
                para.font.size = Pt(12 if s.charts else 14)
    prs.save(str(path))


def _pptx_table(slide: Any, table: pd.DataFrame, left: Any, top: Any, width: Any, height: Any, row_height: Any = None) -> int:
    """Add ``table`` as a PPTX table; returns its height (EMU). ``row_height`` fixes each row's height."""
    from pptx.util import Emu, Pt

    rows, cols = len(table) + 1, len(table.columns)
    total = min(int(height), int(row_height) * rows) if row_height is not None else min(height, int(height / 14 * rows))
    shape = slide.shapes.add_table(rows, cols, left, top, width, total)
    grid = shape.table
    # columns as wide as their text needs (within bounds), so that dates and sentences do not wrap in narrow cells
    need = [min(max(len(str(c)), *(len(str(v)) for v in table.iloc[:, j]), 6), 60) if len(table) else max(len(str(c)), 6)
            for j, c in enumerate(table.columns)]
    for j, w in enumerate(need):
        grid.columns[j].width = Emu(int(int(width) * w / sum(need)))
    if row_height is not None:
        for r in grid.rows:
            r.height = Emu(int(total) // rows)
    for j, c in enumerate(table.columns):
        grid.cell(0, j).text = _xml_safe(c)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            grid.cell(i, j).text = _xml_safe(v)
    for cell in (grid.cell(i, j) for i in range(rows) for j in range(cols)):
        for p in cell.text_frame.paragraphs:
            p.font.size = Pt(11 if rows < 12 else 9)
    return int(total)


_CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#222;background:#f6f6f6}
section{background:#fff;margin:24px auto;max-width:1200px;padding:24px 32px;border-radius:6px;box-shadow:0 1px 3px #0002}
h1{font-size:32px;margin:0 0 8px} h2{font-size:24px;margin:0 0 4px} .sub{color:#555;margin:0 0 16px}
.charts{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(480px,1fr))} .chart{min-width:0;overflow:hidden}
table{border-collapse:collapse;font-size:14px;margin-top:8px} th,td{border-bottom:1px solid #ddd;padding:6px 10px;text-align:left}
th{background:#0072B2;color:#fff} li{margin:6px 0;line-height:1.4}
"""


def _safe_json(obj: Any) -> str:
    """JSON that cannot end a <script> element or open a comment, whatever strings the data holds."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _html(slides: list[Slide], path: Path, progress: Progress | None) -> None:
    import_optional("plotly", "plot")
    from plotly.offline import get_plotlyjs

    from .. import interactive as splot

    esc = html.escape
    lang = slides[0].lang
    parts = [f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>",
             f"<title>{esc(slides[0].title)}</title><style>{_CSS}</style>",
             f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"]
    n = 0
    for i, s in enumerate(slides):
        if progress:
            progress(f"page {i + 1}")
        tag = "h1" if i == 0 else "h2"
        parts.append(f"<section><{tag}>{esc(s.title)}</{tag}>")
        if s.subtitle:
            parts.append(f"<p class='sub'>{esc(s.subtitle)}</p>")
        if s.charts:
            parts.append("<div class='charts'>")
            for chart in s.charts:
                fig = chart.draw(splot)
                n += 1
                div = f"chart-{n}"
                spec = _safe_json(fig.to_json())
                parts.append(f"<div class='chart' id='{div}'></div><script>(function(){{var f={spec};f.layout.autosize=true;"
                             f"delete f.layout.width;Plotly.newPlot('{div}',f.data,f.layout,{{responsive:true,displaylogo:false}});}})();</script>")
            parts.append("</div>")
        if s.bullets:
            parts.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in s.bullets) + "</ul>")
        if s.table is not None:
            head = "".join(f"<th>{esc(str(c))}</th>" for c in s.table.columns)
            body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in s.table.itertuples(index=False))
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append("</section>")
    parts.append("<script>window.addEventListener('load',function(){document.querySelectorAll('.js-plotly-plot')"
                 ".forEach(function(d){Plotly.Plots.resize(d);});});</script></body></html>")
    path.write_text("".join(parts), encoding="utf-8")


@data_first("data")
def report(
    data: SalesData,
    /,
    *,
    quarter: Any = None,
    out: str | Path | list[str | Path] = "review.pptx",
    org: str | OrgDesign = "process",
    progress: Progress | None = None,
    lang: str = "en",
    as_of: Any = None,
) -> list[Path]:
    """Build the quarterly reorg review as PPTX and/or self-contained HTML.

    Pages: title; headline KPIs against targets; the five signs, then one page per sign with its
    evidence chart and advice; revenue bridge and retention; funnel and SLA; pipeline; the largest open
    deals; unit economics; team scorecards under the chosen org design; next quarter's reverse-funnel
    plan; data quality (tables, date ranges, quarantined rows with their share and top reasons,
    references to ids the export does not hold, and what set ``as_of``). A sign that could not be
    assessed says so and why on its page and in the overview; it is never shown as "no sign".

    Parameters
    ----------
    data : SalesData
    quarter : str, optional
        "2025Q3"; default: the last complete quarter at ``as_of``.
    out : path or list of paths
        ``.pptx`` (python-pptx with matplotlib images; no browser needed) and/or ``.html`` (plotly.js
        embedded, so it opens offline).
    org : "process", "functional" or an OrgDesign
    progress : callable, optional
        Called with the name of each step (the command line draws a progress bar with it).
    lang : {"en", "ko"}
        The language of every title, label, finding and recommendation (``salesmetrics/locales``).
    as_of : date or time stamp, optional
        The reporting date (default: the data's ``as_of``, its latest event). The default quarter is the
        last complete one at it, and every figure is computed at the quarter's end or at ``as_of``,
        whichever comes first, so that nothing after ``as_of`` counts. A date is midnight at its start,
        in the bundle's time zone.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import salesmetrics as sm
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in sm.report(sm.load_sample(), quarter="2025Q3", out=folder / "review.html")]
    ['review.html']
    """
    paths = [Path(p) for p in (out if isinstance(out, list) else [out])]
    for p in paths:
        if p.suffix.lower() not in (".pptx", ".html", ".htm"):
            raise ValueError(f"out must end in .pptx or .html, got {p.name!r}.")
    slides = review(data, quarter=quarter, org=org, progress=progress, lang=lang, as_of=as_of)
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        (_pptx if p.suffix.lower() == ".pptx" else _html)(slides, p, progress)
    return paths


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def to_csv(frame: pd.DataFrame, path: str | Path | None = None) -> str | None:
    """Write a frame as CSV for spreadsheets, with text cells that would run as formulas made inert.

    A text cell starting with = + - @ (or a tab or carriage return) gets a leading apostrophe
    (OWASP's advice against CSV injection); numbers are left as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_csv(pd.DataFrame({"account": ['=HYPERLINK("x")', "Acme"], "mrr": [-5.0, 10.0]})), end="")
    account,mrr
    "'=HYPERLINK(""x"")",-5.0
    Acme,10.0
    """
    safe = frame.copy()
    for c in safe.columns:
        if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
            is_text = safe[c].map(lambda v: isinstance(v, str)) if safe[c].dtype == object else safe[c].notna()  # numbers stay
            text = safe[c].where(is_text).astype("string")
            risky = text.str.startswith(_FORMULA).fillna(False).to_numpy(bool)
            safe.loc[risky, c] = "'" + text[risky].astype(str)
    return safe.to_csv(path, index=False)
