"""Tracing: how step calls inside a pipeline body become a DAG."""

from __future__ import annotations

from typing import Annotated

import pytest

from sundial import DefinitionError, ParameterError, pipeline, step
from sundial.definition.graph import PipelineGraph, Upstream, Value, tracing


@step
def load() -> tuple[Annotated[list[int], "x"], Annotated[list[int], "y"]]:
    return [1, 2], [3, 4]


@step(name="fit", enable_cache=False, retries=2, retry_delay=0.5)
def train(x: list[int], y: list[int], lr: float = 0.1) -> dict[str, float]:
    return {"lr": lr, "n": len(x) + len(y)}


@step
def single() -> Annotated[int, "answer"]:
    return 42


@step
def untyped():  # type: ignore[no-untyped-def]
    return 1


@step
def nothing() -> None:
    return None


def test_output_names_from_annotations() -> None:
    assert load.output_names == ("x", "y")
    assert single.output_names == ("answer",)
    assert untyped.output_names == ("output",)
    assert train.output_names == ("output",)
    assert nothing.output_names == ()


def test_decorator_options() -> None:
    assert train.name == "fit"
    assert train.options.enable_cache is False
    assert train.options.retries == 2 and train.options.retry_delay == 0.5
    assert load.options.enable_cache is None


def test_step_outside_a_pipeline_is_a_plain_call() -> None:
    assert train([1], [2], lr=0.5) == {"lr": 0.5, "n": 2}
    assert load() == ([1, 2], [3, 4])


def test_tracing_records_inputs_and_order() -> None:
    @pipeline
    def p(lr: float = 0.1) -> None:
        x, y = load()
        train(x, y, lr=lr)
        train(x, y)

    graph = p.trace({"lr": 0.3})
    assert list(graph.invocations) == ["load", "fit", "fit_2"]
    fit = graph.invocations["fit"]
    assert fit.inputs == {"x": Upstream("load", "x"), "y": Upstream("load", "y"),
                          "lr": Value(0.3)}
    assert fit.upstream_ids == ["load"]
    assert graph.spec()["steps"][1]["inputs"]["lr"] == {"value": 0.3}
    assert p.trace({"lr": 0.3}).version_hash() == graph.version_hash()


def test_unknown_step_parameter_names_step_and_parameter() -> None:
    @pipeline
    def p() -> None:
        x, y = load()
        train(x, y, learning_rate=0.1)

    with pytest.raises(ParameterError, match=r"step 'fit'.*learning_rate"):
        p.trace({})


def test_wrong_literal_type_names_step_and_parameter() -> None:
    @pipeline
    def p() -> None:
        x, y = load()
        train(x, y, lr="fast")

    with pytest.raises(ParameterError) as info:
        p.trace({})
    assert "step 'fit', parameter 'lr': expected float" in info.value.headline
    assert info.value.fix


def test_unknown_pipeline_parameter() -> None:
    @pipeline
    def p(lr: float = 0.1) -> None:
        load()

    with pytest.raises(ParameterError, match="pipeline 'p' has no parameter 'epochs'"):
        p.bind_params((), {"epochs": 3})
    with pytest.raises(ParameterError, match="parameter 'lr': expected float, got str"):
        p.bind_params((), {"lr": "x"})
    assert p.bind_params((), {"lr": 1}) == {"lr": 1}
    # Issue 9, defect 6: `--param lr=1e999` reads as inf; neither it nor nan is a float value.
    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ParameterError, match=f"expected float, got float {bad}"):
            p.bind_params((), {"lr": bad})


def test_unpacking_a_single_output_is_a_clear_error() -> None:
    @pipeline
    def p() -> None:
        _a, _b = single()

    with pytest.raises(DefinitionError, match="cannot be unpacked"):
        p.trace({})


def test_branching_on_an_output_is_a_clear_error() -> None:
    @pipeline
    def p() -> None:
        if single():
            load()

    with pytest.raises(DefinitionError, match="cannot be tested"):
        p.trace({})


def test_pipeline_without_steps_is_refused() -> None:
    @pipeline
    def empty() -> None:
        pass

    with pytest.raises(DefinitionError, match="calls no step"):
        empty.trace({})


def test_tracing_context_is_restored() -> None:
    graph = PipelineGraph("x")
    with tracing(graph):
        single()
    assert list(graph.invocations) == ["single"]
    assert single() == 42


def test_with_options_copies() -> None:
    @pipeline(enable_cache=True)
    def p() -> None:
        single()

    q = p.with_options(enable_cache=False)
    assert p.options.enable_cache is True and q.options.enable_cache is False
    assert train.with_options(retries=5).options.retries == 5
