"""Request and response shapes of the REST API (they also drive the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from cluster import send_traffic
from cluster.models import Cluster, Snapshot
from cluster.simtime import SPEEDS
from cluster.templates import CONTROL_PLANE, TEMPLATES, WORKER

CLUSTER_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


class ClusterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cluster
        fields = ["slug", "name", "template", "created", "revision", "speed"]
        read_only_fields = fields


class ClusterCreateSerializer(serializers.Serializer):
    name = serializers.RegexField(
        CLUSTER_NAME,
        max_length=40,
        error_messages={
            "invalid": "lower-case letters, digits and '-', starting and ending "
            "with a letter or digit"
        },
    )
    template = serializers.ChoiceField(choices=sorted(TEMPLATES), default="single")


class MachineCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=[CONTROL_PLANE, WORKER], default=WORKER)


class PowerSerializer(serializers.Serializer):
    on = serializers.BooleanField()


class SpeedSerializer(serializers.Serializer):
    speed = serializers.ChoiceField(choices=list(SPEEDS))


class AdvanceSerializer(serializers.Serializer):
    seconds = serializers.FloatField(min_value=0.001, max_value=86400)


class ApplySerializer(serializers.Serializer):
    yaml = serializers.CharField(allow_blank=False, trim_whitespace=False)
    dry_run = serializers.BooleanField(default=False)


class ScaleSerializer(serializers.Serializer):
    replicas = serializers.IntegerField(min_value=0, max_value=1000)


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Snapshot
        fields = ["id", "name", "revision", "created", "sim_time"]
        read_only_fields = ["id", "revision", "created", "sim_time"]
        extra_kwargs = {"name": {"max_length": 63}}


class TrafficSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["Service", "Ingress"])
    name = serializers.CharField(max_length=253)
    namespace = serializers.CharField(max_length=63, default="default")
    port = serializers.IntegerField(
        min_value=1, max_value=65535, required=False, allow_null=True, default=None
    )
    via = serializers.ChoiceField(
        choices=list(send_traffic.VIAS), required=False, allow_blank=True, default=""
    )
    source = serializers.CharField(
        max_length=317, required=False, allow_blank=True, default=""
    )
    node = serializers.CharField(
        max_length=253, required=False, allow_blank=True, default=""
    )
    host = serializers.RegexField(
        r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$",
        max_length=253,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "a host name: letters, digits, '-' and '.'"},
    )
    path = serializers.RegexField(
        r"^/[^\s#]*$",
        max_length=2048,
        default="/",
        error_messages={"invalid": "a path starting with '/', without spaces or '#'"},
    )
    count = serializers.IntegerField(
        min_value=1, max_value=send_traffic.MAX_REQUESTS, default=1
    )
