"""The access policy (issue 10): one table of actions x roles x area relation, asked by everything.

The table must be complete (every action, role and relation has an answer), every action the code asks
about must be in it, and every CLI command must name the action it performs. Scopes built from it must say
what the README's role table says.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from app import cli
from app.security import roles
from app.security.roles import ACTIONS, OTHER, OWN, POLICY, REGION, RELATIONS, ROLES, allowed, scope_for

APP = Path(__file__).resolve().parents[2] / "app"
#: Calls whose first argument is an action of the policy.
ASKING = {"allows", "check", "allowed", "roles_allowed", "lads_for"}


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    lad_code: str | None = None
    region_code: str | None = None


AREAS = pd.DataFrame(
    {
        "area_code": ["R1", "R2", "LA_A", "LA_B", "LA_C", "W_A1", "W_B1", "W_C1"],
        "level": ["region", "region", "lad", "lad", "lad", "ward", "ward", "ward"],
        "lad_code": [None, None, "LA_A", "LA_B", "LA_C", "LA_A", "LA_B", "LA_C"],
        "region_code": [None, None, "R1", "R1", "R2", "R1", "R1", "R2"],
    }
)


@pytest.mark.parametrize(("action", "role", "relation"), list(itertools.product(ACTIONS, ROLES, RELATIONS)))
def test_every_action_role_and_relation_has_an_answer(action, role, relation):
    assert (action, role) in POLICY
    assert isinstance(allowed(action, role, relation), bool)


def test_the_table_names_nothing_else_and_refuses_what_it_does_not_know():
    assert set(POLICY) == set(itertools.product(ACTIONS, ROLES))
    assert all(rights <= set(RELATIONS) for rights in POLICY.values())
    with pytest.raises(KeyError):
        allowed("print money", "admin", OWN)
    with pytest.raises(KeyError):
        allowed(roles.LOAD, "visitor", OWN)
    with pytest.raises(KeyError):
        allowed(roles.LOAD, "admin", "next door")


def _asked_actions() -> list[tuple[str, str]]:
    """(where, action) for every action the app's code asks the policy about, by name or as a literal."""
    asked = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            arguments = []
            if name in ASKING and node.args:
                arguments.append(node.args[0])
            if name == "require":
                arguments += [k.value for k in node.keywords if k.arg == "action"]
            for argument in arguments:
                where = f"{path.relative_to(APP.parent)}:{node.lineno}"
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    asked.append((where, argument.value))
                elif isinstance(argument, ast.Name) and argument.id.isupper():
                    asked.append((where, getattr(roles, argument.id, f"<{argument.id} is not in roles.py>")))
    return asked


def test_every_action_the_code_asks_about_has_an_entry():
    asked = _asked_actions()
    assert len({a for _, a in asked}) >= 8, asked  # the scan finds the pages', pack's and CLI's questions
    missing = [(where, action) for where, action in asked if action not in ACTIONS]
    assert not missing, f"actions used without an entry in roles.POLICY: {missing}"


def test_every_cli_command_names_its_action():
    parser = cli.build_parser()
    commands = set(next(a for a in parser._actions if a.dest == "command").choices)
    assert set(cli.COMMAND_ACTIONS) == commands
    assert {a for a in cli.COMMAND_ACTIONS.values() if a is not None} <= set(ACTIONS)


def test_scopes_follow_the_table():
    admin = scope_for(Account("a", "admin"), AREAS)
    regional = scope_for(Account("r", "regional", region_code="R1"), AREAS)
    officer = scope_for(Account("o", "officer", lad_code="LA_A"), AREAS)
    member = scope_for(Account("m", "member", lad_code="LA_A"), AREAS)
    assert [officer.relation(c) for c in ("LA_A", "W_A1", "LA_B", "W_B1", "R1", "LA_C", "R2")] == [
        OWN,
        OWN,
        REGION,
        REGION,
        REGION,
        OTHER,
        OTHER,
    ]
    for action in roles.AREA_ACTIONS:
        for scope in (admin, regional, officer, member):
            for code in ("LA_A", "W_B1", "LA_C", "R1"):
                assert scope.allows(action, code) == allowed(action, scope.role, scope.relation(code))
    assert officer.lad_codes == {"LA_A", "LA_B"} and officer.property_level_lads == {"LA_A"}
    assert not officer.can_see_ward_breakdown("W_B1") and officer.can_see_ward_breakdown("W_A1")
    assert member.lad_codes == {"LA_A"} and member.region_codes == frozenset()
    assert member.allows(roles.MAKE_PACK, "LA_A") and not member.allows(roles.MAKE_PACK, "R1")
    assert regional.allows(roles.MAKE_PACK, "R1") and not regional.allows(roles.MAKE_PACK, "R2")
    assert admin.allows(roles.READ_AUDIT) and not regional.allows(roles.READ_AUDIT)
    assert regional.allows(roles.LOAD) and not officer.allows(roles.LOAD)
    assert roles.roles_allowed(roles.MANAGE_ACCOUNTS) == ("admin",)


def test_an_account_whose_la_is_not_an_la_sees_nothing_rather_than_everything():
    for code in ("W_A1", "E99999999"):
        scope = scope_for(Account("o", "officer", lad_code=code), AREAS)
        assert scope.lad_codes == frozenset() and scope.region_codes == frozenset()
        assert scope.property_level_lads == frozenset()


def test_quality_notes_of_a_file_covering_other_las_are_withheld():
    officer = scope_for(Account("o", "officer", lad_code="LA_A"), AREAS)
    regional = scope_for(Account("r", "regional", region_code="R1"), AREAS)
    assert officer.can_see_quality_notes(["LA_A"])
    assert not officer.can_see_quality_notes(["LA_A", "LA_B"]) and not officer.can_see_quality_notes([])
    assert regional.can_see_quality_notes(["LA_A", "LA_B"]) and not regional.can_see_quality_notes(["LA_C"])
    from app.views.quality import WITHHELD, quality_notes

    problems = pd.DataFrame(
        {
            "load_id": [1, 2],
            "file_name": ["a.csv", "ab.xlsx"],
            "period": ["2025-01", "2025Q1"],
            "severity": ["warn", "warn"],
            "code": ["mismatch", "unplaced"],
            "message": ["sector A1 1 in A", "ZZ1 1ZZ in B"],
        }
    )
    loads = pd.DataFrame({"id": [1, 2], "scope": ["LA_A", "LA_A,LA_B"]})
    notes = quality_notes(problems, loads, officer)
    assert list(notes["Note"]) == ["sector A1 1 in A", WITHHELD]
    assert list(quality_notes(problems, loads, regional)["Note"]) == list(problems["message"])
