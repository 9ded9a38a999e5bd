"""`import sundial` stays light: no backend SDK, no store, no data libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ["kubernetes", "kfp", "airflow", "google.cloud", "fastapi", "pandas", "numpy",
         "sqlalchemy", "alembic", "fsspec", "typer"]


def _heavy_loaded(statement: str) -> list[str]:
    code = (f"import sys, json; {statement}; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded: list[str] = json.loads(out)
    return loaded


def test_import_sundial_pulls_in_no_optional_backend() -> None:
    # Some SDKs load themselves at interpreter start, before any import: the
    # google-cloud-aiplatform wheel ships a ``*-nspkg.pth`` that imports ``google.cloud``
    # whenever the vertex extra is installed. Those count against the interpreter, not sundial.
    at_start = set(_heavy_loaded("pass"))
    assert set(_heavy_loaded("import sundial")) - at_start == set()


def test_public_names() -> None:
    import sundial
    from sundial import Client, Schedule, pipeline, step
    from sundial.schedule import Schedule as Schedule2

    assert Schedule is Schedule2
    assert callable(step) and callable(pipeline) and Client is sundial.Client


def test_definition_loads_no_execution_code() -> None:
    """The arrows run one way: what users write never imports what runs it."""
    import ast
    from pathlib import Path

    lower = ("sundial.engine", "sundial.scheduler", "sundial.orchestrators", "sundial.store")
    code = ("import sys, json, sundial.definition.pipeline, sundial.definition.step, "
            "sundial.definition.schedule, sundial.definition.graph; "
            f"print(json.dumps([m for m in sys.modules if m.startswith({lower!r})]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []
    # Not even lazily, inside a function: only sundial.dispatch, the module above, is.
    folder = Path(__file__).parents[1] / "src" / "sundial" / "definition"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad = [n for n in names if n.startswith((*lower, "sundial.client"))]
            assert not bad, f"{path.name} imports {bad}"


THREE_STEPS = '''
from sundial import pipeline, step

@step
def load() -> int:
    return 1

@step
def save(x: int) -> None:
    return None

@pipeline(enable_cache=False)
def flow() -> None:
    save(load())

if __name__ == "__main__":
    flow()
'''

# Run at interpreter exit (after sundial's own exit path): the modules that were loaded, and
# proof that the user's atexit handlers still run.
AT_EXIT = ("import atexit, sys, json; atexit.register(lambda: print('LOADED ' + json.dumps("
           "[m for m in ('pydantic', 'typer', 'rich') if m in sys.modules]), flush=True)); ")


def _loaded_at_exit(args: list[str], home: Path, cwd: Path) -> list[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
    env["SUNDIAL_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-c", AT_EXIT + args[0], *args[1:]],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("LOADED ")]
    assert len(lines) == 1, done.stdout
    loaded: list[str] = json.loads(lines[0][len("LOADED "):])
    return loaded


def test_a_local_run_and_step_run_load_no_pydantic(tmp_path: Path) -> None:
    """What a run pays for: a plain local run and ``sundial step run`` (once per step on every
    remote backend) import no pydantic (only backends with settings need it), and the step
    process no CLI framework."""
    (tmp_path / "flow_mod.py").write_text(THREE_STEPS)
    home = tmp_path / "home"
    run = "import runpy; runpy.run_path('flow_mod.py', run_name='__main__')"
    assert _loaded_at_exit([run], home, tmp_path) == []
    step = ("import sys; from sundial.cli import main; "
            "sys.argv[1:] = ['step', 'run', 'load', '--version-id', '1', '--external-id', 'x1']; "
            "main()")
    assert _loaded_at_exit([step], home, tmp_path) == []


def test_lifelong_import_leaves_the_collector_as_it_was_and_freezes_only_when_asked() -> None:
    code = ("import gc, sys; from sundial.lifelong import import_lifelong; {before}"
            "import_lifelong('sundial.dispatch', freeze={freeze}); "
            "print(gc.isenabled(), gc.get_freeze_count() > 0, 'sqlalchemy' in sys.modules)")
    for before, enabled in (("", "True"), ("gc.disable(); ", "False")):
        for freeze in (True, False):
            out = subprocess.run([sys.executable, "-c", code.format(before=before,
                                                                    freeze=freeze)],
                                 capture_output=True, text=True, check=True).stdout.split()
            assert out == [enabled, str(freeze), "True"]


# A notebook: an object in a reference cycle made before the first pipeline call, dropped
# after it, is collected (a gc.freeze() in the user's process would keep it forever).
CYCLE_AFTER_A_RUN = THREE_STEPS.split("if __name__")[0] + '''
import gc, weakref

class Model:
    pass

model = Model()
model.self = model
gone = weakref.ref(model)
flow()
del model
gc.collect()
print("COLLECTED", gone() is None)
'''


def test_a_pipeline_call_freezes_none_of_the_users_objects(tmp_path: Path) -> None:
    import os

    (tmp_path / "notebook.py").write_text(CYCLE_AFTER_A_RUN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
    env["SUNDIAL_HOME"] = str(tmp_path / "home")
    done = subprocess.run([sys.executable, "notebook.py"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "COLLECTED True" in done.stdout


def test_a_local_run_and_step_run_build_no_dataclass(tmp_path: Path) -> None:
    """Each dataclass compiles its generated methods at import (about half a millisecond a
    class on Python 3.11), so the classes on these two roads are ``sundial.frozen`` ones."""
    (tmp_path / "flow_mod.py").write_text(THREE_STEPS)
    home = tmp_path / "home"
    report = ("import atexit, dataclasses, sys, json; atexit.register(lambda: print('BUILT ' + "
              "json.dumps(sorted(f'{m}.{n}' for m, mod in list(sys.modules.items()) "
              "if m.startswith('sundial') for n, v in vars(mod).items() "
              "if isinstance(v, type) and dataclasses.is_dataclass(v) "
              "and v.__module__ == m)), flush=True)); ")
    run = "import runpy; runpy.run_path('flow_mod.py', run_name='__main__')"
    step = ("import sys; from sundial.cli import main; "
            "sys.argv[1:] = ['step', 'run', 'load', '--version-id', '1', '--external-id', 'x1']; "
            "main()")
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
    env["SUNDIAL_HOME"] = str(home)
    for code in (run, step):
        done = subprocess.run([sys.executable, "-c", report + code], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr
        built = [ln for ln in done.stdout.splitlines() if ln.startswith("BUILT ")]
        assert built == ["BUILT []"], done.stdout
