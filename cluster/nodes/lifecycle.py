"""One pod on one node over the simulated clock: sandbox, pulls, starts, exits, restarts.

Each container's record in the runtime state moves through waiting → running →
terminated; timers (pull done, back-off end, probe, kill at grace end) are kept
in that record so a later tick carries on where the last one stopped.
"""

from __future__ import annotations

from cluster.actions import RecordEvent, Ref
from cluster.nodes import agent_pods, images, probes
from cluster.nodes import runtime as rt
from cluster.simtime import parse_rfc3339

COMPONENT = "kubelet"
SANDBOX_SECONDS = 1.0
FAILED_PULL_SECONDS = 0.4
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
RECHECK_SECONDS = 10.0
# kuberuntime's minimumGracePeriodInSeconds: SIGTERM always gets this long.
MINIMUM_GRACE_SECONDS = 2.0

PULLING = 'Pulling image "{image}"'
PULLED = 'Successfully pulled image "{image}" in {pull} ({total} including waiting). Image size: {size} bytes.'
PRESENT = 'Container image "{image}" already present on machine'
PULL_FAILED = 'Failed to pull image "{image}": {error}'
PULL_BACKOFF = 'Back-off pulling image "{image}"'
NEVER_PULL = 'Container image "{image}" is not present with pull policy of Never'
ERROR = "Error: {reason}"
CREATED = "Created container {container}"
STARTED = "Started container {container}"
STOPPING = "Stopping container {container}"
CRASH_BACKOFF_EVENT = "Back-off restarting failed container {container} in pod {pod}"
CRASH_BACKOFF_WAITING = (
    "back-off {delay} restarting failed container={container} pod={pod}"
)
SANDBOX_CHANGED = "Pod sandbox changed, it will be killed and re-created."
# kubelet's activeDeadlineHandler: a Normal event, and the pod Failed with both.
DEADLINE_REASON = "DeadlineExceeded"
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
MOUNT_FAILED = (
    'MountVolume.SetUp failed for volume "{volume}" : {kind} "{name}" not found'
)
NOT_FOUND = '{kind} "{name}" not found'
KEY_NOT_FOUND = "couldn't find key {key} in {kind} {namespace}/{name}"


