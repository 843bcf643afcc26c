"""Partner data in: the partner-extract contract, ingest, person linkage and the linked tables it fills.

Apart from data_access/ this is the only stage that sees personal identifiers. Nothing here imports streamlit.
"""
