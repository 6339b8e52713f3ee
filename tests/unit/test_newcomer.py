"""Snags a newcomer met: the README's example postcode, where the demo writes its inputs, ``demo --port``."""

from __future__ import annotations

import re

import pandas as pd

from app import demo
from app.cli import build_parser
from app.config import ROOT

REFERENCE = ROOT.parent / "shared" / "reference"


def test_readme_check_property_postcode_is_in_the_real_lookup():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    postcodes = re.findall(r'check-property --postcode "([^"]+)"', readme)
    assert postcodes
    lookup = pd.concat([pd.read_csv(p, usecols=["postcode"], dtype=str) for p in REFERENCE.glob("postcodes_*.csv")])
    assert set(postcodes) <= set(lookup["postcode"])


def test_demo_inputs_go_beside_a_store_given_with_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'try.sqlite'}"
    assert demo.inputs_for(url) == tmp_path / "elsewhere" / "try-inputs"
    assert not demo.inputs_for(url).is_relative_to(ROOT)
    assert demo.inputs_for(demo.DEMO_DB) == demo.DEMO_DIR


def test_demo_takes_a_port():
    args = build_parser().parse_args(["demo", "--no-serve", "--port", "8123"])
    assert args.port == 8123
    assert build_parser().parse_args(["demo"]).port == 8050
