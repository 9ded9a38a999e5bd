"""The Airflow backend: schedules compiled into DAG files that Airflow 2.10 or 3.x fires.

``compiler`` (pure) writes the DAG text, ``mapping`` (pure) says how each Schedule field maps
and what Airflow cannot express, ``client`` drives Airflow's command line, and
``orchestrator`` ties them to sundial's contract. Importing this imports no Airflow.
"""

from sundial.orchestrators.airflow.compiler import DagSpec as DagSpec
from sundial.orchestrators.airflow.compiler import StepCommand as StepCommand
from sundial.orchestrators.airflow.compiler import compile_dag as compile_dag
from sundial.orchestrators.airflow.orchestrator import AirflowOrchestrator as AirflowOrchestrator
from sundial.orchestrators.airflow.orchestrator import deploy_airflow as deploy_airflow
from sundial.orchestrators.airflow.settings import AirflowSettings as AirflowSettings

__all__ = [
    "AirflowOrchestrator",
    "AirflowSettings",
    "DagSpec",
    "StepCommand",
    "compile_dag",
    "deploy_airflow",
]
