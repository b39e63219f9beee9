"""Real kubectl `explain` and `edit` against a live lab (see live.py).

`edit` runs with a scripted EDITOR: a small program that rewrites the file kubectl
hands it, and keeps a copy of every round so a test can read what kubectl showed.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

from . import live

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kubectl(live_lab, kubectl_path):
    return live.kubectl_runner(live_lab, kubectl_path)


def make_editor(directory: Path, name: str, pattern: str, replacement: str) -> dict:
    """EDITOR for kubectl: replace the first match of `pattern` (a multiline regex).

    Every round the editor is opened in is saved as `<name>.round<N>.yaml`.
    """
    script = directory / f"{name}-editor.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import re, sys
            from pathlib import Path
            path = Path(sys.argv[1])
            text = path.read_text()
            rounds = sorted(Path({str(directory)!r}).glob({name + ".round*.yaml"!r}))
            Path({str(directory)!r}, f"{name}.round{{len(rounds) + 1}}.yaml").write_text(text)
            path.write_text(re.sub({pattern!r}, {replacement!r}, text, count=1, flags=re.M))
            """
        )
    )
    return {"EDITOR": f"{sys.executable} {script}"}


def rounds(directory: Path, name: str) -> list[str]:
    return [p.read_text() for p in sorted(directory.glob(f"{name}.round*.yaml"))]


# --- explain -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resource", "head", "fields"),
    [
        pytest.param(
            "pods",
            "KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n"
            "    Pod is a collection of containers that can run on a host.",
            ["apiVersion\t<string>", "metadata\t<ObjectMeta>", "spec\t<PodSpec>"],
            id="pods",
        ),
        pytest.param(
            "deployments",
            "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nDESCRIPTION:\n"
            "    Deployment enables declarative updates for Pods and ReplicaSets.",
            ["spec\t<DeploymentSpec>", "status\t<DeploymentStatus>"],
            id="deployments",
        ),
        pytest.param(
            "services",
            "KIND:       Service\nVERSION:    v1\n\nDESCRIPTION:\n"
            "    Service is a named abstraction of software service",
            ["spec\t<ServiceSpec>", "status\t<ServiceStatus>"],
            id="services",
        ),
    ],
)
def test_explain_prints_a_kind_with_its_fields(kubectl, resource, head, fields):
    out = kubectl("explain", resource).stdout
    assert out.startswith(head), out
    assert "\nFIELDS:\n" in out
    for field in fields:
        assert f"\n  {field}\n" in out, (field, out)


def test_explain_follows_a_field_path_into_nested_types(kubectl):
    out = kubectl("explain", "pods.spec.containers").stdout
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\n")
    assert "\nFIELD: containers <[]Container>\n" in out
    assert "\nDESCRIPTION:\n" in out
    listed = re.findall(r"^  (\w+)\t<([^>]+)>", out, re.M)
    assert ("image", "string") in listed
    assert ("ports", "[]ContainerPort") in listed
    assert ("env", "[]EnvVar") in listed
    assert [name for name, _ in listed] == sorted(name for name, _ in listed)


def test_explain_of_a_scalar_field_names_its_type(kubectl):
    out = kubectl("explain", "deployments.spec.replicas").stdout
    assert out.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n")
    assert "\nFIELD: replicas <integer>\n" in out


def test_explain_of_an_unknown_field_fails_like_kubectl_does(kubectl):
    done = kubectl("explain", "pods.spec.nope", check=False)
    assert done.returncode == 1
    assert 'error: field "nope" does not exist' in done.stderr


# --- edit ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def edited(kubectl):
    """A deployment `edited` with one replica."""
    kubectl("create", "deployment", "edited", "--image=nginx", "--replicas=1")
    return "edited"


REPLICAS = r"^  replicas: -?\d+$"  # the first one is spec's; status comes after spec


def test_edit_with_a_scripted_editor_patches_the_change(kubectl, live_lab, edited):
    editor = make_editor(live_lab.directory, "scale-up", REPLICAS, "  replicas: 3")
    done = kubectl("edit", "deployment", edited, extra_env=editor)
    assert done.stdout == "deployment.apps/edited edited\n"
    got = kubectl("get", "deploy", edited, "-o", "jsonpath={.spec.replicas}")
    assert got.stdout == "3"
    [shown] = rounds(live_lab.directory, "scale-up")
    assert shown.startswith("# Please edit the object below.")
    assert "\nkind: Deployment\n" in shown


def test_edit_ignores_status_changes_on_the_main_resource(kubectl, live_lab, edited):
    before = kubectl(
        "get", "deploy", edited, "-o", "jsonpath={.status.observedGeneration}"
    ).stdout
    editor = make_editor(
        live_lab.directory,
        "status",
        r"^(  observedGeneration:) \d+$",
        r"\1 999",
    )
    kubectl("edit", "deployment", edited, extra_env=editor)
    after = kubectl(
        "get", "deploy", edited, "-o", "jsonpath={.status.observedGeneration}"
    ).stdout
    assert after == before != "999"


def test_an_invalid_edit_is_reported_and_changes_nothing(kubectl, live_lab, edited):
    before = kubectl("get", "deploy", edited, "-o", "jsonpath={.spec.replicas}").stdout
    editor = make_editor(live_lab.directory, "negative", REPLICAS, "  replicas: -1")
    done = kubectl("edit", "deployment", edited, check=False, extra_env=editor)
    assert done.returncode == 1
    assert 'error: deployments.apps "edited" is invalid' in done.stderr
    assert "error: Edit cancelled, no valid changes were saved." in done.stderr
    # kubectl reopens the editor with the server's causes as comments on top.
    first, second = rounds(live_lab.directory, "negative")
    assert "was not valid" not in first
    assert (
        '# deployments.apps "edited" was not valid:\n'
        "# * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
    ) in second
    after = kubectl("get", "deploy", edited, "-o", "jsonpath={.spec.replicas}").stdout
    assert after == before


def test_an_edit_adding_an_unknown_field_is_refused(kubectl, live_lab, edited):
    editor = make_editor(
        live_lab.directory,
        "unknown",
        r"^(  progressDeadlineSeconds: \d+)$",
        r"\1\n  replicaz: 2",
    )
    done = kubectl("edit", "deployment", edited, check=False, extra_env=editor)
    assert done.returncode == 1
    assert (
        'error: deployments.apps "edited" could not be patched: strict decoding '
        'error: unknown field "spec.replicaz"'
    ) in done.stderr


def test_an_edit_without_changes_sends_nothing(kubectl, edited):
    done = kubectl("edit", "deployment", edited, extra_env={"EDITOR": "true"})
    assert done.stderr.strip() == "Edit cancelled, no changes made."


def test_editing_a_missing_object_is_not_found(kubectl):
    done = kubectl(
        "edit", "deployment", "missing", check=False, extra_env={"EDITOR": "true"}
    )
    assert done.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "missing" not found' in (
        done.stderr
    )
