"""Hardened reading (issue 14, point 6): read_dir and conform on folders and exports as users meet them.

Every fixture is hand-made in a tmp_path folder, written the way a CRM, Excel or a shell leaves it.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
import warnings
from pathlib import Path

import pandas as pd
import pytest

import salesmetrics as sm

OPPS_CSV = (
    "opportunity_id,created_at,status,closed_at,amount\n"
    "001,2025-01-02,won,2025-02-01,1200\n"
    "002,2025-01-03,open,,800\n"
    "003,2025-01-04,lost,2025-03-01,50\n"
)


def _folder(tmp_path: Path, name: str = "export") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


# -- only regular files inside the folder ---------------------------------------------------------------


def test_symlink_leading_outside_the_folder_is_refused(tmp_path: Path):
    folder = _folder(tmp_path)
    secret = tmp_path / "elsewhere.csv"
    secret.write_text(OPPS_CSV)
    (folder / "opportunities.csv").symlink_to(secret)
    with pytest.raises(ValueError, match="outside the folder") as info:
        sm.read_dir(folder)
    assert "opportunities.csv" in str(info.value) and "symbolic link" in str(info.value)
    # the same through files=, and with a path that climbs out of the folder
    (folder / "opportunities.csv").unlink()
    with pytest.raises(ValueError, match="outside the folder"):
        sm.read_dir(folder, files={"opportunities": "../elsewhere.csv"})


def test_symlink_inside_the_folder_is_read(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "parts").mkdir()
    (folder / "parts" / "deals_2025.csv").write_text(OPPS_CSV)
    (folder / "opportunities.csv").symlink_to(Path("parts") / "deals_2025.csv")
    data = sm.read_dir(folder)
    assert data.opportunities["opportunity_id"].tolist() == ["001", "002", "003"]


def test_broken_symlink_is_named(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "accounts.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(ValueError, match=r"accounts\.csv is a symbolic link to .*gone\.csv, which does not exist"):
        sm.read_dir(folder)


def test_fifo_named_like_a_table_is_refused_without_blocking(tmp_path: Path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("os.mkfifo is not available on this platform (named pipes are a POSIX feature)")
    folder = _folder(tmp_path)
    (folder / "accounts.csv").write_text("account_id\na1\n")
    fifo = folder / "opportunities.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(sm.read_dir(folder))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # opened the pipe and blocked: release it, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("read_dir opened the named pipe and blocked")
    (result,) = outcome
    assert isinstance(result, ValueError), result
    assert "opportunities.csv" in str(result) and "named pipe (FIFO)" in str(result)
    # a pipe that is not named like a table is only listed as ignored, never opened
    fifo.unlink()
    os.mkfifo(folder / "notes.pipe")
    with pytest.warns(sm.DataQualityWarning, match="notes.pipe"):
        assert len(sm.read_dir(folder).accounts) == 1


@pytest.mark.parametrize("name", ["opportunities", "opportunities.csv", "Opportunities.parquet"])
def test_directory_named_like_a_table_is_reported(tmp_path: Path, name: str):
    folder = _folder(tmp_path)
    (folder / "accounts.csv").write_text("account_id\na1\n")
    parts = folder / name
    parts.mkdir()
    (parts / "part-0000.csv").write_text(OPPS_CSV)
    with pytest.raises(ValueError, match="directory named like the opportunities table") as info:
        sm.read_dir(folder)
    message = str(info.value)
    assert name in message and "reads one file per table" in message and "SalesData(opportunities=...)" in message
    # a directory with another name is not a table and stays out of the way
    parts.rename(folder / "archive")
    assert sorted(sm.read_dir(folder).tables) == ["accounts"]


def test_file_names_match_tables_whatever_their_case(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "Opportunities.CSV").write_text(OPPS_CSV)
    with gzip.open(folder / "ACCOUNTS.csv.gz", "wt") as fh:
        fh.write("account_id\n007\n")
    data = sm.read_dir(folder)
    assert sorted(data.tables) == ["accounts", "opportunities"]
    assert data.accounts["account_id"].tolist() == ["007"]
    (folder / "opportunities.parquet").write_bytes(b"")
    with pytest.raises(ValueError, match="more than one file for the opportunities table"):
        sm.read_dir(folder)


# -- CSV text: encoding, separators, parse errors ----------------------------------------------------------


def test_a_brazilian_export_writes_reais_with_decimal_commas(tmp_path: Path):
    """Brazilian Excel writes `;` files with amounts such as "R$ 1.234,56" (the real's sign, dot groups, decimal comma)."""
    folder = _folder(tmp_path)
    (folder / "opportunities.csv").write_text("opportunity_id;created_at;status;closed_at;amount\n"
                                              "001;2025-01-02;won;2025-02-01;R$ 1.234,56\n002;2025-01-03;open;;R$12,50\n",
                                              encoding="utf-8")
    assert sm.read_dir(folder, currency="BRL").opportunities["amount"].tolist() == [1234.56, 12.5]


def test_semicolon_separated_latin1_file_with_decimal_commas(tmp_path: Path):
    """What German Excel writes with "CSV (Trennzeichen-getrennt)": `;`, Windows-1252, decimal commas."""
    folder = _folder(tmp_path)
    text = (
        "opportunity_id;created_at;status;closed_at;amount;Kunde\r\n"
        "001;2025-01-02;won;2025-02-01;1.234,56;Müller GmbH\r\n"
        "002;2025-01-03;open;;12,5;Café Zürich\r\n"
        "003;2025-01-04;lost;2025-03-01;€ 900,00;Ørsted\r\n"
    )
    (folder / "opportunities.csv").write_bytes(text.encode("cp1252"))
    with pytest.warns(sm.DataQualityWarning) as record:
        data = sm.read_dir(folder)
    (message,) = [str(w.message) for w in record if "UTF-8" in str(w.message)]
    assert "opportunities.csv" in message and "Windows-1252" in message and "save the file as UTF-8" in message
    opps = data.opportunities
    assert opps["amount"].tolist() == [1234.56, 12.5, 900.0]
    assert opps["Kunde"].tolist() == ["Müller GmbH", "Café Zürich", "Ørsted"]
    assert opps["opportunity_id"].tolist() == ["001", "002", "003"]
    assert list(opps.columns[:5]) == ["opportunity_id", "created_at", "status", "closed_at", "amount"]
    # a lone 0 is never a thousands group: 0.125 stays a dot decimal, and 1.000 beside a decimal comma is a thousand
    (folder / "fx_rates.csv").write_text("currency;date;rate\nEUR;2025-01-01;0.125\nEUR;2025-02-01;0.5\n")
    (folder / "spend.csv").write_text("month;amount\n2025-01-01;1.000\n2025-02-01;2,5\n")
    with pytest.warns(sm.DataQualityWarning):
        data = sm.read_dir(folder)
    assert data.fx_rates["rate"].tolist() == [0.125, 0.5] and data.spend["amount"].tolist() == [1000.0, 2.5]
    # a column that mixes the two notations is left as written, and fails by name
    (folder / "fx_rates.csv").write_text("currency;date;rate\nEUR;2025-01-01;0.125\nEUR;2025-02-01;1,0834\n")
    with pytest.raises(sm.InputValidationError, match=r"fx_rates\.rate \[number\]"), warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        sm.read_dir(folder)


def test_non_utf8_byte_beyond_the_sniffed_start_is_still_read(tmp_path: Path):
    folder = _folder(tmp_path)
    rows = [f"a{i:06d},Plain name {i}" for i in range(5000)] + ["a999999,Société Générale"]
    (folder / "accounts.csv").write_bytes(("account_id,name\n" + "\n".join(rows) + "\n").encode("cp1252"))
    assert (folder / "accounts.csv").stat().st_size > 64 * 1024
    with pytest.warns(sm.DataQualityWarning, match=r"accounts\.csv is not UTF-8 text; read_dir read it as Windows-1252"):
        data = sm.read_dir(folder)
    assert len(data.accounts) == 5001 and data.accounts["name"].iloc[-1] == "Société Générale"


def test_utf8_byte_order_mark_is_not_part_of_the_first_header(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "accounts.csv").write_bytes("\ufeffaccount_id,name\n007,Ääkkönen Oy\n".encode())
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.DataQualityWarning)  # UTF-8 with a BOM is fine: no warning
        data = sm.read_dir(folder)
    assert list(data.accounts.columns[:2]) == ["account_id", "name"]
    assert data.accounts["account_id"].tolist() == ["007"] and data.accounts["name"].tolist() == ["Ääkkönen Oy"]


