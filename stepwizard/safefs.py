"""File access that never follows a symbolic link, for folders the service user can write.

The service user owns STEPPATH and everything under it. If the wizard, running as root,
followed a link there, a compromised step-ca could plant one and make root read, replace or
re-own any file of the system. Every path is therefore opened one component at a time with
O_NOFOLLOW, and files are then handled through descriptors relative to their folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from stepwizard.errors import StepError
from stepwizard.i18n import _

# Secrets, unit files and ca.json are small; a bigger read means the path is not what it seems.
MAX_READ_BYTES = 16 * 1024 * 1024
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _link_error(path: Path) -> StepError:
    return StepError(_("{path} is a symbolic link or not a folder; stepwizard does not follow "
                       "links in the CA's folders: replace it with a real folder or file").format(
                           path=path))


@contextlib.contextmanager
def open_folder(path: Path) -> Iterator[int]:
    """Yield a descriptor of the folder ``path``, reached without following any link."""
    path = Path(os.path.abspath(path))
    descriptor = os.open("/", _FOLDER_FLAGS)
    try:
        for part in path.parts[1:]:
            try:
                child = os.open(part, _FOLDER_FLAGS, dir_fd=descriptor)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _link_error(path) from error
                raise
            os.close(descriptor)
            descriptor = child
        yield descriptor
    finally:
        os.close(descriptor)


def _open_file(path: Path) -> int:
    """Open ``path`` for reading without following a link; return the descriptor."""
    with open_folder(path.parent) as folder:
        try:
            return os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
                           | os.O_NONBLOCK, dir_fd=folder)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _link_error(path) from error
            raise


def read_bytes(path: Path, limit: int = MAX_READ_BYTES) -> bytes:
    """Read a regular file without following links; raise StepError for a link or a device."""
    path = Path(os.path.abspath(path))
    descriptor = _open_file(path)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise StepError(_("{path} is not a regular file").format(path=path))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise StepError(_("{path} is larger than {size} MiB: check that it is the right "
                          "file").format(path=path, size=limit // 2**20))
    return data


def read_text(path: Path) -> str:
    """Read a UTF-8 text file without following links."""
    return read_bytes(path).decode("utf-8")


def lstat_or_none(path: Path) -> os.stat_result | None:
    """Return the status of ``path`` itself (not of a link target), or None when absent."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def replace_file(path: Path, data: bytes, *, uid: int, gid: int, mode: int) -> None:
    """Write ``data`` to ``path`` atomically with the given owner and mode, following no link.

    The temporary file is created with O_EXCL in the folder opened above, gets its owner and
    mode before any byte is written, and is renamed over ``path`` relative to that folder.
    A link at ``path`` is replaced by the file, never written through.
    """
    path = Path(os.path.abspath(path))
    with open_folder(path.parent) as folder:
        for name in os.listdir(folder):
            # Temporary files of a run that was killed mid-write hold a full copy.
            if name.startswith(f".{path.name}.") and name.endswith(".tmp"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=folder)
        temporary = f".{path.name}.{secrets.token_hex(6)}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o600, dir_fd=folder)
        try:
            os.fchown(descriptor, uid, gid)
            os.fchmod(descriptor, mode)
            with os.fdopen(descriptor, "wb", closefd=False) as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temporary, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=folder)
            raise
        finally:
            os.close(descriptor)
        os.fsync(folder)


def set_owner_and_mode(path: Path, *, uid: int, gid: int, mode: int | None = None) -> None:
    """Set the owner (and mode) of a regular file without following a link."""
    descriptor = _open_file(Path(os.path.abspath(path)))
    try:
        os.fchown(descriptor, uid, gid)
        if mode is not None:
            os.fchmod(descriptor, mode)
    finally:
        os.close(descriptor)


def chown_tree(top: Path, uid: int, gid: int) -> None:
    """Give ``top`` and everything under it to ``uid``:``gid``, following no link.

    os.fwalk holds a descriptor of each folder, so a folder swapped for a link during the
    walk is not entered, and each entry is re-owned relative to its folder's descriptor.
    """
    with open_folder(top) as check:
        os.fchown(check, uid, gid)
    for _folder, dirs, files, folder_fd in os.fwalk(top, follow_symlinks=False):
        for name in [*dirs, *files]:
            with contextlib.suppress(FileNotFoundError):
                os.chown(name, uid, gid, dir_fd=folder_fd, follow_symlinks=False)
