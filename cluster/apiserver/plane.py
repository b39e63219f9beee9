"""Whether a cluster's control plane can serve a request: API servers up, etcd quorum.

Pure over the machines and components, so the engine, the HTTP API and the tests share
one answer to "would a real cluster in this state accept this call?".
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.apiserver import errors

APISERVER = "kube-apiserver"
ETCD = "etcd"
# etcd's client error when the member has no leader or the proposal times out.
ETCD_NO_QUORUM = "etcdserver: request timed out"
NO_APISERVER = (
    "The connection to the server was refused - no kube-apiserver is running on any "
    "control-plane machine"
)


@dataclass(frozen=True)
class PlaneState:
    apiservers_up: int
    etcd_members: int
    etcd_up: int

    @property
    def quorum(self) -> int:
        return self.etcd_members // 2 + 1

    @property
    def has_quorum(self) -> bool:
        return self.etcd_members > 0 and self.etcd_up >= self.quorum

    def check(self, write: bool) -> None:
        """Raise the error a real client sees when the call cannot be served."""
        if self.apiservers_up == 0:
            raise errors.service_unavailable(NO_APISERVER)
        if not self.has_quorum:
            # Writes and linearizable reads both need a Raft leader.
            raise errors.etcd_unavailable(ETCD_NO_QUORUM)


ALWAYS_UP = PlaneState(apiservers_up=1, etcd_members=1, etcd_up=1)


def plane_state(components: list[tuple[str, str, bool]]) -> PlaneState:
    """From (kind, state, machine powered) rows of every control-plane component."""
    api = sum(1 for k, s, on in components if k == APISERVER and s == "running" and on)
    members = sum(1 for k, _s, _on in components if k == ETCD)
    up = sum(1 for k, s, on in components if k == ETCD and s == "running" and on)
    return PlaneState(api, members, up)
