"""Detection: saved pattern queries, NetworkX analyses and ranked leads (docs/detection.md)."""
from __future__ import annotations

from .analysis import trace
from .patterns import load_patterns
from .runner import PatternResult, run_pattern
from .scan import scan

__all__ = ["PatternResult", "load_patterns", "run_pattern", "scan", "trace"]
