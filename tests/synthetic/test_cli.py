"""python -m synthetic builds a complete database through the validated loader, and replaces what was there."""

from __future__ import annotations

from sqlalchemy import func, select

from data_access.bulk import read_frame
from data_access.engine import make_engine
from data_access.schema import dataset_info, family
from synthetic.__main__ import main


def test_cli_builds_then_replaces_a_database(sqlite_url, capsys):
    assert main(["--families", "120", "--seed", "3", "--db", sqlite_url]) == 0
    assert main(["--families", "80", "--seed", "4", "--effect-scale", "0", "--as-of", "2025-03-31",
                 "--db", sqlite_url]) == 0
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 2 and summary[1].startswith("Synthetic Dorset: 80 families")
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(family)).scalar() == 80
            info = dict(read_frame(connection, select(dataset_info)).iter_rows())
    finally:
        engine.dispose()
    assert info["seed"] == "4" and info["effect_scale"] == "0.0" and info["data_as_of"] == "2025-03-31"
    assert "loaded_at" in info


def test_cli_refuses_an_extract_date_before_the_programme_data(sqlite_url, capsys):
    assert main(["--families", "10", "--as-of", "2017-01-01", "--db", sqlite_url]) == 2
    assert "before the programme began" in capsys.readouterr().err
