"""The other objects plugins read: claims, volumes, classes, services and controllers."""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.objects import selectors


@dataclass
class Listers:
    """Indexed read-only views of the non-pod, non-node objects the plugins consult."""

    pvcs: dict = field(default_factory=dict)  # (namespace, name) -> PVC
    pvs: list = field(default_factory=list)
    storage_classes: dict = field(default_factory=dict)  # name -> StorageClass
    services: dict = field(default_factory=dict)  # namespace -> [Service]
    controllers: dict = field(default_factory=dict)  # (kind, namespace, name) -> object
    priority_classes: dict = field(default_factory=dict)  # name -> PriorityClass
    ns_labels: dict = field(default_factory=dict)  # namespace -> labels
    _default_selectors: dict = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        pvcs=(),
        pvs=(),
        storage_classes=(),
        services=(),
        controllers=(),
        priority_classes=(),
        namespaces=(),
    ) -> Listers:
        """Index lists of objects by the keys plugins look them up with."""
        out = cls()
        for o in pvcs:
            m = o["metadata"]
            out.pvcs[(m.get("namespace") or "default", m["name"])] = o
        out.pvs = list(pvs)
        out.storage_classes = {o["metadata"]["name"]: o for o in storage_classes}
        for o in services:
            out.services.setdefault(
                o["metadata"].get("namespace") or "default", []
            ).append(o)
        for o in controllers:
            m = o["metadata"]
            out.controllers[
                (o.get("kind"), m.get("namespace") or "default", m["name"])
            ] = o
        out.priority_classes = {o["metadata"]["name"]: o for o in priority_classes}
        out.ns_labels = {
            o["metadata"]["name"]: o["metadata"].get("labels") or {} for o in namespaces
        }
        return out

    def default_spread_selector(self, pod) -> selectors.Selector:
        """k8s helper.DefaultSelector: merged selectors of the pod's services and controller."""
        owner = next(
            (
                r
                for r in (pod.obj.get("metadata") or {}).get("ownerReferences") or []
                if r.get("controller")
            ),
            None,
        )
        owner_key = (owner.get("kind"), owner.get("name")) if owner else None
        key = (pod.namespace, owner_key, tuple(sorted(pod.labels.items())))
        cached = self._default_selectors.get(key)
        if cached is not None:
            return cached
        label_set: dict = {}
        for svc in self.services.get(pod.namespace, []):
            sel = (svc.get("spec") or {}).get("selector") or {}
            if sel and all(pod.labels.get(k) == v for k, v in sel.items()):
                label_set.update(sel)
        reqs = [
            selectors.Requirement(k, "In", (str(v),))
            for k, v in sorted(label_set.items())
        ]
        if owner_key:
            ctrl = self.controllers.get((owner_key[0], pod.namespace, owner_key[1]))
            if ctrl is not None and owner_key[0] == "ReplicationController":
                label_set.update((ctrl.get("spec") or {}).get("selector") or {})
                reqs = [
                    selectors.Requirement(k, "In", (str(v),))
                    for k, v in sorted(label_set.items())
                ]
            elif ctrl is not None and owner_key[0] in ("ReplicaSet", "StatefulSet"):
                reqs += list(
                    selectors.from_label_selector(
                        (ctrl.get("spec") or {}).get("selector")
                    )
                )
        result = tuple(reqs)
        self._default_selectors[key] = result
        return result
