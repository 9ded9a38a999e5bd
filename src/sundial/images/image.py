"""``sundial build``: an image that runs the steps of a pipeline.

The image holds the user's project and sundial (installed from wheels built on the host, so the
build itself needs no network) and starts ``sundial step run``. The project is copied to the
**same absolute path** it has on the host: the pipeline version in the store names its file by
that path (``Pipeline.source``), so a step in the container loads exactly the code that was
registered, with no path mapping to get wrong.

The tag defaults to a content hash of everything that goes in (base image, project files,
sundial's own code, requirements), so building an unchanged pipeline again finds the image and
does nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sundial
from sundial.errors import OrchestratorError, TargetNotFoundError
from sundial.images.engine import ContainerEngine

__all__ = ["DEFAULT_BASE", "BuildPlan", "BuildResult", "build_image", "containerfile",
           "plan_build"]

#: Folders never copied into an image: environments, caches, VCS data, build output.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache",
    ".pytest_cache", ".hypothesis", "node_modules", ".sundial", "build", "dist", ".cache",
    ".airflow", ".tox", ".nox", ".eggs",
})
#: Bounds on what a build copies, so a target in the wrong folder (a home directory) fails
#: quickly with a clear message instead of hashing gigabytes.
MAX_FILES = 5_000
MAX_BYTES = 200 * 1024 * 1024
VENV = "/opt/sundial"
#: The default base: any image with ``python3`` (3.11+) and its ``venv`` module will do.
DEFAULT_BASE = "docker.io/library/python:3.11-slim"
#: Bumped when the Containerfile template changes, so old images are not reused.
TEMPLATE_VERSION = "1"


@dataclass(frozen=True)
class BuildPlan:
    """What goes into the image, decided before anything is built."""

    project_dir: Path
    files: tuple[Path, ...]  # relative to project_dir
    base: str
    tag: str
    requirements: Path | None
    digest: str


@dataclass(frozen=True)
class BuildResult:
    tag: str
    built: bool  # False: an image with this tag existed, nothing was built
    containerfile: str


def containerfile(plan: BuildPlan) -> str:
    """The Containerfile of ``plan`` (the context holds ``wheels/`` and ``project/``)."""
    dest = plan.project_dir.as_posix()
    reqs = " -r /tmp/wheels/requirements.txt" if plan.requirements else ""
    return "\n".join([
        f"FROM {plan.base}",
        f"RUN python3 -m venv {VENV}",
        "COPY wheels/ /tmp/wheels/",
        # --no-index: every wheel was built on the host; the build needs no network.
        f"RUN {VENV}/bin/pip install --quiet --no-index --find-links /tmp/wheels "
        f"/tmp/wheels/sundial-*.whl{reqs} && rm -rf /tmp/wheels",
        f"COPY project/ {dest}/",
        f"WORKDIR {dest}",
        f"ENV PATH={VENV}/bin:/usr/local/bin:/usr/bin:/bin PYTHONUNBUFFERED=1 "
        f"PYTHONPATH={dest} SUNDIAL_HOME=/tmp/sundial",
        f'LABEL io.sundial.digest="{plan.digest}"',
        f'ENTRYPOINT ["{VENV}/bin/sundial", "step", "run"]',
        "",
    ])


def project_dir_of(target: str) -> Path:
    """The folder to copy for a target: a file target's folder, else the working directory
    (where ``package.module:pipeline`` is imported from)."""
    module_part = target.rpartition(":")[0]
    if module_part.endswith(".py") or "/" in module_part:
        path = Path(module_part).expanduser().resolve()
        if not path.is_file():
            raise TargetNotFoundError(f"target '{target}': file {path} does not exist",
                                      "write TARGET as path/to/file.py:pipeline_name")
        return path.parent
    return Path.cwd().resolve()


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                yield (Path(folder) / name).relative_to(root)


def project_files(root: Path) -> tuple[Path, ...]:
    """The project's files, bounded by :data:`MAX_FILES` and :data:`MAX_BYTES`."""
    files: list[Path] = []
    size = 0
    for rel in _walk(root):
        files.append(rel)
        size += (root / rel).stat().st_size
        if len(files) > MAX_FILES or size > MAX_BYTES:
            raise OrchestratorError(
                f"project folder {root} has more than {MAX_FILES} files or "
                f"{MAX_BYTES // 2**20} MiB", "build from the pipeline's own project folder "
                "(pass --project DIR), or move data files out of it")
    return tuple(files)


def sundial_source() -> Path:
    """The source tree sundial is installed from (``pip install -e`` or a checkout): its
    wheel is built from there."""
    package = Path(sundial.__file__).resolve().parent
    root = package.parent.parent  # src/sundial -> the project root
    if not (root / "pyproject.toml").is_file():
        raise OrchestratorError(
            f"sundial at {package} is not installed from a source tree, so no wheel of it "
            "can be built for the image", "install sundial with `pip install -e .` from its "
            "checkout, or pass --base with an image that has sundial installed")
    return root


