"""Defaulting: the values kube-apiserver fills in when it decodes an object.

Follows k/k pkg/apis/core/v1/defaults.go, apps/v1, batch/v1, networking/v1,
autoscaling/v2, storage/v1 and scheduling/v1, plus the few fields the registry
strategies set on create (a Namespace's finalizer, a Job's generated selector, a
Service's IP families). Idempotent: applying it twice changes nothing.
"""

from __future__ import annotations

import base64

from cluster.objects import quantity

DEFAULT_GRACE_PERIOD = 30
DEFAULT_MODE = 0o644  # 420, for secret/configMap/downwardAPI/projected volumes
DEFAULT_SCHEDULER = "default-scheduler"
TERMINATION_MESSAGE_PATH = "/dev/termination-log"
CLIENT_IP_TIMEOUT = 10800
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
JOB_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")


def apply_defaults(obj: dict) -> None:
    """Fill every defaulted field of `obj` in place, by kind."""
    fn = _BY_KIND.get((obj.get("apiVersion", ""), obj.get("kind", "")))
    if fn is not None:
        fn(obj)


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    return spec


def image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or no tag (unless pinned by digest), else `IfNotPresent`."""
    name, _, digest = (image or "").partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(probe: dict | None) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _handler(probe)


def _handler(handler: dict | None) -> None:
    if not isinstance(handler, dict):
        return
    http = handler.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")
    grpc = handler.get("grpc")
    if isinstance(grpc, dict):
        grpc.setdefault("service", "")


def _container(c: dict) -> None:
    if not isinstance(c, dict):
        return
    c.setdefault("imagePullPolicy", image_pull_policy(c.get("image", "")))
    c.setdefault("terminationMessagePath", TERMINATION_MESSAGE_PATH)
    c.setdefault("terminationMessagePolicy", "File")
    resources = c.setdefault("resources", {})
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for var in c.get("env") or []:
        field_ref = ((var or {}).get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(name))
    lifecycle = c.get("lifecycle") or {}
    _handler(lifecycle.get("postStart"))
    _handler(lifecycle.get("preStop"))
    if isinstance(resources, dict):
        _requests_from_limits(resources)


def _requests_from_limits(resources: dict) -> None:
    # SetDefaults_Pod: a limit with no request makes the request equal the limit.
    limits = resources.get("limits") or {}
    if not limits:
        return
    requests = resources.setdefault("requests", {})
    for name, value in limits.items():
        requests.setdefault(name, value)


def _volume(vol: dict) -> None:
    if not isinstance(vol, dict):
        return
    if all(k == "name" for k in vol):
        vol["emptyDir"] = {}
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(vol.get(source), dict):
            vol[source].setdefault("defaultMode", DEFAULT_MODE)
    if isinstance(vol.get("hostPath"), dict):
        vol["hostPath"].setdefault("type", "")
    for item in (vol.get("downwardAPI") or {}).get("items") or []:
        if isinstance((item or {}).get("fieldRef"), dict):
            item["fieldRef"].setdefault("apiVersion", "v1")


def pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and friends on a pod spec (also inside templates)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", DEFAULT_GRACE_PERIOD)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", DEFAULT_SCHEDULER)
    if spec.get("serviceAccount") and not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    for name in ("containers", "initContainers"):
        for c in spec.get(name) or []:
            _container(c)
    for vol in spec.get("volumes") or []:
        _volume(vol)
    if spec.get("hostNetwork"):
        for c in spec.get("containers") or []:
            for port in (c or {}).get("ports") or []:
                port.setdefault("hostPort", port.get("containerPort"))


def _template(template) -> None:
    if isinstance(template, dict):
        spec = template.get("spec")
        if isinstance(spec, dict):
            pod_spec(spec)


def _pod(obj: dict) -> None:
    spec = _spec(obj)
    pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    status = obj.get("status")
    if isinstance(status, dict) and "phase" in status:
        status.setdefault("qosClass", qos_class(spec))


def qos_class(spec: dict) -> str:
    """The pod's QoS class from its containers' requests and limits."""
    containers = list(spec.get("containers") or []) + list(
        spec.get("initContainers") or []
    )
    requests_seen = limits_seen = False
    guaranteed = True
    for c in containers:
        res = (c or {}).get("resources") or {}
        req = {
            k: v
            for k, v in (res.get("requests") or {}).items()
            if k in ("cpu", "memory")
        }
        lim = {
            k: v for k, v in (res.get("limits") or {}).items() if k in ("cpu", "memory")
        }
        requests_seen |= bool(req)
        limits_seen |= bool(lim)
        if set(lim) != {"cpu", "memory"} or any(
            _amount(req.get(k, lim[k])) != _amount(lim[k]) for k in lim
        ):
            guaranteed = False
    if not requests_seen and not limits_seen:
        return "BestEffort"
    return "Guaranteed" if guaranteed and limits_seen else "Burstable"


def _amount(value):
    try:
        return quantity.parse(value)
    except (quantity.InvalidQuantity, ValueError, ArithmeticError):
        return str(value)


def _deployment(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(spec.get("template"))


def _replicaset(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    _template(spec.get("template"))


def _statefulset(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    retention = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    retention.setdefault("whenDeleted", "Retain")
    retention.setdefault("whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            _spec(claim).setdefault("volumeMode", "Filesystem")
            claim.setdefault("status", {}).setdefault("phase", "Pending")
    _template(spec.get("template"))


def _daemonset(obj: dict) -> None:
    spec = _spec(obj)
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec.get("template"))


def _job_spec(spec: dict) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault(
        "backoffLimit", 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    )
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault(
        "podReplacementPolicy",
        "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed",
    )
    _template(spec.get("template"))


def _job(obj: dict) -> None:
    spec = _spec(obj)
    _job_spec(spec)
    meta = obj.setdefault("metadata", {})
    generate_job_selector(obj)
    # Defaulting also runs on every read from storage, so readers see the generated
    # labels copied onto the Job itself.
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels is not None and not meta.get("labels"):
        meta["labels"] = dict(template_labels)


def generate_job_selector(job: dict) -> None:
    """The Job strategy's generated selector and pod labels, once the Job has a uid."""
    meta, spec = job.get("metadata") or {}, _spec(job)
    uid = meta.get("uid")
    if not uid or spec.get("manualSelector") or spec.get("selector") is not None:
        return
    template = spec.setdefault("template", {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    for key in JOB_UID_LABELS:
        labels.setdefault(key, uid)
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, meta.get("name", ""))
    spec["selector"] = {"matchLabels": {JOB_UID_LABELS[0]: uid}}


def _cronjob(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_spec = (spec.get("jobTemplate") or {}).get("spec")
    if isinstance(job_spec, dict):
        _template(job_spec.get("template"))


def _service(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("type", "ClusterIP")
    kind = spec["type"]
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        client_ip = spec.setdefault("sessionAffinityConfig", {}).setdefault(
            "clientIP", {}
        )
        client_ip.setdefault("timeoutSeconds", CLIENT_IP_TIMEOUT)
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    if kind != "ExternalName":
        # Set by the Service registry on create; the simulated cluster is single-stack IPv4.
        if spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])


def _namespace(obj: dict) -> None:
    meta = obj.setdefault("metadata", {})
    if meta.get("name"):
        meta.setdefault("labels", {})[NAMESPACE_NAME_LABEL] = meta["name"]
    _spec(obj).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


def _node(obj: dict) -> None:
    status = obj.get("status")
    if (
        isinstance(status, dict)
        and status.get("capacity")
        and not status.get("allocatable")
    ):
        status["allocatable"] = dict(status["capacity"])


def _pv(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _pvc(obj: dict) -> None:
    _spec(obj).setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _secret(obj: dict) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None)
    # v1 → internal conversion folds stringData into data, which is base64 on the wire.
    if isinstance(string_data, dict) and string_data:
        data = obj.setdefault("data", {})
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def _endpoints(obj: dict) -> None:
    for subset in obj.get("subsets") or []:
        for port in (subset or {}).get("ports") or []:
            port.setdefault("protocol", "TCP")


def _endpoint_slice(obj: dict) -> None:
    for port in obj.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("name", "")
            port.setdefault("protocol", "TCP")


def _limit_range(obj: dict) -> None:
    for item in _spec(obj).get("limits") or []:
        if not isinstance(item, dict) or item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        request = dict(item.get("defaultRequest") or {})
        for source in (default, item.get("min") or {}):
            for k, v in source.items():
                request.setdefault(k, v)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def _network_policy(obj: dict) -> None:
    spec = _spec(obj)
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule or {}).get("ports") or []:
                port.setdefault("protocol", "TCP")


