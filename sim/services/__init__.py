"""Services as components: each one owns its state, phases and outcomes.

:data:`DEFAULT_SERVICES` is the tuple :class:`~sim.model.GovModel` builds unless
told otherwise; adding a service is one new module with a :class:`Service`
subclass and one entry in a tuple (``docs/design.md``, "Adding a service").
"""

from .activities import Activities
from .base import Service
from .canteens import Canteens, Meal
from .care import Care
from .jobs import Jobs
from .projects import JointProjects

DEFAULT_SERVICES: tuple[type[Service], ...] = (Canteens, Care, Jobs, JointProjects, Activities)

__all__ = ["DEFAULT_SERVICES", "Activities", "Canteens", "Care", "Jobs", "JointProjects", "Meal", "Service"]
