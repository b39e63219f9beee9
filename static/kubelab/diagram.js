// The architecture diagram: masters left, workers right, pods inside their node,
// services over the pods they route to, an unscheduled tray. Elements are reused by
// key between frames, so a frame only touches what changed.

import { fmt, gettext, gettext_noop, h, ngettext, reconcile, setAttr, setClass, setText } from "./dom.js";
import { endpointCount, ingressServices, nodeState, podState, restarts, servicePods } from "./model.js";

export const COMPONENT_LABELS = {
  "kube-apiserver": "api-server",
  etcd: "etcd",
  "kube-scheduler": "scheduler",
  "kube-controller-manager": "controller-mgr",
  "cloud-controller-manager": "cloud-ctrl-mgr",
  kubelet: "kubelet",
  "kube-proxy": "kube-proxy",
  "container-runtime": "runtime",
};
const COMPONENT_ORDER = Object.keys(COMPONENT_LABELS);
const STATE_TEXT = {
  running: gettext_noop("running"),
  stopped: gettext_noop("stopped"),
  crashed: gettext_noop("crashed"),
  starting: gettext_noop("starting"),
};

export class Diagram {
  constructor(root) {
    this.root = root;
    this.masters = root.querySelector("#masters");
    this.workers = root.querySelector("#workers");
    this.tray = root.querySelector("#tray");
    this.services = root.querySelector("#services");
    this.quorum = root.querySelector("#quorum");
    this.volumes = root.querySelector("#volumes");
    this.podEls = new Map(); // "ns/name" -> element
    this.svcEls = new Map();
    this.chipEls = new Map(); // "machine/kind" -> element
    this.links = []; // [fromEl, toEl, cls]
    this.ingEls = new Map();
    this.setTrace(null);
  }

  // The path of one request (send traffic), drawn from the next render on: each
  // element it went through is marked, the one where it failed in red.
  setTrace(trace, client = null) {
    this.marks = new Map(); // "pod:ns/name", "svc:…", "ing:…", "node:…", "chip:node/kind", "you"
    this.stops = []; // the same keys in the order the request met them
    this.traceFresh = Boolean(trace);
    this.traceChanged = true;
    if (!trace) return;
    const mark = (key, cls) => {
      if (!this.stops.includes(key)) this.stops.push(key);
      const before = this.marks.get(key);
      // A failure shows over anything; the client stays the client when it answers too.
      if (before !== "hop-fail" && !(before === "hop-src" && cls === "hop")) this.marks.set(key, cls);
    };
    if (client && client.pod) mark(`pod:${client.pod}`, "hop-src");
    else mark("you", "hop-src");
    for (const hop of trace.hops) {
      const cls = hop.ok ? "hop" : "hop-fail";
      if (hop.step === "ingress" && hop.ingress) mark(`ing:${hop.ingress}`, cls);
      else if (hop.step === "service" && hop.service) mark(`svc:${hop.service}`, cls);
      else if (hop.step === "kube-proxy" && hop.node) mark(`chip:${hop.node}/kube-proxy`, cls);
      else if ((hop.step === "node" || hop.step === "load-balancer") && hop.node) mark(`node:${hop.node}`, cls);
      else if (hop.pod) mark(`pod:${hop.namespace}/${hop.pod}`, cls);
    }
  }

  hopClass(key) {
    const cls = this.marks.get(key);
    return cls ? ` ${cls}` : "";
  }

  // The elements of the request's path, in order, for the line drawn through them.
  traceStops() {
    const find = (key) => {
      const [type, rest] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      if (key === "you") return document.getElementById("actor-you");
      if (type === "pod") return this.podEls.get(rest);
      if (type === "svc") return this.svcEls.get(rest);
      if (type === "ing") return this.ingEls.get(rest);
      if (type === "chip") return this.chipEls.get(rest);
      if (type === "node") return (this.workers._kl && this.workers._kl.get(rest)) || (this.masters._kl && this.masters._kl.get(rest));
      return null;
    };
    return this.stops.map((key) => ({ el: find(key), fail: this.marks.get(key) === "hop-fail" })).filter((s) => s.el);
  }

  // Update the diagram to `model`. Elements are kept by key and an unchanged object's
  // element is not touched; `moved` says whether any element came, went or moved, so
  // the lines over the diagram need drawing again.
  render(model, machines) {
    this.podEls.clear();
    this.chipEls.clear();
    this.moved = false;
    const compact = this.root.classList.contains("collapsed");
    this.compact = compact;
    const masters = machines.filter((m) => m.role === "control-plane");
    const workers = machines.filter((m) => m.role !== "control-plane");
    // Nodes without a machine (registered by hand) still show, as bare machines.
    const known = new Set(machines.map((m) => m.name));
    for (const name of model.nodes.keys()) {
      if (!known.has(name)) workers.push({ name, role: "worker", powered: true, components: [], bare: true });
    }
    for (const [list, el] of [[masters, this.masters], [workers, this.workers]]) {
      this.moved = reconcile(el, list, (m) => m.name, (m) => this.createMachine(m), (el2, m) => this.updateMachine(el2, m, model, compact)) || this.moved;
    }
    this.renderQuorum(masters);
    this.moved = reconcile(this.tray, model.unscheduled, podKey, (p) => this.createPod(p), (el, p) => this.updatePod(el, p, compact)) || this.moved;
    if (!model.unscheduled.length) setAttr(this.tray, "data-empty", gettext("No pod is waiting for a node."));
    else this.tray.removeAttribute("data-empty");
    this.renderServices(model);
    this.renderVolumes(model);
  }

