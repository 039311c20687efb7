"""Which service each user belongs to: the mapping file a DSI gives beside an export of its AI
products or of its gateway, applied at import and discarded.

Owns: reading that file (CSV or spreadsheet, two columns: the user — e-mail, UPN or user id — and
the service, under French or English headers), its refusals (a missing column, an empty user or
service, a user mapped to two services, a control character: each with its file, line, column and
value), the plain key a user is compared by (stripped, lower case) and the MD5 of that key (an
anonymised Microsoft 365 report names its users by such a hash), and the service of a whole
column of users at once (``service_of``).

Must not: keep a user anywhere (the mapping lives in memory for one import, and only the services
it gives are stored), or know any export's format.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InputError, Problem
from footprint.inventory.admin_exports.files import find_column, read_sheet, shown_name
from footprint.inventory.declarations import MAX_LISTED
from footprint.io.formatting import format_number

# The headers a mapping file may give its two columns (compared by plain key), French first.
USER_HEADERS = ("utilisateur", "user", "e-mail", "email", "courriel", "mail", "adresse e-mail", "adresse mail",
                "identifiant", "upn", "user principal name", "user name", "username", "nom d'utilisateur",
                "user_id", "login", "agent")
SERVICE_HEADERS = ("service", "direction", "department", "département")


def user_keys(users: pd.Series) -> pd.Series:
    """Users as they are compared: stripped, lower case (an e-mail's case means nothing)."""
    return users.astype("string").str.strip().str.lower()


def read_user_services(source: Path | str | bytes, name: str | None = None) -> dict[str, str]:
    """The service of each user of a mapping file (a path, or the bytes of an upload shown as
    ``name``): keys are the users as plain keys (stripped, lower case) and, for each, the MD5 of
    that key in lower-case hex (how an anonymised Microsoft 365 report names the user). Raises
    ``InputError`` (French: file, line, column, value) for a file that cannot be read, a missing
    column, an empty user or service, a user mapped to two services or a control character."""
    columns: dict[str, str] = {}

    def pick(header: tuple[str, ...]) -> list[str]:
        user, service = find_column(header, USER_HEADERS), find_column(header, SERVICE_HEADERS)
        if user is None or service is None:
            raise InputError.single(
                "colonnes manquantes : attendues une colonne de l'utilisateur (« utilisateur », « user », "
                f"« e-mail », « upn »…) et une colonne « service » ; colonnes du fichier : {', '.join(header)}",
                file=shown, line=1)
        columns.update(user=user, service=service)
        return [user, service]

    shown = shown_name(source, name)
    sheet = read_sheet(source, name, pick, json_allowed=False, texts=columns.values())
    if sheet.rows == 0:
        raise InputError.single("aucune correspondance : le fichier n'a qu'une ligne d'en-tête", file=sheet.name)
    users, services = sheet.cells[columns["user"]], sheet.cells[columns["service"]]
    problems = []
    for column, values in ((columns["user"], users), (columns["service"], services)):
        empty = values.isna().to_numpy()
        if empty.any():
            what = "utilisateur manquant" if column == columns["user"] else "service manquant pour cet utilisateur"
            problems.append(_first(sheet, empty, what, column, values))
    if problems:
        raise InputError(problems)
    pairs = pd.DataFrame({"user": user_keys(users), "service": services.astype("string")})
    problems = _two_services(sheet, pairs, columns["user"])
    if problems:
        raise InputError(problems[:MAX_LISTED])
    pairs = pairs.drop_duplicates("user")
    con = duckdb.connect()  # its own connection: a dashboard serves many threads
    try:
        hashed = con.from_df(pairs).project("md5(user) AS user, service").df()
    finally:
        con.close()
    return dict(zip(pd.concat([pairs["user"], hashed["user"]]).tolist(),
                    pd.concat([pairs["service"], hashed["service"]]).astype(str).tolist()))


def service_of(users: pd.Series, services: dict[str, str], default: str) -> pd.Series:
    """The service of each user (compared as ``user_keys``: a plain key, or the MD5 hex an
    anonymised report gives, whatever its case), ``default`` for a user the mapping does not name.
    One hash lookup of the whole column (Arrow's ``index_in``)."""
    keys = pa.array(user_keys(users).to_numpy(dtype=object, na_value=None), type=pa.string())
    known = pa.array(list(services), type=pa.string())
    found = pc.take(pa.array(list(services.values()), type=pa.string()), pc.index_in(keys, value_set=known))
    return pd.Series(pd.array(found, dtype=pd.StringDtype("pyarrow")), index=users.index).fillna(default)


def _first(sheet, mask, message: str, column: str, values: pd.Series) -> Problem:
    """The problem of the first row ``mask`` marks, with how many rows share it."""
    count = int(mask.sum())
    position = int(mask.argmax())
    if count > 1:
        message = f"{message} ({format_number(count)} lignes ; la première est celle-ci)"
    return sheet.problem(message, position, column, values.iloc[position])


def _two_services(sheet, pairs: pd.DataFrame, column: str) -> list[Problem]:
    """A user mapped to two different services, each with the line of its first service."""
    distinct = pairs.drop_duplicates()
    twice = distinct[distinct.duplicated("user", keep=False)]
    if twice.empty:
        return []
    first_line = pairs.reset_index().drop_duplicates("user").set_index("user")
    problems = []
    for position in twice.index[twice.duplicated("user")][:MAX_LISTED]:
        user = pairs.at[position, "user"]
        earlier = first_line.loc[user]
        problems.append(sheet.problem(
            f"utilisateur associé à deux services : « {earlier['service']} » ({_where(sheet, int(earlier['index']))}) "
            f"et « {pairs.at[position, 'service']} » ; gardez-en un", position, column))
    return problems


def _where(sheet, position: int) -> str:
    return f"élément n° {position + 1}" if sheet.lines is None else f"ligne {int(sheet.lines[position])}"
