"""Ingest: read the data contract's tables, validate them, write them to the graph.

`load_dir` is the entry point for code; `python -m ingest` for people.
"""
from .loader import LoadResult, load_dir
from .loads import UnknownLoad, list_loads, unload
from .readers import InputError

__all__ = ["LoadResult", "load_dir", "list_loads", "unload", "UnknownLoad", "InputError"]
