"""`python -m linkage.extract national-impact-study` end to end: encrypt to a key pair made with pyrage, decrypt,
verify the manifest; the log; nothing unencrypted on disk; the refusals; no personal value printed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import polars as pl
import pyrage
import pytest
from pyrage import x25519
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data_access.engine import make_engine, published_db_url, sqlite_read_only_url
from data_access.lifecycle_log import read_extract_log
from data_access.loader import load_linked_data
from linkage.extract.command import main
from tests.linkage.extract.test_layout import ELIGIBILITY_CSV, PEOPLE_CSV, PROGRESS_CSV
from tests.linkage.extract.tiny_world import tiny_world

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PERSONAL_VALUES = ("Siân", "Brien", "Hardy", "Jones", "Oliver", "Mary", "9434765919", "4010232137", "AB123456C",
                   "JG103759A", "T838120000100", "DT4 7QE", "BH21 1AA", "1985-07-14", "1990-12-25", "2015-03-04")


@pytest.fixture
def tiny_db(db_url: str) -> str:
    engine = make_engine(db_url)
    try:
        load_linked_data(engine, tiny_world())
    finally:
        engine.dispose()
    return db_url


def _no_personal_value_in(text_or_bytes) -> None:
    for value in PERSONAL_VALUES:
        needle = value.encode() if isinstance(text_or_bytes, bytes) else value
        assert needle not in text_or_bytes, value


def test_round_trip_decrypt_then_verify_the_manifest(tiny_db: str, tmp_path: Path, capsys):
    identity = x25519.Identity.generate()
    (tmp_path / "recipient.txt").write_text(f"# the evaluation's key\n{identity.to_public()}\n")
    out = tmp_path / "outbox"
    assert main(["national-impact-study", "--db", tiny_db, "--out", str(out),
                 "--recipient-file", str(tmp_path / "recipient.txt"), "--operator", "analyst.one"]) == 0
    printed = capsys.readouterr()
    _no_personal_value_in(printed.out + printed.err)

    written = sorted(out.iterdir())
    assert [path.suffix for path in written] == [".age", ".sha256"], "only the encrypted file and its checksum"
    encrypted = written[0].read_bytes()
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        _no_personal_value_in(path.read_bytes())
    assert written[1].read_text() == f"{hashlib.sha256(encrypted).hexdigest()}  {written[0].name}\n"

    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(encrypted, [identity]))) as archive:
        files = {member.name: archive.extractfile(member).read() for member in archive.getmembers()}
    assert sorted(files) == ["eligibility.csv", "manifest.json", "people.csv", "progress.csv"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["extract"] == "national-impact-study" and manifest["layout_version"] == 1
    assert manifest["mode"] == "identified" and manifest["data_as_of"] == "2025-09-30" and manifest["is_synthetic"]
    for entry in manifest["files"]:  # the recipient's check: row counts and digests
        data = files[entry["name"]]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data.decode().splitlines()) - 1 == entry["rows"]
    assert {entry["name"]: entry["rows"] for entry in manifest["files"]} == {
        "people.csv": 4, "eligibility.csv": 20, "progress.csv": 6}
    assert files["people.csv"].decode() == PEOPLE_CSV
    assert files["eligibility.csv"].decode() == ELIGIBILITY_CSV and files["progress.csv"].decode() == PROGRESS_CSV
    with pytest.raises(pyrage.DecryptError):  # another key cannot read it
        pyrage.decrypt(encrypted, [x25519.Identity.generate()])

    engine = make_engine(tiny_db)
    try:
        log = read_extract_log(engine)
        with engine.connect() as connection:
            included = sorted(row[0] for row in connection.execute(text("SELECT person_id FROM extract_person")))
    finally:
        engine.dispose()
    assert log.height == 1
    entry = log.row(0, named=True)
    assert entry["operator"] == "analyst.one" and entry["mode"] == "identified" and entry["encrypted"]
    assert entry["recipient"] == str(identity.to_public())
    assert entry["output_sha256"] == hashlib.sha256(encrypted).hexdigest()
    assert entry["manifest_sha256"] == hashlib.sha256(files["manifest.json"]).hexdigest()
    assert json.loads(entry["row_counts"]) == {"eligibility.csv": 20, "people.csv": 4, "progress.csv": 6}
    assert Path(entry["output_path"]) == written[0].resolve()
    assert included == [1, 2, 4]
    _no_personal_value_in(json.dumps(entry, default=str))


def test_pseudonymised_and_plain_on_request(tiny_db: str, tmp_path: Path, monkeypatch, capsys):
    key_hex = bytes(range(32)).hex()
    monkeypatch.setenv("EVALUATION_TOKEN_KEY", key_hex)
    out = tmp_path / "checks"
    assert main(["national-impact-study", "--db", tiny_db, "--out", str(out), "--no-encryption",
                 "--pseudonymised", "--token-key-env", "EVALUATION_TOKEN_KEY"]) == 0
    printed = capsys.readouterr()
    assert key_hex not in printed.out + printed.err
    (folder,) = out.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(path.name for path in folder.iterdir()) == ["eligibility.csv", "manifest.json", "people.csv",
                                                             "progress.csv"]
    people = (folder / "people.csv").read_bytes()
    _no_personal_value_in(people)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["mode"] == "pseudonymised" and manifest["tokens"]["algorithm"] == "HMAC-SHA256"
    assert len(manifest["tokens"]["key_id"]) == 16 and manifest["tokens"]["key_id"] not in key_hex
    assert pl.read_csv(io.BytesIO(people)).height == 4
    engine = make_engine(tiny_db)
    try:
        log = read_extract_log(engine).row(0, named=True)
    finally:
        engine.dispose()
    assert log["mode"] == "pseudonymised" and not log["encrypted"] and log["token_key_id"] == manifest["tokens"][
        "key_id"]


def test_the_command_line_never_takes_the_token_key_or_writes_unencrypted_by_default(tiny_db: str, tmp_path: Path,
                                                                                     capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as usage:  # no recipient and no --no-encryption
        main(["national-impact-study", "--db", tiny_db, "--out", str(out)])
    assert usage.value.code == 2
    with pytest.raises(SystemExit):
        main(["national-impact-study", "--db", tiny_db, "--out", str(out), "--no-encryption", "--pseudonymised",
              "--token-key", bytes(range(32)).hex()])
    assert bytes(range(32)).hex() not in capsys.readouterr().err, "argparse must not echo a misplaced key"
    with pytest.raises(SystemExit):  # --pseudonymised without a key source
        main(["national-impact-study", "--db", tiny_db, "--out", str(out), "--no-encryption", "--pseudonymised"])
    assert not out.exists()


def test_a_bad_recipient_key_stops_before_anything_is_written(tiny_db: str, tmp_path: Path, capsys):
    out = tmp_path / "out"
    identity = x25519.Identity.generate()
    assert main(["national-impact-study", "--db", tiny_db, "--out", str(out), "--recipient", str(identity)]) == 1
    assert "private key" in capsys.readouterr().err and str(identity) not in capsys.readouterr().err
    assert main(["national-impact-study", "--db", tiny_db, "--out", str(out), "--recipient", "age1notakey"]) == 1
    assert not out.exists()


def test_the_published_tier_is_refused(sqlite_url: str, tmp_path: Path, monkeypatch, capsys):
    engine = make_engine(sqlite_url)
    try:
        load_linked_data(engine, tiny_world())
    finally:
        engine.dispose()
    out = tmp_path / "out"
    published = published_db_url(sqlite_url)
    with make_engine(published, published=True).begin() as connection:
        connection.exec_driver_sql("CREATE TABLE published_statistic (x integer)")
    refusals = {
        published: "holds no linked tables",
        sqlite_read_only_url(sqlite_url): "read-only SQLite URL",
        f"sqlite:///{tmp_path / 'missing.db'}": "no SQLite database file",
    }
    for url, reason in refusals.items():
        assert main(["national-impact-study", "--db", url, "--out", str(out), "--no-encryption"]) == 1
        assert reason in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists(), "a wrong path must not create a database"
    monkeypatch.setenv("FAMILIES_PUBLISHED_DB_URL", sqlite_url)  # whatever the dashboard reads is refused
    assert main(["national-impact-study", "--db", sqlite_url, "--out", str(out), "--no-encryption"]) == 1
    assert "dashboard's URL" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.postgres
def test_the_dashboards_reader_role_is_refused(pg_url: str, tmp_path: Path, capsys):
    engine = make_engine(pg_url)
    try:
        load_linked_data(engine, tiny_world())
    finally:
        engine.dispose()
    role = f"lc_reader_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        reader_url = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        assert main(["national-impact-study", "--db", reader_url, "--out", str(tmp_path / "out"),
                     "--no-encryption"]) == 1
        assert "cannot read the linked tables" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_python_dash_m_runs_it(tiny_db: str, tmp_path: Path):
    identity = x25519.Identity.generate()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FAMILIES_")}
    result = subprocess.run([sys.executable, "-m", "linkage.extract", "national-impact-study", "--db", tiny_db,
                             "--out", str(tmp_path / "out"), "--recipient", str(identity.to_public())],
                            cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "people.csv 4 rows" in result.stdout
    _no_personal_value_in(result.stdout + result.stderr)