def _sundial_files(root: Path) -> list[Path]:
    return [Path("pyproject.toml"), Path("README.md"),
            *(Path("src/sundial") / p for p in _walk(root / "src" / "sundial"))]


def plan_build(target: str, *, base: str, tag: str | None = None,
               project_dir: Path | None = None, requirements: Path | None = None,
               pipeline_name: str = "pipeline") -> BuildPlan:
    """Decide the image's content and tag; reads files, runs nothing."""
    root = (project_dir or project_dir_of(target)).resolve()
    files = project_files(root)
    if requirements is not None and not requirements.is_file():
        raise OrchestratorError(f"requirements file {requirements} does not exist",
                                "pass --requirements with an existing file, or leave it out")
    digest = hashlib.sha256(f"{TEMPLATE_VERSION}\0{base}\0{root}\0".encode())
    src = sundial_source()
    for label, folder, names in (("p", root, files), ("s", src, _sundial_files(src))):
        for rel in names:
            digest.update(f"{label}:{rel.as_posix()}\0".encode())
            digest.update((folder / rel).read_bytes())
    if requirements is not None:
        digest.update(b"r:" + requirements.read_bytes())
    hexdigest = digest.hexdigest()
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in pipeline_name.lower())
    return BuildPlan(project_dir=root, files=files, base=base, requirements=requirements,
                     tag=tag or f"localhost/sundial-{name}:{hexdigest[:16]}",
                     digest=hexdigest)


def build_image(plan: BuildPlan, engine: ContainerEngine, *,
                wheels: Path | None = None, log: bool = False) -> BuildResult:
    """Build ``plan`` unless an image with its tag exists.

    :param wheels: a folder of wheels to install from instead of the package index (for
        machines without one: ``pip wheel`` them there first).
    :raises OrchestratorError: the base image is missing, or pip or the build fails; the
        message carries the tool's own last lines.
    """
    text = containerfile(plan)
    lock_dir = Path(tempfile.gettempdir()) / "sundial-build-locks"
    lock_dir.mkdir(exist_ok=True)
    lock_name = hashlib.sha1(plan.tag.encode()).hexdigest()
    # Two processes building the same tag (parallel test workers, two terminals) build once.
    with open(lock_dir / lock_name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if engine.image_exists(plan.tag):
            return BuildResult(plan.tag, False, text)
        if plan.base.startswith("localhost/") and not engine.image_exists(plan.base):
            # Anything else the engine pulls from its registry as usual.
            raise OrchestratorError(
                f"base image '{plan.base}' does not exist in {engine.name}",
                "build it (in sundial's repository: scripts/container-base) or pass "
                "--base with an image that has python3 and python3-venv")
        with tempfile.TemporaryDirectory(prefix="sundial-build-") as tmp:
            context = Path(tmp)
            _wheels(context / "wheels", plan, wheels)
            for rel in plan.files:
                dest = context / "project" / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(plan.project_dir / rel, dest)
            (context / "project").mkdir(exist_ok=True)
            (context / "Containerfile").write_text(text)
            argv = [engine.path, "build", *engine.common_flags(), "--network", "none",
                    "-f", str(context / "Containerfile"), "-t", plan.tag, str(context)]
            _run(argv, f"{engine.name} build of {plan.tag}", log)
    return BuildResult(plan.tag, True, text)


def _wheels(out: Path, plan: BuildPlan, wheels: Path | None) -> None:
    """Wheels of sundial (built from its source tree) and of everything it and the project's
    requirements need, into ``out``."""
    out.mkdir(parents=True)
    src = sundial_source()
    with tempfile.TemporaryDirectory(prefix="sundial-src-") as tmp:
        # Build from a copy: pip builds in the tree it is given, and parallel builds in the
        # developer's checkout would trip over each other's build/ folders.
        for rel in _sundial_files(src):
            dest = Path(tmp) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dest)
        index = ["--no-index", "--find-links", str(wheels)] if wheels else []
        reqs = ["-r", str(plan.requirements)] if plan.requirements else []
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(out),
              *index, tmp, *reqs], "pip wheel (sundial and its requirements)", False)
    if plan.requirements is not None:
        shutil.copy2(plan.requirements, out / "requirements.txt")


def _run(argv: list[str], what: str, log: bool) -> None:
    done = subprocess.run(argv, capture_output=not log, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(((done.stdout or "") + (done.stderr or "")).splitlines()[-15:])
        raise OrchestratorError(f"{what} failed (exit {done.returncode}):\n{tail}",
                                "fix the error above; a missing package needs a wheel in "
                                "--wheels or a reachable package index")
