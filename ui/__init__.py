"""Streamlit helpers shared by the pages in app_pages/: widgets, caching wrappers around the
library (plain-value keys) and session helpers. With app_pages/ the only code importing
streamlit; no torch and no statistics here (those live in explorer/)."""