def test_tab_separated_utf16_file_from_excel_unicode_text(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "accounts.tsv").write_bytes("account_id\tname\n007\tAcme, Inc.\n".encode("utf-16"))
    data = sm.read_dir(folder)
    assert data.accounts["name"].tolist() == ["Acme, Inc."] and data.accounts["account_id"].tolist() == ["007"]


def test_ragged_csv_names_the_file_and_the_line(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "opportunities.csv").write_text(
        "opportunity_id,created_at,status,closed_at,amount\n"
        "o1,2025-01-02,won,2025-02-01,1200\n"
        "o2,2025-01-03,open,,800\n"
        "o3,2025-01-04,lost,2025-03-01,Acme, Inc.,50\n"
    )
    with pytest.raises(ValueError, match=r"opportunities\.csv: line 4 has 7 fields where the header has 5") as info:
        sm.read_dir(folder)
    assert "quote values that contain the separator" in str(info.value)
    # a short row is reported too, not padded silently
    (folder / "opportunities.csv").write_text("opportunity_id,created_at,status\no1,2025-01-02,open\no2,2025-01-03\n")
    with pytest.raises(ValueError, match=r"line 3 has 2 fields where the header has 3"):
        sm.read_dir(folder)


@pytest.mark.parametrize(("body", "line"), [
    ('o1,2025-01-02,"open\no2,2025-01-03,open\no3,2025-01-04,open\n', 2),  # swallows the rest: columns run short
    ('o1,2025-01-02,open\no2,2025-01-03,"open\no3,2025-01-04,open\n', 3),  # last column: runs to the end of the file
])
def test_unterminated_quote_names_the_line(tmp_path: Path, body: str, line: int):
    folder = _folder(tmp_path)
    (folder / "opportunities.csv").write_text("opportunity_id,created_at,status\n" + body)
    with pytest.raises(ValueError, match=rf"opportunities\.csv: a quoted field on line {line} is never closed"):
        sm.read_dir(folder)


