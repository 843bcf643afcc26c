"""Who is looking, with which role, and the record of what they looked at (the web tier's side of docs/sign-in.md).

- Sign-in configured (Streamlit secrets [auth]): the role comes from the identity (data_access/roles.py). A visitor
  who is not signed in gets the sign-in page; a signed-in person with no role gets the "no access" page. ?role= in
  the URL is ignored and removed.
- No [auth]: the demo. A role picker in the sidebar sets ?role=, on synthetic data only: a real publication without
  sign-in shows nothing but a message saying sign-in must be configured.
- Every page view, download and refusal is appended to the access log (data_access/access_log.py), which the web
  tier cannot read back. When the log cannot be written nothing is shown: access must be recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import streamlit as st
from cachetools import TTLCache

from data_access.config import Role, RoleCatalogue, load_roles
from data_access.roles import identity_label, role_for_identity
from pages._navigation import PRODUCT, SPECS, ensure_routed_through_app
from pages._published import AccessLogError, append_access_event, publication_info

_LOGGER = logging.getLogger(__name__)
LOGGED_KEYS = ("locality", "year", "measure", "outcome", "breakdown")
_sign_in_lock = threading.Lock()
# Sign-ins already recorded, by (identity, ID token issued-at): every new tab is a new Streamlit session on the same
# cookie, and one sign-in should be one line. Bounded; a line too many after a restart is harmless.
_sign_ins: TTLCache = TTLCache(maxsize=4096, ttl=2 * 24 * 3600)


def role_catalogue() -> RoleCatalogue:
    """The roles (config/roles.toml), loaded here, the web tier's edge for who may see what (cached by the loader)."""
    return load_roles()


def auth_configured() -> bool:
    """True when Streamlit secrets hold an [auth] section (sign-in with OpenID Connect).

    No secrets file at all means the demo; a secrets file that cannot be read is an error (never the demo).
    """
    try:
        return "auth" in st.secrets
    except FileNotFoundError as error:  # StreamlitSecretNotFoundError is one too
        if getattr(error, "error_id", "no-secrets-found") == "no-secrets-found":
            return False
        raise


def auth_providers() -> list[str | None]:
    """Named providers ([auth.NAME] with a client_id), or [None] for the single provider in [auth] itself."""
    section = st.secrets["auth"]
    named = [name for name, value in section.items() if isinstance(value, Mapping) and "client_id" in value]
    return named or [None]


def is_synthetic() -> bool:
    return publication_info().get("is_synthetic") == "true"


@dataclass(frozen=True)
class Visitor:
    mode: Literal["sign_in", "demo", "closed"]  # closed: real data and no sign-in configured
    signed_in: bool  # in the demo: True (the picker stands in for sign-in)
    who: str  # the identity for the log: e-mail or sub:<subject>; demo:<role>; "anonymous"
    role: Role | None
    signed_in_at: str = ""  # the ID token's issued-at time (sign-in mode)

    @property
    def demo_role(self) -> Role | None:
        return self.role if self.mode == "demo" else None


def current_visitor() -> Visitor:
    if auth_configured():
        user = st.user.to_dict()
        if user.get("is_logged_in") is not True:
            return Visitor("sign_in", False, "anonymous", None)
        issued = str(user.get("auth_time") or user.get("iat") or "")
        return Visitor("sign_in", True, identity_label(user), role_for_identity(user), issued)
    if not is_synthetic():
        return Visitor("closed", False, "anonymous", None)
    role = role_catalogue().resolve(st.query_params.get("role"))
    return Visitor("demo", True, f"demo:{role.id}", role)


# --- the access log -----------------------------------------------------------------------------------------------


def record(visitor: Visitor, event: str, page: str | None = None, detail: Mapping[str, str] | None = None) -> None:
    """Append to the access log; if it cannot be written, say so and show nothing more."""
    try:
        append_access_event(visitor.who, visitor.role.id if visitor.role else None, event, page, dict(detail or {}))
    except AccessLogError as error:
        _LOGGER.error("access log: %s", error)
        st.error("Access to this dashboard is recorded, and the record cannot be written just now, so nothing is "
                 "shown. Please tell the data team.")
        st.stop()


