"""Plotly figures of the dashboard, French formatted (``1 234,5``), from the tables of ``views``:
readable at a glance (text dark enough on white for WCAG's 4.5:1, labels never clipped, the
small slices of a donut grouped into « Autres », each scenario its own colour, amounts in the
unit that reads well).

Must not: compute a figure (the tables come computed; grouping slices and choosing a display
unit are presentation) or load anything from outside the machine (Streamlit serves Plotly's
code itself).
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.views.common import convert, format_number, percent, scale_for
from dashboard.views.scenarios import REALISED, TARGET_ID

# Plotly's graph objects only: plotly.express costs ~200 ms on its first figure of a process.
SEPARATORS = ", "  # decimal comma, thin space for thousands: Plotly's French convention
PALETTE = qualitative.Safe
# Every text of a figure is one of these on the white background (contrast 12.6:1 and 9.7:1,
# WCAG 2.x asks 4.5:1 for text; tests/dashboard/test_perspective.py computes it).
BACKGROUND = "#ffffff"
TEXT = "#333333"
MUTED_TEXT = "#444444"
GRID = "#e6e6e6"
# Built-in scenarios keep their colours; the target path is dark; the authority's own scenarios
# take, in their order, colours no built-in uses.
SCENARIO_COLOURS = {"sobre": "#2a9d8f", "tendanciel": "#e9c46a", "intensif": "#e76f51", TARGET_ID: "#264653"}
CUSTOM_COLOURS = ("#6a3d9a", "#1f78b4", "#b15928", "#d6337f", "#5c7f1e", "#7f7f7f")
REALISED_COLOUR = "#111111"
# A donut shows at most this many groups; a group under this share of the total joins « Autres »
# (a presentation choice: a slice under 3 % carries no readable label).
MAX_SLICES = 6
SMALL_SHARE = 0.03
OTHERS = "Autres"


def _safe(labels):
    """Labels that name what a user typed (a service, a scenario, an id), as text: Plotly reads
    tags such as ``<a href>`` in labels, titles and legends, and decodes entities back."""
    if isinstance(labels, pd.Series):
        return labels.astype(str).map(_safe)
    return html.escape(str(labels), quote=False)


def _french(figure: go.Figure, height: int = 360) -> go.Figure:
    """French numbers, the system font, and every text in dark grey on white (titles, ticks,
    legends, hover labels), whatever theme the page has."""
    figure.update_layout(separators=SEPARATORS, height=height, margin=dict(l=10, r=10, t=50, b=10),
                         legend_title_text="", font=dict(family="sans-serif", color=TEXT),
                         title_font_color=TEXT, paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND,
                         legend_font_color=TEXT,
                         hoverlabel=dict(bgcolor=BACKGROUND, font_color=TEXT, bordercolor=MUTED_TEXT))
    axes = dict(tickfont_color=MUTED_TEXT, title_font_color=TEXT, gridcolor=GRID, linecolor=MUTED_TEXT,
                zerolinecolor=GRID, automargin=True)
    figure.update_xaxes(**axes)
    figure.update_yaxes(**axes)
    return figure


def _unit(largest_tco2e: float) -> tuple[float, str]:
    """The factor from tCO2e and the unit (gCO2e … ktCO2e) in which ``largest_tco2e`` reads well."""
    unit = scale_for(convert(largest_tco2e, "tCO2e", "kgCO2e"), "kgCO2e")[1]
    return convert(1.0, "tCO2e", unit), unit


def breakdown_bar(table: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of GWP by group, with the range as error bars, in the unit that reads well."""
    shown = table.sort_values("tco2e")
    factor, unit = _unit(float(shown["tco2e"].max()) if len(shown) else 0.0)
    central, low, high = (shown[c] * factor for c in ("tco2e", "tco2e_bas", "tco2e_haut"))
    figure = go.Figure(go.Bar(
        x=central, y=_safe(shown["groupe"]), orientation="h", marker_color=PALETTE[0],
        error_x=dict(type="data", symmetric=False, array=high - central, arrayminus=central - low, color="#555"),
        customdata=pd.concat([low, high, shown["mwh"], shown["declarations"]], axis=1),
        hovertemplate=f"%{{y}}<br>%{{x:,.3r}} {unit} (de %{{customdata[0]:,.3r}} à %{{customdata[1]:,.3r}})"
                      "<br>%{customdata[2]:,.3r} MWh<br>%{customdata[3]} déclaration(s)<extra></extra>"))
    figure.update_layout(title=_safe(title.replace("tCO2e", unit)),
                         xaxis_title=f"{unit} par an (valeur centrale et fourchette)")
    return _french(figure, height=max(260, 60 + 34 * len(shown)))


