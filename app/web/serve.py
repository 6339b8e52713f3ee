"""Serve the dashboard with gunicorn: several worker processes over one store.

``serve(url, host, port, demo)`` checks the store, makes sure every worker
will share one secret key (created once in ``data/secret_key`` unless
``DISPERSAL_SECRET_KEY`` is set), then runs gunicorn in this process with
``DISPERSAL_WORKERS`` workers (default: 2 x cores, at most 8) of
``DISPERSAL_THREADS`` threads each (default 4). Each worker builds its own
app (one Dash app per process) and its own connection pool. For a shared
deployment use PostgreSQL and put a reverse proxy with TLS in front (README,
"Deployment"); set ``DISPERSAL_PROXIES`` to the number of proxies so that the
client address (log-in throttling, audit) and https are taken from their
``X-Forwarded-*`` headers.
"""
from __future__ import annotations

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
    proxies = int(os.environ.get("DISPERSAL_PROXIES", "0") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app.server


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
        "forwarded_allow_ips": "*" if os.environ.get("DISPERSAL_PROXIES") else "127.0.0.1",
    }


def serve(db_url: str | None, host: str = "127.0.0.1", port: int = 8050, demo: bool = False) -> int:
    from gunicorn.app.base import BaseApplication

    from app.store import db
    from app.web import auth

    settings = load_settings(db_url)
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

    print(f"Dispersal Monitor at http://{host}:{port}/ ({workers()} workers, store {db.mask_url(url)})",
          file=sys.stderr)
    if not auth.insecure_cookies():
        print("The session cookie is Secure: serve it over https (reverse proxy with TLS). For a local try-out "
              "over plain http set DISPERSAL_INSECURE_COOKIES=1.", file=sys.stderr)
    Application().run()
    return 0
