"""The domain: plain dataclasses and rules. Imports nothing of ours and never Qt.

Everything above this package (media, jobs, cli, ui) talks in these types, so a rule
(a price is a Decimal + ISO 4217 code, a tag anchor is normalized 0..1) lives in one place.
"""
