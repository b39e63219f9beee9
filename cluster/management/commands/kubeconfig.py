"""`manage.py kubeconfig <cluster> [--user U]`: print a kubeconfig for a cluster."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cluster.k8sapi import kubeconfig
from cluster.models import Cluster


class Command(BaseCommand):
    help = (
        "Print a kubeconfig for the cluster with this slug (for its owner by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("cluster", help="the cluster's slug, as in its URL")
        parser.add_argument("--user", help="username (default: the cluster's owner)")

    def handle(self, *args, cluster, user, **options):
        found = Cluster.objects.filter(slug=cluster).select_related("owner").first()
        if found is None:
            raise CommandError(f'no cluster "{cluster}"')
        owner = found.owner
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f'no user "{user}"')
        self.stdout.write(kubeconfig.build(found, owner), ending="")
