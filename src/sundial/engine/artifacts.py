"""The artifact store: step outputs as files on any fsspec filesystem, written atomically.

A value is materialized to bytes, hashed, written to a temporary name beside its final path and
then renamed, so a process killed mid-write leaves at most a ``.tmp-*`` file, never a
half-written artifact under a name the store points to. Local folders (the default) are written
with plain ``os`` calls: importing fsspec costs a third of what importing SQLAlchemy does, and
its layers cost more per artifact than the file operations themselves; any other URL goes
through fsspec. Files are not fsynced (see docs/scheduler.md, "Durability"): after a machine
crash an artifact may come back short, and its content hash then fails the step that reads it.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

from sundial.engine import materializers
from sundial.errors import ArtifactError
from sundial.frozen import Frozen
from sundial.store.records import ArtifactRecord


class WrittenArtifact(Frozen):
    uri: str
    materializer: str
    data_type: str
    content_hash: str
    size: int

    def __init__(self, uri: str, materializer: str, data_type: str, content_hash: str,
                 size: int) -> None:
        self.__dict__.update(uri=uri, materializer=materializer, data_type=data_type,
                             content_hash=content_hash, size=size)

    def row(self, name: str) -> dict[str, Any]:
        return {"name": name, "uri": self.uri, "materializer": self.materializer,
                "data_type": self.data_type, "content_hash": self.content_hash,
                "size": self.size}


class ArtifactStore:
    """Writes and reads artifacts under one root URL (a local folder or any fsspec URL)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/") or "/"
        self.local = _local_path(self.root)
        self.fs: Any = None
        if self.local is not None:
            self._root_path, self._protocol = self.local, "file"
            return
        from fsspec.core import url_to_fs

        self.fs, self._root_path = url_to_fs(self.root)
        self._protocol = self.fs.protocol if isinstance(self.fs.protocol, str) \
            else self.fs.protocol[0]

    def _uri(self, path: str) -> str:
        if self._protocol in ("file", "local"):
            return path
        return f"{self._protocol}://{path.removeprefix(self._protocol + '://')}"

    def _put(self, folder: str, tmp: str, path: str, data: bytes) -> None:
        """Write ``data`` to ``tmp`` in ``folder`` and rename it to ``path``."""
        if self.fs is not None:
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, path)
            return
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileNotFoundError:  # the step's folder is new: one makedirs, then again
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, _CREATE, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        _publish(tmp, path)

    def write(self, value: Any, *, run_id: str, step: str, output: str) -> WrittenArtifact:
        mat = materializers.for_value(value)
        try:
            data = mat.dumps(value)
        except Exception as err:
            raise ArtifactError(
                f"output '{output}' of step '{step}' ({type(value).__name__}) could not be "
                f"saved with the {mat.name} materializer: {err}",
                "return a JSON-able value, a numpy array, a DataFrame or a picklable object",
            ) from err
        folder = f"{self._root_path}/{run_id}/{step}"
        path = f"{folder}/{output}.{mat.extension}"
        tmp = f"{folder}/.tmp-{uuid.uuid4().hex}-{output}"
        try:
            self._put(folder, tmp, path, data)
        except OSError as err:
            raise ArtifactError(f"cannot write artifact {path}: {err}",
                                "check SUNDIAL_ARTIFACT_URI points somewhere writable") from err
        return WrittenArtifact(
            uri=self._uri(path), materializer=mat.name,
            data_type=f"{type(value).__module__}.{type(value).__qualname__}",
            content_hash=hashlib.sha256(data).hexdigest(), size=len(data))

    def exists(self, artifact: ArtifactRecord) -> bool:
        local = _local_path(artifact.uri)
        if local is not None:
            return os.path.exists(local)
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(artifact.uri)
        return bool(fs.exists(path))


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_publish = os.replace  # the rename that makes an artifact visible (a test cuts in here)


def _local_path(url: str) -> str | None:
    """The path of a local file URL (a plain path or ``file://``), else None."""
    if url.startswith("file://"):
        return url.removeprefix("file://")
    return None if "://" in url or "::" in url else url


def _read(uri: str) -> bytes:
    local = _local_path(uri)
    if local is not None:
        with open(local, "rb") as f:
            return f.read()
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(uri)
    return bytes(fs.cat_file(path))


def load_artifact(artifact: ArtifactRecord) -> Any:
    """Read an artifact back as the value it was written from."""
    try:
        data = _read(artifact.uri)
    except FileNotFoundError:
        raise ArtifactError(f"artifact file {artifact.uri} is missing",
                            "it was deleted from the artifact store; re-run the step") from None
    if hashlib.sha256(data).hexdigest() != artifact.content_hash:
        raise ArtifactError(f"artifact file {artifact.uri} does not match its content hash",
                            "the file was changed after it was written; re-run the step")
    return materializers.by_name(artifact.materializer).loads(data)
