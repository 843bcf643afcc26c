"""An extract's files, manifest and transfer package: encrypted to the recipient's age public key, or plain on request.

Encrypted (the normal case): the CSV files and manifest.json are put in a tar archive in memory and encrypted with
age (pyrage, the Rust implementation's bindings) straight into `<name>.tar.age`; no unencrypted byte of the extract
ever reaches the disk. Beside it, `<name>.tar.age.sha256` (sha256sum format) lets the recipient check the transfer
before decrypting. Plain (`--no-encryption`, for checking on the pipeline host only): a folder `<name>/` created
0700 holding the files, each 0600.

Either way the file is first written under a hidden temporary name in the output folder and renamed when complete,
so an interrupted run never leaves half an extract under its real name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
import pyrage
from pyrage import x25519

FILE_MODE = 0o600
FOLDER_MODE = 0o700


class RecipientKeyError(ValueError):
    """The recipient's public key is missing or not an age public key."""


@dataclass(frozen=True)
class WrittenExtract:
    path: Path  # the .tar.age file, or the plain folder
    sha256: str  # of the .tar.age file, or of manifest.json (plain)
    manifest: dict
    manifest_sha256: str


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8, header row, comma separated, ISO dates, empty for missing, LF line ends (docs/national-extract.md)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=True, separator=",", line_terminator="\n", quote_style="necessary",
                    null_value="", date_format="%Y-%m-%d")
    return buffer.getvalue()


def manifest(files: Mapping[str, bytes], rows: Mapping[str, int], facts: Mapping[str, object]) -> dict:
    """The manifest: the facts, then every file with its row count (header excluded) and SHA-256."""
    return {**facts, "files": [{"name": name, "rows": rows[name], "sha256": hashlib.sha256(data).hexdigest()}
                               for name, data in files.items()]}


def manifest_bytes(content: dict) -> bytes:
    return (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode()


def read_recipients(*, recipient: Sequence[str] = (), recipient_file: Path | None = None) -> list[x25519.Recipient]:
    """age x25519 recipients from the command line (public keys are not secret) and/or a recipients file."""
    texts = list(recipient)
    if recipient_file is not None:
        try:
            lines = recipient_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise RecipientKeyError(f"cannot read the recipient file {recipient_file} ({type(error).__name__})") \
                from None
        texts += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not texts:
        raise RecipientKeyError("no recipient public key was given")
    recipients = []
    for number, value in enumerate(texts, start=1):
        if value.startswith("AGE-SECRET-KEY-"):
            raise RecipientKeyError(f"recipient #{number} is a private key: give the recipient's public key (age1...)")
        try:
            recipients.append(x25519.Recipient.from_str(value))
        except pyrage.RecipientError:
            raise RecipientKeyError(f"recipient #{number} is not an age public key (age1...)") from None
    return recipients


def tar_bytes(files: Mapping[str, bytes], created_at: datetime) -> bytes:
    """A plain tar archive of the files (fixed owner, mode and time: the same files give the same archive)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = FILE_MODE
            info.mtime = int(created_at.timestamp())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_encrypted(directory: Path, name: str, files: Mapping[str, bytes], content: dict,
                    recipients: Sequence[x25519.Recipient], created_at: datetime) -> WrittenExtract:
    """`<name>.tar.age` (the archive, encrypted in memory) and its `.sha256` beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest_data = manifest_bytes(content)
    archive = tar_bytes({"manifest.json": manifest_data, **files}, created_at)
    encrypted = pyrage.encrypt(archive, list(recipients))
    del archive
    target = directory / f"{name}.tar.age"
    _write_new_file(target, encrypted)
    digest = hashlib.sha256(encrypted).hexdigest()
    _write_new_file(directory / f"{target.name}.sha256", f"{digest}  {target.name}\n".encode())
    return WrittenExtract(target, digest, content, hashlib.sha256(manifest_data).hexdigest())


def write_plain(directory: Path, name: str, files: Mapping[str, bytes], content: dict) -> WrittenExtract:
    """A folder `<name>/` (0700) with manifest.json and the files (0600): for checks on the pipeline host only."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    staging = directory / f".{name}.partial"
    staging.mkdir(mode=FOLDER_MODE)
    staging.chmod(FOLDER_MODE)
    manifest_data = manifest_bytes(content)
    for file_name, data in {"manifest.json": manifest_data, **files}.items():
        _write_new_file(staging / file_name, data, atomic=False)
    staging.rename(target)
    digest = hashlib.sha256(manifest_data).hexdigest()
    return WrittenExtract(target, digest, content, digest)


def _write_new_file(path: Path, data: bytes, *, atomic: bool = True) -> None:
    """Write a new file 0600 (never over an existing one), through a hidden temporary name when `atomic`."""
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    temporary = path.with_name(f".{path.name}.partial") if atomic else path
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if atomic:
        os.replace(temporary, path)


def remove_output(path: Path) -> None:
    """Delete an extract written by this module (the .tar.age and its .sha256, or the plain folder)."""
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
        return
    path.unlink(missing_ok=True)
    path.with_name(f"{path.name}.sha256").unlink(missing_ok=True)
