"""``sundial.schedule.Schedule``: the same class as ``sundial.Schedule``."""

from sundial.definition.schedule import Schedule as Schedule

__all__ = ["Schedule"]
