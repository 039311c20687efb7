"""The printable report, on the example inventory (the dashboard's first start, loaded through the
same import paths as a user's files) with a collectivité's profile, in a real store: the PDF opens,
holds 2 to 4 pages with its charts as real images, says the year's figures per agent, the verdict
in words, a recommendation and its sources; a service whose name looks like markup is printed as
those characters; the same inputs give the same bytes; the command line writes the file and never
replaces one without ``--force``; the REEN paragraph appears from the law's threshold of
inhabitants on; and neither the command line nor the dashboard imports the PDF libraries at start."""

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from cli.main import main
from dashboard.example import create_example
from footprint.factors import FactorBase
from footprint.inventory import compute_inventory
from footprint.inventory.authority import check_profile, profile_of
from footprint.inventory.declarations import read_declarations
from footprint.store import Store
from scenarios.definitions import available, built_in_scenarios
from scenarios.recommendations import recommend
from scenarios.report import REEN_THRESHOLD, build_report
from scenarios.verdict import VERDICTS

ROOT = Path(__file__).resolve().parents[2]
DATE = "2026-03-15"
HOSTILE = "<b>x</b> & <font size=40>"
FORMULA = '=HYPERLINK("https://exemple.invalid","clic")'
PROFILE = {"nom": "Communauté d'agglomération du Val-Fictif", "population": "102 000", "agents": "1 450",
           "beges_tco2e": "18 500", "annee_beges": "2024"}


def _hostile_declarations(folder: Path) -> Path:
    """Two declarations whose services look like markup and like a spreadsheet formula, in the
    layout of ``examples/inventaire-exemple.csv`` (the documented file format: README, « Déclarer
    des usages »): its header, then its « traduction » row with the service replaced."""
    lines = list(csv.reader((ROOT / "examples" / "inventaire-exemple.csv").read_text(encoding="utf-8-sig")
                            .splitlines(), delimiter=";"))
    header, row = lines[0], next(line for line in lines if "traduction" in line)
    service = header.index("service")
    path = folder / "services-hostiles.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(header)
        for name in (HOSTILE, FORMULA):
            writer.writerow(row[:service] + [name] + row[service + 1:])
    return path


