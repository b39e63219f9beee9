"""kube-scheduler: a scheduling queue, the framework's extension points and the default plugins.

The engine calls `run` once per tick with the pods, nodes and related objects it
observed; `run` returns the API calls to make, the queue state to persist, when to
wake up next, and an explanation of every decision.
"""

from cluster.scheduler.queue import Queue
from cluster.scheduler.scheduler import SchedulerResult, run

__all__ = ["Queue", "SchedulerResult", "run"]
