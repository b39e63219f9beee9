// The inspector: what the clicked thing is, its YAML, events, conditions, owners and,
// for a pod, the scheduler's verdict on every node. Actions go through the REST API.

import { q } from "./api.js";
import { fmt, h, gettext } from "./dom.js";

export const COMPONENT_HELP = {
  "kube-apiserver": () => gettext("The front door of the cluster: every client, controller and kubelet reads and writes objects through it. It checks who you are, validates the object, and stores it in etcd."),
  etcd: () => gettext("The cluster's database: every object is a key under /registry. With several members it needs a majority (quorum) to accept writes."),
  "kube-scheduler": () => gettext("Watches for pods without a node and picks one for each: filters rule nodes out, scores rank the rest. If it is stopped, new pods stay Pending."),
  "kube-controller-manager": () => gettext("Runs the control loops that make the cluster match what you asked for: ReplicaSets create pods, the node controller evicts pods from dead nodes. If it is stopped, nothing is repaired."),
  "cloud-controller-manager": () => gettext("Talks to the cloud provider: it removes Nodes whose machines are gone and gives LoadBalancer services an address."),
  kubelet: () => gettext("The node agent: it registers the node, starts the containers of the pods bound to it and reports their status. If it stops, the node goes NotReady and its pods are evicted later."),
  "kube-proxy": () => gettext("Programs the node's service routing, so traffic to a Service's IP reaches one of its ready pods."),
  "container-runtime": () => gettext("Pulls images and runs containers for the kubelet (containerd on real nodes)."),
};

const RESOURCE = {
  pod: "pods",
  node: "nodes",
  service: "services",
  ingress: "ingresses",
  persistentvolume: "persistentvolumes",
  persistentvolumeclaim: "persistentvolumeclaims",
};

export class Inspector {
  constructor(root, api, app) {
    this.root = root;
    this.api = api;
    this.app = app;
    this.current = null;
  }

  show(...children) {
    this.root.replaceChildren(...children);
    this.app.showTab("inspector");
  }

  error(err) {
    return h("p", { class: "error", role: "alert" }, err.message || String(err));
  }

  button(label, action, cls = "") {
    return h("button", {
      type: "button",
      class: cls,
      disabled: !this.app.writable,
      onclick: async (event) => {
        const btn = event.currentTarget;
        btn.disabled = true;
        try {
          await action();
          this.app.toast(gettext("Done."));
        } catch (err) {
          this.app.toast(err.message, true);
        } finally {
          btn.disabled = false;
          this.refresh();
        }
      },
    }, label);
  }

  refresh() {
    if (this.current) this.open(this.current, true);
  }

  async open(target, quiet = false) {
    this.current = target;
    if (target.kind === "component") return this.component(target);
    if (target.kind === "machine") return this.machine(target);
    return this.object(RESOURCE[target.kind] || target.kind, target.namespace, target.name, quiet);
  }

  component({ machine, component }) {
    const m = this.app.stream.machines.find((x) => x.name === machine);
    const c = m && m.components.find((x) => x.kind === component);
    if (!c) return this.show(h("p", { class: "muted" }, gettext("This component is gone.")));
    const path = `machines/${encodeURIComponent(machine)}/components/${encodeURIComponent(component)}/`;
    this.show(
      h("h3", {}, component, " ", h("small", {}, fmt(gettext("on %(machine)s"), { machine }))),
      h("p", {}, (COMPONENT_HELP[component] || (() => ""))()),
      h("p", {}, h("span", { class: `state s-${m.powered ? c.state : "stopped"}` }, gettext(m.powered ? c.state : "powered off")), c.leader ? h("span", { class: "badge" }, "★ " + gettext("leader")) : null),
      h("div", { class: "row" },
        this.button(gettext("Stop"), () => this.api.post(path + "stop/")),
        this.button(gettext("Start"), () => this.api.post(path + "start/")),
        this.button(gettext("Crash"), () => this.api.post(path + "crash/"), "danger"),
      ),
    );
  }

  async machine({ machine }) {
    const m = this.app.stream.machines.find((x) => x.name === machine);
    if (!m) return this.show(h("p", { class: "muted" }, gettext("This machine is gone.")));
    const base = `machines/${encodeURIComponent(machine)}/`;
    const nodePath = `nodes/${encodeURIComponent(machine)}/`;
    const parts = [
      h("h3", {}, machine, " ", h("small", {}, m.role)),
      h("p", {}, `${m.cpu} CPU · ${m.memory} · `, m.powered ? gettext("powered on") : gettext("powered off")),
      h("div", { class: "row" },
        m.powered
          ? this.button(gettext("Power off"), () => this.api.post(base + "power/", { on: false }), "danger")
          : this.button(gettext("Power on"), () => this.api.post(base + "power/", { on: true })),
        this.button(gettext("Cordon"), () => this.api.post(nodePath + "cordon/")),
        this.button(gettext("Uncordon"), () => this.api.post(nodePath + "uncordon/")),
        this.button(gettext("Drain"), () => this.api.post(nodePath + "drain/")),
        this.button(gettext("Remove machine"), async () => {
          if (confirm(fmt(gettext("Remove machine %(name)s?"), { name: machine }))) await this.api.del(base);
        }, "danger"),
      ),
    ];
    let detail;
    try {
      detail = await this.api.get(`objects/nodes/${encodeURIComponent(machine)}/`);
    } catch {
      detail = null;
    }
    if (detail) parts.push(...this.objectParts("nodes", detail));
    else parts.push(h("p", { class: "muted" }, gettext("No Node object: the kubelet has not registered this machine.")));
    this.show(...parts);
  }

