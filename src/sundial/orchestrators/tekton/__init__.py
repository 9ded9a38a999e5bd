"""The Tekton backend: a Pipeline with one Task per step, a PipelineRun per run.

``compiler`` (pure) writes the resources, ``client`` drives the ``kubernetes`` client's
custom-objects API and reads a PipelineRun's state, ``orchestrator`` ties them to sundial's
contract. Importing this imports no ``kubernetes``.
"""

from sundial.orchestrators.tekton.compiler import TektonImage as TektonImage
from sundial.orchestrators.tekton.compiler import TektonSpec as TektonSpec
from sundial.orchestrators.tekton.compiler import compile_pipeline as compile_pipeline
from sundial.orchestrators.tekton.orchestrator import TektonOrchestrator as TektonOrchestrator
from sundial.orchestrators.tekton.settings import TektonSettings as TektonSettings

__all__ = ["TektonImage", "TektonOrchestrator", "TektonSettings", "TektonSpec",
           "compile_pipeline"]
