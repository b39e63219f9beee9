"""Cluster lifecycle as the pages and the REST API ask for it (one way to do each)."""

from __future__ import annotations

from django.db import transaction

from cluster import access, provision
from cluster.models import Cluster


class ReadOnlyOwner(Exception):
    """The user's clusters are read-only (their class has ended): no new ones either."""


def create_for(user, name: str, template: str = "single") -> Cluster:
    """A new cluster owned by `user`; IntegrityError when the name is taken."""
    why = access.frozen_reason(user)
    if why:
        raise ReadOnlyOwner(why)
    with transaction.atomic():
        return provision.create_cluster(user, name, template=template)


def reset_cluster(cluster: Cluster) -> Cluster:
    """The same cluster, started over from its template."""
    reset = getattr(provision, "reset_cluster", None)
    if reset is not None:
        return reset(cluster) or cluster
    # Until provision can reset in place: recreate under the same name and owner.
    owner, name, template = cluster.owner, cluster.name, cluster.template
    with transaction.atomic():
        delete_cluster(cluster)
        return provision.create_cluster(owner, name, template=template)


def delete_cluster(cluster: Cluster) -> None:
    delete = getattr(provision, "delete_cluster", None)
    if delete is not None:
        delete(cluster)
    else:
        cluster.delete()