  async object(resource, namespace, name, quiet) {
    if (!quiet) this.show(h("p", { class: "muted" }, gettext("Loading…")));
    let detail;
    try {
      detail = await this.api.get(`objects/${resource}/${encodeURIComponent(name)}/?${q({ namespace: namespace || "" })}`);
    } catch (err) {
      return this.show(h("h3", {}, `${resource}/${name}`), this.error(err));
    }
    const obj = detail.object;
    const actions = h("div", { class: "row" });
    const path = `objects/${resource}/${encodeURIComponent(name)}/`;
    const nsq = `?${q({ namespace: namespace || "" })}`;
    if (["deployments", "replicasets", "statefulsets"].includes(resource)) {
      const input = h("input", { type: "number", min: "0", max: "1000", value: (obj.spec || {}).replicas ?? 1, "aria-label": gettext("Replicas"), class: "replicas" });
      actions.append(input, this.button(gettext("Scale"), () => this.api.post(path + "scale/" + nsq, { replicas: Number(input.value) })));
    }
    if (resource === "services" || resource === "ingresses") {
      const kind = resource === "services" ? "Service" : "Ingress";
      actions.append(h("button", { type: "button", class: "send-traffic", onclick: () => this.app.traffic.choose(kind, namespace || "default", name) }, gettext("Send traffic")));
    }
    if (resource !== "nodes") {
      actions.append(this.button(gettext("Delete"), () => this.api.del(path + nsq), "danger"));
    }
    this.show(h("h3", {}, `${obj.kind} `, h("span", { class: "mono" }, name), namespace ? h("small", {}, ` (${namespace})`) : null), actions, ...this.objectParts(resource, detail));
  }

  objectParts(resource, detail) {
    const obj = detail.object;
    const parts = [];
    if (detail.owners && detail.owners.length) {
      const chain = h("p", { class: "owners" }, gettext("Owned by") + ": ");
      for (const o of detail.owners) {
        const res = `${o.kind.toLowerCase()}s`;
        chain.append(h("a", { href: "#", onclick: (e) => { e.preventDefault(); this.open({ kind: res, namespace: obj.metadata.namespace, name: o.name }); } }, `${o.kind}/${o.name}`), " ");
      }
      parts.push(chain);
    }
    const conditions = (obj.status || {}).conditions || [];
    if (conditions.length) {
      parts.push(h("h4", {}, gettext("Conditions")), h("table", { class: "small" },
        h("tr", {}, h("th", {}, gettext("Type")), h("th", {}, gettext("Status")), h("th", {}, gettext("Reason"))),
        ...conditions.map((c) => h("tr", { class: c.status === "True" ? "" : "warn" }, h("td", {}, c.type), h("td", {}, c.status), h("td", {}, c.reason || c.message || "")))));
    }
    if (detail.scheduling) parts.push(...this.scheduling(detail.scheduling));
    parts.push(h("h4", {}, gettext("Events")));
    if (detail.events.length) {
      parts.push(h("ul", { class: "plain events" }, ...detail.events.map((e) => h("li", { class: e.type === "Warning" ? "warning" : "" }, h("strong", {}, e.reason || ""), " ", e.message || "", e.count > 1 ? ` (×${e.count})` : ""))));
    } else {
      parts.push(h("p", { class: "muted" }, gettext("No events.")));
    }
    parts.push(h("h4", {}, "YAML"), h("pre", { class: "yaml" }, detail.yaml));
    return parts;
  }

  scheduling(s) {
    const nodes = Object.entries(s.nodes || {});
    const plugins = [...new Set(nodes.flatMap(([, row]) => Object.keys(row.filter || {})))];
    const scorePlugins = [...new Set(nodes.flatMap(([, row]) => Object.keys(row.scores || {})))];
    const table = h("table", { class: "small sched" },
      h("tr", {}, h("th", {}, gettext("Node")), ...plugins.map((p) => h("th", { title: p }, p.replace(/^Node/, ""))), h("th", {}, gettext("Score"))));
    for (const [node, row] of nodes) {
      const total = scorePlugins.reduce((n, p) => n + (((row.scores || {})[p] || {}).weighted || 0), 0);
      table.append(h("tr", {}, h("td", { class: "mono" }, node,  node === s.node ? " ✓" : ""),
        ...plugins.map((p) => {
          const v = (row.filter || {})[p];
          const pass = v === "Passed";
          return h("td", { class: pass ? "pass" : v === "NotRun" ? "muted" : "fail", title: Array.isArray(v) ? v.join(", ") : v }, pass ? "✓" : v === "NotRun" ? "–" : Array.isArray(v) ? v.join(", ") : String(v));
        }),
        h("td", {}, row.scores ? String(total) : "–")));
    }
    return [h("h4", {}, gettext("Scheduler's verdict")), h("p", {}, s.message || s.result || ""), table];
  }
}
