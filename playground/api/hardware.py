"""Machines, components and the clock: the simulated hardware behind the cluster."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from cluster import operations
from cluster.models import Component, Machine
from playground.api.base import ClusterView
from playground.api.serializers import (
    AdvanceSerializer,
    MachineCreateSerializer,
    PowerSerializer,
    SpeedSerializer,
)
from playground.live import clock_state, machines_state

COMPONENT_ACTIONS = {
    "stop": Component.STOPPED,
    "start": Component.RUNNING,
    "crash": Component.CRASHED,
}


class MachineListView(ClusterView):
    def get(self, request, slug):
        """Every machine and the state of its components."""
        return Response(machines_state(self.cluster.pk))

    @extend_schema(request=MachineCreateSerializer)
    def post(self, request, slug):
        """Add a machine; a worker registers itself as a Node when its kubelet runs."""
        form = MachineCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        machine = operations.add_machine(self.cluster, form.validated_data["role"])
        return Response({"name": machine.name, "role": machine.role}, status=201)


class MachineView(ClusterView):
    def machine(self, name: str) -> Machine:
        machine = Machine.objects.filter(cluster=self.cluster, name=name).first()
        if machine is None:
            raise Http404(f'machine "{name}" not found')
        return machine

    @extend_schema(responses={204: None})
    def delete(self, request, slug, name):
        operations.remove_machine(self.machine(name))
        return Response(status=204)


class PowerView(MachineView):
    @extend_schema(request=PowerSerializer)
    def post(self, request, slug, name):
        """Power a machine off (every process on it stops) or back on."""
        form = PowerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        machine = operations.set_power(self.machine(name), form.validated_data["on"])
        return Response({"name": machine.name, "powered": machine.powered})


class ComponentView(MachineView):
    @extend_schema(request=None)
    def post(self, request, slug, name, kind, action):
        """Stop, start or crash one process on a machine."""
        if action not in COMPONENT_ACTIONS:
            raise Http404(f"unknown action {action!r}")
        component = Component.objects.filter(
            machine=self.machine(name), kind=kind
        ).first()
        if component is None:
            raise Http404(f'no component "{kind}" on machine "{name}"')
        component = operations.set_component_state(component, COMPONENT_ACTIONS[action])
        return Response({"machine": name, "kind": kind, "state": component.state})


class ClockView(ClusterView):
    def get(self, request, slug):
        """The cluster's simulated time and speed (0 is paused)."""
        return Response(clock_state(self.cluster))

    @extend_schema(request=SpeedSerializer)
    def post(self, request, slug):
        """Pause (0) or run the clock at 1, 2, 10 or 60 times real time."""
        form = SpeedSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cluster = operations.set_speed(self.cluster, form.validated_data["speed"])
        return Response(clock_state(cluster))


class ClockStepView(ClusterView):
    @extend_schema(request=None)
    def post(self, request, slug):
        """Jump to the next thing due (a probe, a timeout, a pull finishing)."""
        return Response(clock_state(operations.step(self.cluster)))


class ClockAdvanceView(ClusterView):
    @extend_schema(request=AdvanceSerializer)
    def post(self, request, slug):
        """Fast-forward the clock by some seconds of simulated time."""
        form = AdvanceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cluster = operations.fast_forward(self.cluster, form.validated_data["seconds"])
        return Response(clock_state(cluster))
