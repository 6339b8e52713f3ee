"""Writers that read before they write must queue, not fail, on SQLite ("database is locked").

Found by the load benchmark, which adds accounts three at a time: a deferred transaction that has read
cannot wait for another writer (SQLite returns BUSY at once), so every writer begins IMMEDIATE.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from app.security import accounts, audit
from app.store import db, schema


def test_adding_an_account_waits_for_another_writer_instead_of_failing(sqlite_url):
    engine = db.connect(sqlite_url)
    holding = threading.Event()

    def other_writer():
        with db.writing(engine) as conn:
            conn.execute(schema.store_meta.insert().values(key="held", value="1"))
            holding.set()
            time.sleep(0.8)

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert holding.wait(10)
    started = time.perf_counter()
    user = accounts.add(engine, "officer1", "correct-horse-battery-staple-1", "regional")
    waited = time.perf_counter() - started
    writer.join()
    assert user.username == "officer1"
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(schema.store_meta.c.value).where(schema.store_meta.c.key == "held")).scalar() == "1"
        )
    assert audit.count(engine, audit.USER_ADDED, what="officer1", since=audit.now() - timedelta(minutes=5)) == 1
    assert waited > 0.2  # it queued behind the other writer rather than failing
