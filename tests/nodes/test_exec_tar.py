"""`tar` in the simulated shell, as `kubectl cp` runs it both ways."""

import io
import json
import tarfile
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from cluster import operations
from cluster.k8sapi import auth
from cluster.k8sapi.exec_consumer import CLOSE, ERROR, PROTOCOL, STDIN, STDOUT
from cluster.nodes import exec_shell, tar_stream
from config.asgi import application
from tests.engine.kit import api, new_cluster
from tests.nodes.test_exec_logs import _ctx


def _members(data: bytes) -> dict[str, bytes | None]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        return {
            m.name: archive.extractfile(m).read() if m.isfile() else None
            for m in archive
        }


def _archive(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def test_tar_cf_streams_a_file_without_its_leading_slash():
    out = exec_shell.run(_ctx(), ["tar", "cf", "-", "/etc/hostname"])
    assert _members(out.stdout) == {"etc/hostname": b"web-1\n"}
    assert out.stderr == "tar: Removing leading `/' from member names\n"
    assert out.exit_code == 0


def test_tar_cf_of_a_directory_holds_the_tree():
    ctx = _ctx(volumeMounts=[{"name": "cfg", "mountPath": "/etc/app"}])
    ctx.pod["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "app-config"}}]
    members = _members(exec_shell.run(ctx, ["tar", "cf", "-", "/etc/app"]).stdout)
    assert members == {
        "etc/app": None,
        "etc/app/app.properties": b"color=blue\n",
        "etc/app/mode": b"prod",
    }


@pytest.mark.parametrize(
    ("image", "stderr", "code"),
    [
        pytest.param(
            "nginx:1.27",
            "tar: Removing leading `/' from member names\n"
            "tar: /nope: Cannot stat: No such file or directory\n"
            "tar: Exiting with failure status due to previous errors\n",
            2,
            id="gnu",
        ),
        pytest.param(
            "busybox:1.36",
            "tar: can't open '/nope': No such file or directory\n",
            1,
            id="busybox",
        ),
    ],
)
def test_tar_cf_of_a_missing_path_fails_in_the_images_words(image, stderr, code):
    out = exec_shell.run(_ctx(image=image), ["tar", "cf", "-", "/nope"])
    assert (out.stderr, out.exit_code) == (stderr, code)


def test_tar_xmf_writes_files_that_later_commands_see():
    ctx = _ctx()
    argv = ["tar", "-xmf", "-", "-C", "/tmp"]
    assert exec_shell.reads_stdin(argv)
    out = exec_shell.run(ctx, argv, _archive({"notes.txt": b"hi\n"}))
    assert (out.stderr, out.exit_code, ctx.dirty) == ("", 0, True)
    assert exec_shell.run(ctx, ["cat", "/tmp/notes.txt"]).stdout == "hi\n"
    assert exec_shell.run(ctx, ["ls", "/tmp"]).stdout == "notes.txt\n"
    assert exec_shell.run(ctx, ["test", "-d", "/tmp"]).exit_code == 0
    again = exec_shell.run(ctx, ["tar", "cf", "-", "/tmp/notes.txt"]).stdout
    assert _members(again) == {"tmp/notes.txt": b"hi\n"}


@pytest.mark.parametrize(
    ("argv", "reads"),
    [
        (["tar", "xmf", "-"], True),
        (["tar", "--no-same-owner", "-xmf", "-", "-C", "/x"], True),
        (["tar", "cf", "-", "/etc"], False),
        (["cat"], False),
    ],
)
def test_only_an_extract_waits_for_stdin(argv, reads):
    assert exec_shell.reads_stdin(argv) is reads


def test_tar_xmf_into_a_missing_directory_fails():
    out = exec_shell.run(_ctx(), ["tar", "xmf", "-", "-C", "/nope"], _archive({}))
    assert out.stderr == (
        "tar: /nope: Cannot open: No such file or directory\n"
        "tar: Error is not recoverable: exiting now\n"
    )
    assert out.exit_code == 2


def test_tar_xmf_of_garbage_is_not_an_archive():
    out = exec_shell.run(_ctx(), ["tar", "xmf", "-"], b"not a tar stream" * 64)
    assert out.stderr == (
        "tar: This does not look like a tar archive\n"
        "tar: Exiting with failure status due to previous errors\n"
    )
    assert out.exit_code == 2


def test_a_file_beyond_the_writable_room_is_refused():
    result = tar_stream.extract(
        _archive({"big": b"x" * 10, "small": b"y"}), "/tmp", {"/tmp"}, False, room=5
    )
    assert result.written == {}
    assert result.stderr[0] == "tar: big: Cannot write: No space left on device"
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("image", "has_tar"),
    [
        ("nginx:1.27", True),
        ("httpd:2.4", True),
        ("busybox:1.36", True),
        ("alpine:3.20", True),
        ("registry.k8s.io/nginx-slim:0.24", True),
        ("perl:5.34.0", True),
        ("registry.k8s.io/pause:3.10", False),
        ("registry.k8s.io/coredns/coredns:v1.11.3", False),
    ],
)
def test_tar_exists_where_the_image_ships_it(image, has_tar):
    out = exec_shell.run(_ctx(image=image), ["tar", "cf", "-", "/etc/hostname"])
    assert (out.error == "") is has_tar
    if not has_tar:
        assert 'exec: "tar": executable file not found in $PATH' in out.error


async def _exec(slug, token, command, stdin=None):
    query = "&".join(f"command={quote(part)}" for part in command)
    if stdin is not None:
        query += "&stdin=true"
    comm = WebsocketCommunicator(
        application,
        f"/k8s/clusters/{slug}/api/v1/namespaces/default/pods/box/exec?{query}",
        headers=[(b"authorization", f"Bearer {token}".encode())],
        subprotocols=[PROTOCOL],
    )
    connected, _ = await comm.connect()
    assert connected
    if stdin is not None:
        await comm.send_to(bytes_data=bytes([STDIN]) + stdin)
        await comm.send_to(bytes_data=bytes([CLOSE, STDIN]))
    stdout, status = b"", None
    while status is None:
        frame = await comm.receive_from(timeout=10)
        if frame[0] == STDOUT:
            stdout += frame[1:]
        elif frame[0] == ERROR:
            status = json.loads(frame[1:])
    await comm.disconnect()
    return stdout, status


@pytest.mark.django_db(transaction=True)
def test_files_copied_in_stay_for_later_exec_sessions():
    cluster = new_cluster()
    api(cluster).create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "box"},
            "spec": {
                "containers": [
                    {
                        "name": "box",
                        "image": "busybox:1.36",
                        "command": ["sleep", "3600"],
                    }
                ]
            },
        }
    )
    operations.fast_forward(cluster, 30)
    token = auth.token_for(cluster, cluster.owner)
    run = async_to_sync(_exec)

    _, status = run(
        cluster.slug,
        token,
        ["tar", "xmf", "-", "-C", "/tmp"],
        stdin=_archive({"notes.txt": b"kept\n"}),
    )
    stdout, later = run(cluster.slug, token, ["cat", "/tmp/notes.txt"])

    assert status == {"metadata": {}, "status": "Success"}
    assert (stdout, later["status"]) == (b"kept\n", "Success")
