"""Serve the dashboard with gunicorn: several worker processes over one store.

``serve(url, host, port, demo)`` checks the store, makes sure every worker
will share one secret key (created once in ``data/secret_key`` unless
``DISPERSAL_SECRET_KEY`` is set), then runs gunicorn in this process with
``DISPERSAL_WORKERS`` workers (default: 2 x cores, at most 8) of
``DISPERSAL_THREADS`` threads each (default 4). Each worker builds its own
app (one Dash app per process) and its own connection pool. For a shared
deployment use PostgreSQL and put a reverse proxy with TLS in front (README,
"Deployment"); set ``DISPERSAL_PROXIES`` to the proxies' addresses (comma-separated
addresses or networks, e.g. ``10.0.0.5,10.0.0.6``) so that the client address
(log-in throttling, audit) and https are taken from their ``X-Forwarded-*``
headers, and only from them: a request from any other address keeps its own.
The access log escapes control characters (:class:`app.security.logs.AccessLogger`).
"""

from __future__ import annotations

import ipaddress
import os
import sys

from app.config import load_settings

DEFAULT_THREADS = 4
TIMEOUT_S = 120


def workers() -> int:
    configured = os.environ.get("DISPERSAL_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def wsgi_app(db_url: str | None = None):
    """The WSGI application of one worker (what gunicorn serves)."""
    from app.web import create_app

    app = create_app(load_settings(db_url))
    networks = trusted_proxies()
    if networks:
        app.server.wsgi_app = TrustedProxies(app.server.wsgi_app, networks)
    return app.server


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(raw: str | None = None) -> list[Network]:
    """The reverse proxies ``DISPERSAL_PROXIES`` lists (addresses or networks, comma-separated)."""
    raw = os.environ.get("DISPERSAL_PROXIES", "") if raw is None else raw
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if part.isdigit():
            raise ValueError(
                f"DISPERSAL_PROXIES={raw!r}: list the reverse proxies' addresses (e.g. 10.0.0.5 or "
                "10.0.0.0/29), not how many there are: X-Forwarded-For is trusted only from them"
            )
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"DISPERSAL_PROXIES: '{part}' is not an IP address or network") from None
    return networks


class TrustedProxies:
    """Take the client address, scheme and host from ``X-Forwarded-*`` only when the request came from a
    listed proxy; the client is the nearest address in ``X-Forwarded-For`` that is not itself a proxy."""

    def __init__(self, app, networks: list[Network]):
        self.app = app
        self.networks = networks

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        if self.trusted(peer):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            client = peer
            for hop in reversed(hops):
                client = hop
                if not self.trusted(hop):
                    break
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[-1].strip()
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)


def options(host: str, port: int) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers(),
        "worker_class": "gthread",
        "threads": int(os.environ.get("DISPERSAL_THREADS", DEFAULT_THREADS)),
        "timeout": TIMEOUT_S,
        "graceful_timeout": 30,
        "keepalive": 5,
        "limit_request_line": 8190,
        "accesslog": "-",
        # No query strings in the access log: only method, path, status, size and time.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        "errorlog": "-",
        "preload_app": False,
        "logger_class": "app.security.logs.AccessLogger",
        # gunicorn takes single addresses only; TrustedProxies handles networks itself.
        "forwarded_allow_ips": ",".join(str(n.network_address) for n in trusted_proxies() if n.num_addresses == 1)
        or "127.0.0.1",
    }


def serve(db_url: str | None, host: str = "127.0.0.1", port: int = 8050, demo: bool = False) -> int:
    from gunicorn.app.base import BaseApplication

    from app.store import db
    from app.web import auth

    settings = load_settings(db_url)
    trusted_proxies()  # a wrong DISPERSAL_PROXIES stops here, with its message, not in every worker
    from app.security import oidc

    oidc.check_settings(settings)  # likewise half a single sign-on configuration
    engine = db.connect(settings.db_url)
    db.check_ready(engine)
    db.dispose(settings.db_url)  # no connection crosses the fork into the workers
    if demo and not os.environ.get("DISPERSAL_INSECURE_COOKIES"):
        os.environ["DISPERSAL_INSECURE_COOKIES"] = "1"  # the demo runs on plain http on this machine only
    auth.secret_key()  # made here, once, before the workers start and read it
    url = settings.db_url

    class Application(BaseApplication):
        def load_config(self):
            for key, value in options(host, port).items():
                self.cfg.set(key, value)

        def load(self):
            return wsgi_app(url)

    print(
        f"Dispersal Monitor at http://{host}:{port}/ ({workers()} workers, store {db.mask_url(url)})", file=sys.stderr
    )
    if not auth.insecure_cookies():
        print(
            "The session cookie is Secure: serve it over https (reverse proxy with TLS). For a local try-out "
            "over plain http set DISPERSAL_INSECURE_COOKIES=1.",
            file=sys.stderr,
        )
    Application().run()
    return 0
