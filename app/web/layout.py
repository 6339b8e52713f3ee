"""The page shell: header, navigation built from the page registry, the signed-in user, and the main region.

The shell is built for each request of ``/_dash-layout``, so it shows the signed-in user's name and role
and only the pages their role can use. Hiding a link is only a convenience: each page's layout and
callbacks check the role again on the server.
"""

from __future__ import annotations

import dash
from dash import dcc, html

from app.security.roles import CHECK_PROPERTY, LOAD, MANAGE_ACCOUNTS, VIEW_PROPERTY_ROWS, roles_allowed

#: Pages offered only to some roles (path -> roles, from the access policy); every other page is offered to
#: everyone signed in.
PAGE_ROLES = {
    "/admin": roles_allowed(MANAGE_ACCOUNTS),
    "/data": roles_allowed(LOAD),
    "/properties": roles_allowed(VIEW_PROPERTY_ROWS),
    "/check": roles_allowed(CHECK_PROPERTY),
}
ROLE_WORDS = {
    "admin": "administrator",
    "regional": "regional lead",
    "officer": "council officer",
    "member": "councillor (member)",
}


def _scope():
    from app.web import data

    return data.layout_scope()


def offered(path: str, role: str | None) -> bool:
    roles = PAGE_ROLES.get(path)
    return roles is None or role in roles


def navigation(role: str | None = None) -> html.Nav:
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return html.Nav(
        html.Ul(
            [
                html.Li(dcc.Link(p["name"], href=p["relative_path"]))
                for p in pages
                if p.get("nav", True) and offered(p["path"], role)
            ]
        ),
        className="nav",
        **{"aria-label": "Main"},
    )


def account(scope) -> html.Div:
    """Who is signed in, as what, and the way out: a form posting the CSRF token to ``/logout`` (a server
    route, not a page), so that no link on another site can sign anyone out."""
    if scope is None:
        return html.Div(id="account")
    return html.Div(
        [
            html.Span(
                [
                    "Signed in as ",
                    html.Strong(scope.user, id="account-user"),
                    " (",
                    html.Span(ROLE_WORDS.get(scope.role, scope.role), id="account-role"),
                    ")",
                ]
            ),
            " ",
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=_csrf_token()),
                    html.Button(
                        "Sign out",
                        type="submit",
                        id="account-sign-out",
                        className="link-button",
                        style={"color": "#ffffff"},
                    ),
                ],
                method="post",
                action="/logout",
                style={"display": "inline"},
            ),
        ],
        id="account",
        className="account",
        style={"color": "#ffffff", "paddingBottom": "10px"},
    )


def _csrf_token() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


def shell() -> html.Div:
    scope = _scope()
    role = scope.role if scope is not None else None
    return html.Div(
        [
            html.Header(
                [dcc.Link("Dispersal Monitor", href="/", className="brand"), navigation(role), account(scope)],
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
