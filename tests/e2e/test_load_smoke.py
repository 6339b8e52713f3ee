"""The load-test harness of ``make bench`` (tests/benchmarks/load.py), run small: 5 users for 10 s.

Over the demo store shared with the other browser tests, against the real production server (gunicorn,
this machine's default workers), with one account per role made by ``python -m app users add``. No warm-up:
the users meet cold caches in every worker at once, which is where errors under concurrency show first.
"""

from __future__ import annotations

from tests.benchmarks import load

SMOKE_PLAN = (("regional", None), ("officer", 0), ("member", 1))


def test_five_users_for_ten_seconds_get_every_answer(demo_store, e2e_work):
    outcome = load.load_test(
        demo_store, e2e_work / "load-smoke", users=5, load_s=10, single_s=3, plan=SMOKE_PLAN, warm=False, log=print
    )

    assert outcome["sign_in"]["errors"] == 0
    loaded = outcome["load"]
    assert loaded["errors"] == 0, loaded["error_examples"]
    assert loaded["stuck_users"] == 0
    assert set(outcome["roles"]) == {"regional", "officer", "member"}
    # Every page was visited and its callbacks answered, not only the page shells.
    served = loaded["count_by_request"]
    assert served.get("page", 0) >= 5
    assert served.get("callback:_pages_content.children,_pages_store.data", 0) >= 5
    assert any(kind.startswith("callback:wards-map.figure") for kind in served), served
    assert loaded["count_by_kind"]["callback"] > loaded["count_by_kind"]["page"]
    assert outcome["single"]["requests"] > 0 and outcome["single"]["errors"] == 0
    assert outcome["p95_ratio"] > 0
    assert not outcome["server_log_problems"], outcome["server_log_problems"]
