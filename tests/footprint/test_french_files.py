"""The one reader of French office files (footprint.io.tabular) and its writers: every row read or
the file refused with its line, and no text that a spreadsheet would run as a formula."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from core.errors import InputError
from footprint.io.cells import neutralise, parse_number
from footprint.io.tabular import display_name, read_table
from footprint.io.writing import csv_bytes, xlsx_bytes

HEADER = "annee;service;requetes\n"


def _refusal(source, **options) -> InputError:
    with pytest.raises(InputError) as caught:
        read_table(source, **options)
    return caught.value


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_dimension(data: bytes, ref: str) -> bytes:
    """The same workbook whose <dimension> claims only ``ref`` (as some generators write it)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), content)
            target.writestr(info, content)
    return out.getvalue()


def test_an_xlsx_whose_dimension_understates_its_rows_is_read_whole():
    rows = [["annee", "service"]] + [[2025, f"S{i}"] for i in range(10)]
    table = read_table(_with_dimension(_xlsx(rows), "A1:B3"), name="court.xlsx")
    assert [cells[1] for _, cells in table.rows] == [f"S{i}" for i in range(10)]
    assert [line for line, _ in table.rows] == list(range(2, 12))


def test_an_unterminated_quote_is_refused_with_its_line_instead_of_swallowing_rows():
    text = HEADER + '2025;"DRH;10\n2025;DSI;20\n2025;DGS;30\n'
    error = _refusal(text.encode(), name="guillemet.csv")
    assert error.problems[0].line == 2 and "guillemet" in str(error)
    middle = HEADER + '2025;"DRH;10\n2025;DSI;20\n2025;"DGS";30\n'
    assert _refusal(middle.encode(), name="guillemet.csv").problems[0].line == 2


def test_a_quoted_cell_on_several_lines_is_still_one_cell():
    table = read_table((HEADER + '2025;"Direction\ndes finances";10\n2025;DSI;20\n').encode(), name="ok.csv")
    assert [cells[1] for _, cells in table.rows] == ["Direction\ndes finances", "DSI"]
    assert [line for line, _ in table.rows] == [2, 4]


def test_one_windows_1252_line_in_a_utf8_file_is_refused_with_its_line():
    data = (HEADER + "2025;Élus;10\n").encode("utf-8") + "2025;Réseau;20\n".encode("cp1252")
    error = _refusal(data, name="melange.csv")
    assert error.problems[0].line == 3 and "encodage mélangé" in str(error)


def test_a_whole_windows_1252_file_and_a_utf16_file_are_read():
    text = HEADER + "2025;Déchets et propreté;1 234,5\n"
    for data in (text.encode("cp1252"), text.encode("utf-16")):
        [(line, cells)] = read_table(data, name="f.csv").rows
        assert line == 2 and cells[1] == "Déchets et propreté"


def test_control_characters_are_refused_on_the_way_in_with_line_and_column():
    error = _refusal((HEADER + "2025;\x01=HYPERLINK(1);10\n").encode(), name="ctl.csv")
    assert error.problems[0].line == 2 and error.problems[0].column == "service"
    # XLSX writes a control character as an _xHHHH_ escape (ECMA-376 Part 1, 22.9.2.19 ST_Xstring).
    data = _xlsx([["annee", "service"], [2025, "PLACEHOLDER@SUM(1)"]])
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename).replace(b"PLACEHOLDER", b"_x0002_"))
    assert _refusal(out.getvalue(), name="ctl.xlsx").problems[0].line == 2


def test_a_semicolon_file_writes_decimals_with_a_comma():
    table = read_table((HEADER + "2025;DRH;1,234\n").encode(), name="f.csv")
    assert table.decimal == "," and parse_number(table.rows[0][1][2], table.decimal) == pytest.approx(1.234)
    with pytest.raises(ValueError, match="ambiguë"):
        parse_number("1,234")
    with pytest.raises(ValueError, match="ambiguë"):
        parse_number("1.234", ",")


