"""`sh -c` scripts: in `kubectl exec` and as a container's own command."""

import pytest

from cluster.nodes import container_env, exec_shell, images, runtime, shell_script
from tests.nodes.test_exec_logs import _ctx

COLOR = [{"name": "COLOR", "value": "blue"}]


def _sh(script, image="nginx:1.27", shell="sh", **spec):
    return exec_shell.run(_ctx(image=image, **spec), [shell, "-c", script])


@pytest.mark.parametrize(
    ("script", "stdout", "stderr", "code"),
    [
        pytest.param("exit 3", "", "", 3, id="exit-code"),
        pytest.param("exit 256", "", "", 0, id="exit-modulo-256"),
        pytest.param("false; exit", "", "", 1, id="exit-keeps-last-status"),
        pytest.param("echo a; exit 4; echo b", "a\n", "", 4, id="exit-stops"),
        pytest.param("true && echo yes || echo no", "yes\n", "", 0, id="and"),
        pytest.param("false && echo yes || echo no", "no\n", "", 0, id="or"),
        pytest.param("false || false && echo x", "", "", 1, id="and-skipped"),
        pytest.param("echo one\necho two", "one\ntwo\n", "", 0, id="newline"),
        pytest.param("echo $COLOR ${COLOR}s", "blue blues\n", "", 0, id="vars"),
        pytest.param("echo '$COLOR' \"$COLOR\"", "$COLOR blue\n", "", 0, id="quotes"),
        pytest.param('echo "a   b"  c\\ \\ d', "a   b c  d\n", "", 0, id="spaces"),
        pytest.param("echo $NOPE x", "x\n", "", 0, id="unset-disappears"),
        pytest.param("false; echo $?", "1\n", "", 0, id="status-var"),
        pytest.param("echo $(hostname)", "web-1\n", "", 0, id="substitution"),
        pytest.param("echo -n hi", "hi", "", 0, id="echo-n"),
        pytest.param("# only a comment", "", "", 0, id="comment"),
        pytest.param(
            "foo; echo $?", "127\n", "sh: 1: foo: not found\n", 0, id="dash-not-found"
        ),
        pytest.param(
            "echo a\nbar", "a\n", "sh: 2: bar: not found\n", 127, id="dash-line"
        ),
        pytest.param(
            "exit x", "", "sh: 1: exit: Illegal number: x\n", 2, id="illegal-number"
        ),
        pytest.param(
            'echo "open',
            "",
            "sh: 1: Syntax error: Unterminated quoted string\n",
            2,
            id="unterminated",
        ),
        pytest.param(
            "&& echo", "", 'sh: 1: Syntax error: "&&" unexpected\n', 2, id="bad-and"
        ),
        pytest.param(
            "echo a &&",
            "",
            "sh: 1: Syntax error: end of file unexpected\n",
            2,
            id="dangling-and",
        ),
    ],
)
def test_dash_runs_a_script(script, stdout, stderr, code):
    out = _sh(script, env=COLOR)
    assert (out.stdout, out.stderr, out.exit_code) == (stdout, stderr, code)


@pytest.mark.parametrize(
    ("shell", "image", "stderr"),
    [
        pytest.param("sh", "busybox:1.36", "sh: foo: not found\n", id="busybox"),
        pytest.param("sh", "alpine:3.20", "sh: foo: not found\n", id="alpine"),
        pytest.param("sh", "nginx:1.27", "sh: 1: foo: not found\n", id="dash"),
        pytest.param(
            "bash", "nginx:1.27", "bash: line 1: foo: command not found\n", id="bash"
        ),
    ],
)
def test_a_missing_command_is_reported_by_the_images_shell(shell, image, stderr):
    out = _sh("foo", image=image, shell=shell)
    assert (out.stderr, out.exit_code) == (stderr, 127)


def test_bash_wants_a_numeric_exit_argument():
    out = _sh("exit x", shell="bash")
    assert (out.stderr, out.exit_code) == (
        "bash: line 1: exit: x: numeric argument required\n",
        2,
    )


def test_exit_marks_the_end_of_an_interactive_shell():
    assert _sh("echo hi; exit 3").exited
    assert not _sh("echo hi").exited


def test_busybox_words_its_syntax_errors_its_own_way():
    out = _sh('echo "open', image="busybox:1.36")
    assert (out.stderr, out.exit_code) == (
        "sh: syntax error: unterminated quoted string\n",
        2,
    )


def test_a_pipe_is_reported_as_not_simulated_rather_than_run_wrongly():
    out = _sh("echo hi | wc -l")
    assert out.exit_code == 2
    assert out.stderr == "sh: `|' is not supported in this simulation\n"