class PodSync:
    """Advance one pod to `now` and collect the events and timers on the way."""

    def __init__(
        self, pod: dict, state: dict, machine: dict, now: float, rng, extra: dict
    ):
        meta = pod["metadata"]
        self.pod, self.state, self.machine, self.now, self.rng = (
            pod,
            state,
            machine,
            now,
            rng,
        )
        self.extra = extra
        self.uid, self.name, self.ns = (
            meta.get("uid", ""),
            meta["name"],
            meta.get("namespace", "default"),
        )
        self.spec = pod.get("spec") or {}
        self.policy = self.spec.get("restartPolicy", "Always")
        self.actions: list = []
        self.wakes: list[float] = []
        self.ps = state["pods"].get(self.uid)

    @property
    def pod_label(self) -> str:
        """The pod as the kubelet formats it: `name_namespace(uid)`."""
        return f"{self.name}_{self.ns}({self.uid})"

    def event(
        self, container: dict | None, type_: str, reason: str, message: str, init=False
    ) -> None:
        ref = Ref(
            kind="Pod",
            namespace=self.ns,
            name=self.name,
            api_version="v1",
            uid=self.uid,
        )
        path = ""
        if container is not None:
            path = f"spec.{'initContainers' if init else 'containers'}{{{container['name']}}}"
        self.actions.append(
            RecordEvent(
                ref,
                type_,
                reason,
                message,
                COMPONENT,
                host=self.machine["name"],
                field_path=path,
            )
        )

    def wake(self, t: float | None) -> None:
        if t is not None:
            self.wakes.append(t)

    def process(self, c: dict) -> str | None:
        """The state of the node process this container is (kube-proxy's), if any."""
        return agent_pods.process_state(self.pod, c["name"], self.extra.get("static"))

    # -- the pod ------------------------------------------------------------

    def run(self) -> None:
        """Advance the pod: mount, sandbox, init containers, containers, termination."""
        if self.ps is None:
            self.ps = self.state["pods"][self.uid] = {
                "name": self.name,
                "namespace": self.ns,
                "start_time": self.now,
                "containers": {},
                "pull_backoff": {},
            }
        ps = self.ps
        if (self.pod.get("metadata") or {}).get("deletionTimestamp"):
            self.terminate_pod()
            return
        if self.past_active_deadline():
            self.stop_all(self.spec.get("terminationGracePeriodSeconds", 30))
            return
        if (self.pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        if ps.pop("sandbox_changed", False):
            self.new_sandbox()
        if "sandbox_at" not in ps:
            if not self.volumes_ready():
                return
            ps["sandbox_at"] = self.now + SANDBOX_SECONDS
        if self.now < ps["sandbox_at"]:
            self.wake(ps["sandbox_at"])
            return
        if "ip" not in ps:
            ps["ip"] = (
                self.machine.get("internal_ip", "")
                if self.spec.get("hostNetwork")  # the node's own network namespace
                else rt.allocate_ip(
                    self.state, self.machine.get("pod_cidr", "10.244.0.0/24"), self.uid
                )
            )
        if not self.run_inits():
            return
        pulling_before = False
        for c in self.spec.get("containers") or []:
            cs = self.record(c, init=False)
            self.advance(c, cs, init=False, may_pull=not pulling_before)
            pulling_before = pulling_before or cs.get("step") == "pulling"

    def new_sandbox(self) -> None:
        """computePodActions after the sandbox died (the node rebooted): a new one,
        with a new address, and the init containers run again from the first. A pod
        that must never restart gets none: its exited containers fail it."""
        if self.policy == "Never":
            return
        self.event(None, "Normal", "SandboxChanged", SANDBOX_CHANGED)
        del self.ps["sandbox_at"]
        self.ps.pop("ip", None)
        rt.release_ip(self.state, self.uid)
        for c in self.spec.get("initContainers") or []:
            cs = self.ps["containers"].get(c["name"])
            if cs and cs.get("state") == "terminated" and cs.get("exit_code") == 0:
                _remember_last(cs)
                self.restart(c, cs)

    def run_inits(self) -> bool:
        """Run init containers one at a time; True once all have finished (sidecars started)."""
        for c in self.spec.get("initContainers") or []:
            cs = self.record(c, init=True)
            self.advance(c, cs, init=True, may_pull=True)
            sidecar = c.get("restartPolicy") == "Always"
            if sidecar and cs.get("state") == "running" and cs.get("started"):
                continue
            if (
                not sidecar
                and cs.get("state") == "terminated"
                and cs.get("exit_code") == 0
            ):
                continue
            return False
        return True

    def record(self, c: dict, init: bool) -> dict:
        cs = self.ps["containers"].get(c["name"])
        if cs is None:
            waiting = (
                "PodInitializing"
                if (not init and self.spec.get("initContainers"))
                else "ContainerCreating"
            )
            cs = self.ps["containers"][c["name"]] = {
                "init": init,
                "state": "waiting",
                "reason": waiting,
                "restart_count": 0,
            }
        return cs

    def volumes_ready(self) -> bool:
        """FailedMount while a ConfigMap or Secret volume's source is missing."""
        sources = self.extra.get("objects")
        if sources is None:
            return True
        retry = self.ps.get("mount_retry_at")
        if retry is not None and self.now < retry:
            self.wake(retry)
            return False
        for v in self.spec.get("volumes") or []:
            for field, kind, key in (
                ("configMap", "configmap", "name"),
                ("secret", "secret", "secretName"),
            ):
                src = v.get(field)
                if not src or src.get("optional"):
                    continue
                obj_name = src.get(key, "")
                if f"{kind}/{self.ns}/{obj_name}" not in sources:
                    self.event(
                        None,
                        "Warning",
                        "FailedMount",
                        MOUNT_FAILED.format(volume=v["name"], kind=kind, name=obj_name),
                    )
                    delay = min(self.ps.get("mount_delay", 0.25) * 2, 122.0)
                    self.ps["mount_delay"] = delay
                    self.ps["mount_retry_at"] = self.now + delay
                    self.wake(self.now + delay)
                    return False
        return True

    # -- one container ------------------------------------------------------

    def advance(self, c: dict, cs: dict, init: bool, may_pull: bool) -> None:
        """Apply every transition of one container that is due by now."""
        for _ in range(64):
            before = (
                cs.get("state"),
                cs.get("step"),
                cs.get("reason"),
                cs.get("restart_count"),
            )
            if cs["state"] == "running":
                self.running(c, cs, init)
            elif cs["state"] == "terminated":
                self.exited(c, cs, init)
            else:
                self.waiting(c, cs, init, may_pull)
            if before == (
                cs.get("state"),
                cs.get("step"),
                cs.get("reason"),
                cs.get("restart_count"),
            ):
                return

    def waiting(self, c: dict, cs: dict, init: bool, may_pull: bool) -> None:
        step = cs.get("step")
        if step == "crash_backoff":
            if self.now < cs["restart_at"]:
                self.wake(cs["restart_at"])
                return
            self.restart(c, cs)
            return
        if step == "pulling":
            self.pull_finished(c, cs, init)
            return
        if (
            step in ("pull_failed", "never_pull", "config_error", "invalid")
            and self.now < cs["retry_at"]
        ):
            self.wake(cs["retry_at"])
            return
        self.start_attempt(c, cs, init, may_pull)

    def start_attempt(self, c: dict, cs: dict, init: bool, may_pull: bool) -> None:
        image = c.get("image", "")
        try:
            ref = images.normalize(image)
        except images.InvalidImageName as exc:
            if cs.get("reason") != "InvalidImageName":
                self.event(c, "Warning", "InspectFailed", str(exc), init)
                self.event(
                    c,
                    "Warning",
                    "Failed",
                    ERROR.format(reason="InvalidImageName"),
                    init,
                )
            self.set_waiting(
                cs, "InvalidImageName", str(exc), "invalid", self.now + RECHECK_SECONDS
            )
            return
        present = ref.full in self.state["images"]
        policy = c.get("imagePullPolicy") or (
            "Always" if ref.tag == "latest" else "IfNotPresent"
        )
        if present and policy != "Always":
            self.event(c, "Normal", "Pulled", PRESENT.format(image=image), init)
            self.create_and_start(c, cs, init, ref, self.now)
            return
        if policy == "Never":
            if cs.get("reason") != "ErrImageNeverPull":
                msg = NEVER_PULL.format(image=image)
                self.event(c, "Warning", "ErrImageNeverPull", msg, init)
                self.event(
                    c,
                    "Warning",
                    "Failed",
                    ERROR.format(reason="ErrImageNeverPull"),
                    init,
                )
            self.set_waiting(
                cs,
                "ErrImageNeverPull",
                NEVER_PULL.format(image=image),
                "never_pull",
                self.now + RECHECK_SECONDS,
            )
            return
        backoff = self.ps["pull_backoff"].get(image)
        if backoff and self.now - backoff["last_update"] < backoff["delay"]:
            if cs.get("reason") != "ImagePullBackOff":
                self.event(
                    c, "Normal", "BackOff", PULL_BACKOFF.format(image=image), init
                )
                self.event(
                    c,
                    "Warning",
                    "Failed",
                    ERROR.format(reason="ImagePullBackOff"),
                    init,
                )
            retry = backoff["last_update"] + backoff["delay"]
            self.set_waiting(
                cs,
                "ImagePullBackOff",
                PULL_BACKOFF.format(image=image),
                "pull_failed",
                retry,
            )
            return
        if not may_pull:
            return
        result = images.pull(ref)
        if present and result.ok:
            # Always re-checks the manifest; the layers are already there.
            duration = images.PULL_OVERHEAD_SECONDS
        elif result.ok:
            duration = images.pull_seconds(result.size)
        else:
            duration = FAILED_PULL_SECONDS
        start = max(self.now, self.state.get("puller_free_at", 0.0))
        self.state["puller_free_at"] = start + duration
        self.event(c, "Normal", "Pulling", PULLING.format(image=image), init)
        cs.update(
            step="pulling",
            pull={
                "requested": self.now,
                "started": start,
                "done": start + duration,
                "ok": result.ok,
                "size": result.size,
                "error": result.error,
            },
        )
        if not cs.get("reason") and not cs.get("pending_restart"):
            cs["reason"] = "ContainerCreating"
        self.wake(start + duration)

    def pull_finished(self, c: dict, cs: dict, init: bool) -> None:
        pull, image = cs["pull"], c.get("image", "")
        if self.now < pull["done"]:
            self.wake(pull["done"])
            return
        ref = images.normalize(image)
        if pull["ok"]:
            self.state["images"][ref.full] = {
                "size": pull["size"],
                "names": [images.image_id(ref), ref.full],
                "pulled_at": pull["done"],
            }
            msg = PULLED.format(
                image=image,
                pull=rt.go_duration(pull["done"] - pull["started"]),
                total=rt.go_duration(pull["done"] - pull["requested"]),
                size=pull["size"],
            )
            self.event(c, "Normal", "Pulled", msg, init)
            cs.pop("pull")
            self.create_and_start(c, cs, init, ref, pull["done"])
            return
        self.event(
            c,
            "Warning",
            "Failed",
            PULL_FAILED.format(image=image, error=pull["error"]),
            init,
        )
        self.event(c, "Warning", "Failed", ERROR.format(reason="ErrImagePull"), init)
        self.ps["pull_backoff"][image] = next_backoff(
            self.ps["pull_backoff"].get(image), pull["done"], self.now
        )
        cs.pop("pull")
        # The pod worker re-syncs about a second later and finds the pull backing off.
        self.set_waiting(
            cs, "ErrImagePull", pull["error"], "pull_failed", pull["done"] + 1.0
        )
        self.wake(pull["done"] + 1.0)

    def set_waiting(
        self, cs: dict, reason: str, message: str, step: str, retry_at: float
    ) -> None:
        cs.update(
            state="waiting",
            reason=reason,
            message=message,
            step=step,
            retry_at=retry_at,
        )
        self.wake(retry_at)

    def create_and_start(
        self, c: dict, cs: dict, init: bool, ref: images.ImageRef, t: float
    ) -> None:
        problem = self.config_problem(c)
        if problem:
            if cs.get("reason") != "CreateContainerConfigError":
                self.event(c, "Warning", "Failed", ERROR.format(reason=problem), init)
            self.set_waiting(
                cs,
                "CreateContainerConfigError",
                problem,
                "config_error",
                self.now + RECHECK_SECONDS,
            )
            return
        image = images.lookup(ref)
        prog = rt.program(c, image)
        cs.update(
            state="running",
            step=None,
            reason=None,
            message=None,
            id=rt.container_id(self.rng),
            image_ref=ref.full,
            image_id=images.image_id(ref),
            started_at=t,
            started=probes.spec(c, "startup") is None,
            ready=False,
            stop=None,
        )
        cs.pop("retry_at", None)
        if cs.pop("pending_restart", False):
            cs["restart_count"] = cs.get("restart_count", 0) + 1
        memory = prog.memory_mib if prog.memory_mib is not None else image.memory_mib
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        ends, code, reason = None, prog.exit_code, None
        if prog.duration is not None:
            ends = t + prog.duration
        if limit and memory * 2**20 > _bytes(limit):
            ends, code, reason = t + rt.OOM_AFTER_SECONDS, 137, "OOMKilled"
        if self.process(c) == agent_pods.CRASHED:
            ends, code = (
                t + agent_pods.CRASH_AFTER_SECONDS,
                agent_pods.CRASHED_EXIT_CODE,
            )
        cs["plan"] = {"ends": ends, "code": code, "reason": reason}
        cs["probes"] = {
            kind: {"next": t + p["initialDelaySeconds"], "fails": 0, "succs": 0}
            for kind in probes.KINDS
            if (p := probes.spec(c, kind))
        }
        self.event(c, "Normal", "Created", CREATED.format(container=c["name"]), init)
        self.event(c, "Normal", "Started", STARTED.format(container=c["name"]), init)
        if cs["started"] and "readiness" not in cs["probes"]:
            cs["ready"] = True

    def config_problem(self, c: dict) -> str:
        """The CreateContainerConfigError text for a missing env source, "" when fine."""
        objects = self.extra.get("objects")
        if objects is None:
            return ""
        refs = []
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            for field, kind, title in (
                ("configMapKeyRef", "configmap", "ConfigMap"),
                ("secretKeyRef", "secret", "Secret"),
            ):
                if vf.get(field):
                    refs.append((kind, title, vf[field], vf[field].get("key")))
        for e in c.get("envFrom") or []:
            for field, kind, title in (
                ("configMapRef", "configmap", "ConfigMap"),
                ("secretRef", "secret", "Secret"),
            ):
                if e.get(field):
                    refs.append((kind, title, e[field], None))
        for kind, title, src, key in refs:
            if src.get("optional"):
                continue
            data = objects.get(f"{kind}/{self.ns}/{src.get('name', '')}")
            if data is None:
                return NOT_FOUND.format(kind=kind, name=src.get("name", ""))
            if key is not None and key not in data:
                return KEY_NOT_FOUND.format(
                    key=key, kind=title, namespace=self.ns, name=src.get("name", "")
                )
        return ""

    def running(self, c: dict, cs: dict, init: bool) -> None:
        process = self.process(c)
        if process == agent_pods.STOPPED and not cs.get("stop"):
            cs["process_stopped"] = True
            rt.finish(cs, self.now, agent_pods.STOPPED_EXIT_CODE, "Error")
            return
        if process == agent_pods.CRASHED and cs["plan"]["ends"] is None:
            cs["plan"] = {
                "ends": self.now,
                "code": agent_pods.CRASHED_EXIT_CODE,
                "reason": None,
            }
        stop = cs.get("stop")
        plan = cs["plan"]
        horizon = min(
            t
            for t in (self.now, plan["ends"], stop and stop["kill_at"])
            if t is not None
        )
        self.run_probes(c, cs, init, horizon)
        stop = cs.get("stop")
        if (
            stop
            and stop["kill_at"] <= self.now
            and (plan["ends"] is None or stop["kill_at"] <= plan["ends"])
        ):
            rt.finish(cs, stop["kill_at"], stop["code"], stop["reason"])
        elif plan["ends"] is not None and plan["ends"] <= self.now:
            reason = plan["reason"] or ("Completed" if plan["code"] == 0 else "Error")
            rt.finish(cs, plan["ends"], plan["code"], reason)
        else:
            self.wake(stop["kill_at"] if stop else None)
            self.wake(plan["ends"])

    def stop_container(self, c: dict, cs: dict, t: float, grace: float) -> None:
        """killContainer: the preStop hook first (its time counts against the grace
        period), then SIGTERM, then SIGKILL when the rest of the grace (at least
        2 s) is over: when the process exits and with what code."""
        image = images.lookup_name(c.get("image", ""))
        prog = rt.program(c, image)
        hook = min(rt.pre_stop_seconds(c, grace), grace) if grace > 0 else 0.0
        term, rest = t + hook, max(grace - hook, MINIMUM_GRACE_SECONDS)
        if prog.ignores_sigterm or image.shutdown is None:
            cs["stop"] = {"kill_at": term + rest, "code": 137, "reason": "Error"}
        else:
            cs["stop"] = {
                "kill_at": term + min(image.shutdown, rest),
                "code": 0,
                "reason": "Completed",
            }
        self.wake(cs["stop"]["kill_at"])

    def run_probes(self, c: dict, cs: dict, init: bool, horizon: float) -> None:
        image = images.lookup_name(c.get("image", ""))
        prog = rt.program(c, image)
        for _ in range(10_000):
            active = {
                k: s
                for k, s in cs["probes"].items()
                if (k == "startup") != bool(cs.get("started")) and not cs.get("stop")
            }
            if not active:
                return
            kind, st = min(active.items(), key=lambda kv: kv[1]["next"])
            if st["next"] > horizon:
                self.wake(st["next"])
                return
            t, spec = st["next"], probes.spec(c, kind)
            st["next"] = t + spec["periodSeconds"]
            ok, output = probes.run(
                kind,
                spec,
                self.pod,
                c,
                image,
                prog,
                self.ps.get("ip", ""),
                t - cs["started_at"],
            )
            if ok:
                st["succs"], st["fails"] = st["succs"] + 1, 0
                if st["succs"] >= spec["successThreshold"]:
                    if kind == "startup":
                        cs["started"] = True
                        for other in ("liveness", "readiness"):
                            if other in cs["probes"]:
                                cs["probes"][other]["next"] = max(
                                    cs["probes"][other]["next"], t
                                )
                        cs["ready"] = "readiness" not in cs["probes"]
                    elif kind == "readiness":
                        cs["ready"] = True
                continue
            st["fails"], st["succs"] = st["fails"] + 1, 0
            self.event(
                c,
                "Warning",
                "Unhealthy",
                probes.UNHEALTHY_MESSAGE.format(
                    title=probes.TITLE[kind], output=output
                ),
                init,
            )
            if st["fails"] < spec["failureThreshold"]:
                continue
            if kind == "readiness":
                cs["ready"] = False
                continue
            self.event(
                c,
                "Normal",
                "Killing",
                probes.KILL_MESSAGE.format(container=c["name"], kind=kind),
                init,
            )
            grace = spec.get(
                "terminationGracePeriodSeconds",
                self.spec.get("terminationGracePeriodSeconds", 30),
            )
            self.stop_container(c, cs, t, grace)

    def exited(self, c: dict, cs: dict, init: bool) -> None:
        process = self.process(c)
        if process == agent_pods.STOPPED:
            return  # nothing to restart while the process stays stopped
        if cs.pop("process_stopped", False):
            # The process was started again: its container comes back at once.
            _remember_last(cs)
            self.restart(c, cs)
            return
        code = cs.get("exit_code", 0)
        if init and code == 0 and c.get("restartPolicy") != "Always":
            return
        restart = (
            self.policy == "Always"
            or c.get("restartPolicy") == "Always"
            or (self.policy == "OnFailure" and code != 0)
            or (init and code != 0 and self.policy != "Never")
        )
        if not restart:
            return
        key = c["name"]
        entry = cs.get("backoff")
        finished = cs["finished_at"]
        if (
            entry
            and not expired(finished, entry["last_update"])
            and self.now - finished < entry["delay"]
        ):
            _remember_last(cs)
            msg = CRASH_BACKOFF_WAITING.format(
                delay=rt.go_duration(entry["delay"]), container=key, pod=self.pod_label
            )
            self.event(
                c,
                "Warning",
                "BackOff",
                CRASH_BACKOFF_EVENT.format(container=key, pod=self.pod_label),
                init,
            )
            cs.update(
                state="waiting",
                reason="CrashLoopBackOff",
                message=msg,
                step="crash_backoff",
                restart_at=finished + entry["delay"],
                ready=False,
            )
            self.wake(cs["restart_at"])
            return
        cs["backoff"] = next_backoff(entry, finished, self.now)
        _remember_last(cs)
        self.restart(c, cs)

    def restart(self, c: dict, cs: dict) -> None:
        if cs.get("step") == "crash_backoff":
            cs["backoff"] = next_backoff(cs.get("backoff"), cs["finished_at"], self.now)
        else:
            cs.update(reason=None, message=None)
        # Until the new container exists the status still shows the exited one.
        cs.update(state="waiting", step=None, pending_restart=True)
        cs.pop("restart_at", None)

    # -- termination --------------------------------------------------------

    def past_active_deadline(self) -> bool:
        """spec.activeDeadlineSeconds since status.startTime has run out (once
        true it stays so); until then a timer for the moment it does."""
        if self.ps.get("deadline_exceeded"):
            return True
        deadline = self.spec.get("activeDeadlineSeconds")
        if deadline is None or (self.pod.get("status") or {}).get("phase") in (
            "Succeeded",
            "Failed",
        ):
            return False
        started = (self.pod.get("status") or {}).get("startTime")
        since = parse_rfc3339(started) if started else self.ps["start_time"]
        if self.now < since + deadline:
            self.wake(since + deadline)
            return False
        self.ps["deadline_exceeded"] = True
        self.event(None, "Normal", DEADLINE_REASON, DEADLINE_MESSAGE)
        return True

    def terminate_pod(self) -> None:
        """Stop every container within the grace period, then confirm the deletion."""
        meta = self.pod["metadata"]
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.spec.get("terminationGracePeriodSeconds", 30)
        self.ps["terminating"] = True
        if self.stop_all(grace):
            self.ps["terminated"] = True

    def stop_all(self, grace: float) -> bool:
        """Stop every container within `grace` seconds; True once none runs."""
        by_name = {
            c["name"]: c
            for c in (self.spec.get("initContainers") or [])
            + (self.spec.get("containers") or [])
        }
        for name, cs in self.ps["containers"].items():
            c = by_name.get(name)
            if c is None:
                continue
            if cs["state"] == "running":
                if not cs.get("stop"):
                    self.event(
                        c,
                        "Normal",
                        "Killing",
                        STOPPING.format(container=name),
                        cs.get("init", False),
                    )
                    self.stop_container(c, cs, self.now, grace)
                self.running(c, cs, cs.get("init", False))
            elif cs["state"] == "waiting":
                cs.update(step=None, pull=None)
        return not any(
            cs["state"] == "running" for cs in self.ps["containers"].values()
        )


def next_backoff(entry: dict | None, event_time: float, now: float) -> dict:
    """client-go Backoff.Next: start at 10 s, double up to 300 s, reset when stale."""
    if not entry or expired(event_time, entry["last_update"]):
        return {"delay": BACKOFF_INITIAL, "last_update": now}
    return {"delay": min(entry["delay"] * 2, BACKOFF_MAX), "last_update": now}


def expired(event_time: float, last_update: float) -> bool:
    """An entry untouched for twice the maximum (10 min) counts as stable again."""
    return event_time - last_update > 2 * BACKOFF_MAX


def _remember_last(cs: dict) -> None:
    """Keep the run that just ended as lastState (and the one before it, for display)."""
    from cluster.nodes.pod_status import terminated

    cs["prev_last"] = cs.get("last")
    cs["last"] = terminated(cs)


def _bytes(value) -> int:
    from cluster.objects import quantity

    return quantity.to_int(value)
