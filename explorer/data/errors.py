"""Errors raised by the data sets (explorer.data and its helper modules).

Kept apart so the download and upload modules can raise them without importing explorer.data.
"""
from __future__ import annotations


class DatasetError(Exception):
    """A data set could not be loaded or an upload was rejected; the message says why."""


class DatasetUnavailable(DatasetError):
    """A downloadable data set is not on disk and could not be fetched (e.g. offline)."""
