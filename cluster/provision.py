"""Creating, resetting and deleting whole clusters."""

from __future__ import annotations

import random
import re
import time

from django.db import transaction

from cluster import bootstrap
from cluster.apiserver.core import ApiServer
from cluster.engine.tick import tick
from cluster.models import Cluster, Component, Machine
from cluster.templates import TEMPLATES, components_for, machine_name

SLUG_UNSAFE = re.compile(r"[^a-z0-9-]+")


class ProvisionError(ValueError):
    pass


def slug_for(owner_username: str, name: str) -> str:
    """The cluster's URL name: its own name for the demo user, else `<user>-<name>`."""
    base = name if owner_username == "demo" else f"{owner_username}-{name}"
    return SLUG_UNSAFE.sub("-", base.lower()).strip("-")[:80] or "cluster"


def create_cluster(
    owner, name: str, template: str = "single", seed: int | None = None
) -> Cluster:
    """A running cluster: machines with their processes, kubeadm's objects, one tick."""
    if template not in TEMPLATES:
        raise ProvisionError(
            f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}"
        )
    with transaction.atomic():
        slug = slug_for(owner.username, name)
        if Cluster.objects.filter(slug=slug).exists():
            slug = f"{slug[:73]}-{random.randrange(16**6):06x}"
        wall = time.time()
        cluster = Cluster.objects.create(
            owner=owner,
            name=name,
            slug=slug,
            template=template,
            seed=random.randrange(2**31) if seed is None else seed,
            sim_anchor=wall,
            wall_anchor=wall,
        )
        _add_machines(cluster, TEMPLATES[template], wall)
    _seed_objects(cluster)
    tick(cluster.pk)
    return cluster


def _add_machines(cluster: Cluster, template, started: float) -> None:
    index = 0
    for spec, count in (
        (template.master, template.masters),
        (template.worker, template.workers),
    ):
        for n in range(1, count + 1):
            machine = Machine.objects.create(
                cluster=cluster,
                name=machine_name(spec.role, n),
                role=spec.role,
                cpu=spec.cpu,
                memory=spec.memory,
                index=index,
            )
            index += 1
            Component.objects.bulk_create(
                Component(machine=machine, kind=kind, started_at=started)
                for kind in components_for(spec.role)
            )


def _seed_objects(cluster: Cluster) -> None:
    api = ApiServer(cluster.pk, now=cluster.sim_anchor, rng=random.Random(cluster.seed))
    for obj in bootstrap.initial_objects():
        api.create(obj)


def reset_cluster(cluster: Cluster) -> Cluster:
    """Start over: same name and owner, a fresh cluster from the same template."""
    owner, name, template, slug = (
        cluster.owner,
        cluster.name,
        cluster.template,
        cluster.slug,
    )
    cluster.delete()
    fresh = create_cluster(owner, name, template)
    if fresh.slug != slug and not Cluster.objects.filter(slug=slug).exists():
        Cluster.objects.filter(pk=fresh.pk).update(slug=slug)
        fresh.refresh_from_db()
    return fresh


def delete_cluster(cluster: Cluster) -> None:
    cluster.delete()
