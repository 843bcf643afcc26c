"""Navigation that keeps your place: the declared pages, links that carry the role and selections, and routing.

- Every page has one declared URL (/overview, /measures, ...) and "/" opens the Overview too.
- Links carry the demo's role and the selections that apply across pages (locality, year, measure, outcome), so
  moving between pages, or opening a link in a new tab, keeps them. Streamlit's own sidebar menu drops the query
  string, so the menu is drawn here with st.page_link.
- The selections are also remembered in the session: a page that cannot use a carried value (the Measures page's
  outcome is a statistic, the Impact page's a measure) falls back to the last value that page could use.
- A pages/ folder next to app.py makes Streamlit route the first run after a server start through that folder
  (PagesManager.uses_pages_directory stays True until st.navigation is first called), which would run a deep-linked
  page script without app.py. `ensure_routed_through_app` turns that off and reruns through app.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from data_access.config import Role

PRODUCT = "Dorset Families Matter"
SHARED_KEYS = ("locality", "year", "measure", "outcome")
_PLACE = "_place"  # session key: {url key: [recent values, newest first]}
_REMEMBERED = 8
MENU_FRAGMENT = "page-menu"
"""Key of the menu's fragment: a picker inside a page's fragment reruns it with its own (links carry the choice)."""


@dataclass(frozen=True)
class PageSpec:
    id: str
    script: str
    title: str
    icon: str


PAGE_SPECS = (
    PageSpec("overview", "pages/overview.py", "Overview", ":material/home:"),
    PageSpec("measures", "pages/measures.py", "Measures", ":material/monitoring:"),
    PageSpec("localities", "pages/localities.py", "Localities", ":material/map:"),
    PageSpec("impact", "pages/impact.py", "Impact", ":material/compare_arrows:"),
    PageSpec("methodology", "pages/methodology.py", "Methodology & privacy", ":material/info:"),
    PageSpec("disclosure", "pages/disclosure.py", "Disclosure control", ":material/shield:"),
)
SPECS = {spec.id: spec for spec in PAGE_SPECS}
HOME = "home"  # the "/" page: the Overview under a second, internal url_path (a default page's own path 404s)


def browser_title(page_id: str | None) -> str:
    return f"{SPECS[page_id].title} · {PRODUCT}" if page_id in SPECS else f"{PRODUCT}: outcomes"


def declared_pages() -> dict[str, st.Page]:
    """Page objects by url_path: every declared page, plus the "/" page (the Overview again).

    Made afresh on each run: st.navigation marks the objects it is given, so they are not shared between sessions.
    """
    pages = {HOME: st.Page(SPECS["overview"].script, title=SPECS["overview"].title, icon=SPECS["overview"].icon,
                           url_path=HOME, default=True)}
    for spec in PAGE_SPECS:
        pages[spec.id] = st.Page(spec.script, title=spec.title, icon=spec.icon, url_path=spec.id)
    return pages


def page_id_of(page: st.Page) -> str:
    """The roles.toml page id of a navigation page ("/" is the Overview)."""
    return "overview" if page.url_path in ("", HOME) else page.url_path


_this_run = threading.local()
"""Per script thread: did this run pass through app.py? (a page runs in the same thread as the router that ran it)"""


def mark_routed_through_app() -> None:
    """Called by app.py just before it runs the page."""
    _this_run.through_app = True


def ensure_routed_through_app() -> None:
    """Rerun through app.py if Streamlit ran a page script straight from the pages/ folder (first runs after start).

    Decided per run, not by PagesManager's class-wide flag alone: sessions that started together while the flag was
    still set all run their page straight from the folder, and only the first to get here would see the flag.
    (A page script run on its own as the main script, as AppTest does in tests, has no router to go through.)
    """
    through_app = getattr(_this_run, "through_app", False)
    _this_run.through_app = False
    context = get_script_run_ctx()
    main_is_the_router = context is not None and Path(context.main_script_path).name == "app.py"
    if main_is_the_router and not through_app:
        PagesManager.uses_pages_directory = False
        st.rerun()


# --- the place: selections remembered across pages --------------------------------------------------------------


def remember(key: str, value: str) -> None:
    """Note a selection (newest first) so links and other pages can carry it."""
    recent = st.session_state.setdefault(_PLACE, {}).setdefault(key, [])
    if value in recent:
        recent.remove(value)
    recent.insert(0, value)
    del recent[_REMEMBERED:]


def recall(key: str, options: list[str]) -> str | None:
    """The most recent remembered value of `key` that is one of `options`."""
    return next((value for value in st.session_state.get(_PLACE, {}).get(key, []) if value in options), None)


def place(demo_role: Role | None) -> dict[str, str]:
    """Query parameters a link carries: the demo's role and the latest value of each shared selection.

    Drawn before the page runs, so a choice just made is read from its widget's state (url_choice's url-KEY).
    """
    params = {"role": demo_role.id} if demo_role else {}
    remembered = st.session_state.get(_PLACE, {})
    for key in SHARED_KEYS:
        value = (st.session_state.get(f"url-{key}") or next(iter(remembered.get(key, [])), None)
                 or st.query_params.get(key))
        if value:
            params[key] = value
    return params


def draw_page_links(placeholder, role: Role, demo_role: Role | None) -> dict[str, str]:
    """The menu, in `placeholder` (an st.empty, replaced if drawn again): a link to each page the role may open,
    carrying the place; returns the query parameters the links carry."""
    pages = declared_pages()
    params = place(demo_role)
    with placeholder.container():
        st.caption("Pages")
        for spec in PAGE_SPECS:
            if spec.id in role.pages:
                st.page_link(pages[spec.id], label=spec.title, icon=spec.icon, query_params=params)
    return params


@st.fragment(key=MENU_FRAGMENT)
def page_links_fragment(role: Role, demo_role: Role | None) -> None:
    """The menu as a fragment, drawn by app.py after the page: a choice made in a page's fragment reruns that
    fragment and this one only (pages/_layout.py url_choice), so the links carry it without a full run."""
    draw_page_links(st.container(), role, demo_role)


def in_fragment_rerun() -> bool:
    """True while Streamlit reruns fragments only (app.py and the rest of the page do not run)."""
    context = get_script_run_ctx()
    return bool(context is not None and context.fragment_ids_this_run)


def rerun_with_menu(fragment: str) -> None:
    """Widget callback of a url_choice picker drawn in the fragment keyed `fragment`: rerun the menu, whose links
    carry the choice, and that fragment. Without a menu (a page run on its own, as in AppTest) the picker's
    default rerun stands."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.rerun([MENU_FRAGMENT, fragment])  # the links first: they are ready when the page part is
    except StreamlitAPIException:
        return
