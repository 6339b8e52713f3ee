"""Dash pages, one module per page (imported by Dash; a package so that import-linter sees them)."""