def record_once(visitor: Visitor, event: str, page: str | None = None,
                detail: Mapping[str, str] | None = None) -> None:
    """Record an event unless this session recorded the same one last (reruns of an unchanged view are one view)."""
    key = (visitor.who, event, page, tuple(sorted((detail or {}).items())))
    if st.session_state.get(f"_logged_{event}") != key:
        record(visitor, event, page, detail)
        st.session_state[f"_logged_{event}"] = key


def record_sign_in(visitor: Visitor) -> None:
    """One line per sign-in (per ID token), however many tabs or sessions use it."""
    key = (visitor.who, visitor.signed_in_at)
    with _sign_in_lock:
        seen = key in _sign_ins
        _sign_ins[key] = True
    if not seen:
        record(visitor, "sign_in", None, {"issued_at": visitor.signed_in_at} if visitor.signed_in_at else {})


def selections() -> dict[str, str]:
    return {key: st.query_params[key] for key in LOGGED_KEYS if key in st.query_params}


def current_page_id() -> str | None:
    """The page this session is on (set by require_page), for callbacks such as a download's."""
    return st.session_state.get("_page_id")


def log_download(page_id: str | None, file_name: str) -> None:
    """on_click of every download button: who downloaded which file."""
    record(current_visitor(), "download", page_id, {"file": file_name, **selections()})


# --- what a visitor without access sees -----------------------------------------------------------------------------


def show_sign_in() -> None:
    """The sign-in page: the product, the data's status and a Sign in button. No figure, table or download."""
    st.title(PRODUCT)
    st.subheader("Outcomes and impact dashboard")
    status = "synthetic (made-up data for demonstration)" if is_synthetic() else "real (management information)"
    st.write(f"Data: **{status}**.")
    st.write("This dashboard is for staff who need it. Sign in with your work account to continue.")
    for provider in auth_providers():
        label = "Sign in" if provider is None else f"Sign in with {provider}"
        if st.button(label, type="primary", key=f"sign-in-{provider or 'default'}"):
            st.login(provider)


def show_no_access(visitor: Visitor) -> None:
    st.title("No access")
    st.write(f"You are signed in as **{visitor.who}**, but your account has no role in this dashboard, so it "
             "shows you nothing. If you need it for your work, ask the Dorset Families Matter data team to give "
             "your account a role.")


def show_closed() -> None:
    st.title(PRODUCT)
    st.write("This publication holds real figures, and sign-in is not configured, so nothing is shown. "
             "Configure sign-in ([auth] in Streamlit's secrets: docs/sign-in.md).")


def show_not_for_role(role: Role, page_id: str) -> None:
    """Said plainly, with the pages the role may open."""
    title = SPECS[page_id].title if page_id in SPECS else page_id
    st.title("Not available for your role")
    allowed = ", ".join(SPECS[p].title for p in role.pages if p in SPECS)
    st.warning(f"The {role.label} role cannot open this page ({title}). Pages you can open: {allowed}.",
               icon=":material/block:")


def gate(page_id: str | None) -> Visitor | None:
    """Show what a visitor without access to `page_id` sees and return None; else the visitor (who may see it)."""
    visitor = current_visitor()
    if visitor.mode == "closed":
        show_closed()
        return None
    if not visitor.signed_in:
        show_sign_in()
        return None
    if visitor.role is None:
        record_once(visitor, "refused", page_id, {"reason": "no role"})
        show_no_access(visitor)
        return None
    if page_id is not None and page_id not in visitor.role.pages:
        record_once(visitor, "refused", page_id, {"reason": "not for this role"})
        show_not_for_role(visitor.role, page_id)
        return None
    return visitor


def require_page(page_id: str) -> Role:
    """First line of every page: route through app.py, check access, log the view; stop the page if not allowed."""
    ensure_routed_through_app()
    visitor = gate(page_id)
    if visitor is None:
        st.stop()
    st.session_state["_page_id"] = page_id
    record_once(visitor, "view", page_id, selections())
    return visitor.role