def test_excel_workbook_and_empty_file_are_named(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "accounts.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ValueError, match=r"accounts\.csv is an Excel workbook, not CSV text"):
        sm.read_dir(folder)
    (folder / "accounts.csv").write_bytes(b"")
    with pytest.raises(ValueError, match=r"accounts\.csv is empty"):
        sm.read_dir(folder)


# -- mappings: columns=, values=, files=, bundle.json --------------------------------------------------------


def _raw_crm_export(folder: Path) -> None:
    """A raw CRM export: its own file names, column names and stage names."""
    (folder / "sales_pipeline.csv").write_text(
        "Deal ID,Stage,Opened,Closed,Value,Agent\n"
        "D-0001,Closed Won,2025-01-02,2025-02-10,\"$12,000.00\",Ann\n"
        "D-0002,Closed Lost,2025-01-05,2025-01-30,\"$3,500.00\",Bob\n"
        "D-0003,Prospecting,2025-02-01,,,Ann\n"
        "D-0004,Engaging,2025-02-03,,\"$900.00\",Cy\n"
    )
    (folder / "data_dictionary.csv").write_text("Table,Field,Description\nsales_pipeline,Deal ID,Deal identifier\n")
    (folder / "README.txt").write_text("Exported from the CRM on 2025-03-01.\n")


_RAW_MAPPING = {
    "files": {"opportunities": "sales_pipeline.csv"},
    "columns": {"opportunities": {"Deal ID": "opportunity_id", "Stage": "status", "Opened": "created_at",
                                  "Closed": "closed_at", "Value": "amount", "Agent": "owner_name"}},
    "values": {"opportunities": {"status": {"Closed Won": "won", "Closed Lost": "lost", "Prospecting": "open",
                                            "Engaging": "open"}}},
}


def test_bundle_json_with_columns_values_and_files_reads_a_raw_export(tmp_path: Path):
    folder = _folder(tmp_path)
    _raw_crm_export(folder)
    (folder / "bundle.json").write_text(json.dumps({"timezone": "Europe/Berlin", "currency": "EUR", **_RAW_MAPPING}, indent=2))
    with pytest.warns(sm.DataQualityWarning, match=r"read_dir ignored data_dictionary\.csv") as record:
        data = sm.read_dir(folder)
    assert not any("README" in str(w.message) for w in record)  # documentation is skipped without a word
    opps = data.opportunities
    assert opps["opportunity_id"].tolist() == ["D-0001", "D-0002", "D-0003", "D-0004"]
    assert opps["status"].tolist() == ["won", "lost", "open", "open"]
    assert opps["amount"].tolist()[:2] == [12000.0, 3500.0] and pd.isna(opps["amount"].iloc[2])
    assert opps["owner_name"].tolist() == ["Ann", "Bob", "Ann", "Cy"]  # extra columns pass through
    assert str(opps["created_at"].dtype) == "datetime64[ns, Europe/Berlin]" and data.currency == "EUR"
    # explicit arguments win over bundle.json
    columns = {"opportunities": {**_RAW_MAPPING["columns"]["opportunities"], "Agent": "rep_name"}}
    with pytest.warns(sm.DataQualityWarning):
        utc = sm.read_dir(folder, timezone="UTC", columns=columns)
    assert utc.timezone == "UTC" and utc.currency == "EUR"
    assert "rep_name" in utc.opportunities and "owner_name" not in utc.opportunities
    # the flat forms do the same for every table with the column
    (folder / "bundle.json").unlink()
    with pytest.warns(sm.DataQualityWarning):
        flat = sm.read_dir(folder, files=_RAW_MAPPING["files"], columns=_RAW_MAPPING["columns"]["opportunities"],
                           values=_RAW_MAPPING["values"]["opportunities"])
    assert flat.opportunities["status"].tolist() == ["won", "lost", "open", "open"]


def test_bundle_json_settings_apply_and_quarantine_from_it(tmp_path: Path):
    folder = _folder(tmp_path)
    _raw_crm_export(folder)
    with open(folder / "sales_pipeline.csv", "a") as fh:
        fh.write("D-0005,On hold,2025-02-04,,100,Ann\n")  # a stage the mapping does not know
    (folder / "bundle.json").write_text(json.dumps({"on_invalid": "quarantine", **_RAW_MAPPING}))
    with pytest.warns(sm.DataQualityWarning):
        data = sm.read_dir(folder)
    assert len(data.opportunities) == 4
    assert data.quarantine["opportunities"]["status"].tolist() == ["On hold"]
    with pytest.raises(sm.InputValidationError, match="allowed_values"), warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        sm.read_dir(folder, on_invalid="raise")


def test_bundle_json_with_an_unknown_key_or_bad_json_is_named(tmp_path: Path):
    folder = _folder(tmp_path)
    (folder / "accounts.csv").write_text("account_id\na1\n")
    (folder / "bundle.json").write_text(json.dumps({"timezone": "UTC", "column": {"Org ID": "account_id"}}))
    with pytest.raises(ValueError, match="unknown key") as info:
        sm.read_dir(folder)
    message = str(info.value)
    assert "'column'" in message and "did you mean 'columns'" in message
    assert all(key in message for key in ("timezone", "currency", "fiscal_year_start", "dayfirst", "on_invalid", "values", "files"))
    (folder / "bundle.json").write_text('{\n  "timezone": "UTC",\n  "currency": "EUR",\n}\n')
    with pytest.raises(ValueError, match=r"bundle\.json is not valid JSON: .* at line [34]"):  # 3.13 names the comma's line
        sm.read_dir(folder)
    (folder / "bundle.json").write_text('{"fiscal_year_start": "July"}')
    with pytest.raises(ValueError, match=r"'fiscal_year_start' must be a month number"):
        sm.read_dir(folder)
    (folder / "bundle.json").write_text('{"on_invalid": "skip"}')
    with pytest.raises(ValueError, match="'on_invalid' must be"):
        sm.read_dir(folder)


def test_mapping_mistakes_are_named(tmp_path: Path):
    folder = _folder(tmp_path)
    _raw_crm_export(folder)
    with pytest.raises(FileNotFoundError, match=r"'sales-pipeline\.csv'.*did you mean 'sales_pipeline\.csv'"):
        sm.read_dir(folder, files={"opportunities": "sales-pipeline.csv"})
    with pytest.raises(ValueError, match="'deals', which is not a table"):
        sm.read_dir(folder, files={"deals": "sales_pipeline.csv"})
    with pytest.raises(ValueError, match=r"'Deal Id', which no table read has \(did you mean 'Deal ID'\?\)"), warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        sm.read_dir(folder, files=_RAW_MAPPING["files"], columns={"Deal Id": "opportunity_id"})
    with pytest.raises(ValueError, match=r"values= names column 'Stage'.*after renaming"), warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.DataQualityWarning)
        sm.read_dir(folder, files=_RAW_MAPPING["files"], columns=_RAW_MAPPING["columns"], values={"Stage": {"Closed Won": "won"}})


