"""Secret keys given to a command: read from a file or an environment variable, never from the command line.

Both the recipient's token key (linkage/extract/tokens.py) and the council's erasure-register key
(linkage/erasure_register.py) are at least 32 bytes written as hexadecimal characters (`openssl rand -hex 32`).
Messages name where a key was looked for, never the key.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

MIN_KEY_BYTES = 32
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class SecretKeyError(ValueError):
    """A key is missing or not in the documented form; the message never quotes the key."""


def parse_key(text: str, what: str = "the key") -> bytes:
    """The key from its text form: at least 64 hexadecimal characters (surrounding whitespace ignored)."""
    cleaned = text.strip()
    if not _HEX.match(cleaned) or len(cleaned) % 2:
        raise SecretKeyError(f"{what} must be written as hexadecimal characters (e.g. `openssl rand -hex 32`)")
    key = bytes.fromhex(cleaned)
    if len(key) < MIN_KEY_BYTES:
        raise SecretKeyError(f"{what} must be at least {MIN_KEY_BYTES} bytes ({2 * MIN_KEY_BYTES} hexadecimal "
                             f"characters); it has {len(key)}")
    return key


def read_key(*, key_file: Path | None = None, key_env: str | None = None, what: str = "the key") -> bytes:
    """The key from a file or from the named environment variable (exactly one of them)."""
    if (key_file is None) == (key_env is None):
        raise SecretKeyError(f"give {what} as a file or as the name of an environment variable (one of them)")
    if key_file is not None:
        try:
            return parse_key(key_file.read_text(encoding="ascii"), what)
        except (OSError, UnicodeDecodeError) as error:
            raise SecretKeyError(f"cannot read {what} from the file {key_file} ({type(error).__name__})") from None
    value = os.environ.get(key_env or "")
    if not value:
        raise SecretKeyError(f"the environment variable {key_env} (for {what}) is not set")
    return parse_key(value, what)


class QuietArgumentParser(argparse.ArgumentParser):
    """argparse that never echoes a value from the command line in its errors.

    argparse repeats unrecognised arguments and invalid values on stderr; someone who typed a key or an NHS number
    where it does not belong would see it copied into logs. The commands that handle personal data or keys
    (linkage.extract, linkage.erasure, data_access.retention) use this instead.
    """

    def error(self, message: str):  # type: ignore[override]
        if message.startswith("unrecognized arguments"):
            message = ("unrecognised arguments (not shown: keys and personal data never go on the command line; "
                       "see --help)")
        message = re.sub(r"invalid choice: '[^']*'", "invalid choice", message)
        message = re.sub(r"invalid ([\w ]+ )?value: '[^']*'", r"invalid \1value", message)
        super().error(message)
