"""Compatibility names for code written before the split (new code imports the home module):
the graph door is `web.graph_access`, the engine look-ups `web.domain`, packages `web.packages`,
the UI's own reads `investigations.lookup`, loads `ingest.loads`."""
from __future__ import annotations

from investigations.lookup import lead_context, search, unpaid_of, unpaid_totals  # noqa: F401

from .domain import investigations_api, load_patterns, today  # noqa: F401
from .graph_access import get_graph  # noqa: F401
from .packages import (default_package_as_of, generate_package, notes_for_package, package_dir,  # noqa: F401
                       package_download_name, package_response, subject_cases)
