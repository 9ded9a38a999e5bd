"""Local runs end to end, on SQLite and PostgreSQL: statuses, artifacts, logs, retries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import pytest

from sundial import Client, RunFailedError, pipeline, step
from sundial.engine import materializers

CALLS: dict[str, int] = {}


def _count(name: str) -> int:
    CALLS[name] = CALLS.get(name, 0) + 1
    return CALLS[name]


@step
def load(n: int = 3) -> tuple[Annotated[list[float], "x"], Annotated[list[float], "y"]]:
    _count("load")
    print("loading", n)
    return [float(i) for i in range(n)], [2.0 * i for i in range(n)]


@step
def train(x: list[float], y: list[float], lr: float = 0.1) -> dict[str, float]:
    _count("train")
    logging.getLogger("trainer").warning("training with lr=%s", lr)
    return {"lr": lr, "slope": y[-1] / x[-1]}


@step
def explode(model: dict[str, float]) -> float:
    raise ValueError(f"bad model {model['lr']}")


@step
def after(value: float) -> float:
    return value


@step
def independent() -> str:
    return "still ran"


@pipeline
def training(lr: float = 0.1) -> None:
    x, y = load()
    train(x, y, lr=lr)


@pipeline
def failing() -> None:
    x, y = load()
    model = train(x, y)
    after(explode(model))
    independent()


def test_run_records_steps_artifacts_and_logs(sundial_env: Path) -> None:
    run = training(lr=0.2)
    assert run.status == "completed"
    assert [(s.name, s.status) for s in run.steps.values()] == [
        ("load", "completed"), ("train", "completed")]
    assert run.steps["train"].output.load() == {"lr": 0.2, "slope": 2.0}
    assert run.steps["load"].outputs["x"].load() == [0.0, 1.0, 2.0]
    again = Client().get_run(run.id)
    assert again.params == {"lr": 0.2}
    assert again.steps["load"].logs.startswith("loading 3")
    assert "training with lr=0.2" in again.steps["train"].logs
    assert again.steps["train"].inputs["x"].id == again.steps["load"].outputs["x"].record.id
    uri = Path(run.steps["train"].output.uri)
    assert uri.is_file() and str(uri).startswith(str(sundial_env / "artifacts"))
    assert not list(uri.parent.glob(".tmp-*"))


def test_failed_step_skips_downstream_and_keeps_earlier_artifacts(sundial_env: Path) -> None:
    with pytest.raises(RunFailedError) as info:
        failing()
    assert "failed at step 'explode': ValueError: bad model 0.1" in info.value.headline
    run = Client().get_run(info.value.run_id)
    assert run.status == "failed"
    statuses = {s.name: s.status for s in run.steps.values()}
    assert statuses == {"load": "completed", "train": "completed", "explode": "failed",
                        "after": "skipped", "independent": "completed"}
    assert "Traceback" in run.steps["explode"].traceback
    assert 'raise ValueError(f"bad model' in run.steps["explode"].traceback
    assert run.steps["after"].error == "upstream step 'explode' did not complete"
    assert run.steps["train"].output.load()["slope"] == 2.0


def test_retries(sundial_env: Path) -> None:
    attempts: list[int] = []

    @step(retries=2, retry_delay=0)
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        return len(attempts)

    @pipeline
    def p() -> None:
        flaky()

    run = p()
    assert run.steps["flaky"].attempts == 3
    assert run.steps["flaky"].output.load() == 3
    assert "attempt 1 failed" in run.steps["flaky"].logs


def test_retries_exhausted(sundial_env: Path) -> None:
    @step(retries=1)
    def never() -> int:
        raise RuntimeError("no")

    @pipeline
    def p() -> None:
        never()

    with pytest.raises(RunFailedError) as info:
        p()
    assert Client().get_run(info.value.run_id).steps["never"].attempts == 2


def test_cache_hits_and_misses(sundial_env: Path) -> None:
    CALLS.clear()
    first = training(lr=0.1)
    second = training(lr=0.1)
    assert {s.name: s.status for s in second.steps.values()} == {"load": "cached",
                                                                 "train": "cached"}
    assert CALLS == {"load": 1, "train": 1}
    assert (second.steps["train"].output.record.id
            == first.steps["train"].output.record.id)
    third = training(lr=0.3)  # a new parameter: train runs again, load is reused
    assert {s.name: s.status for s in third.steps.values()} == {"load": "cached",
                                                                "train": "completed"}
    assert CALLS == {"load": 1, "train": 2}


def test_cache_off_on_pipeline_and_step(sundial_env: Path) -> None:
    CALLS.clear()
    training()
    run = training.with_options(enable_cache=False)()
    assert {s.status for s in run.steps.values()} == {"completed"}
    assert CALLS == {"load": 2, "train": 2}

    @pipeline(enable_cache=False)
    def uncached() -> None:
        x, y = load()
        train(x, y)

    assert {s.status for s in uncached().steps.values()} == {"completed"}

    fresh = load.with_options(enable_cache=False)

    @pipeline
    def mixed() -> None:
        x, y = fresh()
        train(x, y)

    run = mixed()
    # load is never cached; train gets identical inputs (same content hash), so it hits.
    assert {s.name: s.status for s in run.steps.values()} == {"load": "completed",
                                                              "train": "cached"}


def test_cache_misses_when_the_artifact_file_is_gone(sundial_env: Path) -> None:
    first = training(lr=0.5)
    Path(first.steps["train"].output.uri).unlink()
    second = training(lr=0.5)
    assert second.steps["train"].status == "completed"


def test_seeds_forms_run_and_with_options(sundial_env: Path) -> None:
    assert training.run(lr=0.4).status == "completed"
    assert training.with_options(enable_cache=False)(lr=0.4).status == "completed"
    assert len(Client().list_runs(pipeline="training")) == 2


def test_materializers_numpy_pandas_pickle(sundial_env: Path) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")

    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    @step
    def make() -> tuple[Annotated[object, "arr"], Annotated[object, "df"],
                        Annotated[object, "obj"], Annotated[object, "tup"]]:
        return (np.arange(6).reshape(2, 3), pd.DataFrame({"a": [1, 2]}), Point(5), (1, "a"))

    @pipeline
    def p() -> None:
        make()

    materializers._warned.clear()  # the warning is once per type and process
    with pytest.warns(UserWarning, match="cloudpickle") as warned:
        run = p()
    assert len([w for w in warned if "Point" in str(w.message)]) == 1
    outs = run.steps["make"].outputs
    assert {n: o.record.materializer for n, o in outs.items()} == {
        "arr": "numpy", "df": "parquet", "obj": "cloudpickle", "tup": "cloudpickle"}
    assert (outs["arr"].load() == np.arange(6).reshape(2, 3)).all()
    assert outs["df"].load().equals(pd.DataFrame({"a": [1, 2]}))
    assert outs["obj"].load().x == 5
    assert outs["tup"].load() == (1, "a")
    assert outs["arr"].uri.endswith(".npy") and outs["df"].uri.endswith(".parquet")


def test_wrong_number_of_outputs_fails_the_step(sundial_env: Path) -> None:
    @step
    def two() -> tuple[Annotated[int, "a"], Annotated[int, "b"]]:
        return 1  # type: ignore[return-value]

    @pipeline
    def p() -> None:
        two()

    with pytest.raises(RunFailedError, match="declares outputs"):
        p()


def test_artifact_uri_setting_is_followed(sundial_env: Path, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setenv("SUNDIAL_ARTIFACT_URI", f"file://{tmp_path / 'elsewhere'}")
    run = training(lr=0.9)
    assert run.steps["train"].output.uri.startswith(str(tmp_path / "elsewhere"))
    assert run.steps["train"].output.load()["lr"] == 0.9


def test_memory_filesystem_artifacts(sundial_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNDIAL_ARTIFACT_URI", "memory://sundial-test")
    run = training(lr=0.7)
    assert run.steps["train"].output.uri.startswith("memory://")
    assert Client().get_run(run.id).steps["train"].output.load()["lr"] == 0.7
