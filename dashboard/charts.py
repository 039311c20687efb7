"""Plotly figures of the dashboard, French formatted (``1 234,5``), from the tables of ``views``.

Must not: compute a figure (the tables come computed) or load anything from outside the
machine (Streamlit serves Plotly's code itself).
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.views.scenarios import TARGET

# Plotly's graph objects only: plotly.express costs ~200 ms on its first figure of a process.
SEPARATORS = ", "  # decimal comma, thin space for thousands: Plotly's French convention
PALETTE = qualitative.Safe
SCENARIO_COLOURS = {"Sobre": "#2a9d8f", "Tendanciel": "#e9c46a", "Intensif": "#e76f51", TARGET: "#264653"}


def _safe(labels):
    """Labels that name what a user typed (a service, a scenario, an id), as text: Plotly reads
    tags such as ``<a href>`` in labels, titles and legends, and decodes entities back."""
    if isinstance(labels, pd.Series):
        return labels.astype(str).map(_safe)
    return html.escape(str(labels), quote=False)


def _french(figure: go.Figure, height: int = 360) -> go.Figure:
    figure.update_layout(separators=SEPARATORS, height=height, margin=dict(l=10, r=10, t=40, b=10),
                         legend_title_text="", font_family="sans-serif")
    return figure


def breakdown_bar(table: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of tCO2e by group, with the range as error bars."""
    shown = table.sort_values("tco2e")
    figure = go.Figure(go.Bar(
        x=shown["tco2e"], y=_safe(shown["groupe"]), orientation="h", marker_color=PALETTE[0],
        error_x=dict(type="data", symmetric=False, array=shown["tco2e_haut"] - shown["tco2e"],
                     arrayminus=shown["tco2e"] - shown["tco2e_bas"], color="#555"),
        customdata=shown[["tco2e_bas", "tco2e_haut", "mwh", "declarations"]],
        hovertemplate="%{y}<br>%{x:,.3f} tCO2e (de %{customdata[0]:,.3f} à %{customdata[1]:,.3f})"
                      "<br>%{customdata[2]:,.3f} MWh<br>%{customdata[3]} déclaration(s)<extra></extra>"))
    figure.update_layout(title=_safe(title), xaxis_title="tCO2e par an (valeur centrale et fourchette)")
    return _french(figure, height=max(260, 60 + 34 * len(shown)))


def share_pie(table: pd.DataFrame, title: str) -> go.Figure:
    figure = go.Figure(go.Pie(values=table["tco2e"], labels=_safe(table["groupe"]), hole=0.45, sort=False,
                              marker=dict(colors=PALETTE), textinfo="percent",
                              hovertemplate="%{label}<br>%{value:,.3f} tCO2e (%{percent})<extra></extra>"))
    figure.update_layout(title=_safe(title))
    return _french(figure)


def trajectories(table: pd.DataFrame) -> go.Figure:
    """One line per scenario with its range as a band, and the target path dashed."""
    figure = go.Figure()
    for name, rows in table.groupby("scenario", sort=False):
        colour = SCENARIO_COLOURS.get(name, PALETTE[len(figure.data) % len(PALETTE)])
        if name != TARGET:
            figure.add_trace(go.Scatter(
                x=pd.concat([rows["annee"], rows["annee"][::-1]]),
                y=pd.concat([rows["tco2e_haut"], rows["tco2e_bas"][::-1]]), fill="toself", fillcolor=colour,
                opacity=0.18, line=dict(width=0), hoverinfo="skip", showlegend=False,
                name=_safe(f"{name} (fourchette)")))
        figure.add_trace(go.Scatter(
            x=rows["annee"], y=rows["tco2e"], name=_safe(name), mode="lines+markers",
            line=dict(color=colour, dash="dash" if name == TARGET else "solid"),
            hovertemplate="%{fullData.name}<br>%{x} : %{y:,.3f} tCO2e<extra></extra>"))
    figure.update_layout(title="Émissions de GES par an (tCO2e), fourchette en bande",
                         xaxis=dict(title="Année", dtick=1), yaxis_title="tCO2e par an")
    return _french(figure, height=420)


def stacked_kinds(table: pd.DataFrame, title: str) -> go.Figure:
    figure = go.Figure()
    for index, (kind, rows) in enumerate(table.groupby("type", sort=True)):
        figure.add_trace(go.Scatter(x=rows["annee"], y=rows["tco2e"], name=_safe(kind), stackgroup="types",
                                    mode="lines",
                                    line=dict(color=PALETTE[index % len(PALETTE)]),
                                    hovertemplate="%{fullData.name}<br>%{x} : %{y:,.3f} tCO2e<extra></extra>"))
    figure.update_layout(title=_safe(title), xaxis=dict(title="Année", dtick=1), yaxis_title="tCO2e par an")
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
