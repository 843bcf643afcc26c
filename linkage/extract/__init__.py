"""Extracts of personal data for named recipients (`python -m linkage.extract NAME ...`): private tier only.

national-impact-study: the national evaluation's extract (linkage/extract/national_impact_study.py,
docs/national-extract.md). Never imported by the web tier (tests/data_access/test_web_tier_separation.py).
"""
