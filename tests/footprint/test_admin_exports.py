"""Admin exports of AI products (Microsoft 365 Copilot, ChatGPT Enterprise, Le Chat) imported as
declarations aggregated by service, with a real store and the real factor base; no person kept.

Each file below is built exactly in its documented format:
- Microsoft 365 admin center, Copilot usage report (user table, older and newer columns):
  https://learn.microsoft.com/microsoft-365/admin/activity-reports/microsoft-365-copilot-usage
- Microsoft Graph, getMicrosoft365CopilotUsageUserDetail, CSV v1 (« The CSV file has the following
  headers for columns », anonymised names in MD5 hex as in its example):
  https://learn.microsoft.com/graph/api/reportroot-getmicrosoft365copilotusageuserdetail?view=graph-rest-beta
- Microsoft Graph, copilotReportRoot getMicrosoft365CopilotUsageUserDetail, version v2 (prompt
  counts, active usage days, D28):
  https://learn.microsoft.com/microsoft-365/copilot/extensibility/api/admin-settings/reports/copilotreportroot-getmicrosoft365copilotusageuserdetail
- ChatGPT Enterprise workspace analytics, user engagement export (weekly or monthly CSV):
  https://help.openai.com/en/articles/10875114-user-analytics-for-chatgpt-enterprise-and-edu ; OpenAI
  does not publish its columns on a page: they are those of the glossary shipped with the export
  (``glossary_user_engagement.csv``: cadence, period_start, period_end, account_id, public_id, name,
  email, …, messages, messages_rank, gpt_messages, gpts_messaged, tool_messages, tools_messaged,
  last_day_active).
- Le Chat usage by user, Mistral AI's administration API (``data``, ``start_time``, ``end_time``):
  https://docs.mistral.ai/admin/admin-api/usage-metrics and
  https://docs.mistral.ai/api/endpoint/beta/admin/analytics
The people are made up; every expected figure is computed here from the file.
"""

import hashlib
import io
import json

import duckdb
import pandas as pd
import pytest

from core.errors import InputError
from footprint.inventory.admin_exports import (
    ADMIN_PRESETS,
    import_admin_export,
    read_admin_export,
    read_user_services,
    service_of,
)
from footprint.inventory.usage_logs.importing import NO_SERVICE
from footprint.io.writing import xlsx_bytes
from footprint.store import Store

PEOPLE = {  # e-mail -> (display name, public id of a ChatGPT workspace, user id of Le Chat)
    "alice.martin@ville-exemple.fr": ("Alice Martin", "user-Q7vZkw2AbhrcQNhQcUJMjb2G",
                                      "9c0ab39f-0cd0-46cd-bd30-8bf2d50be5ce"),
    "bruno.petit@ville-exemple.fr": ("Bruno Petit", "user-zh6GxU3O9WzQNzxXnk0Ywhc8",
                                     "3f2a1b7e-5d44-4c1e-9a0b-2c8d7e6f5a41"),
    "chloe.bernard@ville-exemple.fr": ("Chloé Bernard", "user-L8YZRVGgcSkiHJDSmSKIxlPg",
                                       "b81c0d2e-7f3a-4e59-8c6d-1a2b3c4d5e6f"),
    "david.moreau@ville-exemple.fr": ("David Moreau", "user-X36PjlyzWyNJ1OPQ2eKm4xlW",
                                      "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"),
    "emma.leroy@ville-exemple.fr": ("Emma Leroy", "user-npwv6ENPGuebtjxoJRrf4Plq",
                                    "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"),
}
ALICE, BRUNO, CHLOE, DAVID, EMMA = PEOPLE
# The DSI's mapping: David is in none (he goes to the default service).
MAPPING = ("utilisateur;service\n"
           f"{ALICE};DRH\n{BRUNO};DRH\n{CHLOE};Urbanisme\n{EMMA};Urbanisme\n")


def md5(text: str) -> str:
    """How an anonymised Microsoft 365 report writes a name: its MD5, in upper-case hex."""
    return hashlib.md5(text.encode()).hexdigest().upper()


