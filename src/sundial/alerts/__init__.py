"""Alerts: a run failed, a schedule is late, a scheduler replica went silent.

Sent by the scheduler through a background queue (:mod:`.dispatch`) to a webhook
(:mod:`.webhook`) and/or by e-mail (:mod:`.email`), as configured in :class:`Settings`.
"""

from sundial.alerts.base import Alert as Alert
from sundial.alerts.dispatch import AlertDispatcher as AlertDispatcher
from sundial.alerts.dispatch import from_settings as from_settings