  createMachine(m) {
    const name = h("span", { class: "mname" });
    const state = h("span", { class: "mstate" });
    const res = h("span", { class: "mres" });
    const head = h("header", {}, name, state, res);
    const chips = h("div", { class: "chips", role: "group" });
    const pods = h("div", { class: "pods", role: "list" });
    const el = h("article", { class: "machine", tabindex: "0", "data-target": "machine", "data-machine": m.name }, head, chips, pods);
    el._parts = { name, state, res, chips, pods };
    return el;
  }

  updateMachine(el, m, model, compact) {
    const node = model.nodes.get(m.name);
    const ns = nodeState(node);
    const pods = model.podsByNode.get(m.name) || [];
    let stateText;
    if (!m.powered) stateText = gettext("powered off");
    else if (!node) stateText = gettext("not registered");
    else if (ns.ready === true) stateText = gettext("Ready");
    else if (ns.ready === false) stateText = gettext("NotReady");
    else stateText = gettext("Unknown");
    if (ns.cordoned) stateText += " · " + gettext("SchedulingDisabled");
    const cls = ["machine", m.role === "control-plane" ? "master" : "worker"];
    if (!m.powered) cls.push("off");
    if (node && ns.ready === false) cls.push("notready");
    if (ns.cordoned) cls.push("cordoned");
    setClass(el, cls.join(" ") + this.hopClass(`node:${m.name}`));
    const p = el._parts;
    setText(p.name, m.name);
    setText(p.state, stateText);
    setText(p.res, m.bare ? "" : `${m.cpu} CPU · ${m.memory}`);
    setAttr(el, "aria-label", fmt(gettext("Machine %(name)s, %(role)s, %(state)s, %(count)s pods"), { name: m.name, role: m.role, state: stateText, count: pods.length }));
    setAttr(p.chips, "aria-label", fmt(gettext("Components of %(name)s"), { name: m.name }));
    const comps = [...m.components].sort((a, b) => COMPONENT_ORDER.indexOf(a.kind) - COMPONENT_ORDER.indexOf(b.kind));
    this.moved = reconcile(p.chips, comps, (c) => c.kind, (c) => this.createChip(m, c), (chip, c) => this.updateChip(chip, m, c)) || this.moved;
    for (const c of comps) this.chipEls.set(`${m.name}/${c.kind}`, p.chips._kl.get(c.kind));
    this.moved = reconcile(p.pods, pods, podKey, (pod) => this.createPod(pod), (podEl, pod) => this.updatePod(podEl, pod, compact)) || this.moved;
  }

  createChip(m, c) {
    const label = h("span", { class: "clabel" });
    const mark = h("span", { class: "leader-mark", "aria-hidden": "true" });
    const el = h("button", { class: "chip", type: "button", "data-target": "component", "data-machine": m.name, "data-component": c.kind }, label, mark);
    el._parts = { label, mark };
    return el;
  }

  updateChip(el, m, c) {
    const state = m.powered ? c.state : "stopped";
    setClass(el, `chip c-${c.kind} s-${state}${c.leader ? " leader" : ""}${this.hopClass(`chip:${m.name}/${c.kind}`)}`);
    setText(el._parts.label, COMPONENT_LABELS[c.kind] || c.kind);
    setText(el._parts.mark, c.leader ? "★" : "");
    const stateText = gettext(STATE_TEXT[state] || state);
    setAttr(el, "aria-label", fmt(gettext("%(component)s on %(machine)s: %(state)s%(leader)s"), { component: c.kind, machine: m.name, state: stateText, leader: c.leader ? ", " + gettext("leader") : "" }));
    setAttr(el, "title", `${c.kind}: ${stateText}${c.leader ? " ★ " + gettext("leader") : ""}`);
  }

  createPod(pod) {
    const name = h("span", { class: "pname" });
    const badge = h("span", { class: "restarts" });
    const el = h("button", { class: "pod", type: "button", role: "listitem", "data-target": "pod" }, name, badge);
    el._parts = { name, badge };
    return el;
  }