def pie_slices(table: pd.DataFrame, max_slices: int = MAX_SLICES, small_share: float = SMALL_SHARE
               ) -> pd.DataFrame:
    """The slices of the donut: the largest groups (at most ``max_slices``, each at least
    ``small_share`` of the total), the others summed into « Autres » (when there are two or more
    of them: one group is shown by its name): groupe, tco2e, part (fraction), texte (« 42 % »,
    « < 1 % », never « 0 »), groupes (how many groups the slice holds)."""
    ordered = table[table["tco2e"] > 0].sort_values("tco2e", ascending=False, kind="stable")
    total = float(ordered["tco2e"].sum())
    if total <= 0:
        return pd.DataFrame(columns=["groupe", "tco2e", "part", "texte", "groupes"])
    share = ordered["tco2e"] / total
    kept = (share >= small_share).to_numpy() & (pd.RangeIndex(len(ordered)) < max_slices)
    if (~kept).sum() == 1:  # « Autres (1) » would hide a name for nothing
        kept[:] = True
    slices = pd.DataFrame({"groupe": ordered["groupe"].astype(str).to_numpy()[kept],
                           "tco2e": ordered["tco2e"].to_numpy()[kept], "groupes": 1})
    rest = ordered[~kept]
    if len(rest):
        slices = pd.concat([slices, pd.DataFrame({"groupe": [f"{OTHERS} ({len(rest)})"],
                                                  "tco2e": [float(rest["tco2e"].sum())], "groupes": [len(rest)]})],
                           ignore_index=True)
    slices["part"] = slices["tco2e"] / total
    slices["texte"] = [f"{format_number(float(percent(p)), 2)} %" if float(percent(p)) >= 1 else "< 1 %"
                       for p in slices["part"]]
    return slices


def share_pie(table: pd.DataFrame, title: str) -> go.Figure:
    """A donut of the shares of GWP, the small groups in « Autres », labels outside the ring
    (dark on white, never clipped: the margins grow to fit them) and the names in the legend."""
    slices = pie_slices(table)
    factor, unit = _unit(float(slices["tco2e"].max()) if len(slices) else 0.0)
    figure = go.Figure(go.Pie(
        values=slices["tco2e"] * factor, labels=_safe(slices["groupe"]), hole=0.45, sort=False,
        direction="clockwise", marker=dict(colors=PALETTE[: len(slices)], line=dict(color=BACKGROUND, width=1)),
        text=slices["texte"], textinfo="text", textposition="outside", textfont=dict(color=TEXT),
        automargin=True, customdata=slices["texte"],
        hovertemplate=f"%{{label}}<br>%{{value:,.3r}} {unit} (%{{customdata}})<extra></extra>"))
    figure.update_layout(title=_safe(title), showlegend=True,
                         legend=dict(orientation="h", yanchor="top", y=-0.05, x=0.5, xanchor="center"))
    return _french(figure, height=420)


def scenario_colours(ids: list[str]) -> dict[str, str]:
    """The colour of each scenario id: the built-ins' own, then the authority's scenarios in
    ``CUSTOM_COLOURS``, in their order."""
    customs = [i for i in dict.fromkeys(ids) if i not in SCENARIO_COLOURS]
    return {i: SCENARIO_COLOURS.get(i) or CUSTOM_COLOURS[customs.index(i) % len(CUSTOM_COLOURS)]
            for i in dict.fromkeys(ids)}


