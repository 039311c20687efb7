"""Benchmark of several people using one dashboard at the same time: starts one real
``streamlit run app.py`` server on a free port of 127.0.0.1, over a new store in a temporary
folder (its first start loads the example inventory), then, for each number of sessions N
(1, 5, 20 by default), runs N sessions at once for 30 s. Each session arrives within the first
pause, then opens the pages the way a person does (a page, a pause of 3 to 10 s to read it,
another page…) and, on Déclarer, one visit in two saves a declaration through the form
(``--think 1-3`` makes a harder test: people who barely read). Prints, for each N: the reruns,
the errors, the median and 95th percentile of the rerun time (from the request to the end of
the script run, as the browser sees it), the server's CPU time and the slowest pages. Asserts
nothing; stops by itself (the server is stopped at the end, or after ``--seconds`` plus a
margin if something hangs). Talks to 127.0.0.1 only.

The sessions are websocket clients speaking Streamlit's own protocol with its protobufs
(``BackMsg`` with the page and widget values of a rerun, ``ForwardMsg`` of the elements
drawn), all in one asyncio loop, rather than pages of Chromium: the machine that runs the
benchmark also runs the server, and 20 browsers would measure the browsers. The server cannot
tell the two apart: it receives the same messages a browser sends and runs the same code.
Not measured: what a browser does with the elements (drawing Plotly charts).

Counted as an error: an exception element or « Erreur inattendue » in what a rerun draws, a
compilation error or a page not found, a rerun with no answer in 60 s, a lost connection, and a
save not confirmed by « Déclaration … enregistrée ». Any other French error message is listed.

``--connecte``: the shared mode, where people sign in. A real OpenID Connect provider runs on
127.0.0.1 (``bench.oidc``), the dashboard reads the secrets file that names it, and the store
holds one person per session before the server starts (two agents, each with a service of his
own, for one référent climat). Each session arrives on the sign-in page, presses « Se connecter »
(the server answers with the address ``st.login`` sends a browser to), signs in at the provider
through its form (httpx, as a browser follows the redirects; ``bench.oidc.sign_in``), then opens
a new connection with the identity cookie, as the browser does after the callback, and visits
the pages its role is given (``dashboard.roles.PAGES``; the référent's include Validation). The
sign-in, from the sign-in page to the cookie, is timed apart; a session that is not signed in
after it counts as an error.

Usage: ``.venv/bin/python bench/concurrency.py [--seconds 30] [--sessions 1,5,20] [--think 3-10] [--connecte]``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.oidc import XSRF_COOKIE, Person, Provider, provider, sign_in  # noqa: E402
from bench.server import dashboard  # noqa: E402
from dashboard import roles  # noqa: E402
from dashboard.example import create_example  # noqa: E402
from footprint.factors import FactorBase  # noqa: E402
from footprint.inventory.users import add_user  # noqa: E402
from footprint.store import Store  # noqa: E402

HOST = "127.0.0.1"
RERUN_TIMEOUT_S = 60
# Pages a session opens, with how often (a climate officer opens the synthesis more than the method).
PAGES = {"": 3, "declarer": 3, "scenarios": 2, "recommandations": 1, "facteurs": 1, "export": 1, "mesures": 1,
         "usages": 1, "methode": 1}
# Signed in, the référent climat also opens the agents' declarations to validate.
SIGNED_IN_PAGES = {"validation": 1}
SAVE_SHARE = 0.5  # share of the visits of Déclarer that end with a saved declaration
REFERENT_EVERY = 3  # one session in three is a référent climat, the others agents
SIGN_IN_BUTTON = "Se connecter"
SIGNED_IN_MARK = "Connecté(e) :"  # the sidebar's caption of a signed-in person
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass
class Rerun:
    """What one rerun drew, as far as this benchmark looks."""

    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)
    successes: list[str] = field(default_factory=list)
    widgets: dict[tuple[str, str], str] = field(default_factory=dict)  # (element type, label) -> widget id
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    redirect: str | None = None  # where the server sends the browser (st.login, st.logout)
    signed_in: bool = False  # the sidebar names the signed-in person


@dataclass
class Figures:
    times: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter = field(default_factory=collections.Counter)
    other_errors: collections.Counter = field(default_factory=collections.Counter)
    saves: int = 0
    saves_failed: int = 0
    sign_ins: list[float] = field(default_factory=list)  # seconds from the sign-in page to the cookie
    sign_in_pages: list[float] = field(default_factory=list)  # of which: the sign-in page and its button
    server_cpu: float | None = None  # CPU seconds the server used per second of the phase


def _short(text: str, length: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length] + "…"


class Session:
    """One person's browser tab: a websocket to the server, and the page it shows. ``person``,
    ``signing`` and ``role``: who signs in, with which provider, and the role the store gives
    (the shared mode); None for the single-user mode."""

    def __init__(self, url: str, number: int, person: Person | None = None, signing: Provider | None = None,
                 role: str | None = None):
        self.url = url
        self.number = number
        self.person, self.signing, self.role = person, signing, role
        self.cookies: dict[str, str] = {}
        self.pages: dict[str, str] = {}
        self.socket = None
        self.sign_in_seconds: float | None = None  # from the sign-in page to the cookie
        self.sign_in_page_seconds: float | None = None  # of which: the sign-in page and « Se connecter »

    async def _connect(self) -> None:
        """A websocket as the browser opens it: with the page's origin, its cookies, and the XSRF
        token in the subprotocols (Streamlit reads the identity cookie only with both)."""
        subprotocols, headers = ["streamlit"], {}
        if self.cookies:
            subprotocols.append(self.cookies.get(XSRF_COOKIE, ""))
            headers = {"Origin": self.signing.dashboard_url,
                       "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        self.socket = await websockets.connect(self.url, subprotocols=subprotocols, additional_headers=headers,
                                               max_size=None, compression=None, open_timeout=RERUN_TIMEOUT_S,
                                               ping_interval=None)

    async def open(self) -> Rerun:
        """The first page; in the shared mode, after signing in (``sign_in``)."""
        if self.person is not None:
            problem = await self.sign_in()
            if problem:
                return Rerun(errors=[problem])
        await self._connect()
        first = await self.rerun("")
        self.pages.update(first.pages)
        if self.person is not None and not first.signed_in and not first.errors:
            first.errors.append("pas connecté(e) après la connexion")
        return first

    async def sign_in(self) -> str | None:
        """The sign-in page, « Se connecter », the provider's form and the callback (httpx, in a
        thread: it blocks); keeps the cookies. Returns what went wrong, in French, or None."""
        start = time.perf_counter()
        await self._connect()
        try:
            page = await self.rerun("")
            button = page.widgets.get(("button", SIGN_IN_BUTTON))
            if button is None:
                return "pas de bouton « Se connecter » sur la page de connexion"
            pressed = await self.rerun("", [WidgetState(id=button, trigger_value=True)])
            if not pressed.redirect:
                return "« Se connecter » n'envoie pas vers le fournisseur d'identité"
        finally:
            await self.close()
        self.sign_in_page_seconds = time.perf_counter() - start
        try:
            self.cookies = await asyncio.to_thread(sign_in, self.signing, self.person, pressed.redirect)
        except (RuntimeError, httpx.HTTPError) as error:
            return f"connexion refusée ({_short(str(error), 80)})"
        self.sign_in_seconds = time.perf_counter() - start
        return None

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None

    async def rerun(self, page: str, widgets: list[WidgetState] | None = None) -> Rerun:
        """Ask for a run of ``page`` (its url path; '' for the default page) with these widget
        values, and read what it draws until the run is over."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_name = page
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        state.widget_states.widgets.extend(widgets or [])
        found = Rerun()
        start = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        try:
            async with asyncio.timeout(RERUN_TIMEOUT_S):
                while not self._read(await self.socket.recv(), found):
                    pass
        except TimeoutError:
            found.errors.append(f"pas de fin de script en {RERUN_TIMEOUT_S} s")
        found.seconds = time.perf_counter() - start
        return found

    @staticmethod
    def _read(data: bytes, found: Rerun) -> bool:
        """Note what one message says; True when it ends the run."""
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            what = element.WhichOneof("type")
            if what == "exception":
                found.errors.append(f"exception {element.exception.type} : {_short(element.exception.message)}")
            elif what == "alert":
                body = element.alert.body
                if "Erreur inattendue" in body:
                    found.errors.append("« Erreur inattendue »")
                elif element.alert.format == element.alert.ERROR:
                    found.other_errors.append(_short(body))
                elif element.alert.format == element.alert.SUCCESS:
                    found.successes.append(body)
            elif what in ("text_input", "number_input", "button"):
                widget = getattr(element, what)
                found.widgets[(what, widget.label)] = widget.id
            elif what == "markdown" and element.markdown.body.startswith(SIGNED_IN_MARK):
                found.signed_in = True
        elif kind == "navigation":
            found.pages.update({p.url_pathname: p.page_script_hash for p in message.navigation.app_pages})
        elif kind == "auth_redirect":
            found.redirect = message.auth_redirect.url
        elif kind == "session_event" and message.session_event.WhichOneof("type") == "script_compilation_exception":
            found.errors.append("erreur de compilation du script")
        elif kind == "page_not_found":
            found.errors.append("page introuvable")
        elif kind == "script_finished":
            return message.script_finished in FINISHED
        return False

    async def save_declaration(self, form: Rerun, count: int) -> Rerun:
        """Fill in the Déclarer form drawn by ``form`` and submit it (the form's default model)."""
        def widget(kind: str, label: str) -> str:
            return form.widgets[(kind, label)]

        # An agent's form offers his own services, the first one chosen: the field is left as it is.
        service = ([WidgetState(id=widget("text_input", "Service"), string_value=f"Banc session {self.number}")]
                   if ("text_input", "Service") in form.widgets or self.person is None else [])
        agents = WidgetState(id=widget("number_input", "Nombre d'agents qui l'utilisent"),
                             double_value=float(1 + count % 20))
        requests = WidgetState(id=widget("number_input", "Requêtes par agent et par jour"), double_value=5.0)
        tokens = WidgetState(id=widget("number_input", "Tokens de sortie par requête (facultatif)"), double_value=400.0)
        submit = WidgetState(id=widget("button", "Enregistrer la déclaration"), trigger_value=True)
        return await self.rerun("declarer", [*service, agents, requests, tokens, submit])


