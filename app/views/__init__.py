"""Views: the one layer between a snapshot and every output (pages, the meeting pack, the CLI).

Each function takes frames of a :class:`~app.monitoring.Snapshot` (or the store's logs) and a
:class:`~app.security.roles.Scope`, and returns display-ready tables and words with the access policy
(:data:`app.security.roles.POLICY`) and disclosure control (:mod:`app.cluster.disclosure`) already applied.
Pages, the pack and the CLI lay these out and decide nothing themselves, so they cannot disagree.
"""
