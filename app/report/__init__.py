"""The provider meeting pack (issue 6): PDF, self-contained HTML and XLSX from one content model.

:mod:`app.report.content` decides what the pack says (pure, role-aware); :mod:`app.report.static_maps`,
:mod:`app.report.pdf`, :mod:`app.report.html` and :mod:`app.report.xlsx` lay it out;
:mod:`app.report.build` reads the store, writes the file and records the export in the audit log.
"""