async def _person(session: Session, deadline: float, think: tuple[float, float], figures: Figures,
                  generator: random.Random) -> None:
    def note(found: Rerun, page: str) -> None:
        figures.times.append(found.seconds)
        figures.by_page[page].append(found.seconds)
        figures.errors.update(found.errors)
        figures.other_errors.update(found.other_errors)

    try:
        await asyncio.sleep(generator.uniform(0, think[1]))  # people do not all arrive at the same instant
        first = await session.open()
        if session.socket is None:  # not signed in: nothing else to do
            figures.errors.update(first.errors)
            return
        note(first, "synthese")
        if session.sign_in_seconds is not None:
            figures.sign_ins.append(session.sign_in_seconds)
            figures.sign_in_pages.append(session.sign_in_page_seconds)
        visited = pages_of(session.role)
        pages, weights = list(visited), list(visited.values())
        while time.monotonic() < deadline:
            await asyncio.sleep(generator.uniform(*think))
            if time.monotonic() >= deadline:
                break
            page = generator.choices(pages, weights)[0]
            found = await session.rerun(page)
            note(found, page or "synthese")
            if page == "declarer" and not found.errors and generator.random() < SAVE_SHARE:
                await asyncio.sleep(generator.uniform(*think))
                try:
                    saved = await session.save_declaration(found, figures.saves)
                except KeyError as missing:
                    figures.errors[f"formulaire incomplet ({missing})"] += 1
                    continue
                note(saved, "enregistrement")
                figures.saves += 1
                if not any("enregistrée" in text for text in saved.successes):
                    figures.saves_failed += 1
                    figures.errors["enregistrement non confirmé"] += 1
    except (websockets.ConnectionClosed, OSError) as error:
        figures.errors[f"connexion perdue ({type(error).__name__})"] += 1
    finally:
        await session.close()


