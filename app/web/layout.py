"""The page shell: header, navigation built from the page registry, and the main region."""
from __future__ import annotations

import dash
from dash import dcc, html


def navigation() -> html.Nav:
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return html.Nav(
        html.Ul([html.Li(dcc.Link(p["name"], href=p["relative_path"])) for p in pages]),
        className="nav",
        **{"aria-label": "Main"},
    )


def shell() -> html.Div:
    return html.Div(
        [
            html.Header(
                [dcc.Link("Dispersal Monitor", href="/", className="brand"), navigation()],
                className="header",
            ),
            html.Main(dash.page_container, id="main", tabIndex="-1"),
            html.Footer(
                [
                    html.P(
                        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
                        "Contains OS data © Crown copyright and database right 2024."
                    ),
                    html.P(
                        "Published asylum support: Home Office, Immigration system statistics (table Asy_D11), "
                        "Open Government Licence v3.0. Monthly Home Office data and property addresses: "
                        "OFFICIAL-SENSITIVE."
                    ),
                ],
                className="attribution",
            ),
        ]
    )