# -- conform: the same mappings, and quarantine ---------------------------------------------------------------


def test_conform_takes_the_per_table_mappings_of_read_dir():
    raw = pd.DataFrame({"Deal ID": ["D-1", "D-2"], "Stage": ["Closed Won", "Engaging"], "Opened": ["2025-01-02", "2025-01-03"],
                        "Closed": ["2025-01-20", None], "Value": ["$1,000.00", "$50.00"], "Agent": ["Ann", "Bob"]})
    opps = sm.conform(raw, "opportunities", columns=_RAW_MAPPING["columns"], values=_RAW_MAPPING["values"])
    assert opps["status"].tolist() == ["won", "open"] and opps["amount"].tolist() == [1000.0, 50.0]


def test_conform_quarantine_keeps_valid_rows_and_attaches_the_others():
    raw = pd.DataFrame({
        "Deal": ["o1", "o2", "o3", "o4", "o5"],
        "created_at": ["2025-01-02", "2025-01-03", "not a date", "2025-01-05", "2025-01-06"],
        "status": ["won", "open", "open", "won", "lost"],
        "closed_at": ["2025-02-01", None, None, "2024-12-01", "2025-02-01"],  # o4 closes before it opens
        "amount": ["100", "-5", "10", "20", "30"],  # o2 is negative
    })
    with pytest.warns(sm.DataQualityWarning, match=r"conform set aside 3 of 5 rows of opportunities: top reasons") as record:
        kept = sm.conform(raw, "opportunities", columns={"Deal": "opportunity_id"}, on_invalid="quarantine")
    (warning,) = [w for w in record if "conform set aside" in str(w.message)]
    assert "amount: not_negative (1 row)" in str(warning.message)
    held = kept.attrs["salesmetrics.quarantine"].rows
    assert kept["opportunity_id"].tolist() == ["o1", "o5"]
    assert held["row"].tolist() == [1, 2, 3]
    assert len(kept) + len(held) == len(raw)
    assert sorted(set(held["row"]) | {0, 4}) == list(range(len(raw)))
    assert list(held.columns) == ["row", "opportunity_id", "created_at", "status", "closed_at", "amount", "reason"]
    assert held["amount"].tolist() == ["-5", "10", "20"] and held["created_at"].iloc[1] == "not a date"  # as given
    reasons = dict(zip(held["opportunity_id"], held["reason"], strict=True))
    assert reasons["o2"] == "amount: not_negative"
    assert reasons["o3"] == "created_at: timestamp"
    assert reasons["o4"] == "closed_at: closed_not_before_created"
    # the kept rows are valid on their own, and raise mode still raises, pointing at quarantine
    assert len(sm.conform(kept, "opportunities")) == 2
    with pytest.raises(sm.InputValidationError, match="on_invalid='quarantine'"):
        sm.conform(raw, "opportunities", columns={"Deal": "opportunity_id"})
    # a user's own "row" and "reason" columns pass through; the bookkeeping ones step aside
    own = raw.rename(columns={"Deal": "opportunity_id"}).assign(row=["x"] * 5, reason=["y"] * 5)
    with pytest.warns(sm.DataQualityWarning):
        mine = sm.conform(own, "opportunities", on_invalid="quarantine").attrs["salesmetrics.quarantine"].rows
    assert mine["row"].tolist() == ["x"] * 3 and mine["quarantine_row"].tolist() == [1, 2, 3] and "quarantine_reason" in mine
    # the carried rows reach SalesData's quarantine, numbered in the export; pandas can still concatenate
    with pytest.warns(sm.DataQualityWarning):
        data = sm.SalesData(opportunities=kept, on_invalid="quarantine")
    assert data.quarantine["opportunities"]["row"].tolist() == [1, 2, 3]
    assert len(pd.concat([kept, kept.copy()])) == 4


def test_conform_quarantine_still_raises_for_a_missing_required_column():
    raw = pd.DataFrame({"opportunity_id": ["o1"], "status": ["open"]})
    with pytest.raises(sm.InputValidationError, match="created_at"):
        sm.conform(raw, "opportunities", on_invalid="quarantine")
    with pytest.raises(ValueError, match="on_invalid must be"):
        sm.conform(raw, "opportunities", on_invalid="drop")  # type: ignore[arg-type]
