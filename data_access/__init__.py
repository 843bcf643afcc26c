"""Data access: the database schema (the linked family outcomes contract), bulk I/O and config files.

Only this package writes SQL. Functions return polars frames. Personal identifiers stay here:
nothing this package hands to the web tier contains a name, date of birth, NHS number, NI number,
UPN or full postcode.
"""
