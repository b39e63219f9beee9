"""The database state of every simulated cluster.

`Resource` and `ResourceEvent` are etcd: only `cluster.store` touches them. `Machine` and
`Component` are the simulated hosts and processes; `Cluster` holds the clock and revision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Cluster(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clusters"
    )
    name = models.CharField(max_length=63)
    # Globally unique: the k8s API is served at /k8s/clusters/<slug>/.
    slug = models.SlugField(max_length=80, unique=True)
    template = models.CharField(max_length=32, default="single")
    created = models.DateTimeField(auto_now_add=True)
    last_active = models.DateTimeField(auto_now_add=True)
    seed = models.BigIntegerField(default=0)

    # etcd: the cluster-wide revision and the oldest revision a watch may resume from.
    revision = models.BigIntegerField(default=0)
    compacted_revision = models.BigIntegerField(default=0)

    # The clock: sim time = sim_anchor + (wall now - wall_anchor) * speed.
    sim_anchor = models.FloatField(default=0.0)
    wall_anchor = models.FloatField(default=0.0)
    speed = models.FloatField(default=1.0)

    # Ticking: the last revision a tick has seen, the next timer (sim time), a tick lease.
    ticked_revision = models.BigIntegerField(default=-1)
    next_timer = models.FloatField(null=True, blank=True)
    tick_lease_until = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="cluster_owner_name")
        ]
        indexes = [models.Index(fields=["next_timer"])]

    def __str__(self) -> str:
        return self.slug


class Resource(models.Model):
    """One etcd key: `/registry/<bucket>/<namespace>/<name>` holding the object's JSON."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    bucket = models.CharField(max_length=64)
    namespace = models.CharField(max_length=253, blank=True, default="")
    name = models.CharField(max_length=253)
    kind = models.CharField(max_length=64)
    uid = models.CharField(max_length=36)
    body = models.TextField()  # the JSON object, resourceVersion included
    create_revision = models.BigIntegerField()
    mod_revision = models.BigIntegerField()
    # The sim time its etcd lease runs out (Events: the API server's --event-ttl).
    lease_expires = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "bucket", "namespace", "name"], name="resource_key"
            )
        ]
        indexes = [
            models.Index(fields=["cluster", "lease_expires"], name="resource_lease")
        ]

    @property
    def key(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"/registry/{self.bucket}/{ns}{self.name}"


class ResourceEvent(models.Model):
    """The watch log: one row per write, in revision order, compacted per cluster."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    revision = models.BigIntegerField()
    type = models.CharField(max_length=8)  # ADDED | MODIFIED | DELETED
    bucket = models.CharField(max_length=64)
    namespace = models.CharField(max_length=253, blank=True, default="")
    name = models.CharField(max_length=253)
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "revision"], name="event_revision"
            )
        ]


class Machine(models.Model):
    """A simulated host: a master (control-plane) or a worker."""

    CONTROL_PLANE = "control-plane"
    WORKER = "worker"

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="machines"
    )
    name = models.CharField(max_length=63)
    role = models.CharField(max_length=16)
    cpu = models.CharField(max_length=16, default="2")
    memory = models.CharField(max_length=16, default="4Gi")
    arch = models.CharField(max_length=16, default="amd64")
    powered = models.BooleanField(default=True)
    index = models.PositiveIntegerField(default=0)  # orders IPs and pod CIDRs
    in_cloud = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="machine_name")
        ]
        ordering = ["index"]


class Component(models.Model):
    """A process on a machine; its `memory` is the JSON state it keeps between ticks."""

    RUNNING, STOPPED, CRASHED, STARTING = "running", "stopped", "crashed", "starting"

    machine = models.ForeignKey(
        Machine, on_delete=models.CASCADE, related_name="components"
    )
    kind = models.CharField(max_length=32)
    state = models.CharField(max_length=16, default=RUNNING)
    started_at = models.FloatField(default=0.0)  # sim time
    leader = models.BooleanField(default=False)
    memory = models.JSONField(default=dict, blank=True)
    next_run = models.FloatField(null=True, blank=True)  # sim time of its next timer

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["machine", "kind"], name="component_kind")
        ]


class Snapshot(models.Model):
    """An etcd snapshot: every key of one cluster at one revision."""

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="snapshots"
    )
    name = models.CharField(max_length=63)
    revision = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True)
    sim_time = models.FloatField()
    data = (
        models.TextField()
    )  # JSON list of [bucket, namespace, name, kind, uid, body, crev, mrev]

    class Meta:
        ordering = ["-created"]


class ApiToken(models.Model):
    """The generation of one user's bearer token on one cluster's Kubernetes API.

    The token itself is an HMAC of (cluster, user, generation) under SECRET_KEY, so it is
    never stored; rotating bumps the generation and every older token stops working.
    """

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="tokens"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    generation = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "user"], name="token_per_user")
        ]
