"""A tiny Streamlit script that proves the browser harness, independent of the real app and its data.

Renders a heading and an SVG plotly chart; with ?fail=1 it raises, so the tests can show that the
page-ready helper reports an exception instead of passing over it. With ?rerun=1 a run asks for one rerun
(st.rerun) at once and the run after it takes a second, so the load test must wait for the rerun's end.
"""

import time

import plotly.graph_objects as go
import streamlit as st

st.title("Harness stand-in")
st.plotly_chart(go.Figure(go.Bar(x=["A", "B", "C"], y=[3, 1, 2])), config={"staticPlot": False})
if st.query_params.get("fail") == "1":
    raise ValueError("deliberate failure for the harness test")
if st.query_params.get("rerun") == "1":
    if not st.session_state.get("reran"):
        st.session_state["reran"] = True
        st.rerun()
    st.session_state["reran"] = False
    time.sleep(1.0)
