"""The REST API's request rate: each user's token bucket (`cluster.limits`).

DRF answers a throttled request with 429 and `Retry-After`; the bucket lives in Redis,
so every web process draws on the same one.
"""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from cluster import limits


class UserRateThrottle(BaseThrottle):
    """KUBELAB_API_RATE requests per second per user, in bursts of KUBELAB_API_BURST."""

    def allow_request(self, request, view) -> bool:
        user = request.user
        caller = f"rest:user:{user.pk}" if user.is_authenticated else None
        caller = caller or f"rest:ip:{self.get_ident(request)}"
        self.wait_seconds = limits.take(caller)
        return not self.wait_seconds

    def wait(self) -> float:
        return limits.retry_after(self.wait_seconds)