@pytest.mark.parametrize("text", ["1e400", "-1e999", "inf", "nan"])
def test_numbers_a_float_cannot_hold_are_refused(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_spreadsheets_beyond_the_row_limit_are_refused_saying_the_limit():
    rows = [["annee", "service"]] + [[2025, f"S{i}"] for i in range(30)]
    error = _refusal(_xlsx(rows), name="long.xlsx", max_rows=20, what="fichier de déclarations")
    assert "20" in str(error) and "limite" in str(error)
    error = _refusal(("annee;service\n" + "2025;S\n" * 30).encode(), name="long.csv", max_rows=20)
    assert "limite" in str(error)


def test_an_upload_name_is_only_ever_a_name():
    assert display_name("../../emission_factors/x.csv") == "x.csv"
    assert display_name("..\\..\\y.csv") == "y.csv"
    assert display_name("/etc/passwd") == "passwd"
    assert display_name("a\x00b\nc.csv") == "ab c.csv"


PAYLOADS = ["=HYPERLINK(\"http://evil.example\")", "\x01=1+1", "\t=1+1", "\r=1+1", " =1+1", "\u00a0+1",
            "\uff1dSUM(1)", "\uff0b1", "\uff0d1", "\uff20SUM(1)", "@SUM(1)", "-2+3", "\x02\x03+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_writer_neutralises_formulas_hidden_behind_control_characters_and_blanks(payload):
    safe = neutralise(payload)
    assert safe.startswith("'") and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", safe)
    text = csv_bytes(["texte"], [[payload]]).decode("utf-8-sig").splitlines()[1]
    assert text.lstrip('"').startswith("'")
    workbook = load_workbook(io.BytesIO(xlsx_bytes({"Feuille": (["texte"], [[payload]])})))
    cell = workbook["Feuille"]["A2"]
    assert cell.data_type == "s" and str(cell.value).startswith("'")


def test_neutralised_text_reads_back_as_it_was_written():
    values = ["=SOMME(A1)", "'déjà cité", "+33 1 23", "texte ordinaire", "\uff1dx"]
    data = csv_bytes(["texte"], [[v] for v in values])
    assert [cells[0] for _, cells in read_table(data, name="aller-retour.csv").rows] == values


def _cells(data: bytes, name: str) -> list[str]:
    """Every text cell of a written CSV or of every sheet of an XLSX, as a spreadsheet reads it."""
    if name.endswith(".xlsx"):
        workbook = load_workbook(io.BytesIO(data))
        return [c.value for sheet in workbook for row in sheet.iter_rows() for c in row
                if isinstance(c.value, str) or c.data_type == "f"]
    import csv

    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]


def test_no_export_path_writes_a_live_formula_whatever_the_store_holds(tmp_path, factors):
    """Payloads reach the store through every door (a log's service, an emissions file's project,
    a declaration's comment): written straight into it here, each export must still be inert."""
    import pandas as pd

    from footprint.inventory import compute_inventory
    from footprint.inventory.declarations import export_declarations
    from footprint.reporting import render
    from footprint.store import Store
    from scenarios.definitions import built_in_scenarios
    from scenarios.pcaet import build_export

    store = Store(tmp_path / "s.duckdb")
    rows = [{"year": 2025, "service": payload, "use_case": "redaction_courrier", "kind": "llm", "provider": "openai",
             "model": "gpt-4o", "requests": 1000.0, "output_tokens_per_request": 300.0, "comment": payload,
             "owner": payload} for payload in PAYLOADS]
    store.save(pd.DataFrame(rows))
    declarations = store.declarations()
    files = {}
    for suffix in ("csv", "xlsx"):
        path = export_declarations(declarations, tmp_path / f"declarations.{suffix}")
        files[path.name] = path.read_bytes()
        export = build_export(compute_inventory(store, factors, 2025), built_in_scenarios(), factors,
                              PAYLOADS[0], "2026-01-15")
        files |= {p.name: data for p, data in render(export, tmp_path / f"pcaet.{suffix}", suffix).items()
                  if p.suffix in (".csv", ".xlsx")}
    assert len(files) >= 6
    for name, data in files.items():
        for cell in _cells(data, name):
            plain = re.sub(r"^[\s\u200b-\u200d\u2060\ufeff]*", "", re.sub(r"[\x00-\x1f\x7f]", "", str(cell)))
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", str(cell)), (name, cell)
            if re.fullmatch(r"-?\d+(,\d+)?(e-?\d+)?", plain):
                continue  # a number written as a number (a negative one starts with its sign)
            assert not plain or plain[0] not in "=+-@\uff1d\uff0b\uff0d\uff20" or str(cell).startswith("'"), (
                name, cell)


# -- found by trying to break the readers ------------------------------------------------------


def test_a_quote_left_open_is_refused_whatever_the_line_breaks_and_the_row_lengths():
    cr_only = 'annee;service;type\r2025;"DRH;llm\r2025;DSI;llm\r2025;Culture";llm\r'
    short_rows = 'annee;service;type;commentaire\n2025;DRH;llm;"note\n2025;DSI\n2025;DGS\nfin"\n'
    for text in (cr_only, short_rows):
        assert "guillemet" in str(_refusal(text.encode(), name="quote.csv"))


def test_characters_xml_cannot_hold_and_c1_controls_are_refused_on_the_way_in():
    for bad in ("\uffff", "\ufffe", "\x9b"):
        error = _refusal((HEADER + f"2025;DRH{bad};10\n").encode(), name="f.csv")
        assert error.problems[0].line == 2 and "contrôle" in str(error)


@pytest.mark.parametrize("invisible", ["\u009b", "\u200e", "\u202e", "\u2066", "\u061c", "\u00ad", "\u180e",
                                       "\u2061", "\u034f", "\u115f", "\u3164", "\uffa0"])
def test_a_formula_behind_an_invisible_character_is_neutralised(invisible):
    assert neutralise(f"{invisible}=1+1").startswith("'")


def test_a_cell_longer_than_a_spreadsheet_holds_is_refused_saying_so():
    error = _refusal((HEADER + "2025;" + "x" * 140_000 + ";1\n").encode(), name="long.csv")
    assert "cellule trop longue" in str(error) and error.problems[0].line == 2


def test_a_formula_without_its_value_and_a_formula_error_are_refused_with_their_cell():
    for formula, fragment in (("=400*10", "formule sans valeur calculée"), ("=1/0", "B2")):
        data = _xlsx([["annee", "requetes"], [2025, formula]])
        if formula == "=1/0":  # as a spreadsheet saves it: the error as the cell's value
            data = _rewrite(data, b'<c r="B2"><f>1/0</f><v></v></c>', b'<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
        error = _refusal(data, name="formules.xlsx")
        assert fragment in str(error) and error.problems[0].line == 2


def test_a_sheet_whose_header_is_not_on_the_first_row_is_read_with_the_right_lines():
    workbook = Workbook()
    workbook.active["B3"], workbook.active["C3"], workbook.active["B4"], workbook.active["C4"] = (
        "annee", "service", 2025, "DRH")
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), name="decale.xlsx")
    assert table.header == ["annee", "service"] and table.rows == [(4, [2025.0, "DRH"])]


@pytest.mark.parametrize("digits", ["١٢٣", "１２３", "𝟏𝟐𝟑"])
def test_digits_of_other_scripts_are_not_numbers(digits):
    with pytest.raises(ValueError):
        parse_number(digits)


def _rewrite(data: bytes, old: bytes, new: bytes) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, content.replace(old, new) if info.filename.startswith("xl/worksheets/") else content)
    return out.getvalue()