def pages_of(role: str | None) -> dict[str, int]:
    """The pages a session visits, with their weights: every page of ``PAGES`` in the single-user
    mode (``role`` None); those the role is given, signed in."""
    if role is None:
        return PAGES
    return {page: weight for page, weight in {**PAGES, **SIGNED_IN_PAGES}.items()
            if role in roles.PAGES[page or "synthese"]}


def _session(url: str, number: int) -> Session:
    signing = _SIGN_IN.get(url)
    if signing is None:
        return Session(url, number)
    running, people = signing
    person, role = people[number % len(people)]
    return Session(url, number, person, running, role)


async def _phase(url: str, sessions: int, seconds: float, think: tuple[float, float]) -> Figures:
    figures = Figures()
    # One thread per person for the sign-ins (httpx blocks): arrivals do not queue in this process.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=sessions + 1))
    deadline = time.monotonic() + seconds
    generator = random.Random(sessions)
    people = [_person(_session(url, n), deadline, think, figures, random.Random(generator.random()))
              for n in range(sessions)]
    await asyncio.wait_for(asyncio.gather(*people), timeout=seconds + 2 * RERUN_TIMEOUT_S + 30)
    return figures


async def _warm_up(url: str) -> list[str]:
    """The server's first session: the first start loads the example inventory, and each page is
    drawn once (imports, caches), as a server that has been running for a while. Returns the
    errors seen."""
    signing = _SIGN_IN.get(url)
    # Signed in, the warm-up is the administrator's: every page.
    session = Session(url, 0) if signing is None else Session(url, 0, WARM_UP_PERSON, signing[0], "administrateur")
    visited = pages_of(session.role)
    try:
        first = await session.open()
        return first.errors + [e for page in visited if page for e in (await session.rerun(page)).errors]
    finally:
        await session.close()