def test_a_command_without_a_shell_gets_its_words_unexpanded():
    out = exec_shell.run(_ctx(env=COLOR), ["echo", "$COLOR"])
    assert out.stdout == "$COLOR\n"


def test_ls_of_several_paths_prints_a_header_per_directory():
    ctx = _ctx()
    out = exec_shell.run(ctx, ["ls", "/etc/hostname", "/etc", "/tmp"])
    assert out.stdout == (
        "/etc/hostname\n\n/etc:\nhostname\nhosts\nresolv.conf\n\n/tmp:\n"
    )
    one = exec_shell.run(ctx, ["ls", "/etc"])
    assert one.stdout == "hostname\nhosts\nresolv.conf\n"


def test_ls_reports_each_missing_path_and_lists_the_rest():
    out = exec_shell.run(_ctx(), ["ls", "/nope", "/etc"])
    assert out.stderr == "ls: cannot access '/nope': No such file or directory\n"
    assert out.stdout == "/etc:\nhostname\nhosts\nresolv.conf\n"
    assert out.exit_code == 2


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["-d", "/tmp"], 0),
        (["-d", "/etc/hostname"], 1),
        (["-f", "/etc/hostname"], 0),
        (["-e", "/nope"], 1),
        (["-n", ""], 1),
        (["a", "=", "a"], 0),
    ],
)
def test_test_answers_with_its_exit_status(args, code):
    assert exec_shell.run(_ctx(), ["test", *args]).exit_code == code


@pytest.mark.parametrize(
    ("text", "env", "expanded"),
    [
        pytest.param("$(A)-x", {"A": "1"}, "1-x", id="defined"),
        pytest.param("$(B)", {"A": "1"}, "$(B)", id="undefined-stays"),
        pytest.param("$$(A)", {"A": "1"}, "$(A)", id="escaped"),
        pytest.param("$$A $A", {"A": "1"}, "$A $A", id="shell-vars-untouched"),
        pytest.param("$(A", {"A": "1"}, "$(A", id="unclosed"),
        pytest.param("cost: 5$", {}, "cost: 5$", id="trailing-dollar"),
    ],
)
def test_kubernetes_expands_dollar_parenthesis_references(text, env, expanded):
    assert container_env.expand_references(text, env) == expanded


def test_env_values_expand_earlier_variables():
    spec = {
        "name": "app",
        "env": [
            {"name": "HOST", "value": "db"},
            {"name": "URL", "value": "postgres://$(HOST):5432"},
        ],
    }
    env = container_env.kubelet_env({"metadata": {"name": "p"}}, spec)
    assert env["URL"] == "postgres://db:5432"


def test_a_pod_env_var_overrides_a_service_link_of_the_same_name():
    ctx = _ctx(env=[{"name": "DB_SERVICE_HOST", "value": "mine"}])
    assert exec_shell.environment(ctx)["DB_SERVICE_HOST"] == "mine"


BUSYBOX = images.lookup_name("busybox:1.36")


@pytest.mark.parametrize(
    ("command", "env", "line"),
    [
        pytest.param(
            ["sh", "-c", "echo $COLOR; sleep 3600"],
            {"COLOR": "blue"},
            "blue",
            id="shell-var",
        ),
        pytest.param(
            ["sh", "-c", "echo $(COLOR) '$$(COLOR)' $(NOPE); sleep 3600"],
            {"COLOR": "red"},
            "red $(COLOR)",
            id="kubelet-expansion",
        ),
        pytest.param(
            ["echo", "$(COLOR)", "$COLOR"],
            {"COLOR": "green"},
            "green $COLOR",
            id="no-shell",
        ),
        pytest.param(
            ["sh", "-c", 'echo "Hello from $HOSTNAME at ${HOME}"'],
            {},
            "Hello from web-0 at /root",
            id="process-env",
        ),
    ],
)
def test_a_container_command_prints_its_expanded_env(command, env, line):
    prog = runtime.program(
        {"name": "c", "command": command}, BUSYBOX, env, hostname="web-0"
    )
    assert [text for _, text in prog.output] == [line]


def test_without_a_resolved_env_the_literal_values_still_expand():
    container = {
        "name": "c",
        "command": ["sh", "-c", "echo $COLOR $(COLOR); exit 3"],
        "env": COLOR,
    }
    prog = runtime.program(container, BUSYBOX)
    assert (prog.output, prog.exit_code) == ([(0.0, "blue blue")], 3)


def test_a_script_that_does_not_parse_is_rejected_with_its_line():
    with pytest.raises(shell_script.ScriptSyntaxError) as exc:
        shell_script.parse("echo a\n; echo b")
    assert exc.value.message(busybox=False) == 'sh: 2: Syntax error: ";" unexpected'
