"""File writes that keep a backup and never leave a partial file behind."""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import pwd
import stat
from datetime import UTC, datetime
from pathlib import Path

from stepwizard import safefs

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
    status = safefs.lstat_or_none(path)
    if status is None:
        return None
    target = backup_root / path.relative_to(path.anchor)
    target = target.with_name(f"{target.name}.{timestamp()}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    safefs.replace_file(target, safefs.read_bytes(path), uid=status.st_uid, gid=status.st_gid,
                        mode=stat.S_IMODE(status.st_mode))
    log.info("backed up %s to %s", path, target)
    return target


def require_real_folder(path: Path) -> None:
    """Raise StepError unless ``path`` is a folder reached without any symbolic link.

    Folders the service user owns could otherwise redirect root's writes and chowns to any
    file of the system.
    """
    with safefs.open_folder(path):
        pass


def ids_of(owner: str, group: str) -> tuple[int, int]:
    """Return the uid and gid of ``owner`` and ``group``; raise KeyError when either is unknown."""
    return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid


def write_file(path: Path, content: str | bytes, *, owner: str = "root", group: str = "root",
               mode: int = 0o644, backup: bool = True) -> Path | None:
    """Write ``content`` atomically with the given owner and mode; return the backup path.

    The temporary file gets its final mode before any byte is written, so a secret is never
    readable by others, and the rename makes the change all or nothing. No symbolic link is
    followed: a link at ``path`` is replaced, and a link among its folders stops the write.
    """
    data = content.encode() if isinstance(content, str) else content
    uid, gid = ids_of(owner, group)
    status = safefs.lstat_or_none(path)
    if status is not None and stat.S_ISREG(status.st_mode) and safefs.read_bytes(path) == data:
        safefs.set_owner_and_mode(path, uid=uid, gid=gid, mode=mode)
        return None
    saved = backup_file(path) if backup and status is not None and \
        stat.S_ISREG(status.st_mode) else None
    path.parent.mkdir(parents=True, exist_ok=True)
    safefs.replace_file(path, data, uid=uid, gid=gid, mode=mode)
    log.info("wrote %s (%s:%s %04o)", path, owner, group, mode)
    return saved


def restore_or_remove(path: Path, saved: Path | None) -> None:
    """Undo a write: put the backup back, or remove the file when there was none before."""
    if saved is not None:
        status = os.stat(saved)
        safefs.replace_file(path, safefs.read_bytes(saved), uid=status.st_uid,
                            gid=status.st_gid, mode=stat.S_IMODE(status.st_mode))
        log.info("restored %s from %s", path, saved)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            log.info("removed %s", path)
