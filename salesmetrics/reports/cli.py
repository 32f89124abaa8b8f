"""The ``salesmetrics`` command line.

Commands: ``summary``, ``validate``, ``diagnose`` and ``report`` (the quarterly deck); ``summary``,
``diagnose`` and ``report`` take ``--as-of YYYY-MM-DD`` (default: the data's latest event).

Exit codes, chosen explicitly (a stray ``ValueError`` from a bug is not "bad input"):

- 0 success;
- 2 usage: an unknown command or option, a missing argument (argparse), or a missing optional extra
  (:class:`~salesmetrics.errors.MissingDependencyError`; the message names the ``pip install``);
- 3 bad input, something for the user to fix: a :class:`~salesmetrics.errors.SalesMetricsError` such
  as :class:`~salesmetrics.errors.InputValidationError` or
  :class:`~salesmetrics.errors.MissingDataError`, a missing or unreadable data folder or file, a
  malformed ``bundle.json``, an unknown ``--timezone`` or ``--currency``, an ``--as-of`` or
  ``--quarter`` that is not a date, and an ``--out`` or ``--csv`` path that cannot be written. One
  paragraph on stderr says what to fix; no traceback. ``summary``, ``diagnose`` and ``report`` set invalid rows
  aside and go on, but a table whose every row was set aside is bad input too (``summary`` shows why first);
- 1 anything else: an internal error (a bug). The traceback goes to stderr; please report it.

Text from the user or the data (file names, zone names, cell values) reaches the terminal with control
characters shown as escape codes, so a crafted file name cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputValidationError, MissingDependencyError, SalesMetricsError
from ..formatting import quarantine_lines, share, shorten

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..data import SalesData

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_BAD_INPUT = 0, 1, 2, 3


class BadInputError(SalesMetricsError, ValueError):
    """Something the person at the command line can fix: a data folder or file that cannot be read, a malformed
    ``bundle.json``, an unknown ``--timezone``, an ``--out`` that cannot be written. The CLI exits 3."""


def terminal_safe(text: object) -> str:
    r"""``text`` for a terminal: line breaks and tabs kept, every other control character shown as its escape code.

    Shown as escape codes: the C0 controls (ESC, so every escape sequence: colours, cursor moves, OSC 8 hyperlinks;
    BEL, NUL, carriage return, backspace), DEL and the C1 controls (CSI), and the invisible format characters (the
    bidirectional overrides and isolates that reorder text, zero-width characters), and line/paragraph separators.
    Letters, digits, punctuation and spaces of every script are kept. Applying it twice changes nothing.

    Parameters
    ----------
    text : object
        What to print (``str()`` is taken).

    Returns
    -------
    str
        The text, safe to write to a terminal.

    Examples
    --------
    >>> print(terminal_safe("bad\x1b[2Jname\nnext line"))
    bad\x1b[2Jname
    next line
    >>> print(terminal_safe("\x1b]8;;http://evil\x07link\x1b]8;;\x07 \u202eevil\r"))
    \x1b]8;;http://evil\x07link\x1b]8;;\x07 \u202eevil\r
    """
    return "".join(ch if ch in "\n\t" or ch.isprintable() or unicodedata.category(ch) == "Zs"
                   else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


# the progress bar redraws its line with a carriage return: kept there (and only there), the rest escaped
_PROGRESS_LINE = re.compile(r"\r[^\r\n\x1b]{0,80} \[[#.]{30}\] \d+/\d+ ")


class TerminalSafeStream:
    r"""A text stream that writes everything through :func:`terminal_safe` (the command line's stdout and stderr while
    a command runs), so no print path can send a control sequence from the data to the terminal.

    Parameters
    ----------
    stream : text stream
        The stream to write to (``sys.stdout``, say); every other attribute (``isatty``, ``encoding``) is its own.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> print("team \x1b[31mred\x1b[0m", file=TerminalSafeStream(out))
    >>> out.getvalue()
    'team \\x1b[31mred\\x1b[0m\n'
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with its control characters shown as escape codes."""
        if text.startswith("\r") and _PROGRESS_LINE.match(text):
            return self.stream.write("\r" + terminal_safe(text[1:]))
        return self.stream.write(terminal_safe(text))

    def writelines(self, lines: Any) -> None:
        """Write each line as :meth:`write` does."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _terminal_safe_output(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command with stdout and stderr behind :class:`TerminalSafeStream` (warnings and the progress bar too)."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = (None if s is None else TerminalSafeStream(s) for s in (out, err))  # None: no console
        try:
            return command(args)
        finally:
            sys.stdout, sys.stderr = out, err

    return run


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with its usage and error messages (which quote what was typed) made terminal-safe."""

    def _print_message(self, message: str, file: Any = None) -> None:
        super()._print_message(terminal_safe(message) if message else message, file)


def _check_timezone(zone: str, source: str) -> None:
    from ..periods import check_timezone

    try:
        check_timezone(zone)
    except ValueError as err:
        raise BadInputError(f"{source} {shorten(zone)!r} is not a time zone; use an IANA name such as 'UTC', "
                            "'America/New_York' or 'Asia/Seoul'.") from err


def _check_writable(path: str, option: str, *, creates_folders: bool = False) -> None:
    """Fail early (before any slow work) when ``path`` cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise BadInputError(f"{option} {shorten(path, 200)} is a folder; give a file name inside it.")
    folder = target.parent
    if not folder.exists():
        if not creates_folders:
            raise BadInputError(f"{option} {shorten(path, 200)}: the folder {shorten(folder, 200)} does not exist; "
                                "create it first or choose another path.")
        while not folder.exists():  # the deck creates missing folders: check the nearest one that exists
            folder = folder.parent
    if not folder.is_dir():
        raise BadInputError(f"{option} {shorten(path, 200)}: {shorten(folder, 200)} is a file, not a folder; "
                            "choose another path.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInputError(f"{option} {shorten(path, 200)}: no permission to write in {shorten(folder, 200)}; "
                            "choose a folder you can write to.")


