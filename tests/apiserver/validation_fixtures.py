"""Valid, defaulted objects for the validation tests to break one field at a time."""

import copy

from cluster.apiserver.defaults import apply_defaults


def defaulted(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    apply_defaults(obj)
    return obj


def pod(**spec) -> dict:
    base = {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    base.update(spec)
    return defaulted(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": base,
        }
    )


def deployment(labels=None, selector=None, **spec) -> dict:
    labels = {"app": "web"} if labels is None else labels
    base = {
        "selector": {"matchLabels": {"app": "web"}} if selector is None else selector,
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    }
    base.update(spec)
    return defaulted(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": base,
        }
    )


def service(**spec) -> dict:
    base = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    base.update(spec)
    return defaulted(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": base,
        }
    )
