"""The labs shipped with the site: `labs/*.yaml`, or the KUBELAB_LABS_DIR setting."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from cluster.labs.format import Lab, load_labs

_cache: dict[tuple, dict[str, Lab]] = {}


def labs_dir() -> Path:
    return Path(
        getattr(settings, "KUBELAB_LABS_DIR", None) or Path(settings.BASE_DIR) / "labs"
    )


def all_labs() -> dict[str, Lab]:
    """Every lab by slug, in course order; re-read when a file changes."""
    directory = labs_dir()
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml"))
    )
    key = (str(directory), stamp)
    if key not in _cache:
        _cache.clear()
        _cache[key] = load_labs(directory)
    return _cache[key]


def get_lab(slug: str) -> Lab | None:
    return all_labs().get(slug)
