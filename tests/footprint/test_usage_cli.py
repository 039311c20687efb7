"""``python -m footprint usage import|formats`` as a DSI runs it: an admin export with a user ->
service file (the Microsoft Graph Copilot CSV of period D30, as documented at
https://learn.microsoft.com/en-us/graph/api/reportroot-getmicrosoft365copilotusageuserdetail),
the formats said in French, and the lists of formats the same as the library's."""

import hashlib
import subprocess
import sys
from pathlib import Path

from footprint.store import Store

ROOT = Path(__file__).resolve().parents[2]
HEADER = ("Report Refresh Date,Report Period,User Principal Name,Display Name,Last Activity Date,Microsoft Teams "
          "Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint "
          "Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop "
          "Copilot Last Activity Date,Copilot Chat Last Activity Date")


def _run(*args: str):
    return subprocess.run([sys.executable, "-m", "footprint", *args], capture_output=True, text=True, cwd=ROOT)


def _files(tmp_path, users: dict[str, str], anonymised: bool):
    """A Graph D30 Copilot report of ``users`` (user -> service), each active on 10 June, names
    anonymised (MD5, upper case) or shown, and the user -> service file of the same users."""
    shown = {u: hashlib.md5(u.encode()).hexdigest().upper() if anonymised else u for u in users}
    report = tmp_path / "copilot.csv"
    report.write_text("\n".join([HEADER, *(f"2025-06-30,30,{shown[u]},{shown[u]},2025-06-10,,2025-06-10,,,,,,"
                                           for u in users)]) + "\n", encoding="utf-8")
    mapping = tmp_path / "services.csv"
    mapping.write_text("utilisateur,service\n" + "".join(f"{u},{s}\n" for u, s in users.items()), encoding="utf-8")
    return report, mapping


def test_the_command_lines_formats_are_the_librarys():
    from cli.usage import ADMIN_PRESETS, LOG_PRESETS
    from footprint.inventory.admin_exports import ADMIN_PRESETS as ADMIN
    from footprint.inventory.usage_logs import PRESETS

    assert set(LOG_PRESETS) == set(PRESETS) and set(ADMIN_PRESETS) == set(ADMIN)
    said = _run("usage", "formats")
    assert said.returncode == 0 and all(f"{name} : " in said.stdout for name in (*LOG_PRESETS, *ADMIN_PRESETS))


def test_a_copilot_report_is_imported_by_service_with_a_mapping_that_is_not_kept(tmp_path):
    users = {"alice@agglo.fr": "DRH", "bruno@agglo.fr": "DRH", "chloe@agglo.fr": "Culture"}
    report, mapping = _files(tmp_path, users, anonymised=True)
    db = tmp_path / "s.duckdb"
    done = _run("usage", "import", str(report), "--preset", "m365-copilot", "--user-services", str(mapping),
                "--db", str(db), "--create")
    assert done.returncode == 0, done.stderr
    assert "3 utilisateur(s) actif(s) sur 3, en 2 déclaration(s)" in done.stdout
    stored = Store(db).declarations().set_index("service")
    assert stored.at["DRH", "users"] == 2 and stored.at["Culture", "users"] == 1
    assert (stored["product"] == "m365_copilot").all()
    again = _run("usage", "import", str(report), "--preset", "m365-copilot", "--user-services", str(mapping),
                 "--db", str(db))
    assert again.returncode == 0 and len(Store(db).declarations()) == 2
    missing = _run("usage", "import", str(report), "--preset", "m365-copilot", "--user-services",
                   str(tmp_path / "absent.csv"), "--db", str(db))
    assert missing.returncode == 2 and "fichier introuvable" in missing.stderr


def test_the_same_report_imported_again_with_another_mapping_replaces_the_first_import(tmp_path):
    users = {"alice@agglo.fr": "DRH", "bruno@agglo.fr": "Culture"}
    report, mapping = _files(tmp_path, users, anonymised=False)
    db = tmp_path / "s.duckdb"
    first = _run("usage", "import", str(report), "--preset", "m365-copilot", "--user-services", str(mapping),
                 "--db", str(db), "--create")
    assert first.returncode == 0, first.stderr
    again = _run("usage", "import", str(report), "--preset", "m365-copilot", "--service", "DSI", "--db", str(db))
    assert again.returncode == 0 and "2 remplacée(s)" in again.stdout, again.stdout + again.stderr
    store = Store(db)
    active = store.declarations()
    assert active["service"].tolist() == ["DSI"] and active["users"].tolist() == [2.0]
    # The first import stays in the history, marked deleted: nothing counts twice, nothing is lost.
    assert sorted(store.declarations(include_deleted=True)["service"]) == ["Culture", "DRH", "DSI"]
