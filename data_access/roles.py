"""Who gets which role after signing in: config/roles.toml [sign_in], validated at load.

The identity provider vouches for who someone is; the council decides what they may see. Rules are checked in a
fixed order and the first match decides: the e-mail allow-list, then the claim rules in the file's order. Nobody
can change the outcome from the browser: it depends only on the ID token's claims (docs/sign-in.md).
No streamlit here, so the mapping is a plain function with plain tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from data_access.config import ConfigError, Role, RoleCatalogue, load_roles, read_config_file

# Claims an identity provider controls about the person; a rule on any other (say "iss" or "aud") is a mistake.
RESERVED_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "auth_time", "azp",
                             "is_logged_in", "provider", "origin"})
CLAIM_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ClaimRule:
    """A person whose ID token's `claim` holds `value` (or a list containing it) gets `role`."""

    claim: str
    value: str
    role: str


@dataclass(frozen=True)
class SignInRules:
    emails: Mapping[str, str]  # lower-cased address -> role id
    claims: tuple[ClaimRule, ...]

    def role_id_for(self, claims: Mapping[str, object]) -> str | None:
        """The role id for an identity's claims, or None when no rule matches."""
        email = claims.get("email")
        if isinstance(email, str) and claims.get("email_verified") is not False:
            role = self.emails.get(email.strip().lower())
            if role:
                return role
        for rule in self.claims:
            held = claims.get(rule.claim)
            values = held if isinstance(held, list | tuple) else [held]
            if any(isinstance(value, str | int) and str(value) == rule.value for value in values):
                return rule.role
        return None


def role_for_identity(claims: Mapping[str, object], catalogue: RoleCatalogue | None = None,
                      rules: SignInRules | None = None) -> Role | None:
    """The role a signed-in person gets from their ID token's claims (None: no access)."""
    catalogue = catalogue or load_roles()
    role_id = (rules or load_sign_in_rules()).role_id_for(claims)
    return catalogue.by_id(role_id) if role_id else None


def identity_label(claims: Mapping[str, object]) -> str:
    """Who someone is, for the access log and the sidebar: the e-mail address, else the provider's subject."""
    for claim in ("email", "preferred_username", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip() if claim != "sub" else f"sub:{value.strip()}"
    return "unknown"


@cache
def load_sign_in_rules(config_dir: Path | None = None) -> SignInRules:
    """config/roles.toml [sign_in], checked against the roles it names; clear errors name the entry."""
    raw = read_config_file("roles.toml", config_dir).get("sign_in", {})
    if not isinstance(raw, dict):
        raise ConfigError("roles.toml: [sign_in] must be a table.")
    unknown = sorted(set(raw) - {"emails", "claim"})
    if unknown:
        raise ConfigError(f"roles.toml [sign_in]: unknown field(s) {', '.join(unknown)} (use emails and claim).")
    role_ids = {role.id for role in load_roles(config_dir).roles}

    def checked_role(role: object, where: str) -> str:
        if not isinstance(role, str) or role not in role_ids:
            raise ConfigError(f"roles.toml {where}: role {role!r} is not one of the [[role]] ids "
                              f"({', '.join(sorted(role_ids))}).")
        return role

    emails_raw = raw.get("emails", {})
    if not isinstance(emails_raw, dict):
        raise ConfigError("roles.toml [sign_in.emails] must be a table of \"address\" = \"role\".")
    emails: dict[str, str] = {}
    for address, role in emails_raw.items():
        where = "[sign_in.emails] entry #" + str(len(emails) + 1)
        if not EMAIL.match(address.strip()):
            raise ConfigError(f"roles.toml {where}: the key is not an e-mail address.")
        key = address.strip().lower()
        if key in emails:
            raise ConfigError(f"roles.toml {where}: the address is listed twice (addresses ignore case).")
        emails[key] = checked_role(role, where)

    claim_rules = raw.get("claim", [])
    if not isinstance(claim_rules, list):
        raise ConfigError("roles.toml: [[sign_in.claim]] must be a list of tables (double brackets).")
    rules = []
    for index, record in enumerate(claim_rules):
        where = f"[[sign_in.claim]] #{index + 1}"
        if not isinstance(record, dict):
            raise ConfigError(f"roles.toml {where}: must be a table with claim, value and role.")
        missing = [name for name in ("claim", "value", "role") if name not in record]
        extra = sorted(set(record) - {"claim", "value", "role"})
        if missing or extra:
            raise ConfigError(f"roles.toml {where}: " + "; ".join(
                part for part in (f"missing {', '.join(missing)}" if missing else "",
                                  f"unknown field(s) {', '.join(extra)}" if extra else "") if part) + ".")
        claim, value = record["claim"], record["value"]
        if not isinstance(claim, str) or not CLAIM_NAME.match(claim):
            raise ConfigError(f"roles.toml {where}: claim must be a claim name such as \"roles\" or \"groups\".")
        if claim in RESERVED_CLAIMS:
            raise ConfigError(f"roles.toml {where}: claim {claim!r} says nothing about the person; use a claim "
                              "such as roles or groups.")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"roles.toml {where}: value must be a non-empty string.")
        rule = ClaimRule(claim, value, checked_role(record["role"], where))
        if any(earlier.claim == rule.claim and earlier.value == rule.value for earlier in rules):
            raise ConfigError(f"roles.toml {where}: claim {claim!r} value {value!r} is already mapped above.")
        rules.append(rule)
    return SignInRules(emails, tuple(rules))
