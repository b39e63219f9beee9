"""Send traffic: requests to a Service or an Ingress, answered with each one's path."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from cluster import send_traffic
from cluster.nodes import traffic
from playground.api.base import ClusterView
from playground.api.serializers import TrafficSerializer

BODY_SHOWN = 2000  # characters of each answer's body sent back


def trace_json(trace: traffic.Trace) -> dict:
    """One request: its answer (or the error a real client prints) and its hops."""
    return {
        "ok": trace.ok,
        "status": trace.status,
        "body": trace.body[:BODY_SHOWN],
        "error": trace.error,
        "exit_code": trace.exit_code,
        "hops": trace.hops,
        "pod": trace.pod,
        "client_ip": trace.client_ip,
    }


class TrafficView(ClusterView):
    @extend_schema(request=TrafficSerializer)
    def post(self, request, slug):
        """Send 1 to 100 requests to a Service (from a pod, through a node's NodePort,
        or to its load balancer) or to an Ingress, and show the path of each."""
        form = TrafficSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        api = self.api()
        try:
            sent = send_traffic.send(
                self.cluster, api, send_traffic.Target(**form.validated_data)
            )
        except send_traffic.TrafficError as exc:
            return Response({"detail": str(exc), "errors": []}, status=400)
        finally:
            api.calls.clear()  # reading the network is not an API call to animate
        return Response(
            {
                "url": sent.url,
                "client": sent.client,
                "requests": [trace_json(t) for t in sent.traces],
                "spread": traffic.spread(sent.traces),
            }
        )
