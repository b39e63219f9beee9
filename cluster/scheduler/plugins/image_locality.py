"""ImageLocality: prefer nodes that already hold the pod's images, weighted by how widespread they are."""

from __future__ import annotations

import numpy as np

from cluster.scheduler.plugins.helper import MAX_NODE_SCORE

NAME = "ImageLocality"
WEIGHT = 1
MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def score(ctx, nodes: np.ndarray) -> np.ndarray:
    """100 × (Σ size × spread − 23Mi) / (1000Mi × containers − 23Mi), clamped."""
    snap = ctx.snap
    total = np.zeros(len(nodes), dtype=np.int64)
    for image in ctx.pod.images:
        sizes, having = snap.image_column(image)
        if having:
            spread = having / snap.n
            total += (sizes[nodes].astype(np.float64) * spread).astype(np.int64)
    max_threshold = MAX_CONTAINER_THRESHOLD * max(len(ctx.pod.images), 1)
    clamped = np.clip(total, MIN_THRESHOLD, max_threshold)
    return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)
