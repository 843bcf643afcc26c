"""Roles from the identity: config/roles.toml [sign_in] mapping and its validation (plain functions, no Streamlit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.config import ConfigError, resolve_config_dir
from data_access.roles import ClaimRule, SignInRules, identity_label, load_sign_in_rules, role_for_identity

RULES = SignInRules(
    emails={"lead@example.org": "analyst"},
    claims=(ClaimRule("roles", "DFM.Analyst", "analyst"), ClaimRule("groups", "g-commissioners", "commissioner"),
            ClaimRule("roles", "DFM.ServiceManager", "service_manager")),
)


@pytest.mark.parametrize(("claims", "expected"), [
    ({"roles": ["DFM.Analyst"]}, "analyst"),
    ({"roles": "DFM.Analyst"}, "analyst"),  # a single value, not a list
    ({"groups": ["x", "g-commissioners"]}, "commissioner"),
    ({"roles": ["DFM.ServiceManager"], "groups": ["g-commissioners"]}, "commissioner"),  # first rule in file order
    ({"roles": ["DFM.ServiceManager", "DFM.Analyst"]}, "analyst"),
    ({"email": "Lead@Example.org", "roles": ["DFM.ServiceManager"]}, "analyst"),  # allow-list first; any case
    ({"email": "lead@example.org", "email_verified": False}, None),  # an unverified address counts for nothing
    ({"email": "lead@example.org", "email_verified": True}, "analyst"),
    ({"roles": ["dfm.analyst"]}, None),  # claim values are exact
    ({"role": ["DFM.Analyst"]}, None),  # another claim's name
    ({"roles": [{"DFM.Analyst": True}]}, None),
    ({}, None),
])
def test_the_first_matching_rule_decides(claims: dict, expected: str | None):
    assert RULES.role_id_for(claims) == expected


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # the machine is shared and busy
@given(st.dictionaries(st.sampled_from(["roles", "groups", "email", "name", "sub", "wids"]),
                       st.one_of(st.text(max_size=20), st.lists(st.text(max_size=20), max_size=4))))
def test_no_rule_no_role(claims: dict):
    """Claims that hold none of the configured values (or the allow-listed address) never give a role."""
    configured = {"DFM.Analyst", "g-commissioners", "DFM.ServiceManager"}
    values = [v for value in claims.values() for v in (value if isinstance(value, list) else [value])]
    email = claims.get("email")
    if not (set(values) & configured) and not (isinstance(email, str) and email.strip().lower() == "lead@example.org"):
        assert RULES.role_id_for(claims) is None


def test_the_shipped_config_maps_entra_app_roles():
    rules = load_sign_in_rules()
    assert dict(rules.emails) == {}
    assert role_for_identity({"roles": ["DFM.Commissioner"]}).id == "commissioner"
    assert role_for_identity({"roles": ["DFM.Analyst"]}).id == "analyst"
    assert role_for_identity({"roles": ["Something.Else"], "email": "x@example.org"}) is None


def test_identity_label_prefers_the_address_then_the_subject():
    assert identity_label({"email": "a@example.org", "sub": "123"}) == "a@example.org"
    assert identity_label({"preferred_username": "a.b@council.gov.uk", "sub": "123"}) == "a.b@council.gov.uk"
    assert identity_label({"sub": "0f3c"}) == "sub:0f3c"


def write_config(tmp_path: Path, sign_in: str) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(resolve_config_dir(), folder)
    text = (folder / "roles.toml").read_text(encoding="utf-8")
    text = text[: text.index("\n[sign_in.emails]") + 1] + sign_in
    (folder / "roles.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("sign_in", "message"), [
    ('[[sign_in.claim]]\nclaim = "roles"\nvalue = "X"\nrole = "administrator"\n', "role 'administrator' is not one"),
    ('[[sign_in.claim]]\nclaim = "roles"\nvalue = "X"\n', "missing role"),
    ('[[sign_in.claim]]\nclaim = "roles"\nvalue = "X"\nrole = "analyst"\ncolour = "red"\n', "unknown field(s) colour"),
    ('[[sign_in.claim]]\nclaim = "aud"\nvalue = "X"\nrole = "analyst"\n', "says nothing about the person"),
    ('[[sign_in.claim]]\nclaim = "roles"\nvalue = ""\nrole = "analyst"\n', "value must be a non-empty string"),
    ('[[sign_in.claim]]\nclaim = "roles"\nvalue = "X"\nrole = "analyst"\n'
     '[[sign_in.claim]]\nclaim = "roles"\nvalue = "X"\nrole = "commissioner"\n', "already mapped above"),
    ('[sign_in.emails]\n"not-an-address" = "analyst"\n', "is not an e-mail address"),
    ('[sign_in.emails]\n"A@example.org" = "analyst"\n"a@example.org" = "analyst"\n', "listed twice"),
    ('[sign_in]\nallow_everyone = true\n', "unknown field(s) allow_everyone"),
])
def test_a_wrong_mapping_is_refused_at_load_with_a_clear_message(tmp_path: Path, sign_in: str, message: str):
    folder = write_config(tmp_path, sign_in)
    with pytest.raises(ConfigError) as refused:
        load_sign_in_rules(folder)
    assert message in str(refused.value)
    assert "@example.org" not in str(refused.value), "an address is named by its position, not quoted"


def test_an_allow_list_loads(tmp_path: Path):
    folder = write_config(tmp_path, '[sign_in.emails]\n" Someone@Example.org " = "commissioner"\n')
    rules = load_sign_in_rules(folder)
    assert rules.role_id_for({"email": "someone@example.org"}) == "commissioner"
    assert rules.claims == ()