def _hpa(obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        up = behavior.setdefault("scaleUp", {})
        up.setdefault("stabilizationWindowSeconds", 0)
        up.setdefault("selectPolicy", "Max")
        up.setdefault(
            "policies",
            [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        )
        down = behavior.setdefault("scaleDown", {})
        down.setdefault("selectPolicy", "Max")
        down.setdefault(
            "policies", [{"type": "Percent", "value": 100, "periodSeconds": 15}]
        )


def _storage_class(obj: dict) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def _priority_class(obj: dict) -> None:
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _role_binding(obj: dict) -> None:
    for subject in obj.get("subjects") or []:
        if isinstance(subject, dict) and subject.get("kind") in ("User", "Group"):
            subject.setdefault("apiGroup", "rbac.authorization.k8s.io")


_BY_KIND = {
    ("v1", "Pod"): _pod,
    ("v1", "Service"): _service,
    ("v1", "Namespace"): _namespace,
    ("v1", "Node"): _node,
    ("v1", "PersistentVolume"): _pv,
    ("v1", "PersistentVolumeClaim"): _pvc,
    ("v1", "Secret"): _secret,
    ("v1", "Endpoints"): _endpoints,
    ("v1", "LimitRange"): _limit_range,
    ("apps/v1", "Deployment"): _deployment,
    ("apps/v1", "ReplicaSet"): _replicaset,
    ("apps/v1", "StatefulSet"): _statefulset,
    ("apps/v1", "DaemonSet"): _daemonset,
    ("batch/v1", "Job"): _job,
    ("batch/v1", "CronJob"): _cronjob,
    ("discovery.k8s.io/v1", "EndpointSlice"): _endpoint_slice,
    ("networking.k8s.io/v1", "NetworkPolicy"): _network_policy,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): _hpa,
    ("storage.k8s.io/v1", "StorageClass"): _storage_class,
    ("scheduling.k8s.io/v1", "PriorityClass"): _priority_class,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): _role_binding,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): _role_binding,
}
