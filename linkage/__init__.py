"""Partner data about people in, linked people out: normalisation, probabilistic linkage (Splink), the two-file
linker. Apart from data_access/ this is the only package that sees personal identifiers."""
