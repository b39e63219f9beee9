"""Creating, resetting and deleting whole clusters."""

from __future__ import annotations

import random
import re

from django.db import transaction

from cluster.models import Cluster

SLUG_UNSAFE = re.compile(r"[^a-z0-9-]+")


def slug_for(owner_username: str, name: str) -> str:
    """The cluster's URL name: its own name for the demo user, else `<user>-<name>`."""
    base = name if owner_username == "demo" else f"{owner_username}-{name}"
    return SLUG_UNSAFE.sub("-", base.lower()).strip("-")[:80] or "cluster"


@transaction.atomic
def create_cluster(owner, name: str, template: str = "single", seed: int | None = None):
    slug = slug_for(owner.username, name)
    if Cluster.objects.filter(slug=slug).exists():
        slug = f"{slug[:73]}-{random.randrange(16**6):06x}"
    return Cluster.objects.create(
        owner=owner,
        name=name,
        slug=slug,
        template=template,
        seed=random.randrange(2**31) if seed is None else seed,
    )
