"""Bank and payment query returns as a second way in (docs/statements.md).

`sniff(path)` says which layout profile a file fits; `prepare` checks a set of files
before anything is written; `load_statements` reads, pairs and writes them.
"""
from __future__ import annotations

from .load import TOLERANCE_SECONDS, Prepared, StatementResult, load_statements, prepare
from .profiles import PROFILE_DIR, Profile, ProfileError, all_profiles, header_row
from .reading import Sniff, is_return_file, sniff

__all__ = ["PROFILE_DIR", "TOLERANCE_SECONDS", "Prepared", "Profile", "ProfileError", "Sniff", "StatementResult",
           "all_profiles", "header_row", "is_return_file", "load_statements", "prepare", "sniff"]
