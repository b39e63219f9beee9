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

from cluster.apiserver import openapi_docs

pytestmark = pytest.mark.e2e


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
def doc(message: str, field: str | None = None) -> str:
    """The docs file's wording for a type (or one of its fields), as one line."""
    full = f"k8s.io.api.{message}"
    text = openapi_docs.field_doc(full, field) if field else openapi_docs.type_doc(full)
    assert text, (message, field)
    return text


def section(out: str, title: str) -> str:
    """The indented lines under `TITLE:` up to a blank one, unwrapped into one line."""
    lines = []
    for line in out.split(f"\n{title}:\n", 1)[1].split("\n"):
        if not line.strip() or not line.startswith(" "):
            break
        lines.append(line)
    return " ".join(" ".join(lines).split())


def field_descriptions(out: str) -> dict[str, str]:
    """`FIELDS:` of kubectl's output: each field's description, unwrapped."""
    fields = out.split("\nFIELDS:\n", 1)[1]
    found = {}
    for block in fields.strip("\n").split("\n\n"):
        head, *text = block.split("\n")
        found[head.split("\t")[0].strip()] = " ".join(" ".join(text).split())
    return found


@pytest.mark.parametrize(
    ("resource", "head", "message", "fields"),
    [
        pytest.param(
            "pods",
            "KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n",
            "core.v1.Pod",
            ["apiVersion\t<string>", "metadata\t<ObjectMeta>", "spec\t<PodSpec>"],
            id="pods",
        ),
        pytest.param(
            "deployments",
            "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n"
            "DESCRIPTION:\n",
            "apps.v1.Deployment",
            ["spec\t<DeploymentSpec>", "status\t<DeploymentStatus>"],
            id="deployments",
        ),
        pytest.param(
            "services",
            "KIND:       Service\nVERSION:    v1\n\nDESCRIPTION:\n",
            "core.v1.Service",
            ["spec\t<ServiceSpec>", "status\t<ServiceStatus>"],
            id="services",
        ),
    ],
)
def test_explain_prints_a_kind_with_its_fields(
    kubectl, resource, head, message, fields
):
    out = kubectl("explain", resource).stdout
    assert out.startswith(head), out
    assert section(out, "DESCRIPTION") == doc(message)
    assert "\nFIELDS:\n" in out
    for field in fields:
        assert f"\n  {field}\n" in out, (field, out)
    assert "<no description>" not in out


def test_explain_of_containers_describes_the_field_its_type_and_each_field(kubectl):
    """The field's wording, then Container's, then every field with its own."""
    out = kubectl("explain", "pod.spec.containers").stdout
    assert section(out, "DESCRIPTION") == " ".join(
        [doc("core.v1.PodSpec", "containers"), doc("core.v1.Container")]
    )
    described = field_descriptions(out)
    assert described["image"] == doc("core.v1.Container", "image")
    assert described["livenessProbe"] == doc("core.v1.Container", "livenessProbe")
    assert "<no description>" not in described.values()
    assert "\n  name\t<string> -required-\n" in out
    # Short enums sit under the field's type line.
    assert "\n  imagePullPolicy\t<string>\n  enum: Always, IfNotPresent, Never\n" in out


def test_explain_of_an_enumerated_field_lists_its_values(kubectl):
    out = kubectl("explain", "svc.spec.type").stdout
    assert out.startswith("KIND:       Service\nVERSION:    v1\n\n")
    assert (
        "\nFIELD: type <string>\nENUM:\n    ClusterIP\n    ExternalName\n"
        "    LoadBalancer\n    NodePort\n"
    ) in out
    assert section(out, "DESCRIPTION") == doc("core.v1.ServiceSpec", "type")


def test_explain_shows_volume_sources_and_probe_handlers_inline(kubectl):
    """Embedded structs appear as the fields a manifest uses."""
    volumes = field_descriptions(kubectl("explain", "pod.spec.volumes").stdout)
    assert volumes["configMap"] == doc("core.v1.VolumeSource", "configMap")
    assert "volumeSource" not in volumes
    probe = kubectl(
        "explain", "deploy.spec.template.spec.containers.readinessProbe.httpGet.port"
    ).stdout
    assert "\nFIELD: port <IntOrString>\n" in probe
    assert "-required-" not in probe  # only shown in a field list
    assert section(probe, "DESCRIPTION").startswith(
        doc("core.v1.HTTPGetAction", "port")
    )


def test_explain_recursive_walks_nested_fields(kubectl):
    out = kubectl("explain", "deployment.spec.strategy", "--recursive").stdout
    assert "\nFIELD: strategy <DeploymentStrategy>\n" in out
    assert section(out, "DESCRIPTION") == " ".join(
        [doc("apps.v1.DeploymentSpec", "strategy"), doc("apps.v1.DeploymentStrategy")]
    )
    assert (
        "\nFIELDS:\n  rollingUpdate\t<RollingUpdateDeployment>\n"
        "    maxSurge\t<IntOrString>\n    maxUnavailable\t<IntOrString>\n"
        "  type\t<string>\n  enum: Recreate, RollingUpdate\n"
    ) in out


def test_explain_of_an_ingress_path_type_lists_its_values(kubectl):
    out = kubectl("explain", "ingress.spec.rules.http.paths.pathType").stdout
    assert out.startswith("GROUP:      networking.k8s.io\nKIND:       Ingress\n")
    assert "ENUM:\n    Exact\n    ImplementationSpecific\n    Prefix\n" in out


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
