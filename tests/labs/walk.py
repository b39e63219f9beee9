"""Playing a lab as a student would: start it, act, and read its checks."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from cluster import kinds, operations
from cluster.access import api_for
from cluster.labs import catalog, checks, observe, start
from cluster.models import Component, Machine
from cluster.provision import create_cluster

POD = kinds.by_kind("Pod")


class Walk:
    """One student's run through one lab."""

    def __init__(self, slug: str):
        self.lab = catalog.get_lab(slug)
        user, _ = get_user_model().objects.get_or_create(username="walker")
        cluster = create_cluster(
            user, slug[:40], template=self.lab.start.template, seed=11
        )
        self.cluster = start.prepare(cluster, self.lab)

    def check(self, step_id: str) -> tuple[bool, str]:
        step = self.lab.step(step_id)
        assert step is not None, f"{self.lab.slug} has no step {step_id}"
        return checks.evaluate(step.check, observe.snapshot_of(self.cluster))

    def not_done(self, step_id: str) -> None:
        ok, why = self.check(step_id)
        assert not ok, f"{step_id} already holds before its step: {why}"

    def done(self, step_id: str) -> None:
        ok, why = self.check(step_id)
        assert ok, f"{step_id} does not hold after its step: {why}"

    # --- what a student does -----------------------------------------------------------
    def api(self):
        self.cluster.refresh_from_db()
        return api_for(self.cluster)

    def wait(self, seconds: float) -> None:
        operations.fast_forward(self.cluster, seconds)

    def component(self, machine: str, kind: str) -> Component:
        return Component.objects.get(
            machine__cluster=self.cluster, machine__name=machine, kind=kind
        )

    def set_component(self, machine: str, kind: str, state: str) -> None:
        operations.set_component_state(self.component(machine, kind), state)

    def power(self, machine: str, on: bool) -> None:
        operations.set_power(
            Machine.objects.get(cluster=self.cluster, name=machine), on
        )

    def pods(self, label: str = "") -> list[dict]:
        return [
            p
            for p in self.api().list(POD, "default", label_selector=label).items
            if not p["metadata"].get("deletionTimestamp")
        ]

    def delete_pod(self, name: str) -> None:
        self.api().delete(POD, "default", name, grace_period=0)


def pod(name: str, image: str = "nginx:1.27", **spec) -> dict:
    """What `kubectl run <name>` creates, plus any extra spec."""
    container = {"name": name, "image": image}
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"run": name}},
        "spec": {"containers": [container], **spec},
    }


def requests(cpu: str, memory: str = "64Mi") -> dict:
    return {"resources": {"requests": {"cpu": cpu, "memory": memory}}}