def _write_csv(frame: pd.DataFrame, path: str) -> None:
    from .deck import to_csv  # reports.export.to_csv, re-exported (and patched there by the tests)

    try:
        to_csv(frame, path)
    except OSError as err:
        raise BadInputError(f"--csv {shorten(path, 200)} could not be written ({err.strerror or err}); "
                            "choose a path you can write to.") from err


def _load(path: str | None, args: argparse.Namespace, *, on_invalid: str = "raise") -> SalesData:
    from zoneinfo import ZoneInfoNotFoundError

    from ..data import read_dir
    from ..datasets import sample_dir

    folder = Path(path) if path else sample_dir()
    if args.timezone is not None:
        _check_timezone(args.timezone, "--timezone")
    source = getattr(args, "source", None)
    try:
        if source not in (None, "tables"):  # a vendor's export: the reader maps it (data.provenance says how)
            if not path:
                raise BadInputError(f"--source {source} needs the folder of the export, e.g. salesmetrics summary exports/ "
                                    f"--source {source}.")
            import inspect

            from .. import sources
            from ..data._reading import _read_bundle_json

            reader = getattr(sources, f"read_{source}")
            # bundle.json beside the export: the settings and any of the reader's options ({"segment_field": "Industry"})
            allowed = [k for k in inspect.signature(reader).parameters if k not in ("source", "on_invalid")]
            meta = folder / "bundle.json"
            options = _read_bundle_json(meta, folder.resolve(), allowed) if meta.is_file() else {}
            options.update({k: v for k, v in (("timezone", args.timezone), ("currency", args.currency)) if v is not None})
            return reader(folder, **{"timezone": "UTC", **options}, on_invalid=on_invalid)  # type: ignore[no-any-return]
        return read_dir(folder, timezone=args.timezone, currency=args.currency, on_invalid=on_invalid)  # type: ignore[arg-type]
    except SalesMetricsError:
        raise
    except ZoneInfoNotFoundError as err:  # only bundle.json is left to name a zone: --timezone was checked above
        raise BadInputError(f"{folder / 'bundle.json'}: its 'timezone' is not a time zone "
                            f"({shorten(err.args[0] if err.args else err, 100)}); use an IANA name such as 'UTC' or "
                            "'America/New_York'.") from err
    except (OSError, ValueError) as err:
        # read_dir is where the user's folder meets the library: its errors are about the folder, a file in it,
        # bundle.json or --currency, and each message already says what to fix
        raise BadInputError(str(err)) from err


def _all_set_aside(data: SalesData, args: argparse.Namespace) -> str:
    """What to say when a table that had rows had every one of them set aside (nothing computed on it would be true:
    the deals would read as none), else ""."""
    lost = [(table, n, reasons) for table, n, total, reasons in quarantine_lines(data) if n and n == total]
    if not lost:
        return ""
    vendor = f" --source {args.source}" if getattr(args, "source", "tables") not in (None, "tables") else ""
    parts = [f"{table}: all {n:,} rows (" + ", ".join(f"{shorten(r, 60)}: {k:,}" for r, k in reasons) + ")" for table, n, reasons in lost]
    return (f"every row of {len(lost)} table(s) failed validation and was set aside, so nothing could be computed on "
            f"them: {'; '.join(parts)}. Fix the export (run `salesmetrics validate {args.data_dir or ''}{vendor}` to see "
            "every failure) and run again.")


