"""What the web process may hold: the rule that makes the app refuse credentials for personal data, by name only."""

from __future__ import annotations

import pytest

from data_access.web_environment import looks_like_database_url, web_process_problems

OWNER = "postgresql+psycopg://dfm_owner:s3cret-pass@db.example:5432/families"
READER = "postgresql+psycopg://dashboard_reader:r3ader-pass@db.example:5432/families_published"


def test_the_reader_url_and_the_basics_are_all_a_web_process_needs():
    assert web_process_problems({"FAMILIES_PUBLISHED_DB_URL": READER, "PATH": "/usr/bin", "HOME": "/srv/dfm",
                                 "LANG": "C.UTF-8"}) == []
    assert web_process_problems({"FAMILIES_PUBLISHED_DB_URL": "sqlite:////srv/dfm/published/families-published.db"},
                                {"FAMILIES_PUBLISHED_DB_URL": READER, "theme": {"colour": "blue"}}) == []


@pytest.mark.parametrize(("environ", "secrets", "expected"), [
    ({"FAMILIES_DB_URL": OWNER}, {}, "FAMILIES_DB_URL is set"),
    ({"FAMILIES_DB_URL": "sqlite:////srv/dfm/linked/families.db"}, {}, "FAMILIES_DB_URL is set"),
    ({"FAMILIES_TEST_PG_URL": OWNER}, {}, "environment variable(s) FAMILIES_TEST_PG_URL hold a database URL"),
    ({"DATABASE_URL": "postgres://dfm_owner:s3cret-pass@db/families"}, {}, "DATABASE_URL"),
    ({"OLD_DB": "sqlite:///data/families.db"}, {}, "OLD_DB"),
    ({"PG_CONNINFO": "host=db.example dbname=families user=dfm_owner password=s3cret-pass"}, {}, "PG_CONNINFO"),
    ({"JDBC": "jdbc:postgresql://db.example/families"}, {}, "JDBC"),
    ({"PGPASSWORD": "s3cret-pass"}, {}, "PGPASSWORD set"),
    ({"PGPASSFILE": "/home/dfm/.pgpass"}, {}, "PGPASSFILE set"),
    ({}, {"connections": {"families": {"url": OWNER}}}, "st.secrets hold database URL(s) at connections.families.url"),
    ({}, {"FAMILIES_DB_URL": "x"}, "st.secrets hold database URL(s) at FAMILIES_DB_URL"),
])
def test_credentials_for_personal_data_are_named_never_quoted(environ, secrets, expected):
    problems = web_process_problems({"FAMILIES_PUBLISHED_DB_URL": READER, **environ}, secrets)
    assert len(problems) == 1 and expected in problems[0], problems
    for value in (*environ.values(), "s3cret-pass", "r3ader-pass", "dfm_owner"):
        assert value not in problems[0]


def test_ordinary_values_are_not_mistaken_for_urls():
    for value in ("https://www.dorsetcouncil.gov.uk", "C.UTF-8", "/usr/local/bin:/usr/bin", "user=me", "8501", ""):
        assert not looks_like_database_url(value), value
