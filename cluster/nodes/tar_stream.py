"""`tar` for the simulated container filesystem, as `kubectl cp` drives it.

`kubectl cp pod:/path dest` runs `tar cf - /path` and untars stdout; `kubectl cp src
pod:/dir` runs `tar -xmf - -C /dir` with the archive on stdin. The archive is a real
ustar stream, so kubectl's own reader checks it.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from dataclasses import dataclass, field

# GNU tar (Debian images) and BusyBox tar word their complaints differently.
GNU_LEADING_SLASH = "tar: Removing leading `/' from member names"
GNU_CANNOT_STAT = "tar: {path}: Cannot stat: No such file or directory"
GNU_FAILURE = "tar: Exiting with failure status due to previous errors"
GNU_NOT_TAR = "tar: This does not look like a tar archive"
GNU_NO_DIR = "tar: {dir}: Cannot open: No such file or directory"
GNU_FATAL = "tar: Error is not recoverable: exiting now"
GNU_NO_SPACE = "tar: {name}: Cannot write: No space left on device"
BUSYBOX_NO_SPACE = "tar: write error: No space left on device"
BUSYBOX_MISSING = "tar: can't open '{path}': No such file or directory"
BUSYBOX_NOT_TAR = "tar: invalid tar magic"
BUSYBOX_NO_DIR = "tar: can't change directory to '{dir}': No such file or directory"
GNU_FAILURE_CODE = 2
FILE_MODE, DIR_MODE = 0o644, 0o755


@dataclass
class TarResult:
    data: bytes = b""
    stderr: list[str] = field(default_factory=list)
    exit_code: int = 0
    # Files an extract wrote: absolute path -> content.
    written: dict[str, bytes] = field(default_factory=dict)


def create(
    paths: list[str],
    files: dict[str, bytes],
    dirs: set[str],
    mtime: float,
    busybox: bool,
    cwd: str = "/",
) -> TarResult:
    """`tar cf - paths...`: an archive of the named files and directory trees."""
    out = TarResult()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for given in paths:
            path = posixpath.normpath(posixpath.join(cwd, given))
            member = given.lstrip("/") or "."
            if (
                given.startswith("/")
                and not busybox
                and GNU_LEADING_SLASH not in (out.stderr)
            ):
                out.stderr.append(GNU_LEADING_SLASH)
            if path in files:
                _add_file(archive, member, files[path], mtime)
            elif path in dirs:
                _add_tree(archive, path, member, files, dirs, mtime)
            else:
                template = BUSYBOX_MISSING if busybox else GNU_CANNOT_STAT
                out.stderr.append(template.format(path=given))
                out.exit_code = 1 if busybox else GNU_FAILURE_CODE
    if out.exit_code and not busybox:
        out.stderr.append(GNU_FAILURE)
    out.data = buf.getvalue()
    return out


def _add_tree(archive, path, member, files, dirs, mtime) -> None:
    _add_dir(archive, member, mtime)
    prefix = path.rstrip("/") + "/"
    for d in sorted(d for d in dirs if d.startswith(prefix)):
        _add_dir(archive, posixpath.join(member, d[len(prefix) :]), mtime)
    for f in sorted(f for f in files if f.startswith(prefix)):
        _add_file(archive, posixpath.join(member, f[len(prefix) :]), files[f], mtime)


def _add_dir(archive, name: str, mtime: float) -> None:
    info = tarfile.TarInfo(name.rstrip("/") + "/")
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, DIR_MODE, int(mtime)
    archive.addfile(info)


def _add_file(archive, name: str, content: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(content), FILE_MODE, int(mtime)
    archive.addfile(info, io.BytesIO(content))


def extract(
    data: bytes, directory: str, dirs: set[str], busybox: bool, room: int
) -> TarResult:
    """`tar xmf - -C directory`: the regular files of the archive, by absolute path,
    until they fill `room` bytes."""
    out = TarResult()
    directory = posixpath.normpath(directory or "/")
    if directory not in dirs:
        template = BUSYBOX_NO_DIR if busybox else GNU_NO_DIR
        out.stderr.append(template.format(dir=directory))
        if not busybox:
            out.stderr.append(GNU_FATAL)
        out.exit_code = 1 if busybox else GNU_FAILURE_CODE
        return out
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for info in archive:
                target = posixpath.normpath(posixpath.join(directory, info.name))
                if not info.isfile():
                    continue
                if info.size > room:
                    out.stderr.append(
                        BUSYBOX_NO_SPACE
                        if busybox
                        else GNU_NO_SPACE.format(name=info.name)
                    )
                    if not busybox:
                        out.stderr.append(GNU_FAILURE)
                    out.exit_code = 1 if busybox else GNU_FAILURE_CODE
                    break
                out.written[target] = archive.extractfile(info).read()
                room -= info.size
    except tarfile.TarError:
        if busybox:
            out.stderr.append(BUSYBOX_NOT_TAR)
            out.exit_code = 1
        else:
            out.stderr += [GNU_NOT_TAR, GNU_FAILURE]
            out.exit_code = GNU_FAILURE_CODE
    return out