WARM_UP_PERSON = Person("banc-admin", "banc.admin@val-fictif.fr", "Administrateur du banc")


def signed_in_people(count: int) -> list[tuple[Person, str, tuple[str, ...]]]:
    """One person per session: (who, role, services); one référent climat for two agents, each
    agent declaring for a service of his own."""
    people = []
    for number in range(count):
        person = Person(f"banc{number}", f"banc{number}@val-fictif.fr", f"Personne {number} du banc")
        if number % REFERENT_EVERY == 0:
            people.append((person, "referent", ()))
        else:
            people.append((person, "agent", (f"Banc session {number}",)))
    return people


@contextmanager
def serve(folder: Path, signed_in: int = 0) -> Iterator[str]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, over a store in ``folder`` (new: the
    first start loads the example inventory); yields the websocket address, stops the server
    after. ``signed_in``: the shared mode for that many people (the store holds the example and
    their roles before the server starts; a provider runs beside it). Prints the last traceback
    of the server's log, if any."""
    log_path = folder / "streamlit.log"
    database = folder / "footprint.duckdb"
    options = ("--server.address", HOST, "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--browser.serverAddress", HOST)
    people = signed_in_people(signed_in) if signed_in else []
    try:
        with ExitStack() as stack:
            running = None
            if people:
                store = Store(database)
                create_example(store, FactorBase.load())
                add_user(store, WARM_UP_PERSON.email, "administrateur", name=WARM_UP_PERSON.name)
                for person, role, services in people:
                    add_user(store, person.email, role, services=services, name=person.name)
                running = stack.enter_context(provider(folder, dashboard_host=HOST,
                                                       people=[WARM_UP_PERSON, *(p for p, _, _ in people)]))
            server = stack.enter_context(dashboard(
                database, log_path, host=HOST, options=options, port=running and running.dashboard_port,
                secrets=running and running.secrets))
            _SERVERS[server.websocket] = server.pid
            if running is not None:
                _SIGN_IN[server.websocket] = (running, [(person, role) for person, role, _ in people])
            yield server.websocket
    finally:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if "Traceback" in text:
            print(f"Journal du serveur : {text.count('Traceback')} trace(s) d'erreur ; la dernière :")
            last = text[text.rfind("Traceback"):]
            print(last if len(last) <= 4000 else f"{last[:1200]}\n[…]\n{last[-2800:]}")  # its end says what


