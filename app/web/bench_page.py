"""A bare page of the app for the page-usable benchmark: what Dash itself costs, measured in the same run.

Registered only when the bench server sets ``DISPERSAL_BENCH_BARE_PAGE=1`` (``tests/benchmarks/pages.py``), so it
never exists in production. It has the app's shell, sign-in and security like every page, and one Div filled by
one callback, so a real page's time over this one is what the page's own work costs.
"""

from __future__ import annotations

import os

import dash
from dash import Input, Output, callback, html

ENV = "DISPERSAL_BENCH_BARE_PAGE"
PATH = "/_bench/bare"


def enabled() -> bool:
    return os.environ.get("DISPERSAL_BENCH_BARE_PAGE", "") == "1"


def layout(**_query) -> html.Div:
    return html.Div([html.H1("Bare page"), html.Div(id="bench-bare")])


def register() -> None:
    dash.register_page(__name__, path=PATH, name="Bare page", order=999, nav=False, layout=layout, title="Bare")

    @callback(Output("bench-bare", "children"), Input("bench-bare", "id"))
    def fill(_):
        return html.P("Filled by one callback.", id="bench-bare-filled")
