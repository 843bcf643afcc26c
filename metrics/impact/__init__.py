"""Impact: "the difference we make", estimated against a matched comparison group (docs/impact.md)."""
