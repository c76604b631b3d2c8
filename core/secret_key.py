"""The signing key of a development machine: random, made once, kept in the var directory.

relais never signs with a key written in its code: anyone could read it and sign a session
for any account. Outside development the operator sets ``RELAIS_SECRET_KEY``; on a laptop,
the first run draws a random key into ``<var_dir>/secret_key`` (readable by its owner only)
and every later run, and every process of ``relais up``, reads the same one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_LENGTH = 32
PRIVATE_MODE = 0o600


class SecretKeyFileError(ValueError):
    """The development key file cannot be read or written; the message says which file."""


def weak_secret_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak to sign sessions, in French, or None when it is strong."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"doit compter au moins {MIN_SECRET_LENGTH} caractères tirés au hasard"
    if len(set(secret)) == 1:
        return "ne doit pas être un seul caractère répété"
    return None


def development_secret(var_dir: Path) -> tuple[str, Path]:
    """The key kept in ``var_dir``, drawn at random on first use; and the file holding it."""
    path = var_dir / SECRET_KEY_FILE
    try:
        if not path.exists():
            _create(path)
        return _read(path), path
    except OSError as error:
        raise SecretKeyFileError(
            f"la clé secrète de développement ne peut être ni lue ni créée dans {path} "
            f"({error.strerror}) : vérifiez RELAIS_VAR_DIR, ou définissez RELAIS_SECRET_KEY"
        ) from None


def _create(path: Path) -> None:
    """Draw a key into ``path``, readable by its owner only.

    Written under a temporary name then linked into place, so that two processes starting
    together agree on one key and neither reads a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{SECRET_KEY_FILE}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        os.fchmod(stream.fileno(), PRIVATE_MODE)
        stream.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process drew one first: its key is the one
    finally:
        temporary.unlink()


def _read(path: Path) -> str:
    """The key in ``path``; the file is made private again if someone opened it up."""
    try:
        key = path.read_text(encoding="ascii").strip()
    except UnicodeDecodeError:
        key = ""
    if weak_secret_problem(key) is not None:
        raise SecretKeyFileError(
            f"{path} ne contient pas une clé valide : supprimez ce fichier pour qu'une "
            "nouvelle clé soit tirée (les sessions ouvertes seront fermées)"
        )
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_MODE)
    return key
