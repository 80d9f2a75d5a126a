"""Synthetic worlds for testing detection: the generator, its vocabulary, planted cases,
decoys and the scorer.

Why a package of its own: this is test tooling, not production code. Nothing in `graph`,
`ingest`, `investigations`, `evidence` or `web` imports it; it imports them (the money
formatter and the pattern ids) so that the data it writes follows the same rules.
CLI: `python -m synth generate DIR ...` and `python -m synth evaluate LEADS TRUTH`.
"""
