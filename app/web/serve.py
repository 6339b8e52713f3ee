"""Serve the dashboard."""
from __future__ import annotations

import sys

from app.config import load_settings


def serve(db_url: str | None, host: str = "127.0.0.1", port: int = 8050, demo: bool = False) -> int:
    from app.web import create_app

    app = create_app(load_settings(db_url))
    print(f"Dispersal Monitor at http://{host}:{port}/", file=sys.stderr)
    app.run(host=host, port=port, debug=False, threaded=True)
    return 0
