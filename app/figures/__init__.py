"""Figures as plain plotly dicts built from domain tables; no Dash imports (see ``maps`` and ``charts``)."""