_SERVERS: dict[str, int] = {}  # websocket address -> process id of the server
_SIGN_IN: dict[str, tuple[Provider, list[tuple[Person, str]]]] = {}  # the shared mode's provider and people


def _cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU time of a process so far (Linux's /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_phase(url: str, sessions: int, seconds: float, think: tuple[float, float]) -> Figures:
    """``sessions`` people using the dashboard at ``url`` at once for ``seconds``."""
    pid = _SERVERS.get(url)
    cpu, start = _cpu_seconds(pid), time.monotonic()
    figures = asyncio.run(_phase(url, sessions, seconds, think))
    after = _cpu_seconds(pid)
    if cpu is not None and after is not None:
        figures.server_cpu = (after - cpu) / (time.monotonic() - start)
    return figures


def warm_up(url: str) -> list[str]:
    return asyncio.run(_warm_up(url))


def _print(sessions: int, figures: Figures) -> None:
    times = sorted(figures.times)
    errors = sum(figures.errors.values())
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        timing = f"médiane {statistics.median(times) * 1000:5.0f} ms, p95 {p95 * 1000:5.0f} ms"
    else:
        timing = "aucune relance mesurée"
    print(f"{sessions:3d} session(s) : {len(times):4d} relances, {errors:3d} erreur(s), {timing}, "
          f"{figures.saves} enregistrement(s) ({figures.saves_failed} non confirmé(s))", flush=True)
    if figures.sign_ins:
        ins = sorted(figures.sign_ins)
        print(f"      connexions : {len(ins)}, médiane {statistics.median(ins) * 1000:.0f} ms, p95 "
              f"{ins[min(len(ins) - 1, int(0.95 * len(ins)))] * 1000:.0f} ms (de la page de connexion au cookie ; "
              f"dont page de connexion et « Se connecter » : médiane "
              f"{statistics.median(figures.sign_in_pages) * 1000:.0f} ms)")
    if figures.server_cpu is not None:
        print(f"      serveur : {figures.server_cpu:.2f} s de CPU par seconde "
              f"({os.cpu_count()} cœur(s) sur la machine)")
    slowest = sorted(figures.by_page.items(), key=lambda item: -statistics.median(item[1]))
    print("      par page, médiane (max) : " + ", ".join(
        f"{page} {statistics.median(found) * 1000:.0f} ({max(found) * 1000:.0f}) ms" for page, found in slowest))
    for text, count in figures.errors.most_common(5):
        print(f"      erreur ×{count} : {text}")
    for text, count in figures.other_errors.most_common(5):
        print(f"      autre message d'erreur ×{count} : {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="durée de chaque palier (s)")
    parser.add_argument("--sessions", default="1,5,20",
                        help="nombres de sessions simultanées, séparés par des virgules")
    parser.add_argument("--think", default="3-10", help="pause entre deux actions d'une personne, en s (min-max)")
    parser.add_argument("--connecte", action="store_true",
                        help="mode partagé : chaque session se connecte auprès d'un fournisseur d'identité local "
                             "(agents et référents climat)")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    low, _, high = args.think.partition("-")
    think = (float(low), float(high or low))
    with tempfile.TemporaryDirectory(prefix="empreinte-concurrence-") as name, \
            serve(Path(name), signed_in=max(counts) if args.connecte else 0) as url:
        problems = warm_up(url)
        if problems:
            print(f"Attention, erreurs dès la mise en route : {problems[:3]}")
        print(f"Serveur : {url} (base {Path(name) / 'footprint.duckdb'}) ; paliers de {args.seconds:g} s, pause "
              f"{think[0]:g} à {think[1]:g} s entre deux actions"
              + (" ; mode partagé, sessions connectées (agents et référents)" if args.connecte else ""), flush=True)
        for sessions in counts:
            _print(sessions, run_phase(url, sessions, args.seconds, think))


if __name__ == "__main__":
    main()
