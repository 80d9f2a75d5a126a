"""The referral package (证据材料包) for one subject: gather -> figures -> files -> manifest/zip.

Why a package of its own: a referral is a product built on top of detection, with its own
rules (byte-identical rebuilds, provenance of every figure, an audit entry). It reads the graph
through `investigations` (subject dossier, scan, relatedness, labels) and never the other way
round. See docs/evidence-package.md and docs/architecture.md.
"""
