"""A stand-in with one st.cache_data entry: each time it is computed, a line is appended to $CACHE_PROBE_FILE.

The positive control of tests/browser/test_visitors_cannot_act.py: it shows that the clear_cache message the test
sends really does flush Streamlit's own caches, so the real app's survival of it means something.
"""

import os
from pathlib import Path

import streamlit as st


@st.cache_data
def expensive() -> str:
    with Path(os.environ["CACHE_PROBE_FILE"]).open("a") as probe:
        probe.write("computed\n")
    return "ready"


st.title(f"Cache probe: {expensive()}")
