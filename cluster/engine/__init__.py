"""The simulation engine: one tick of a cluster runs its components in order.

`tick.tick(cluster_id)` advances nothing by itself: the clock runs on its own (sim time
from the cluster's anchors and speed). A tick reads the world through the API server,
lets each running component's pure core decide, and writes the decisions back through
the API server, until a pass writes nothing. Timers (heartbeats, pulls, probes,
back-offs) become the cluster's `next_timer`, which Celery beat watches.
"""