@pytest.fixture(scope="module")
def store(factors, tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("rapport")
    held = Store(folder / "footprint.duckdb", create=True)
    create_example(held, factors)
    held.save(read_declarations(_hostile_declarations(folder), factors))
    held.save_authority_profile(check_profile(PROFILE).values())
    return held


@pytest.fixture(scope="module")
def inventory(store, factors):
    return compute_inventory(store, factors, 2025)


@pytest.fixture(scope="module")
def pdf(store, inventory, factors) -> bytes:
    return build_report(inventory, list(available(store).values()), factors, profile_of(store.authority_profile()),
                        DATE)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _flat(text: str) -> str:
    """Text without its white space (a table cell wraps long names anywhere)."""
    return re.sub(r"\s+", "", text)


def test_the_report_has_two_to_four_pages_and_its_charts_as_images(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-")
    assert 2 <= len(reader.pages) <= 4
    assert sum(len(page.images) for page in reader.pages) >= 2
    assert reader.metadata.title == "L'empreinte environnementale de l'IA en 2025"
    assert reader.metadata.creation_date.strftime("%Y-%m-%d") == DATE
    assert f"page 1 sur {len(reader.pages)}" in reader.pages[0].extract_text()


def test_the_report_says_the_figures_the_verdict_a_recommendation_and_the_sources(pdf, inventory, factors):
    text = _text(pdf)
    assert "L'empreinte environnementale de l'IA en 2025" in text
    assert "15 mars 2026" in text
    assert "par agent" in text and "Par habitant" in text and "Part du BEGES 2024" in text
    assert "kgCO2e (de " in text  # a range, in a unit that reads well
    assert "Répartition par service" in text and "Rédaction d'un courrier ou d'une note" in text
    assert "redaction_courrier" not in text  # labels, not codes
    assert "Trajectoires et objectif" in text and "rythme de la SNBC" in text
    assert any(verdict in text.lower() for verdict in VERDICTS)
    best = max((r for r in recommend(inventory, factors) if r.gwp_saved_kgco2e > 0),
               key=lambda r: r.gwp_saved_kgco2e)
    assert _flat(best.action) in _flat(text)
    assert "Méthode et limites" in text
    assert "Sources" in text and factors.version in text and "ADEME Base Empreinte" in text
    assert "évite -" not in text and "Évite\n-" not in text


def test_a_service_named_like_markup_or_a_formula_is_printed_as_text(pdf):
    flat = _flat(_text(pdf))
    assert _flat(HOSTILE) in flat
    assert _flat(FORMULA) in flat


def test_the_same_inputs_give_the_same_bytes(pdf, store, inventory, factors):
    again = build_report(inventory, list(available(store).values()), factors, profile_of(store.authority_profile()),
                         DATE)
    assert again == pdf


def test_without_scenarios_or_profile_the_report_says_what_is_missing(inventory, factors):
    data = build_report(inventory, [], factors, None, DATE)
    text = _text(data)
    assert 2 <= len(PdfReader(io.BytesIO(data)).pages) <= 4
    assert "profil de la collectivité" in text and "n'est pas renseigné" in text
    assert "Trajectoires et objectif" not in text and "Aucun scénario" in text


def _cli(*arguments: str) -> int:
    return main(["export", "rapport", *arguments])


def test_the_command_line_writes_the_report_and_never_replaces_it_without_force(store, tmp_path, capsys):
    out = tmp_path / "rapport-ia-2025.pdf"
    common = ["--year", "2025", "--db", str(store.path), "--export-date", DATE, "--scenarios", "sobre"]
    assert _cli(*common, "--out", str(out)) == 0
    written = out.read_bytes()
    assert 2 <= len(PdfReader(io.BytesIO(written)).pages) <= 4
    assert "Rapport 2025" in capsys.readouterr().out
    assert _cli("--db", str(store.path), "--scenarios", "none", "--out", str(out)) == 2
    assert "existe" in capsys.readouterr().err
    assert out.read_bytes() == written
    assert _cli(*common, "--out", str(out), "--force", "--objectif-baisse-pct", "40", "--annee-objectif", "2030") == 0
    assert "objectif PCAET : −40 % en 2030 par rapport à 2025" in _text(out.read_bytes())


def test_the_command_line_refuses_a_target_out_of_bounds_and_writes_nothing(store, tmp_path, capsys):
    out = tmp_path / "rapport.pdf"
    code = _cli("--db", str(store.path), "--out", str(out), "--objectif-baisse-pct", "120", "--annee-objectif",
                "2030")
    assert code == 2
    assert "--objectif-baisse-pct" in capsys.readouterr().err
    assert not out.exists()


def test_the_command_line_writes_no_report_through_a_link(store, tmp_path):
    target = tmp_path / "ailleurs.pdf"
    link = tmp_path / "rapport.pdf"
    link.symlink_to(target)
    assert _cli("--db", str(store.path), "--out", str(link), "--scenarios", "none", "--force") == 2
    assert not target.exists()


def _factors_with_reen_threshold(folder: Path) -> FactorBase:
    """The factor base with the REEN threshold as a row of ``constants.csv`` declared in
    ``schema.toml`` [tables.constants.parameters] (the format of the factor base: README,
    « Base de facteurs »), loaded from a copy."""
    copy = folder / "emission_factors"
    shutil.copytree(ROOT / "emission_factors", copy, ignore=shutil.ignore_patterns("__pycache__"))
    schema = (copy / "schema.toml").read_text(encoding="utf-8")
    if REEN_THRESHOLD not in schema:
        anchor = "[tables.equivalences]"
        schema = schema.replace(anchor, f'{REEN_THRESHOLD} = {{ unit = "dimensionless", min = 1.0, max = 1e8, '
                                        'label = "Loi REEN : population à partir de laquelle une stratégie numérique '
                                        'responsable est due", physical = "non_negative" }\n\n' + anchor, 1)
        (copy / "schema.toml").write_text(schema, encoding="utf-8")
    constants = (copy / "constants.csv").read_text(encoding="utf-8")
    if REEN_THRESHOLD not in constants:
        (copy / "constants.csv").write_text(constants.rstrip("\n") + "\n" + (
            f'{REEN_THRESHOLD},50000,dimensionless,2021,"Loi n° 2021-1485 du 15 novembre 2021 visant à réduire '
            "l'empreinte environnementale du numérique en France (REEN), article 35 : communes et EPCI à fiscalité "
            'propre de plus de 50 000 habitants",https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000044327272,'
            "stratégie numérique responsable\n"), encoding="utf-8")
    return FactorBase.load(copy)


def test_from_the_reen_threshold_on_the_first_page_says_the_report_serves_the_strategy(inventory, tmp_path):
    factors = _factors_with_reen_threshold(tmp_path)
    large = check_profile(PROFILE)
    small = check_profile(PROFILE | {"population": "49 999"})
    first = PdfReader(io.BytesIO(build_report(inventory, [], factors, large, DATE))).pages[0].extract_text()
    assert _flat("stratégie numérique responsable") in _flat(first) and "REEN" in first
    data = build_report(inventory, [], factors, small, DATE)
    assert "REEN" not in _text(data)
    assert 2 <= len(PdfReader(io.BytesIO(build_report(inventory, built_in_scenarios(), factors,
                                                     large, DATE))).pages) <= 4


@pytest.mark.parametrize("module", ["cli.main", "dashboard.state"])
def test_the_pdf_libraries_are_not_imported_at_start(module):
    code = (f"import sys, {module}; heavy = [m for m in ('reportlab', 'matplotlib', 'pypdf') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
