"""File writes that keep a backup and never leave a partial file behind."""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import pwd
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stepwizard.errors import StepError
from stepwizard.i18n import _

log = logging.getLogger(__name__)

BACKUP_ROOT = Path("/var/backups/stepwizard")


def timestamp() -> str:
    """Return the current UTC time as a compact ISO 8601 stamp for backup names."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def backup_file(path: Path, backup_root: Path = BACKUP_ROOT) -> Path | None:
    """Copy ``path`` (mode, owner and times kept) under ``backup_root``; return the copy's path.

    Backups live outside the original folder because apt and systemd read every file in
    their configuration folders.
    """
    if not path.exists():
        return None
    target = backup_root / path.relative_to(path.anchor)
    target = target.with_name(f"{target.name}.{timestamp()}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copy2(path, target)
    status = path.stat()
    os.chown(target, status.st_uid, status.st_gid)
    log.info("backed up %s to %s", path, target)
    return target


def require_real_folder(path: Path) -> None:
    """Raise StepError unless ``path`` is a folder and no part of it is a symbolic link.

    Folders the service user owns could otherwise redirect root's writes and chowns to any
    file of the system.
    """
    current = Path(path.anchor)
    for part in path.parts[1:]:
        current = current / part
        if current.is_symlink():
            raise StepError(_("{path} is a symbolic link; stepwizard does not follow links in "
                              "the CA's folders: replace it with a real folder").format(
                                  path=current))
    if not path.is_dir():
        raise StepError(_("{path} is not a folder").format(path=path))


def ids_of(owner: str, group: str) -> tuple[int, int]:
    """Return the uid and gid of ``owner`` and ``group``; raise KeyError when either is unknown."""
    return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid


def write_file(path: Path, content: str | bytes, *, owner: str = "root", group: str = "root",
               mode: int = 0o644, backup: bool = True) -> Path | None:
    """Write ``content`` atomically with the given owner and mode; return the backup path.

    The temporary file gets its final mode before any byte is written, so a secret is never
    readable by others, and os.replace() makes the change all or nothing.
    """
    data = content.encode() if isinstance(content, str) else content
    if path.exists() and path.read_bytes() == data:
        uid, gid = ids_of(owner, group)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return None
    saved = backup_file(path) if backup else None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        uid, gid = ids_of(owner, group)
        os.fchown(fd, uid, gid)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    log.info("wrote %s (%s:%s %04o)", path, owner, group, mode)
    return saved


def restore_or_remove(path: Path, saved: Path | None) -> None:
    """Undo a write: put the backup back, or remove the file when there was none before."""
    if saved is not None:
        shutil.copy2(saved, path)
        log.info("restored %s from %s", path, saved)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            log.info("removed %s", path)
