"""The benchmark's bare page exists only where the bench server asks for it: never in an ordinary app."""

from __future__ import annotations

import dash

from app.web import bench_page


def test_the_bare_page_is_not_registered_without_its_variable(client, dash_call, monkeypatch):
    monkeypatch.delenv(bench_page.ENV, raising=False)
    assert not bench_page.enabled()
    assert bench_page.PATH not in {p["path"] for p in dash.page_registry.values()}
    layout = dash_call.render(bench_page.PATH)
    assert dash_call.find(layout, "bench-bare") is None
    assert "/_bench" not in client.get("/").get_data(as_text=True)
    monkeypatch.setenv(bench_page.ENV, "1")
    assert bench_page.enabled()
