"""Partner data in: the partner-extract contract, ingest, normalisation, probabilistic person linkage (Splink), the
two-file linker, and the linked tables they fill.

Apart from data_access/ this is the only stage that sees personal identifiers. Nothing here imports streamlit.
"""
