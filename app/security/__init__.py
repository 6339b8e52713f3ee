"""Security: accounts, roles and scope, the audit log, limits and headers (issue 5).

Modules
- :mod:`~app.security.passwords` argon2id hashing (``hash_password``, ``verify``, ``check_strength``).
- :mod:`~app.security.accounts` users in the store: ``add``, ``get``, ``listing``, ``remove``,
  ``set_password``, ``end_sessions``, ``unlock``, ``authenticate`` (audited, throttled, no enumeration).
- :mod:`~app.security.roles` roles and :class:`~app.security.roles.Scope`; ``require``, ``current_scope``,
  ``view_properties``, ``audit_event`` for page callbacks.
- :mod:`~app.security.audit` the append-only audit log: ``record``, ``query``, ``count``, ``to_csv``.
- :mod:`~app.security.limits` log-in throttling/lock-out, ``check_upload`` (size, type, zip and XML bombs).
- :mod:`~app.security.exports` ``defuse(frame)`` against spreadsheet formula injection in CSV/XLSX exports.
- :mod:`~app.security.headers` security headers and the CSP.
The web side is :mod:`app.web.auth` (sign-in, the default-deny guard) and :mod:`app.web.errors`.

What every page callback does (the server decides; the browser's inputs are not trusted)::

    from app.security.roles import require, view_properties, audit_event
    from app.security import audit

    @callback(Output("wards-map", "figure"), Input("wards-la", "value"), Input("wards-month", "value"))
    def ward_map(la, month):
        scope = require(lad=la)                          # 403 unless the LA is in the user's scope
        rows = scope.filter_table(data.month_rows("ward", month, la))   # members: suppressed, rounded
        ...

    @callback(Output("properties-table", "data"), Input("properties-ward", "value"))
    def properties(ward):
        require(properties_of=ward)                      # 403 for members and other LAs' officers
        return view_properties(data.properties_in(ward), what=ward).to_dict("records")   # audited

* Any LA code from an input: ``require(lad=code)`` or ``scope.check_lad(code)``; any area (ward, LA or
  region): ``require(area=code)``. An input of None ("all LAs") is not checked: filter what is read.
* Monitoring-table rows: ``scope.filter_table(rows)`` (drops LAs out of scope; for members applies
  :mod:`app.cluster.disclosure` and adds ``people_display``/``suppressed``). Other rows with an LA column:
  ``scope.filter_rows(frame, lad_col)``. Dropdown options: ``scope.allowed_lads(snapshot)``; start page:
  ``scope.home_lad``.
* Property rows (addresses, points), sector-level counts, breakdowns below LA: ``require(properties_of=area)``
  and ``view_properties(frame, what)``; ``scope.can_see_addresses(lad)`` to decide what to draw;
  demographic cross-tables: ``scope.protect_breakdown(table, value_col, row_col, col_col, level=...)``.
* Uploads: ``limits.check_upload(name, bytes)`` before any reader, then
  ``audit_event(audit.UPLOAD, file_name, {...})``; loads, undo, exports: ``audit_event(audit.LOAD | UNDO |
  EXPORT, what, details)``; export frames through ``exports.defuse``.
* Admin-only callbacks: ``require("admin")``. Cache keys: include ``scope.key``.

:class:`~app.security.roles.Forbidden` becomes a 403 (JSON for callbacks) and an ``access_denied`` audit
entry; :class:`~app.security.roles.NotSignedIn` a 401.
"""