def _refuse_all_set_aside(data: SalesData, args: argparse.Namespace) -> None:
    """Raise :class:`BadInputError` (exit 3) rather than compute on a table whose rows were all set aside."""
    message = _all_set_aside(data, args)
    if message:
        raise BadInputError(message)


def _as_of(data: SalesData, as_of: Any = None) -> pd.Timestamp:
    """``as_of`` (a date or time stamp; default the data's) as an aware time stamp in the bundle's zone."""
    import pandas as pd

    from ..errors import MissingDataError

    if as_of is None:
        if data.as_of is None:
            raise MissingDataError("the bundle has no time stamps; pass --as-of YYYY-MM-DD.")
        return data.as_of
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as err:
        raise BadInputError(f"as_of {shorten(as_of)!r} is not a date; write it as YYYY-MM-DD.") from err
    if ts is pd.NaT:
        raise BadInputError(f"as_of {shorten(as_of)!r} is not a date; write it as YYYY-MM-DD.")
    return ts.tz_convert(data.timezone) if ts.tz is not None else ts.tz_localize(data.timezone)


def headline(data: SalesData, as_of: Any = None) -> pd.DataFrame:
    """Headline figures for the quarter holding ``as_of``: funnel volumes, deals, people, MRR and retention.

    Counts come straight from the tables; MRR, ARR and the retention rates
    from :func:`~salesmetrics.mrr_bridge` and :func:`~salesmetrics.retention`.
    ``as_of`` defaults to the data's. A figure that needs a column the export
    does not have (reps in post need ``reps.hired_at`` and ``terminated_at``,
    reps who left need ``terminated_at``) is NaN, with the reason in
    ``attrs["notes"]`` — never a count of zero. ``attrs["complete"]`` is False while the quarter is still in
    progress at ``as_of`` (its figures are to date; ``salesmetrics summary`` says so).

    Examples
    --------
    >>> import salesmetrics as sm
    >>> from salesmetrics.reports.cli import headline
    >>> headline(sm.load_sample()).loc["deals won", "value"] > 0
    np.True_
    """
    import numpy as np
    import pandas as pd

    from ..periods import period_bounds, to_period

    as_of = _as_of(data, as_of)
    quarter = to_period([as_of], "Q", fiscal_year_start=data.fiscal_year_start)[0]
    start, end = (b[0] for b in period_bounds(pd.PeriodIndex([quarter]), tz=data.timezone))
    end = min(end, as_of + pd.Timedelta(1, "ns"))  # nothing after as_of counts
    rows: list[tuple[str, object]] = []
    money: set[str] = set()
    rates: set[str] = set()
    notes: dict[str, str] = {}

    def within(s: pd.Series) -> int:
        return int(((s >= start) & (s < end)).sum())

    if data.leads is not None:
        rows += [("leads created", within(data.leads["created_at"])), ("MQLs", within(data.leads["mql_at"])),
                 ("SQLs", within(data.leads["sql_at"]))]
    if data.opportunities is not None:
        o = data.opportunities
        closed = o["closed_at"]
        live = (o["created_at"] <= as_of) & ((o["status"] == "open") | (closed > as_of))
        rows += [("opportunities created", within(o["created_at"])),
                 ("deals won", within(closed[o["status"] == "won"])),
                 ("deals lost", within(closed[o["status"] == "lost"])),
                 ("open opportunities at as_of", int(live.sum()))]
    if data.subscriptions is not None:
        s = data.subscriptions
        day = as_of.tz_localize(None).normalize()
        active = (s["start_date"] <= day) & (s["end_date"].isna() | (s["end_date"] > day)) & (s["amount"] > 0)
        rows.append(("customers at as_of", int(s.loc[active, "account_id"].nunique())))
    if data.reps is not None:
        r = data.reps
        lacking = [c for c in ("hired_at", "terminated_at") if not data.has_column("reps", c)]
        if lacking:
            notes["reps in post at as_of"] = f"not measured: the reps table has no {' or '.join(lacking)} column"
            rows.append(("reps in post at as_of", np.nan))
        else:
            in_post = (r["hired_at"] <= as_of) & (r["terminated_at"].isna() | (r["terminated_at"] > as_of))
            rows.append(("reps in post at as_of", int(in_post.sum())))
        if not data.has_column("reps", "terminated_at"):
            notes["reps who left in the quarter"] = "not measured: the reps table has no terminated_at column (unknown, not 0)"
            rows.append(("reps who left in the quarter", np.nan))
        else:
            rows.append(("reps who left in the quarter", within(r["terminated_at"])))
    if data.subscriptions is not None:
        from ..revenue import mrr_bridge, retention

        bridge = mrr_bridge(data, freq="Q", as_of=as_of)
        q = bridge[bridge["period"] == quarter]
        if len(q):
            q0 = q.iloc[0]
            money.update({f"MRR at as_of ({data.currency})", f"ARR at as_of ({data.currency})", f"net new MRR in the quarter ({data.currency})"})
            rows += [(f"MRR at as_of ({data.currency})", float(q0["ending_mrr"])),
                     (f"ARR at as_of ({data.currency})", float(q0["ending_mrr"]) * 12),
                     (f"net new MRR in the quarter ({data.currency})", float(q0["ending_mrr"] - q0["starting_mrr"]))]
            ret = retention(data, freq="Q", as_of=as_of)
            last = ret[ret["period"] == quarter]
            if len(last):
                rates.update({"logo churn rate in the quarter", "NRR in the quarter", "GRR in the quarter"})
                rows += [("logo churn rate in the quarter", float(last["logo_churn_rate"].iloc[0])),
                         ("NRR in the quarter", float(last["nrr"].iloc[0])), ("GRR in the quarter", float(last["grr"].iloc[0]))]
    out = pd.DataFrame(rows, columns=["kpi", "value"]).set_index("kpi")
    out["unit"] = ["money" if k in money else "rate" if k in rates else "count" for k in out.index]
    out.attrs["quarter"] = str(quarter)
    out.attrs["as_of"] = str(as_of)
    # a quarter still in progress at as_of (as_of before its last day) is counted to date: said, never compared silently
    out.attrs["complete"] = bool(as_of.tz_localize(None).normalize() >= pd.Timestamp(quarter.end_time).normalize())
    out.attrs["notes"] = notes
    return out