  updatePod(el, pod, compact) {
    const meta = pod.metadata;
    const key = `${meta.namespace}/${meta.name}`;
    this.podEls.set(key, el);
    const mark = this.hopClass(`pod:${key}`);
    // The stream replaces an object when it changes: the same object draws the same.
    if (el._pod === pod && el._mark === mark && el._compact === compact) return;
    el._pod = pod;
    el._mark = mark;
    el._compact = compact;
    const st = podState(pod);
    const n = restarts(pod);
    setClass(el, `pod st-${st.cls}${mark}`);
    setAttr(el, "data-ns", meta.namespace);
    setAttr(el, "data-name", meta.name);
    setText(el._parts.name, compact ? "" : meta.name);
    setText(el._parts.badge, n ? `↻${n}` : "");
    const label = fmt(gettext("Pod %(name)s in %(namespace)s: %(state)s"), { name: meta.name, namespace: meta.namespace, state: st.text }) + (n ? ", " + fmt(gettext("%(count)s restarts"), { count: n }) : "");
    setAttr(el, "aria-label", label);
    setAttr(el, "title", label);
  }

  renderQuorum(masters) {
    let members = 0;
    let up = 0;
    for (const m of masters) {
      for (const c of m.components) {
        if (c.kind !== "etcd") continue;
        members += 1;
        if (m.powered && c.state === "running") up += 1;
      }
    }
    const need = Math.floor(members / 2) + 1;
    const ok = members > 0 && up >= need;
    setClass(this.quorum, `quorum ${ok ? "ok" : "lost"}`);
    setText(this.quorum, `etcd ${up}/${members} · ` + (ok ? fmt(gettext("quorum %(need)s ✓"), { need }) : fmt(gettext("quorum lost (needs %(need)s)"), { need })));
  }

  renderServices(model) {
    const items = [
      ...model.ingresses.map((o) => ({ kind: "Ingress", obj: o })),
      ...model.services.map((o) => ({ kind: "Service", obj: o })),
    ];
    this.svcEls.clear();
    this.ingEls.clear();
    this.links = [];
    this.moved = reconcile(
      this.services,
      items,
      (i) => `${i.kind}/${i.obj.metadata.namespace}/${i.obj.metadata.name}`,
      (i) => {
        const name = h("span", { class: "sname" });
        const address = h("span", { class: "saddr" });
        const info = h("span", { class: "sinfo" });
        const el = h("button", { type: "button", "data-target": i.kind === "Ingress" ? "ingress" : "service" }, name, h("span", { class: "sline" }, address, info));
        el._parts = { name, address, info };
        return el;
      },
      (el, i) => {
        const meta = i.obj.metadata;
        const spec = i.obj.spec || {};
        let info;
        let address = "";
        if (i.kind === "Service") {
          const pods = servicePods(model, i.obj);
          address = `${spec.type || "ClusterIP"} ${spec.clusterIP || ""} · `;
          const count = endpointCount(model, i.obj);
          info = fmt(ngettext("%(count)s endpoint", "%(count)s endpoints", count), { count });
          this.svcEls.set(`${meta.namespace}/${meta.name}`, el);
          // Collapsed, a line per pod would hide the diagram: the path of a request
          // (send traffic) still shows which pod a service chose.
          if (!this.compact) for (const pod of pods) this.links.push([el, () => this.podEls.get(pod), "svc-link"]);
        } else {
          const hosts = (spec.rules || []).map((r) => r.host).filter(Boolean);
          info = hosts.join(", ") || "*";
          this.ingEls.set(`${meta.namespace}/${meta.name}`, el);
          for (const svc of ingressServices(i.obj)) this.links.push([el, () => this.svcEls.get(svc), "ing-link"]);
        }
        const mark = this.hopClass(`${i.kind === "Ingress" ? "ing" : "svc"}:${meta.namespace}/${meta.name}`);
        setClass(el, (i.kind === "Ingress" ? "svc ingress" : `svc${spec.type === "NodePort" || spec.type === "LoadBalancer" ? " external" : ""}`) + mark);
        setAttr(el, "data-ns", meta.namespace);
        setAttr(el, "data-name", meta.name);
        setText(el._parts.name, `${i.kind === "Ingress" ? "ing" : "svc"}/${meta.name}`);
        setText(el._parts.address, address);
        setText(el._parts.info, info);
        setAttr(el, "aria-label", `${i.kind} ${meta.name} (${meta.namespace}): ${address}${info}`);
      },
    ) || this.moved;
  }

  renderVolumes(model) {
    const items = [...model.pvcs.map((o) => ({ kind: "PersistentVolumeClaim", obj: o })), ...model.pvs.map((o) => ({ kind: "PersistentVolume", obj: o }))];
    this.moved = reconcile(
      this.volumes,
      items,
      (i) => `${i.kind}/${i.obj.metadata.namespace || ""}/${i.obj.metadata.name}`,
      (i) => h("button", { type: "button", class: "vol", "data-target": i.kind === "PersistentVolume" ? "persistentvolume" : "persistentvolumeclaim" }),
      (el, i) => {
        const meta = i.obj.metadata;
        const phase = (i.obj.status || {}).phase || "";
        const short = i.kind === "PersistentVolume" ? "pv" : "pvc";
        setText(el, `${short}/${meta.name} · ${phase}`);
        setAttr(el, "data-ns", meta.namespace || "");
        setAttr(el, "data-name", meta.name);
        setAttr(el, "aria-label", `${i.kind} ${meta.name}: ${phase}`);
      },
    ) || this.moved;
  }
}

function podKey(pod) {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
