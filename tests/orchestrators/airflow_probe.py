"""Run by an Airflow installation's own Python (not sundial's): load a DAG folder into Airflow's
DagBag and print, as JSON, what Airflow's scheduler will make of each DAG.

The DAGs go through Airflow's serialization first, because the scheduler computes next runs
from the serialized DAG, not from the object the file built. Works on Airflow 2.10 and 3.x.

Usage: python airflow_probe.py DAGS_FOLDER [RUNS]; prints one line "SUNDIAL-PROBE <json>".
"""

from __future__ import annotations

import json
import sys
from typing import Any

DAGS, RUNS = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _dagbag() -> Any:
    try:  # Airflow 3
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2.10
        from airflow.models.dagbag import DagBag

        return DagBag(dag_folder=DAGS, include_examples=False)
    return DagBag(dag_folder=DAGS)


def _runs(serialized: Any) -> list[str]:
    """The first RUNS run-after instants, as Airflow's scheduler would create them."""
    out: list[str] = []
    last = None
    for _ in range(RUNS):
        try:  # Airflow 3: the last run is passed as a DagRunInfo
            info = serialized.next_dagrun_info(last_automated_run_info=last, restricted=True)
        except TypeError:  # Airflow 2.10: as a data interval
            info = serialized.next_dagrun_info(
                None if last is None else last.data_interval, restricted=True)
        if info is None:
            break
        out.append(_iso(info.run_after) or "")
        last = info
    return out


def main() -> None:
    try:  # Airflow 3
        from airflow.serialization.serialized_objects import DagSerialization as Serializer
    except ImportError:  # Airflow 2.10
        from airflow.serialization.serialized_objects import SerializedDAG as Serializer

    import airflow

    bag = _dagbag()
    result: dict[str, Any] = {"version": airflow.__version__, "dags": {},
                              "import_errors": {k: str(v) for k, v in bag.import_errors.items()}}
    for dag_id, dag in bag.dags.items():
        serialized = Serializer.from_dict(Serializer.to_dict(dag))
        timetable = serialized.timetable
        result["dags"][dag_id] = {
            "timetable": type(timetable).__name__,
            "summary": getattr(timetable, "summary", None),
            "timezone": str(getattr(timetable, "_timezone", "")) or None,
            "catchup": serialized.catchup,
            "start_date": _iso(serialized.start_date),
            "end_date": _iso(serialized.end_date),
            "max_active_runs": serialized.max_active_runs,
            "is_paused_upon_creation": dag.is_paused_upon_creation,
            "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
            "operators": sorted({type(t).__name__ for t in dag.tasks}),
            "runs": _runs(serialized),
        }
    # Airflow may log to stdout; the result is the one line after this marker.
    print("\nSUNDIAL-PROBE " + json.dumps(result))


if __name__ == "__main__":
    main()