def _cmd_summary(args: argparse.Namespace) -> int:
    import pandas as pd

    data = _load(args.data_dir, args, on_invalid="quarantine")
    source = args.data_dir or "the bundled sample company"
    print(f"salesmetrics summary of {source}")
    print(f"time zone {data.timezone}, currency {data.currency}, fiscal year starts in month {data.fiscal_year_start}")
    as_of = _as_of(data, args.as_of) if args.as_of is not None or data.as_of is not None else None
    found = f"the latest {data.as_of_source}" if data.as_of_source not in ("", "given") else data.as_of_source or "nothing"
    if as_of is None:
        print("as_of: none (nothing in the data is dated); pass --as-of YYYY-MM-DD\n")
    elif args.as_of is not None:
        print(f"as_of {as_of:%Y-%m-%d %H:%M %Z}, given with --as-of (the data's own: {data.as_of or '–'}, set by {found})\n")
    else:
        print(f"as_of {as_of:%Y-%m-%d %H:%M %Z}, set by {found}\n")
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.max_colwidth", 100):
        print(data.summary().to_string())
        report = getattr(data, "provenance", None)
        if report is not None:  # a vendor's export: where each column came from, and what is not there
            vendor = report.attrs.get("vendor", "the reader")
            gone = report[report["source"] == "not available"]
            print(f"\nmapped by {vendor}: {len(report) - len(gone):,} canonical column(s) from the export; not available:")
            for table, column, disables in gone[["table", "column", "disables"]].itertuples(index=False, name=None):
                print(f"  {table}.{column}" + (f": disables {shorten(disables, 110)}" if disables else ""))
            dropped = report.attrs.get("dropped") or {}
            if dropped:
                print("  rows deleted in the source, dropped: " + ", ".join(f"{k} {v:,}" for k, v in dropped.items()))
        quarantine = quarantine_lines(data)
        if quarantine:
            print("\nquarantined rows (set aside; every figure is computed on the rows kept):")
            for table, n, total, reasons in quarantine:
                top = ", ".join(f"{shorten(r, 50)} ({k:,})" for r, k in reasons)
                print(f"  {table}: {n:,} of {total:,} rows ({share(n, total)}); top reasons: {top or '–'}")
            vendor = f" --source {args.source}" if getattr(args, "source", "tables") not in (None, "tables") else ""
            print(f"  run `salesmetrics validate {args.data_dir or ''}{vendor}` to see every failure.")
        unresolved = data.unresolved
        if len(unresolved):
            print("\nunresolved references (kept, and grouped as '(unknown)'):")
            columns = ["table", "column", "references", "rows", "distinct", "examples"]
            for table, column, refs, n, distinct, examples in unresolved[columns].itertuples(index=False, name=None):
                print(f"  {table}.{column}: {int(n):,} row(s) refer to {int(distinct):,} id(s) not in {refs} "
                      f"(e.g. {shorten(examples)})")
        if message := _all_set_aside(data, args):  # shown in full above; no headline computed on the rest
            print(f"salesmetrics: {terminal_safe(message)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if as_of is None:
            return EXIT_OK
        kpis = headline(data, as_of)
        quarter = kpis.attrs["quarter"] if kpis.attrs.get("complete", True) else f"{kpis.attrs['quarter']} (to date)"
        print(f"\nHeadline for {quarter} (as of {kpis.attrs['as_of']}):")
        notes = kpis.attrs.get("notes", {})
        shown = [notes.get(k, "–") if pd.isna(v) else f"{v:,.2f}" if u == "money" else f"{v:.1%}" if u == "rate" else f"{int(v):,}"
                 for k, v, u in zip(kpis.index, kpis["value"], kpis["unit"], strict=True)]
        print(pd.Series(shown, index=kpis.index, name="value").to_string())
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.csv:
        _check_writable(args.csv, "--csv")
    try:
        data = _load(args.data_dir, args)
    except InputValidationError as err:
        print(terminal_safe(err), file=sys.stderr)
        cases = err.failure_cases
        shown = 50
        with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", shown + 10):
            print(terminal_safe(cases.head(shown).to_string(index=False)))
        if args.csv:
            _write_csv(cases, args.csv)
            print(f"all {len(cases):,} failures written to {terminal_safe(args.csv)}")
        elif len(cases) > shown:
            print(f"... and {len(cases) - shown:,} more failure(s) (the summary above counts them all); "
                  "pass --csv FILE to write every one.")
        return EXIT_BAD_INPUT
    print(terminal_safe(f"valid: {data!r}"))
    return EXIT_OK


class ProgressBar:
    """A one-line progress bar on stderr for steps that take more than a moment (silent when stderr is not a terminal
    unless ``force``)."""

    def __init__(self, total: int, label: str, *, force: bool = False) -> None:
        self.total, self.label, self.done = max(total, 1), label, 0
        self.enabled = force or sys.stderr.isatty()

    def __call__(self, step: str) -> None:
        self.done = min(self.done + 1, self.total)
        if self.enabled:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {step[:30]:<30}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _print_findings(found: pd.DataFrame, lang: str = "en", needs: Any = None) -> None:
    """Each sign in order: its state as the deck's overview shows it (``formatting.sign_overview``: found, no sign,
    partly assessed, or not assessed and what to add), then its findings with their evidence and advice."""
    import textwrap

    from ..formatting import finding_heading, sign_overview
    from ..i18n import text

    for i, state in enumerate(sign_overview(found, lang, needs=needs), start=1):
        print(text("cli.sign_state", lang, i=i, name=state.name, state=state.shown))
        if state.state == "not_found":  # assessed, nothing at warning level: the line scripts grep for
            print(finding_heading("ok", state.sign, lang=lang))
            print(textwrap.indent(textwrap.fill(text("cli.no_sign", lang, sign=state.name), 100), "    "))
        for r in found[found["sign"] == state.sign].itertuples():
            print(finding_heading(str(r.severity), str(r.sign), str(r.scope_type), str(r.scope), lang))
            print(textwrap.indent(textwrap.fill(str(r.evidence), 100), "    "))
            if r.severity != "info":
                print(textwrap.indent(textwrap.fill(text("deck.todo", lang, text=str(r.recommendation)), 100), "    "))
        if state.sign == "declining_sales" and state.state == "found":  # the decomposition's ratio is not the closing ratio
            print(textwrap.indent(textwrap.fill(text("cli.wins_per_new_deal", lang), 100), "    "))
        print()


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from ..diagnostics import diagnose

    if args.csv:
        _check_writable(args.csv, "--csv")
    data = _load(args.data_dir, args, on_invalid="quarantine")
    _refuse_all_set_aside(data, args)
    _check_org(data, args.org)
    found = diagnose(data, as_of=_as_of(data, args.as_of), org=args.org, lang=args.lang)
    _print_findings(found, args.lang)
    if args.csv:
        _write_csv(found, args.csv)
        print(f"\nfindings written to {args.csv}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from ..diagnostics import diagnose
    from .deck import _quarter, report

    outs = args.out or ["review.pptx"]
    for out in outs:  # checked before the data are read: building the review takes a while
        if Path(out).suffix.lower() not in (".pptx", ".html", ".xlsx"):
            raise BadInputError(f"--out must end in .pptx, .html or .xlsx, got {shorten(Path(out).name)!r}.")
        _check_writable(out, "--out", creates_folders=True)
    if any(Path(out).suffix.lower() == ".xlsx" for out in outs):
        from ..errors import import_optional

        import_optional("openpyxl", "excel")  # a missing extra says so now (exit 2), not after the review is built
    data = _load(args.data_dir, args, on_invalid="quarantine")
    _refuse_all_set_aside(data, args)
    if args.as_of is not None:
        _as_of(data, args.as_of)
    _check_org(data, args.org)
    try:
        chosen, cut = _quarter(data, args.quarter, args.as_of)
    except ValueError as err:  # an unreadable --quarter, or one after as_of: the message says which
        raise BadInputError(str(err).replace("Pass as_of='YYYY-MM-DD'", "Pass --as-of YYYY-MM-DD")) from err
    print(f"review of {chosen}, figures as of {cut:%Y-%m-%d %H:%M} {data.timezone}"
          + ("" if args.quarter else " (the last complete quarter; --quarter picks another)"))
    if args.reorg_at is not None:  # checked before the slow part: a date the review can compare around
        from ..periods import as_timestamp

        try:
            when = as_timestamp(args.reorg_at, data.timezone, name="--reorg-at")
        except ValueError as err:
            raise BadInputError(str(err)) from err
        if when >= cut:
            raise BadInputError(f"--reorg-at {when:%Y-%m-%d} is not before the review's as-of {cut:%Y-%m-%d}: there is no 'after' yet.")
        if args.reorg_control:
            import pandas as pd

            from ..impact import _arms

            try:  # an unknown team is refused now, not after the slow part
                _arms(data, args.reorg_by, when, pd.Timedelta(0), args.reorg_control)
            except ValueError as err:
                raise BadInputError(str(err).replace("reorg_impact: control", "--reorg-control")) from err
    elif args.reorg_control or args.reorg_by != "team":
        raise BadInputError("--reorg-control and --reorg-by are for the reorg page: give the reorg's date with --reorg-at too.")
    bar = ProgressBar(14 + (args.reorg_at is not None) + 17 * len(outs), "building the review")
    try:
        paths = report(data, quarter=args.quarter, out=list(outs), org=args.org, progress=bar, lang=args.lang, as_of=args.as_of,
                       reorg_at=args.reorg_at, reorg_control=args.reorg_control, reorg_by=args.reorg_by, locale=args.locale)
    except OSError as err:
        written = {os.path.abspath(o) for o in outs} | {os.path.abspath(Path(o).parent) for o in outs}
        if err.filename is None or os.path.abspath(err.filename) not in written:
            raise
        raise BadInputError(f"--out {shorten(err.filename, 200)} could not be written ({err.strerror or err}); "
                            "choose a path you can write to.") from err
    finally:
        bar.close()
    for p in paths:
        print(f"wrote {p}")
    print()
    found = diagnose(data, as_of=_quarter(data, args.quarter, args.as_of)[1], org=args.org, lang=args.lang)
    _print_findings(found, args.lang)
    return EXIT_OK


def _check_org(data: Any, org: str) -> None:
    """``--org assigned`` needs the folder's assignments: say what to add before anything is computed."""
    if org == "assigned" and getattr(data, "assignments", None) is None:
        raise BadInputError("--org assigned reads the teams in force at as-of from the assignments table, which this folder "
                            "does not have: add assignments.csv (rep_id, team, role, start_date, end_date), or use "
                            "--org process or --org functional.")


def _impact_value(value: Any, unit: str, currency: str, *, change: bool = False) -> str:
    """A reorg-impact figure: rates in % (changes in points), money, days, counts; "–" when missing."""
    import math

    from ..formatting import format_money

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    shown_digits = {"rate": 3, "relative": 2, "days": 1}.get(unit, 2)
    if round(value, shown_digits) == 0:  # a change that rounds to zero is 0, never +0.0 or -0.0
        value = 0.0
    sign = "+" if change and value > 0 else ""
    if unit == "rate":
        return f"{sign}{value * 100:.1f} pts" if change else f"{value * 100:.1f}%"
    if unit == "relative":
        return f"{sign}{value * 100:.0f}%"
    if unit == "money":
        return ("+" if change and value > 0 else "") + format_money(value, currency, compact=True)
    if unit == "days":
        return f"{sign}{value:,.1f} days"
    return f"{sign}{value:,.2f}"


def _cmd_impact(args: argparse.Namespace) -> int:
    from ..impact import RELATIVE, UNITS, reorg_impact

    if args.csv:
        _check_writable(args.csv, "--csv")
    data = _load(args.data_dir, args, on_invalid="quarantine")
    _refuse_all_set_aside(data, args)
    try:
        found = reorg_impact(data, args.at, metrics=args.metrics or None, by=args.by, before=args.before, after=args.after,
                             gap=args.gap, control=args.control or None, as_of=_as_of(data, args.as_of))
    except ValueError as err:  # a date after as_of, an unknown metric, a window that is not a duration
        raise BadInputError(str(err)) from err
    for table, rows in data.quarantine.items():  # rows set aside are not analysed: say so before the figures
        print(f"note: {len(rows):,} {table} row(s) set aside by validation are left out (see: salesmetrics validate)")
    a = found.attrs
    print(f"reorg on {a['at'][:10]}: before {a['before'][0][:10]} to {a['before'][1][:10]}, after {a['after'][0][:10]} to "
          f"{a['after'][1][:10]}; by {a['by']}")
    rule = str(a["control_rule"]).replace("pass control=", "pass --control TEAM")
    print(f"controls: {', '.join(a['controls'])} ({rule})" if a["controls"] else f"controls: none ({rule})")
    for metric, rows in found.groupby("metric", sort=False):
        unit = UNITS[str(metric)]
        print(f"\n{metric}" + (" (per month)" if metric in ("bookings", "won_deals") else ""))
        for r in rows.itertuples():
            if r.verdict == "not assessed":
                print(f"    not assessed: {r.note}")
                continue
            net_unit = "relative" if metric in RELATIVE else unit  # rates over time are netted as ratios
            net = (f"net of controls {_impact_value(r.did, net_unit, data.currency, change=True)} "
                   f"[{_impact_value(r.did_low, net_unit, data.currency, change=True)}, "
                   f"{_impact_value(r.did_high, net_unit, data.currency, change=True)}]"
                   if isinstance(r.did, float) and r.did == r.did else "not net of the market")  # NaN: none
            print(f"    {terminal_safe(shorten(r.group, 28)):<28} {r.arm:<12} {_impact_value(r.before, unit, data.currency):>10} -> "
                  f"{_impact_value(r.after, unit, data.currency):<10} change {_impact_value(r.change, unit, data.currency, change=True)} "
                  f"[{_impact_value(r.change_low, unit, data.currency, change=True)}, {_impact_value(r.change_high, unit, data.currency, change=True)}]; "
                  f"{net}: {r.verdict}")
        judged = rows[rows["verdict"] != "not assessed"]
        parts = [str(note).split("; ")[1:] for note in judged["note"].fillna("")]  # the first part is the metric's definition
        shared = [x for x in dict.fromkeys(x for ps in parts for x in ps) if all(x in ps for ps in parts)]
        for part in shared:
            print(f"    note: {terminal_safe(part).replace('pass control=', 'pass --control TEAM')}")
        for group, ps in zip(judged["group"], parts, strict=True):  # what is said of one group only
            for part in (x for x in ps if x not in shared):
                print(f"    note ({terminal_safe(shorten(group, 28))}): {terminal_safe(part)}")
    if args.csv:
        _write_csv(found, args.csv)
        print(f"\nthe table written to {args.csv}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(prog="salesmetrics", description="Sales-organisation metrics and reorg diagnostics.")
    parser.add_argument("--version", action="version", version=f"salesmetrics {__version__}")
    parser.add_argument("--timezone", help="reporting time zone (default: the folder's bundle.json, else UTC)")
    parser.add_argument("--currency", help="reporting currency (default: the folder's bundle.json, else USD)")
    # the same two options after the command too ("salesmetrics report --timezone Asia/Seoul"); SUPPRESS keeps
    # a value given before the command
    common = _Parser(add_help=False)
    common.add_argument("--timezone", default=argparse.SUPPRESS, help="reporting time zone")
    common.add_argument("--currency", default=argparse.SUPPRESS, help="reporting currency")
    common.add_argument("--source", choices=["tables", "salesforce", "hubspot", "stripe"], default="tables",
                        help="what the folder holds: canonical tables (default), or a Salesforce, HubSpot or Stripe export "
                             "read with read_salesforce / read_hubspot / read_stripe")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("summary", parents=[common], help="tables, date ranges, quarantined rows and headline counts")
    p.add_argument("data_dir", nargs="?", help="folder of CSV/Parquet tables (default: the bundled sample)")
    p.add_argument("--as-of", dest="as_of", help="reporting date, YYYY-MM-DD (default: the data's latest event)")
    p.set_defaults(func=_terminal_safe_output(_cmd_summary))
    p = sub.add_parser("validate", parents=[common], help="check a folder of tables and list the failures")
    p.add_argument("data_dir", help="folder of CSV/Parquet tables")
    p.add_argument("--csv", help="write every failure to this CSV file (formula-safe)")
    p.set_defaults(func=_terminal_safe_output(_cmd_validate))
    p = sub.add_parser("diagnose", parents=[common], help="the five signs that a reorg is due, with evidence and advice")
    p.add_argument("data_dir", nargs="?", help="folder of CSV/Parquet tables (default: the bundled sample)")
    p.add_argument("--org", default="process", choices=["process", "functional", "assigned"],
                   help="org design for role lanes (assigned: the teams in force at as-of, from the assignments)")
    p.add_argument("--csv", help="also write the findings to this CSV file (formula-safe)")
    p.add_argument("--as-of", dest="as_of", help="assess as of this date, YYYY-MM-DD (default: the data's latest event)")
    p.add_argument("--lang", default="en", choices=["en", "ko"], help="language of the findings (default: en)")
    p.set_defaults(func=_terminal_safe_output(_cmd_diagnose))
    p = sub.add_parser("report", parents=[common], help="build the quarterly review deck (PPTX, HTML and/or the tables as XLSX) "
                                                         "and print the findings")
    p.add_argument("data_dir", nargs="?", help="folder of CSV/Parquet tables (default: the bundled sample)")
    p.add_argument("--quarter", help="e.g. 2025Q3 (default: the last complete quarter at as_of)")
    p.add_argument("--as-of", dest="as_of", help="report as of this date, YYYY-MM-DD (default: the data's latest event)")
    p.add_argument("--out", action="append", help="review.pptx, review.html and/or review.xlsx (the tables behind the deck: "
                                                   "needs salesmetrics[excel]); repeat for several (default: review.pptx)")
    p.add_argument("--org", default="process", choices=["process", "functional", "assigned"],
                   help="org design for the scorecards (assigned: the teams in force at as-of, from the assignments)")
    p.add_argument("--lang", default="en", choices=["en", "ko"], help="language of the deck and the findings (default: en)")
    p.add_argument("--reorg-at", dest="reorg_at", help="a reorg's date, YYYY-MM-DD: adds 'Did the reorg work?' (see the impact command)")
    p.add_argument("--reorg-control", dest="reorg_control", action="append",
                   help="a team the reorg did not touch, for the reorg page; repeat for several (default: from the assignments)")
    p.add_argument("--locale", help="a CLDR locale for the figures, e.g. de_DE (1.234,50 €); needs salesmetrics[cldr]")
    p.add_argument("--reorg-by", dest="reorg_by", default="team",
                   help="the reorg page's grouping: team (default), role, manager_id or a deal column (e.g. a segment)")
    p.set_defaults(func=_terminal_safe_output(_cmd_report))
    p = sub.add_parser("impact", parents=[common], help="did the reorg work? each metric before and after a date, per team, "
                                                         "net of the teams it did not touch")
    p.add_argument("data_dir", nargs="?", help="folder of CSV/Parquet tables, with assignments.csv for dated teams "
                                               "(default: the bundled sample)")
    p.add_argument("--at", required=True, help="the reorg date, YYYY-MM-DD")
    p.add_argument("--before", default="6M", help="the window before the date: 6M, 1Y, 180D (default 6M)")
    p.add_argument("--after", default="6M", help="the window after the date (default 6M; it ends at as-of at the latest)")
    p.add_argument("--gap", default="0", help="days left out on each side of the date, e.g. 14D (default 0)")
    p.add_argument("--by", default="team", help="the grouping: team (default), role, manager_id or a column")
    p.add_argument("--control", action="append", help="a group the reorg did not touch; repeat for several (default: "
                                                      "the groups whose assignments did not change)")
    p.add_argument("--metric", dest="metrics", action="append", help="a metric to measure; repeat (default: all)")
    p.add_argument("--as-of", dest="as_of", help="nothing after this date counts, YYYY-MM-DD (default: the data's latest event)")
    p.add_argument("--csv", help="also write the table to this CSV file (formula-safe)")
    p.set_defaults(func=_terminal_safe_output(_cmd_impact))
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Warnings for people at a terminal: the class and the message, not the library's source line."""
    print(f"{category.__name__}: {terminal_safe(message)}", file=sys.stderr if file is None else file)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring).

    Examples
    --------
    >>> main(["validate", "/no/such/folder"])
    3
    >>> main(["--no-such-option"])
    2
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the error (or the --help text)
        return exc.code if isinstance(exc.code, int) else EXIT_OK if exc.code is None else EXIT_USAGE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning  # restored when the block ends
            return int(args.func(args))
    except MissingDependencyError as err:  # a missing optional extra: the message names the pip install
        print(f"salesmetrics: {terminal_safe(err)}", file=sys.stderr)
        return EXIT_USAGE
    except InputValidationError as err:
        print(f"salesmetrics: invalid input:\n{terminal_safe(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SalesMetricsError as err:  # MissingDataError, BadInputError: the message says what to fix
        print(f"salesmetrics: {terminal_safe(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:  # anything else is a bug, whatever its class
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(f"salesmetrics: internal error ({type(err).__name__}: {terminal_safe(shorten(err, 200))}). This is a bug; "
              "please report it with the command you ran and the traceback above.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
