"""E-mail alerts: after each committed load, each LA's recipients get the "what changed" digest.

:func:`after_load` runs once the load's transaction has committed. It works out the months and LAs the
load changed (:func:`app.materialise.affected`, loaded or undone), figures the changes of the latest of
those months for each LA with recipients (:func:`app.monitoring.changes_in`, the overview's and the
``changes`` command's rule), and sends one message per recipient through the configured SMTP server
(``smtp_*`` settings), worded for the recipient's role (:func:`app.views.alerts.digest`).

Mail never fails a load: with no SMTP server configured nothing is sent and the load result says so; a
server that cannot be reached or refuses is recorded in the audit log (LA, month, the error's kind, never a
figure) and said in the load result.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pandas as pd
import sqlalchemy as sa

from app import materialise, monitoring
from app.config import Settings
from app.security import audit
from app.store import queries, schema
from app.views.alerts import digest

#: Load kinds whose figures an alert reports on.
ALERTED = ("home_office", "properties")


@dataclass
class Outcome:
    """What :func:`after_load` did: ``note`` is the one line for the load result, after "e-mail alerts: "
    (None: nothing to say)."""

    month: str | None = None
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    note: str | None = None


def after_load(engine, load_id: int | None, settings: Settings, *, who: str, undone: bool = False) -> Outcome:
    """Send the alerts that load ``load_id`` (just committed, or just undone) calls for; never raises."""
    if load_id is None:
        return Outcome()
    try:
        return _after_load(engine, int(load_id), settings, who, undone)
    except Exception as failed:  # the load has committed; a failure here is reported, not raised
        reason = _reason(failed)
        _record_failure(engine, who, None, None, load_id, 0, reason)
        return Outcome(note=f"not sent ({reason}); the load stands; recorded in the audit log")


def _after_load(engine, load_id: int, settings: Settings, who: str, undone: bool) -> Outcome:
    with engine.connect() as conn:
        load = conn.execute(
            sa.select(schema.loads.c.kind, schema.loads.c.scope, schema.loads.c.file_name, schema.loads.c.period).where(
                schema.loads.c.id == load_id
            )
        ).one_or_none()
        if load is None or load.kind not in ALERTED:
            return Outcome()
        recipients = queries.alert_recipients(conn)
        if recipients.empty:
            return Outcome()
        changed = materialise.affected(conn, load_id)
    if not changed:
        return Outcome()
    month = max(changed)
    lads = changed[month]
    if lads is None:  # a property list: the LAs it lists (every LA when it names none)
        lads = {c for c in (load.scope or "").split(",") if c} or set(recipients["lad_code"])
    recipients = recipients[recipients["lad_code"].isin(lads)]
    if recipients.empty:
        return Outcome(month)
    count = len(recipients)
    if not settings.smtp_host:
        return Outcome(
            month,
            note=f"not sent to {count} recipient(s): no SMTP server is configured (DISPERSAL_SMTP_HOST)",
        )
    snap = monitoring.snapshot(engine, settings)
    if month not in snap.months:
        return Outcome(month, note=f"not sent: no Home Office figures for {month} are in use any more")
    after = _after_words(load, load_id, undone)
    messages = []
    for lad, group in recipients.groupby("lad_code", sort=True):
        found = monitoring.changes_in(snap, month, lad)
        for email, role in group[["email", "role"]].itertuples(index=False):
            mail = digest(found, snap.table, snap.areas, str(lad), str(role), after)
            messages.append((str(lad), str(email), _message(mail, str(email), settings)))
    outcome = Outcome(month)
    try:
        _send(settings, messages, outcome)
    except (OSError, smtplib.SMTPException) as failed:
        outcome.failed = [email for _, email, _ in messages if email not in outcome.sent]
        reason = _reason(failed)
        for lad, group in pd.DataFrame(messages, columns=["lad", "email", "m"]).groupby("lad"):
            missed = [e for e in group["email"] if e in outcome.failed]
            if missed:
                _record_failure(engine, who, str(lad), month, load_id, len(missed), reason)
    for lad, group in pd.DataFrame(messages, columns=["lad", "email", "m"]).groupby("lad"):
        done = [e for e in group["email"] if e in outcome.sent]
        if done:
            audit.record(
                engine, who, audit.ALERT_SENT, str(lad), {"month": month, "load_id": load_id, "recipients": len(done)}
            )
    if outcome.failed:
        outcome.note = (
            f"for {month} not sent to {len(outcome.failed)} of {count} recipient(s) "
            f"({reason}); the load stands; recorded in the audit log"
        )
    else:
        outcome.note = f"for {month} sent to {count} recipient(s)"
    return outcome


def _after_words(load, load_id: int, undone: bool) -> str:
    what = "the Home Office file" if load.kind == "home_office" else "the property list"
    period = f" for {load.period}" if load.period else ""
    return f"{what} {load.file_name}{period} was {'undone' if undone else 'loaded'} (load {load_id})"


def _message(mail, to: str, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    sender = settings.smtp_from or f"dispersal-monitor@{settings.smtp_host}"
    message["From"] = sender
    message["To"] = to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(mail.text)
    return message


def _send(settings: Settings, messages: list, outcome: Outcome) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as server:
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password)
        for _lad, email, message in messages:
            server.send_message(message)
            outcome.sent.append(email)


def _reason(failed: Exception) -> str:
    """The error's kind and the server's words (never the message, which carries figures)."""
    if isinstance(failed, smtplib.SMTPResponseException):
        words = failed.smtp_error.decode("utf-8", "replace") if isinstance(failed.smtp_error, bytes) else ""
        return f"{type(failed).__name__} {failed.smtp_code} {words[:120]}".strip()
    if isinstance(failed, (OSError, smtplib.SMTPException)):
        return f"{type(failed).__name__}: {str(failed)[:120]}"
    return type(failed).__name__


def _record_failure(engine, who, lad, month, load_id, recipients, reason) -> None:
    try:
        audit.record(
            engine,
            who,
            audit.ALERT_FAILED,
            lad,
            {"month": month, "load_id": load_id, "recipients": recipients, "reason": reason},
        )
    except Exception:  # the store itself is failing; the load result still says so
        pass