def _path(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _by(declarations: pd.DataFrame, column: str) -> dict:
    return {(r.service, r.product): getattr(r, column) for r in declarations.itertuples(index=False)}


# -- Microsoft 365 Copilot ----------------------------------------------------------------------

GRAPH_V1_HEADER = ("Report Refresh Date,Report Period,User Principal Name,Display Name,Last Activity Date,Microsoft "
                   "Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,"
                   "PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last "
                   "Activity Date,Loop Copilot Last Activity Date,Copilot Chat Last Activity Date")


def graph_v1_d30(refresh: str = "2025-06-30") -> str:
    """A Graph v1 report for period D30, names anonymised (MD5 of the lower-case UPN)."""
    def row(email, last="", teams="", word="", outlook="", chat=""):
        display = PEOPLE[email][0]
        return f"{refresh},30,{md5(email)},{md5(display)},{last},{teams},{word},,,{outlook},,,{chat}"
    return "\n".join([
        GRAPH_V1_HEADER,
        row(ALICE, "2025-06-28", teams="2025-06-28", word="2025-06-02", chat="2025-06-15"),  # both products
        row(BRUNO, "2025-05-20", word="2025-05-20"),  # before the 30 days: not active
        row(CHLOE, "2025-06-01", outlook="2025-06-01"),  # the period's first day: active
        row(DAVID, "2025-06-30", chat="2025-06-30"),  # Copilot Chat only, in no service of the mapping
        row(EMMA),  # licensed, never used it
    ]) + "\n"


ADMIN_CENTER_NEW_HEADER = [
    "User name", "Display name", "Prompts submitted (any app)", "Copilot Chat (work) prompts submitted",
    "Copilot Chat (web) prompts submitted", "Active Days", "Last activity date (UTC)",
    "Last activity date of Teams Copilot (UTC)", "Last activity date of Word Copilot (UTC)",
    "Last activity date of Excel Copilot (UTC)", "Last activity date of PowerPoint Copilot (UTC)",
    "Last activity date of Outlook Copilot (UTC)", "Last activity date of OneNote Copilot (UTC)",
    "Last activity date of Loop Copilot (UTC)", "Last activity date of Copilot Chat (work) (UTC)",
    "Last activity date of Copilot Chat (web) (UTC)", "Last activity date of Microsoft 365 App (UTC)",
    "Last activity date of Microsoft Edge (UTC)", "Last activity date of any agent (UTC)"]
# (user, prompts any app, work, web, active days, last activity)
ADMIN_CENTER_NEW_ROWS = [(ALICE, 60, 20, 5, 10, "2025-06-27"), (BRUNO, 12, 12, 0, 4, "2025-06-20"),
                         (CHLOE, 0, 0, 0, 0, ""), (DAVID, 7, 0, 3, 2, "2025-06-25")]


def admin_center_with_prompts() -> str:
    """The admin center's newer user table, names shown, with prompt counts (no period column:
    the period is the one chosen on screen)."""
    lines = [",".join(ADMIN_CENTER_NEW_HEADER)]
    for email, any_app, work, web, days, last in ADMIN_CENTER_NEW_ROWS:
        dates = [last, last if any_app - work - web else "", "", "", "", "", "", "", last if work else "",
                 last if web else "", "", "", ""]
        lines.append(",".join([email, PEOPLE[email][0], str(any_app), str(work), str(web), str(days), *dates]))
    return "\n".join(lines) + "\n"


def test_graph_d30_report_counts_the_users_active_in_its_period_by_service_and_product(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    services = read_user_services(MAPPING.encode(), name="correspondance.csv")
    done = import_admin_export(_path(tmp_path, "copilot_d30.csv", graph_v1_d30()), store, factors, "m365-copilot",
                               services=services)
    # Anonymised names matched by the MD5 of the mapping's e-mails; Bruno's last activity is
    # before 2025-06-01, Emma has none: 3 active users, David in no service.
    assert _by(done.declarations, "users") == {("DRH", "m365_copilot"): 1, ("DRH", "m365_copilot_chat"): 1,
                                               ("Urbanisme", "m365_copilot"): 1,
                                               (NO_SERVICE, "m365_copilot_chat"): 1}
    assert done.declarations["messages"].isna().all() and done.declarations["days_per_year"].isna().all()
    assert (done.rows, done.users, done.active_users, done.unmapped_users) == (5, 5, 3, 1)
    assert done.period_days == 30 and done.end == pd.Timestamp("2025-06-30") and done.start == pd.Timestamp(
        "2025-06-01")
    assert done.level == "users" and done.year == 2025 and done.counts["created"] == 4
    saved = store.declarations()
    assert set(saved["kind"]) == {"llm"} and saved["provider"].isna().all() and saved["model"].isna().all()
    assert set(saved["origin"]) == {"admin:copilot_d30.csv"}
    assert saved["id"].str.fullmatch(r"A-2025-[0-9a-f]{8}").all()
    [comment] = saved.loc[saved["service"] == "Urbanisme", "comment"]
    assert "copilot_d30.csv" in comment and "du 01/06/2025 au 30/06/2025 (30 jours)" in comment
    assert "1 utilisateur actif" in comment
    [record] = store.imports().to_dict("records")
    assert record["kind"] == "admin:m365-copilot" and record["file_name"] == "copilot_d30.csv"
    assert record["file_sha256"] == hashlib.sha256(graph_v1_d30().encode()).hexdigest()


def test_admin_center_report_with_prompts_is_scaled_from_its_period_to_the_year(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    services = read_user_services(MAPPING.encode(), name="correspondance.csv")
    done = import_admin_export(admin_center_with_prompts().encode(), store, factors, "m365-copilot",
                               services=services, service="DSI", period_days=28, name="Copilot usage.csv")
    # Copilot Chat: work + web prompts; the applications (Word, Teams…): the rest of « any app ».
    # DRH: Alice 60 - 20 - 5 = 35 in the apps, 20 + 5 and Bruno's 12 in Chat; David (DSI): 4 and 3.
    assert _by(done.declarations, "messages") == pytest.approx({
        ("DRH", "m365_copilot"): 35 * 365 / 28, ("DRH", "m365_copilot_chat"): (25 + 12) * 365 / 28,
        ("DSI", "m365_copilot"): 4 * 365 / 28, ("DSI", "m365_copilot_chat"): 3 * 365 / 28})
    assert done.declarations["users"].isna().all() and done.level == "messages"
    assert done.scaling == pytest.approx(365 / 28) and done.end == pd.Timestamp("2025-06-27")
    assert any("dernière date d'activité" in note for note in done.notes)
    drh_chat = store.declarations().set_index(["service", "product"]).loc[("DRH", "m365_copilot_chat")]
    assert "37 invites" in drh_chat["comment"] and "× 365/28 pour l'année" in drh_chat["comment"]
    assert "2 utilisateurs actifs agrégés" in drh_chat["comment"]


def test_admin_center_report_without_its_period_is_refused_unless_it_is_given(factors):
    with pytest.raises(InputError) as caught:
        read_admin_export(admin_center_with_prompts().encode(), factors, "m365-copilot", name="usage.csv")
    [problem] = caught.value.problems
    assert problem.file == "usage.csv" and problem.column == "Report Period"
    assert "période de l'export inconnue" in problem.message


def test_older_anonymised_admin_center_report_without_chat_columns(factors):
    """The admin center's first user table (applications' last activity dates only), names in MD5."""
    header = ("User name,Display name,Last activity date (UTC),Last activity date of Teams Copilot (UTC),Last activity "
              "date of Word Copilot (UTC),Last activity date of Excel Copilot (UTC),Last activity date of PowerPoint "
              "Copilot (UTC),Last activity date of Outlook Copilot (UTC),Last activity date of OneNote Copilot (UTC),"
              "Last activity date of Loop Copilot (UTC)")
    rows = [f"{md5(ALICE)},{md5('Alice Martin')},2024-03-29,,2024-03-29,,,,,",
            f"{md5(BRUNO)},{md5('Bruno Petit')},2024-03-25,2024-03-25,,,,2024-03-20,,",
            f"{md5(CHLOE)},{md5('Chloé Bernard')},2024-03-01,,,2024-03-01,,,,"]  # before the 7 days
    export = read_admin_export(("\n".join([header, *rows]) + "\n").encode(), factors, "m365-copilot",
                               services=read_user_services(MAPPING.encode(), name="m.csv"), period_days=7,
                               name="rapport.csv")
    # The period ends on the file's latest date (2024-03-29): 7 days from 2024-03-23.
    assert export.start == pd.Timestamp("2024-03-23") and export.year == 2024
    assert _by(export.declarations, "users") == {("DRH", "m365_copilot"): 2}


def test_a_report_saved_again_by_french_excel_reads_the_same(factors):
    """Opened in a French Excel and saved as CSV: « ; » between cells, Windows-1252."""
    services = read_user_services(MAPPING.encode(), name="m.csv")
    original = read_admin_export(admin_center_with_prompts().encode(), factors, "m365-copilot", services=services,
                                 period_days=28, name="usage.csv")
    resaved = admin_center_with_prompts().replace(",", ";").encode("cp1252")
    french = read_admin_export(resaved, factors, "m365-copilot", services=services, period_days=28, name="usage.csv")
    assert _by(french.declarations, "messages") == _by(original.declarations, "messages")


def test_a_report_saved_as_a_workbook_with_date_and_number_cells(factors):
    from datetime import date

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(GRAPH_V1_HEADER.split(","))
    june = date(2025, 6, 30)
    sheet.append([june, 30, md5(ALICE), md5("Alice Martin"), date(2025, 6, 28), date(2025, 6, 28), None, None, None,
                  None, None, None, date(2025, 6, 15)])
    sheet.append([june, 30, md5(CHLOE), md5("Chloé Bernard"), date(2025, 5, 2), None, date(2025, 5, 2), None, None,
                  None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    export = read_admin_export(buffer.getvalue(), factors, "m365-copilot", name="copilot.xlsx",
                               services=read_user_services(MAPPING.encode(), name="m.csv"))
    assert _by(export.declarations, "users") == {("DRH", "m365_copilot"): 1, ("DRH", "m365_copilot_chat"): 1}
    assert export.end == pd.Timestamp("2025-06-30") and export.period_days == 30


def test_active_days_without_prompt_counts_give_the_days_of_use_scaled_to_the_year(factors):
    text = ("User name,Active Days,Last activity date of Word Copilot (UTC),Report Refresh Date,Report Period\n"
            f"{ALICE},6,2025-09-29,2025-09-30,30\n{BRUNO},3,2025-09-10,2025-09-30,30\n")
    export = read_admin_export(text.encode(), factors, "m365-copilot", name="r.csv",
                               services=read_user_services(MAPPING.encode(), name="m.csv"))
    [row] = export.declarations.to_dict("records")
    assert (row["service"], row["product"], row["users"]) == ("DRH", "m365_copilot", 2)
    assert row["days_per_year"] == pytest.approx((6 + 3) / 2 * 365 / 30)
    assert "4,50 jours d'activité par utilisateur, × 365/30 pour l'année" in row["comment"]


GRAPH_V2_HEADER = ("Report Refresh Date,User Principal Name,Display Name,Last Activity Date,Copilot Chat Last Activity "
                   "Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last "
                   "Activity Date,PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote "
                   "Copilot Last Activity Date,Loop Copilot Last Activity Date,Report Period,Prompts submitted for all "
                   "apps,Prompts submitted for Copilot Chat (work),Prompts submitted for Copilot Chat (web),Active "
                   "Usage Days for all apps,Copilot Chat (work) Last Activity Date,Copilot Chat (web) Last Activity "
                   "Date,Microsoft 365 Copilot Last Activity Date,Edge Last Activity Date,Copilot Agent Last Activity "
                   "Date")


def test_graph_v2_report_with_prompt_counts_of_28_days(tmp_path, factors):
    rows = [f"2025-11-30,{ALICE},Alice Martin,2025-11-29,2025-11-29,2025-11-20,,,,,,,28,90,30,10,15,2025-11-29,"
            "2025-11-12,,,",
            f"2025-11-30,{CHLOE},Chloé Bernard,2025-11-03,,,2025-11-03,,,,,,28,6,0,0,1,,,,,"]
    store = Store(tmp_path / "s.duckdb")
    done = import_admin_export(("\n".join([GRAPH_V2_HEADER, *rows]) + "\n").encode(), store, factors,
                               "m365-copilot", services=read_user_services(MAPPING.encode(), name="m.csv"),
                               name="graph_v2.csv")
    assert _by(done.declarations, "messages") == pytest.approx({
        ("DRH", "m365_copilot"): 50 * 365 / 28, ("DRH", "m365_copilot_chat"): 40 * 365 / 28,
        ("Urbanisme", "m365_copilot"): 6 * 365 / 28})
    assert done.start == pd.Timestamp("2025-11-03") and done.end == pd.Timestamp("2025-11-30")


# -- ChatGPT Enterprise -------------------------------------------------------------------------

CHATGPT_HEADER = ("cadence,period_start,period_end,account_id,public_id,name,email,role,user_role,department,"
                  "user_status,created_or_invited_date,is_active,first_day_active_in_period,last_day_active_in_period,"
                  "messages,messages_rank,gpt_messages,gpts_messaged,tool_messages,tools_messaged,last_day_active")
ACCOUNT = "05a09bbb00b54224bee8739bb86ec062"


def chatgpt_week(start: str, end: str, messages: dict[str, int]) -> list[str]:
    """One week of the user engagement export: a pending invitation, then one row per user."""
    rows = [f"Weekly,{start},{end},{ACCOUNT},,,{EMMA},,,,pending,{start},,,,,,,,,,"]
    for rank, (email, count) in enumerate(messages.items(), start=1):
        display, public_id, _ = PEOPLE[email]
        active = 1 if count else 0
        rows.append(f"Weekly,{start},{end},{ACCOUNT},{public_id},{display},{email},team_member,standard-user,"
                    f"\"[\"\"it\"\"]\",enabled,2024-11-12,{active},{start},{end},{count},{rank},{count // 10},1,"
                    f"{count // 4},2,{end}")
    return rows


def test_chatgpt_weekly_export_counts_messages_scaled_to_the_year(tmp_path, factors):
    week = chatgpt_week("2025-03-02", "2025-03-08", {ALICE: 120, BRUNO: 45, CHLOE: 0, DAVID: 7})
    path = _path(tmp_path, "user_engagement_20250302_20250308.csv", "\n".join([CHATGPT_HEADER, *week]) + "\n")
    store = Store(tmp_path / "s.duckdb")
    done = import_admin_export(path, store, factors, "chatgpt-enterprise",
                               services=read_user_services(MAPPING.encode(), name="m.csv"), service="DSI")
    assert _by(done.declarations, "messages") == pytest.approx({("DRH", "chatgpt_enterprise"): 165 * 365 / 7,
                                                                ("DSI", "chatgpt_enterprise"): 7 * 365 / 7})
    assert (done.rows, done.users, done.active_users, done.unmapped_users) == (5, 5, 3, 1)
    assert done.period_days == 7 and done.year == 2025


def test_chatgpt_export_of_two_weeks_for_a_business_workspace_mapped_by_public_id(factors):
    weeks = (chatgpt_week("2025-03-02", "2025-03-08", {ALICE: 14, DAVID: 7})
             + chatgpt_week("2025-03-09", "2025-03-15", {ALICE: 28}))
    mapping = f"user_id,service\n{PEOPLE[DAVID][1]},Culture\n{ALICE},DRH\n"
    export = read_admin_export(("\n".join([CHATGPT_HEADER, *weeks]) + "\n").encode(), factors, "chatgpt-enterprise",
                               services=read_user_services(mapping.encode(), name="m.csv"), product="ChatGPT Team",
                               name="export.csv")
    assert _by(export.declarations, "messages") == pytest.approx({("Culture", "chatgpt_business"): 7 * 365 / 14,
                                                                  ("DRH", "chatgpt_business"): 42 * 365 / 14})
    assert export.period_days == 14 and export.start == pd.Timestamp("2025-03-02")
    # Alice wrote in both weeks: one user.
    [drh] = export.declarations.loc[export.declarations["service"] == "DRH", "comment"]
    assert "42 messages du 02/03/2025 au 15/03/2025 (14 jours)" in drh and "1 utilisateur actif agrégé" in drh


# -- Le Chat ------------------------------------------------------------------------------------

def le_chat_json() -> str:
    """The response of GET /v1/admin/analytics/lechat/usage/by_user_stats for June 2025."""
    def user(email, messages, last):
        return {"files_count": 3, "images_count": 1, "last_message_at": last, "messages_count": messages,
                "messages_to_agents_count": 4, "spreadsheets_count": 0, "unique_agents_count": 1,
                "unique_conversations_count": 5, "user_id": PEOPLE[email][2]}
    return json.dumps({"data": [user(ALICE, 56, "2025-06-29T10:25:07.818693Z"), user(CHLOE, 30, "2025-06-12T08:00:00Z"),
                                user(DAVID, 0, "2025-04-01T08:00:00Z")],
                       "end_time": 1751328000, "start_time": 1748736000}, indent=2)


def test_le_chat_json_of_the_admin_api_for_a_team_plan(tmp_path, factors):
    mapping = xlsx_bytes({"Feuille1": (["User", "Service"], [[PEOPLE[ALICE][2], "DRH"], [PEOPLE[CHLOE][2], "Urbanisme"],
                                                             [PEOPLE[DAVID][2], "Culture"]])})
    store = Store(tmp_path / "s.duckdb")
    done = import_admin_export(_path(tmp_path, "lechat_juin.json", le_chat_json()), store, factors, "mistral-admin",
                               services=read_user_services(mapping, name="correspondance.xlsx"), product="le_chat_team")
    # 2025-06-01 to 2025-07-01: 30 days; David sent nothing.
    assert _by(done.declarations, "messages") == pytest.approx({("DRH", "le_chat_team"): 56 * 365 / 30,
                                                                ("Urbanisme", "le_chat_team"): 30 * 365 / 30})
    assert done.period_days == pytest.approx(30) and done.active_users == 2 and done.year == 2025


def test_le_chat_table_without_its_window_needs_the_period(factors):
    text = ("user_id,messages_count,unique_conversations_count,files_count,images_count,last_message_at\n"
            f"{PEOPLE[ALICE][2]},90,12,2,0,2025-09-30T17:00:00Z\n")
    with pytest.raises(InputError, match="période de l'export inconnue"):
        read_admin_export(text.encode(), factors, "mistral-admin", name="lechat.csv")
    export = read_admin_export(text.encode(), factors, "mistral-admin", name="lechat.csv", period_days=90,
                               service="DSI")
    assert _by(export.declarations, "messages") == pytest.approx({("DSI", "le_chat_enterprise"): 90 * 365 / 90})
    assert export.year == 2025 and "last_message_at" in export.notes[-1]


# -- the same file twice, a later one ---------------------------------------------------------------

def test_importing_the_same_export_twice_adds_nothing(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    # As the admin center and Graph write it: UTF-8 with a byte order mark, lines ended by CR LF.
    path = _path(tmp_path, "copilot.csv", graph_v1_d30().replace("\n", "\r\n"), encoding="utf-8-sig")
    services = read_user_services(MAPPING.encode(), name="m.csv")
    import_admin_export(path, store, factors, "m365-copilot", services=services)
    again = import_admin_export(path, store, factors, "m365-copilot", services=services)
    assert again.counts == {"created": 0, "modified": 0, "unchanged": 4}
    assert len(store.declarations()) == 4 and len(store.history()) == 4


def test_a_later_export_of_the_same_year_makes_new_versions(tmp_path, factors):
    store = Store(tmp_path / "s.duckdb")
    services = read_user_services(MAPPING.encode(), name="m.csv")
    import_admin_export(graph_v1_d30().encode(), store, factors, "m365-copilot", services=services, name="juin.csv")
    # In July, Bruno uses Word again: DRH's Copilot has 2 active users.
    july = graph_v1_d30("2025-07-31").replace("2025-05-20", "2025-07-15").replace("2025-06-", "2025-07-")
    done = import_admin_export(july.encode(), store, factors, "m365-copilot", services=services, name="juillet.csv")
    assert done.counts["modified"] >= 1 and len(store.declarations()) == 4
    drh = store.declarations().set_index(["service", "product"]).loc[("DRH", "m365_copilot")]
    assert drh["users"] == 2 and drh["origin"] == "admin:juillet.csv"
    assert list(store.history(drh["id"])["users"]) == [1, 2]


# -- the mapping -------------------------------------------------------------------------------

def test_mapping_keys_are_plain_users_and_their_md5(tmp_path):
    text = " Utilisateur ; Service\n ALICE.Martin@Ville-Exemple.fr ; DRH \n"
    services = read_user_services(_path(tmp_path, "services.csv", text))
    assert services[ALICE] == "DRH"
    assert services[hashlib.md5(ALICE.encode()).hexdigest()] == "DRH"
    users = pd.Series([md5(ALICE), "Alice.Martin@ville-exemple.fr", "inconnu@ville-exemple.fr", None])
    assert service_of(users, services, "(autre)").tolist() == ["DRH", "DRH", "(autre)", "(autre)"]


@pytest.mark.parametrize(("text", "line", "column", "value", "reason"), [
    ("e-mail;équipe\nalice@x.fr;DRH\n", 1, None, None, "colonnes manquantes"),
    ("user,service\nalice@x.fr,DRH\nbob@x.fr,\n", 3, "service", None, "service manquant"),
    ("user,service\nalice@x.fr,DRH\n,DSI\n", 3, "user", None, "utilisateur manquant"),
    ("user,service\nalice@x.fr,DRH\nbob@x.fr,DSI\nALICE@x.fr,Culture\n", 4, "user", None,
     "associé à deux services : « DRH » (ligne 2) et « Culture »"),
    ("user,service\nalice@x.fr,D\x07RH\n", 2, "service", "D?RH", "caractère de contrôle"),
])
def test_a_bad_mapping_file_is_refused_with_its_line_column_and_value(text, line, column, value, reason):
    with pytest.raises(InputError) as caught:
        read_user_services(text.encode(), name="services.csv")
    [problem] = caught.value.problems
    assert reason in problem.message and problem.file == "services.csv"
    assert (problem.line, problem.value) == (line, value)
    if column is not None:
        assert problem.column == column


def test_a_mapping_of_a_user_twice_to_the_same_service_is_accepted():
    assert read_user_services(b"user,service\na@x.fr,DRH\nA@x.fr,DRH\n", name="m.csv")["a@x.fr"] == "DRH"


# -- bad exports -------------------------------------------------------------------------------

def _graph_rows(*rows: str) -> bytes:
    return ("\n".join([GRAPH_V1_HEADER, *rows]) + "\n").encode()


GOOD = f"2025-06-30,30,{md5(ALICE)},{md5('Alice Martin')},2025-06-28,2025-06-28,,,,,,,"


@pytest.mark.parametrize(("preset", "data", "kwargs", "line", "column", "value", "reason"), [
    ("m365-copilot", b"User,Service\nalice@x.fr,DRH\n", {}, 1, None, None,
     "colonnes manquantes pour le rapport d'usage Microsoft 365 Copilot : « User Principal Name » (ou « User name »,"
     " « Username »), au moins une colonne d'activité (« Prompts submitted (any app) », « Last activity date (UTC) » "
     "ou la date de chaque application) (colonnes du fichier : User, Service)"),
    ("m365-copilot", _graph_rows(GOOD, f"2025-06-30,30,{md5(BRUNO)},x,2025-13-45,,,,,,,,"), {}, 3,
     "Last Activity Date", "2025-13-45", "date illisible"),
    ("m365-copilot", _graph_rows(GOOD, "", f"2025-06-30,30,{md5(BRUNO)},x,30/06/2025,,,,,,,,hier"), {}, 4,
     "Copilot Chat Last Activity Date", "hier", "date illisible"),
    ("m365-copilot", _graph_rows(GOOD, f"2025-06-30,trente,{md5(BRUNO)},x,,,,,,,,,"), {}, 3, "Report Period",
     "trente", "nombre illisible"),
    ("m365-copilot", _graph_rows(GOOD, f"2025-06-30,7,{md5(BRUNO)},x,,,,,,,,,"), {}, 3, "Report Period", "7",
     "plusieurs périodes dans un même rapport (7, 30 jours)"),
    ("m365-copilot", _graph_rows(GOOD, GOOD), {}, 3, "User Principal Name", None,
     "utilisateur en double : déjà ligne 2"),
    ("m365-copilot", _graph_rows(GOOD), {"period_days": 90}, None, "Report Period", None,
     "la période indiquée (90 jours) contredit celle du fichier (30 jours)"),
    ("m365-copilot", (b"User name,Prompts submitted (any app)\nalice@x.fr,-3\n"), {"period_days": 7}, 2,
     "Prompts submitted (any app)", "-3", "nombre négatif"),
    ("m365-copilot", (b"User name,Prompts submitted (any app)\nalice@x.fr,douze\n"), {"period_days": 7}, 2,
     "Prompts submitted (any app)", "douze", "nombre illisible"),
    ("chatgpt-enterprise", ("\n".join([CHATGPT_HEADER, *chatgpt_week("2025-03-08", "2025-03-02", {ALICE: 3})])
                            ).encode(), {}, 2, "period_end", "2025-03-02", "fin de période avant son début"),
    ("chatgpt-enterprise", ("\n".join([CHATGPT_HEADER, *chatgpt_week("2025-03-02", "2025-03-08", {ALICE: 3}),
                                       *chatgpt_week("2025-03-01", "2025-03-31", {BRUNO: 3})])).encode(), {}, 2,
     "period_start", "2025-03-02", "périodes qui se chevauchent"),
    ("chatgpt-enterprise", b"email,period_start,period_end,messages\na@x.fr,2025-03-02,2025-03-08,1\n",
     {"product": "le_chat_pro"}, None, "--product", "le_chat_pro", "produit inattendu pour l'export ChatGPT"),
    ("mistral-admin", b'{"data": [{"user_id": "u1", "messages_count": 3}', {}, 1, None, None, "JSON illisible"),
    ("mistral-admin", b'{"data": [{"user_id": "u1", "messages_count": 3}], "start_time": 10, "end_time": 5}', {},
     None, "end_time", None, "période illisible"),
    ("mistral-admin", b'{"data": [{"user_id": "u1", "messages_count": 3}], "start_time": 1e30, "end_time": 5}', {},
     None, "start_time", 1e30, "date illisible"),
    ("mistral-admin", b'{"data": [{"user_id": "u1", "messages_count": 3}, {"user_id": "u2", "messages_count": '
     b'"beaucoup"}], "start_time": 1748736000, "end_time": 1751328000}', {}, None, "messages_count", "beaucoup",
     "nombre illisible"),
    ("m365-copilot", b"", {}, None, None, None, "fichier vide"),
    ("m365-copilot", (GRAPH_V1_HEADER + "\n").encode(), {}, None, None, None, "aucune ligne d'utilisateur"),
    ("m365-copilot", _graph_rows(GOOD, f'2025-06-30,30,"{md5(BRUNO)},x,,,,,,,,,'), {}, 3, None, None,
     "CSV mal formé"),
    ("copilot", _graph_rows(GOOD), {}, None, "--preset", "copilot", "format d'export inconnu"),
    ("m365-copilot", b"Username,Display name,Prompts submitted,Active days,Last activity date (UTC)\na@x.fr,A,3,1,"
     b"2025-06-30\n", {}, 1, None, None, "rapport d'usage de Copilot Chat (utilisateurs sans licence)"),
])
def test_a_bad_export_is_refused_in_french_with_file_line_and_column_and_writes_nothing(
        tmp_path, factors, preset, data, kwargs, line, column, value, reason):
    store = Store(tmp_path / "s.duckdb")
    suffix = ".json" if preset == "mistral-admin" else ".csv"
    with pytest.raises(InputError) as caught:
        import_admin_export(data, store, factors, preset, name=f"export{suffix}", **kwargs)
    problem = caught.value.problems[0]
    assert reason in problem.message, str(caught.value)
    assert (problem.line, problem.column, problem.value) == (line, column, value)
    if column not in ("--preset", "--product"):
        assert problem.file == f"export{suffix}"
    assert store.declarations().empty and store.imports().empty


def test_an_export_where_nobody_used_the_product_is_refused(factors):
    with pytest.raises(InputError, match="aucun utilisateur actif sur la période de l'export"):
        read_admin_export(_graph_rows(f"2025-06-30,30,{md5(EMMA)},{md5('Emma Leroy')},,,,,,,,,"), factors,
                          "m365-copilot", name="r.csv")


def test_every_preset_says_where_its_file_is_downloaded():
    assert set(ADMIN_PRESETS) == {"m365-copilot", "chatgpt-enterprise", "mistral-admin"}
    assert "Rapports > Utilisation" in ADMIN_PRESETS["m365-copilot"]
    assert "Workspace analytics" in ADMIN_PRESETS["chatgpt-enterprise"]
    assert "by_user_stats" in ADMIN_PRESETS["mistral-admin"]


# -- no person in the store ---------------------------------------------------------------------

def test_no_name_email_id_or_md5_of_an_export_is_anywhere_in_the_store(tmp_path, factors):
    path = tmp_path / "s.duckdb"
    store = Store(path)
    services = read_user_services(MAPPING.encode(), name="correspondance.csv")
    chatgpt = "\n".join([CHATGPT_HEADER, *chatgpt_week("2025-03-02", "2025-03-08", {ALICE: 120, DAVID: 7})]) + "\n"
    for data, preset, name, extra in [
            (graph_v1_d30().encode(), "m365-copilot", "graph.csv", {}),
            (admin_center_with_prompts().encode(), "m365-copilot", "centre.csv", {"period_days": 28}),
            (chatgpt.encode(), "chatgpt-enterprise", "chatgpt.csv", {}),
            (le_chat_json().encode(), "mistral-admin", "lechat.json", {})]:
        import_admin_export(data, store, factors, preset, services=services, name=name, **extra)
    needles = set()
    for email, (display, public_id, user_id) in PEOPLE.items():
        for text in (email, email.split("@")[0], display, public_id, user_id):
            needles |= {text.lower(), hashlib.md5(text.encode()).hexdigest(), hashlib.md5(text.lower().encode()
                                                                                          ).hexdigest()}
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR'").fetchall()
        assert {t for t, _ in columns} >= {"declarations", "declaration_history", "imports"}
        found = []
        for table, column in columns:
            cells = [c.lower() for (c,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" '
                                                       f'WHERE "{column}" IS NOT NULL').fetchall()]
            found += [(table, column, n) for n in needles for c in cells if n in c]
    finally:
        con.close()
    assert len(store.declarations()) >= 6
    assert found == []


# -- reading, whatever the file's shape ---------------------------------------------------------

def test_a_day_that_does_not_exist_is_refused_even_across_arrow_chunks():
    import numpy as np
    import pyarrow as pa

    from footprint.inventory.admin_exports.files import Sheet
    from footprint.inventory.admin_exports.values import read_dates

    cells = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["2025-01-31", "31/01/2025"], ["2025-02-30"]])))
    sheet = Sheet("r.csv", ("d",), pd.DataFrame({"d": cells}), np.array([2, 3, 4]), False, "")
    problems = []
    days = read_dates(sheet, "d", problems)
    assert list(days[:2]) == [pd.Timestamp("2025-01-31")] * 2 and pd.isna(days[2])
    assert [(p.line, p.value) for p in problems] == [(4, "2025-02-30")]


@pytest.mark.parametrize("first", ["footprint.inventory.admin_exports.mapping", "footprint.inventory.usage_logs"])
def test_the_mapping_imports_whatever_is_imported_first(first):
    """The gateway logs import the mapping, and the admin exports reuse the gateway logs' files:
    neither order of import may meet a half-initialised module."""
    import subprocess
    import sys
    from pathlib import Path

    code = (f"import {first}; from footprint.inventory.admin_exports import read_user_services, service_of; "
            "from footprint.inventory.usage_logs.importing import NO_SERVICE")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_an_export_of_more_than_a_year_is_refused_not_folded_into_one(tmp_path, factors):
    # Two weekly periods 21 months apart: 672 days, which scaled to one year would count less than once.
    weeks = [*chatgpt_week("2025-01-01", "2025-01-07", {ALICE: 30}), *chatgpt_week("2026-10-28", "2026-11-03",
                                                                                 {ALICE: 30})]
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(InputError) as error:
        import_admin_export(("\n".join([CHATGPT_HEADER, *weeks]) + "\n").encode(), store, factors,
                            "chatgpt-enterprise", name="engagement.csv")
    [problem] = error.value.problems
    assert "plus d'une année" in problem.message and problem.file == "engagement.csv"
    assert store.declarations().empty
