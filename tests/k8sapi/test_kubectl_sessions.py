"""Tutorial sessions with real kubectl against a live lab (`tests/sessions/tutorials.sh`).

Each section of the script (ConfigMaps and Secrets, namespaces, Jobs, StatefulSets, ...)
checks what a real v1.32 cluster prints. The sections work in namespaces of their own,
so they all start at once and each test waits for its section: the module costs about
as long as its slowest section.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT

from . import live

pytestmark = pytest.mark.e2e

SCRIPT = ROOT / "tests" / "sessions" / "tutorials.sh"
SECTIONS = (
    "configmaps",
    "namespaces",
    "jobs",
    "statefulset",
    "daemonset",
    "rollouts",
    "run",
    "output",
    "edits",
    "cluster",
    "networking",
)
SECTION_TIMEOUT = 300


@pytest.fixture(scope="module")
def running_sections(live_lab, kubectl_path):
    """Every section started at once against the shared lab, by name."""
    env = live.kubectl_env(live_lab, live_lab.kubeconfig("alice-lab"))
    started = {
        name: subprocess.Popen(
            ["bash", str(SCRIPT), name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in SECTIONS
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("section", SECTIONS)
def test_tutorial_section_prints_what_kubernetes_prints(running_sections, section):
    process = running_sections[section]
    try:
        output, _ = process.communicate(timeout=SECTION_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"section {section} took over {SECTION_TIMEOUT}s:\n{output}")
    assert process.returncode == 0, output
    assert output.rstrip().endswith("0 failed"), output
