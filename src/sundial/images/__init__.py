"""Container images for pipelines: ``sundial build`` and the engine that builds and runs them."""

from sundial.images.engine import ContainerEngine as ContainerEngine
from sundial.images.engine import find_engine as find_engine
from sundial.images.image import DEFAULT_BASE as DEFAULT_BASE
from sundial.images.image import BuildPlan as BuildPlan
from sundial.images.image import BuildResult as BuildResult
from sundial.images.image import build_image as build_image
from sundial.images.image import plan_build as plan_build