def trajectories(table: pd.DataFrame, realised: pd.DataFrame | None = None) -> go.Figure:
    """One line per scenario with its range as a band, the target path dashed, and the realised
    inventory years as markers (« Réalisé », with the change from the year before in the hover),
    in the unit that reads well."""
    figure = go.Figure()
    largest = max([float(table["tco2e_haut"].max()) if len(table) else 0.0]
                  + ([float(realised["tco2e_haut"].max())] if realised is not None and len(realised) else []))
    factor, unit = _unit(largest)
    ids = table["id"] if "id" in table else table["scenario"]
    colours = scenario_colours(list(ids))
    for (identifier, name), rows in table.assign(id=ids).groupby(["id", "scenario"], sort=False):
        colour = colours[identifier]
        if identifier != TARGET_ID:
            figure.add_trace(go.Scatter(
                x=pd.concat([rows["annee"], rows["annee"][::-1]]),
                y=pd.concat([rows["tco2e_haut"], rows["tco2e_bas"][::-1]]) * factor, fill="toself",
                fillcolor=colour, opacity=0.18, line=dict(width=0), hoverinfo="skip", showlegend=False,
                name=_safe(f"{name} (fourchette)")))
        figure.add_trace(go.Scatter(
            x=rows["annee"], y=rows["tco2e"] * factor, name=_safe(name), mode="lines+markers",
            line=dict(color=colour, dash="dash" if identifier == TARGET_ID else "solid"),
            hovertemplate=f"%{{fullData.name}}<br>%{{x}} : %{{y:,.3r}} {unit}<extra></extra>"))
    if realised is not None and len(realised):
        central = realised["tco2e"] * factor
        figure.add_trace(go.Scatter(
            x=realised["annee"], y=central, name=REALISED, mode="markers",
            marker=dict(symbol="diamond", size=11, color=REALISED_COLOUR),
            error_y=dict(type="data", symmetric=False, array=realised["tco2e_haut"] * factor - central,
                         arrayminus=central - realised["tco2e_bas"] * factor, color=REALISED_COLOUR),
            customdata=realised[["evolution"]],
            hovertemplate=f"{REALISED} %{{x}} : %{{y:,.3r}} {unit}<br>%{{customdata[0]}}<extra></extra>"))
    figure.update_layout(title=f"Émissions de GES par an ({unit}), fourchette en bande",
                         xaxis=dict(title="Année", dtick=1), yaxis_title=f"{unit} par an")
    return _french(figure, height=420)


def stacked_kinds(table: pd.DataFrame, title: str) -> go.Figure:
    factor, unit = _unit(float(table.groupby("annee")["tco2e"].sum().max()) if len(table) else 0.0)
    figure = go.Figure()
    for index, (kind, rows) in enumerate(table.groupby("type", sort=True)):
        figure.add_trace(go.Scatter(x=rows["annee"], y=rows["tco2e"] * factor, name=_safe(kind), stackgroup="types",
                                    mode="lines",
                                    line=dict(color=PALETTE[index % len(PALETTE)]),
                                    hovertemplate=f"%{{fullData.name}}<br>%{{x}} : %{{y:,.3r}} {unit}<extra></extra>"))
    figure.update_layout(title=_safe(title.replace("tCO2e", unit)), xaxis=dict(title="Année", dtick=1),
                         yaxis_title=f"{unit} par an")
    return _french(figure)


def gateway_bars(table: pd.DataFrame) -> go.Figure:
    """Our central kWh beside the gateway's range, by imported declaration."""
    figure = go.Figure()
    figure.add_trace(go.Bar(x=_safe(table["id"]), y=table["kwh_empreinte_ia"], name="Empreinte IA (central)",
                            marker_color=PALETTE[0]))
    middle = (table["kwh_passerelle_min"] + table["kwh_passerelle_max"]) / 2
    figure.add_trace(go.Bar(x=_safe(table["id"]), y=middle, name="Passerelle (milieu de sa fourchette)",
                            marker_color=PALETTE[1],
                            error_y=dict(type="data", symmetric=False, array=table["kwh_passerelle_max"] - middle,
                                         arrayminus=middle - table["kwh_passerelle_min"])))
    figure.update_layout(barmode="group", yaxis_title="kWh",
                         title="Énergie par mois et modèle : notre estimation et celle de la passerelle")
    return _french(figure)
