"""The metrics stage: linked data -> true cells -> disclosure control -> published tables (metrics.publish), with
the impact analysis (metrics.impact) and the attacker that audits a publication (metrics.audit)."""
