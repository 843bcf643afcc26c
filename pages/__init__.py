"""Streamlit pages: thin layouts over published tables (see pages/_published.py)."""
