"""Score formulas, normalisation and the FitError message, checked against the spec's numbers."""

from collections import Counter

import numpy as np
import pytest

from cluster.scheduler import status as st
from cluster.scheduler.framework import num_feasible_nodes_to_find
from cluster.scheduler.plugins import helper, inter_pod_affinity, node_resources_fit
from cluster.scheduler.podinfo import normalized_image_name, pod_requests


@pytest.mark.parametrize(
    ("raw", "reverse", "expected"),
    [
        pytest.param([0, 0], True, [100, 100], id="all-zero-reversed"),
        pytest.param([0, 0], False, [0, 0], id="all-zero"),
        pytest.param([1, 2, 4], False, [25, 50, 100], id="scaled-by-max"),
        pytest.param([1, 2, 4], True, [75, 50, 0], id="reversed"),
        pytest.param([1, 3], False, [33, 100], id="integer-division"),
    ],
)
def test_default_normalize_scales_by_the_maximum(raw, reverse, expected):
    """DefaultNormalizeScore: 100·s/max, reversed as 100 − that; all zero stays 0 or becomes 100."""
    out = helper.default_normalize(np.array(raw, dtype=np.int64), reverse)
    assert out.tolist() == expected


@pytest.mark.parametrize(
    ("alloc", "requested", "expected"),
    [
        pytest.param(2000, 1500, 25, id="spec-node-a-cpu"),
        pytest.param(4096, 2560, 37, id="spec-node-a-memory"),
        pytest.param(4000, 1500, 62, id="spec-node-b-cpu"),
        pytest.param(1000, 1200, 0, id="over-allocated"),
        pytest.param(0, 0, 0, id="no-allocatable"),
    ],
)
def test_least_allocated_score_per_resource(alloc, requested, expected):
    """(alloc − requested)·100/alloc, 0 when exceeded or nothing is allocatable."""
    got = node_resources_fit.least_allocated(np.array([alloc]), np.array([requested]))
    assert got.tolist() == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param([-5, 0, 5], [0, 50, 100], id="negative-to-positive"),
        pytest.param([3, 3], [0, 0], id="equal"),
        pytest.param([0, 1, 3], [0, 33, 100], id="truncated"),
    ],
)
def test_inter_pod_affinity_normalize_is_min_max(raw, expected):
    """100·(s − min)/(max − min), truncated; 0 everywhere when all equal."""
    got = inter_pod_affinity.normalize(None, None, np.array(raw, dtype=np.int64))
    assert got.tolist() == expected


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        pytest.param(3, 3, id="small-cluster-all"),
        pytest.param(99, 99, id="below-100-all"),
        pytest.param(100, 100, id="at-least-100"),
        pytest.param(500, 230, id="500-nodes-46-percent"),
        pytest.param(5000, 500, id="5000-nodes-10-percent"),
        pytest.param(6000, 300, id="floor-5-percent"),
    ],
)
def test_num_feasible_nodes_to_find_is_adaptive(nodes, expected):
    """50 − nodes/125 percent, floored at 5 %, at least 100 nodes, all nodes below 100."""
    assert num_feasible_nodes_to_find(nodes) == expected


def test_fit_error_sorts_count_reason_strings_as_strings():
    """'10 …' sorts before '2 …' because the histogram entries are compared as strings."""
    counts = Counter({"Insufficient cpu": 2, "node(s) were unschedulable": 10})
    assert st.fit_error_message(12, counts) == (
        "0/12 nodes are available: 10 node(s) were unschedulable, 2 Insufficient cpu."
    )


def test_fit_error_uses_the_prefilter_message_instead_of_the_histogram():
    """A PreFilter rejection replaces the per-node reasons."""
    msg = st.fit_error_message(
        2,
        Counter({"ignored": 2}),
        "pod has unbound immediate PersistentVolumeClaims",
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    )
    assert msg == (
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_event_message_is_truncated_to_1024_characters():
    """Long messages end with ' ...' at exactly 1024 characters."""
    out = st.truncate_event_message("x" * 2000)
    assert len(out) == 1024 and out.endswith("x ...")


@pytest.mark.parametrize(
    ("spec", "non_zero", "expected"),
    [
        pytest.param(
            {"containers": [{}]},
            True,
            {"cpu": 100, "memory": 200 * 1024**2},
            id="defaults-for-scoring",
        ),
        pytest.param({"containers": [{}]}, False, {}, id="no-defaults-for-filtering"),
        pytest.param(
            {
                "containers": [
                    {"resources": {"requests": {"cpu": "200m"}}},
                    {"resources": {"requests": {"cpu": "300m"}}},
                ],
                "initContainers": [{"resources": {"requests": {"cpu": "1"}}}],
            },
            False,
            {"cpu": 1000},
            id="largest-init-container-wins",
        ),
        pytest.param(
            {
                "containers": [{"resources": {"requests": {"cpu": "200m"}}}],
                "overhead": {"cpu": "50m"},
            },
            False,
            {"cpu": 250},
            id="overhead-added",
        ),
    ],
)
def test_pod_requests_follow_pod_requests_rules(spec, non_zero, expected):
    """Σ containers, at least the biggest init container, plus overhead; non-zero defaults for scoring."""
    assert pod_requests(spec, non_zero) == expected


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("nginx", "nginx:latest", id="untagged"),
        pytest.param("nginx:1.27", "nginx:1.27", id="tagged"),
        pytest.param(
            "registry:5000/app", "registry:5000/app:latest", id="registry-port"
        ),
    ],
)
def test_image_names_are_normalised_with_latest(image, expected):
    """ImageLocality appends :latest only when the last path segment has no tag."""
    assert normalized_image_name(image) == expected
