"""The artifact store: step outputs as files on any fsspec filesystem, written atomically.

A value is materialized to bytes, hashed, written to a temporary name beside its final path and
then renamed, so a process killed mid-write leaves at most a ``.tmp-*`` file, never a
half-written artifact under a name the store points to.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sundial.engine import materializers
from sundial.errors import ArtifactError
from sundial.store.records import ArtifactRecord


@dataclass(frozen=True)
class WrittenArtifact:
    uri: str
    materializer: str
    data_type: str
    content_hash: str
    size: int

    def row(self, name: str) -> dict[str, Any]:
        return {"name": name, "uri": self.uri, "materializer": self.materializer,
                "data_type": self.data_type, "content_hash": self.content_hash,
                "size": self.size}


class ArtifactStore:
    """Writes and reads artifacts under one root URL (a local folder or any fsspec URL)."""

    def __init__(self, root: str) -> None:
        from fsspec.core import url_to_fs

        self.root = root.rstrip("/")
        self.fs, self._root_path = url_to_fs(self.root)
        self._protocol = self.fs.protocol if isinstance(self.fs.protocol, str) \
            else self.fs.protocol[0]

    def _uri(self, path: str) -> str:
        if self._protocol in ("file", "local"):
            return path
        return f"{self._protocol}://{path.removeprefix(self._protocol + '://')}"

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
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, path)
        except OSError as err:
            raise ArtifactError(f"cannot write artifact {path}: {err}",
                                "check SUNDIAL_ARTIFACT_URI points somewhere writable") from err
        return WrittenArtifact(
            uri=self._uri(path), materializer=mat.name,
            data_type=f"{type(value).__module__}.{type(value).__qualname__}",
            content_hash=hashlib.sha256(data).hexdigest(), size=len(data))

    def exists(self, artifact: ArtifactRecord) -> bool:
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(artifact.uri)
        return bool(fs.exists(path))


def load_artifact(artifact: ArtifactRecord) -> Any:
    """Read an artifact back as the value it was written from."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(artifact.uri)
    try:
        data = fs.cat_file(path)
    except FileNotFoundError:
        raise ArtifactError(f"artifact file {artifact.uri} is missing",
                            "it was deleted from the artifact store; re-run the step") from None
    if hashlib.sha256(data).hexdigest() != artifact.content_hash:
        raise ArtifactError(f"artifact file {artifact.uri} does not match its content hash",
                            "the file was changed after it was written; re-run the step")
    return materializers.by_name(artifact.materializer).loads(data)
