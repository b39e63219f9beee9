// Send traffic: pick a Service or an Ingress, where the request comes from (a pod, a
// node's NodePort, the load balancer), send 1 to 100 requests, and follow one of them
// hop by hop in the panel and on the diagram.

import { fmt, gettext, gettext_noop, h, setAttr } from "./dom.js";

export const HOP_LABELS = {
  dns: gettext_noop("DNS"),
  service: gettext_noop("Service address"),
  "load-balancer": gettext_noop("Load balancer"),
  node: gettext_noop("Node"),
  "kube-proxy": gettext_noop("kube-proxy rules"),
  ingress: gettext_noop("Ingress controller"),
  endpoint: gettext_noop("Endpoint"),
  "network-policy": gettext_noop("NetworkPolicy"),
  network: gettext_noop("Network"),
  container: gettext_noop("Pod"),
};
const VIA_LABELS = {
  pod: gettext_noop("a pod in the cluster (curl to its DNS name)"),
  node: gettext_noop("outside, through a node's NodePort"),
  "load-balancer": gettext_noop("outside, through the load balancer"),
};

function serviceType(svc) {
  return (svc.spec || {}).type || "ClusterIP";
}

function hasExternalIp(svc) {
  return (((svc.status || {}).loadBalancer || {}).ingress || []).some((i) => i.ip);
}

// How a request can reach a target: every service from a pod; NodePort and
// LoadBalancer services also from outside.
export function viasFor(target) {
  if (!target || target.kind !== "Service") return [];
  const type = serviceType(target.obj);
  const vias = [];
  if (type === "LoadBalancer" && hasExternalIp(target.obj)) vias.push("load-balancer");
  if (type === "NodePort" || type === "LoadBalancer") vias.push("node");
  vias.push("pod");
  return vias;
}

function firstHost(ing) {
  for (const rule of (ing.spec || {}).rules || []) {
    if (rule.host) return rule.host.startsWith("*.") ? "www" + rule.host.slice(1) : rule.host;
  }
  return "";
}

function firstPath(ing) {
  for (const rule of (ing.spec || {}).rules || []) {
    for (const p of (rule.http || {}).paths || []) if (p.path) return p.path;
  }
  return "/";
}

const keyOf = (kind, obj) => `${kind}/${obj.metadata.namespace}/${obj.metadata.name}`;

export class TrafficPanel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.targets = new Map(); // "Kind/ns/name" -> {kind, obj}
    this.result = null;
    this.shown = 0; // which request's path is shown
    this.build();
  }

  build() {
    const field = (label, control) => h("label", { class: "field" }, h("span", {}, label), control);
    this.target = h("select", { id: "traffic-target", onchange: () => this.targetChanged() });
    this.via = h("select", { id: "traffic-via", onchange: () => this.syncFields() });
    this.source = h("select", { id: "traffic-source" });
    this.node = h("select", { id: "traffic-node" });
    this.host = h("input", { id: "traffic-host", maxlength: "253", spellcheck: "false" });
    this.path = h("input", { id: "traffic-path", value: "/", maxlength: "2048", spellcheck: "false" });
    this.count = h("input", { id: "traffic-count", type: "number", min: "1", max: "100", value: "1" });
    this.send = h("button", { id: "traffic-send", type: "button", class: "primary", disabled: !this.app.writable, onclick: () => this.submit() }, gettext("Send"));
    this.clear = h("button", { id: "traffic-clear", type: "button", onclick: () => this.show(null) }, gettext("Clear"));
    this.fields = {
      via: field(gettext("From"), this.via),
      source: field(gettext("Client pod"), this.source),
      node: field(gettext("Entry node"), this.node),
      host: field(gettext("Host"), this.host),
    };
    this.empty = h("p", { class: "muted" }, gettext("No service or ingress yet: apply one first."));
    this.out = h("div", { id: "traffic-result", role: "status", "aria-live": "polite" });
    this.root.replaceChildren(
      h("p", { class: "muted" }, gettext("Send requests to a Service or an Ingress and follow the path each one takes.")),
      this.empty,
      h("div", { class: "traffic-form" },
        field(gettext("Send to"), this.target),
        this.fields.via, this.fields.source, this.fields.node, this.fields.host,
        field(gettext("Path"), this.path),
        field(gettext("Requests"), this.count),
      ),
      h("div", { class: "row" }, this.send, this.clear),
      this.out,
    );
    this.syncFields();
  }

  // Keep the choices in step with the cluster (called after every paint).
  update(model) {
    this.model = model;
    const targets = new Map();
    for (const ing of model.ingresses) targets.set(keyOf("Ingress", ing), { kind: "Ingress", obj: ing });
    for (const svc of model.services) targets.set(keyOf("Service", svc), { kind: "Service", obj: svc });
    const before = this.target.value;
    const same = targets.size === this.targets.size && [...targets.keys()].every((k) => this.targets.has(k));
    this.targets = targets;
    this.empty.hidden = targets.size > 0;
    if (!same) {
      this.target.replaceChildren(...[...targets].map(([key, t]) => h("option", { value: key }, `${t.kind === "Ingress" ? "ing" : "svc"}/${t.obj.metadata.name} (${t.obj.metadata.namespace}) · ${t.kind === "Ingress" ? "Ingress" : serviceType(t.obj)}`)));
      if (targets.has(before)) this.target.value = before;
      else this.targetChanged();
    }
    this.fillSelect(this.node, [...model.nodes.keys()].sort(), (n) => n);
    const pods = [...model.pods.values()].filter((p) => (p.status || {}).phase === "Running" && (p.status || {}).podIP && !p.metadata.deletionTimestamp);
    this.fillSelect(this.source, ["", ...pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()], (v) => v || gettext("(any running pod)"));
    this.syncFields(false);
  }

  fillSelect(select, values, label) {
    const now = [...select.options].map((o) => o.value);
    if (now.length === values.length && now.every((v, i) => v === values[i])) return;
    const before = select.value;
    select.replaceChildren(...values.map((v) => h("option", { value: v }, label(v))));
    if (values.includes(before)) select.value = before;
  }

  // Open the panel on one target (the inspector's "Send traffic" button).
  choose(kind, namespace, name) {
    if (this.app.model) this.update(this.app.model);
    const key = `${kind}/${namespace}/${name}`;
    if (this.targets.has(key)) {
      this.target.value = key;
      this.targetChanged();
    }
    this.app.showTab("traffic");
  }

  selected() {
    return this.targets.get(this.target.value);
  }

  targetChanged() {
    const t = this.selected();
    if (t && t.kind === "Ingress") {
      this.host.value = firstHost(t.obj);
      this.path.value = firstPath(t.obj);
    }
    this.syncFields(true);
  }

  syncFields(resetVia = false) {
    const t = this.selected();
    const vias = viasFor(t);
    const current = this.via.value;
    this.fillSelect(this.via, vias, (v) => gettext(VIA_LABELS[v]));
    if (resetVia || !vias.includes(current)) this.via.value = vias[0] || "";
    const via = this.via.value;
    this.fields.via.hidden = !t || t.kind !== "Service";
    this.fields.source.hidden = !t || t.kind !== "Service" || via !== "pod";
    this.fields.node.hidden = !t || t.kind !== "Service" || via !== "node";
    this.fields.host.hidden = !t || t.kind !== "Ingress";
    this.send.disabled = !this.app.writable || !t;
  }

  body() {
    const t = this.selected();
    const meta = t.obj.metadata;
    const body = { kind: t.kind, namespace: meta.namespace, name: meta.name, path: this.path.value || "/", count: Math.max(1, Math.min(100, Number(this.count.value) || 1)) };
    if (t.kind === "Ingress") {
      if (this.host.value) body.host = this.host.value;
      return body;
    }
    body.via = this.via.value;
    if (body.via === "pod" && this.source.value) body.source = this.source.value;
    if (body.via === "node") body.node = this.node.value;
    return body;
  }

  async submit() {
    if (!this.selected()) return;
    this.send.disabled = true;
    this.out.replaceChildren(h("p", { class: "muted" }, gettext("Sending…")));
    try {
      const result = await this.app.api.post("traffic/", this.body());
      const failed = result.requests.findIndex((r) => !r.ok || (r.status || 0) >= 500);
      this.shown = failed >= 0 ? failed : 0;
      this.show(result);
    } catch (err) {
      this.show(null);
      this.out.replaceChildren(h("p", { class: "error", role: "alert" }, err.message));
    } finally {
      this.syncFields();
    }
  }

  // Show a result (or clear it) in the panel and on the diagram.
  show(result) {
    this.result = result;
    this.app.diagram.setTrace(result ? result.requests[this.shown] : null, result ? result.client : null);
    this.app.schedule();
    if (!result) {
      this.out.replaceChildren();
      return;
    }
    const requests = result.requests;
    const answered = requests.filter((r) => r.ok).length;
    const client = result.client.pod ? fmt(gettext("from pod %(pod)s"), { pod: result.client.pod }) : fmt(gettext("from %(ip)s, outside the cluster"), { ip: result.client.ip });
    const parts = [
      h("p", { class: "mono traffic-url" }, `GET ${result.url}`, h("br"), h("small", {}, client)),
      h("p", { class: "traffic-summary" }, fmt(gettext("%(ok)s of %(count)s requests answered"), { ok: answered, count: requests.length })),
    ];
    if (requests.length > 1) {
      const spread = Object.entries(result.spread).sort((a, b) => b[1] - a[1]);
      parts.push(h("ul", { class: "plain spread", "aria-label": gettext("Served by") },
        ...spread.map(([pod, n]) => h("li", { class: pod === "error" ? "error" : "" }, h("span", { class: "mono" }, pod === "error" ? gettext("failed") : pod), " ", h("span", { class: "bar", style: `width:${Math.max(4, (120 * n) / requests.length)}px` }), ` ${n}`))));
      const picker = h("select", { id: "traffic-request", "aria-label": gettext("Request to follow"), onchange: () => { this.shown = Number(picker.value); this.show(this.result); } },
        ...requests.map((r, i) => h("option", { value: String(i) }, `#${i + 1} · ${r.ok ? `${r.status} ${r.pod ? r.pod.name : ""}` : gettext("failed")}`)));
      picker.value = String(this.shown);
      parts.push(h("label", { class: "field" }, h("span", {}, gettext("Follow request")), picker));
    }
    parts.push(this.renderTrace(requests[this.shown], this.shown));
    this.out.replaceChildren(...parts);
  }

  renderTrace(trace, index) {
    const hops = trace.hops.map((hop, i) =>
      h("li", { class: `step ${hop.ok ? "ok" : "fail"}`, "data-step": hop.step },
        h("span", { class: "hop-mark", "aria-hidden": "true" }, hop.ok ? "✓" : "✗"),
        h("strong", {}, `${i + 1}. ${gettext(HOP_LABELS[hop.step] || hop.step)}`),
        h("span", { class: "sr-only" }, hop.ok ? gettext("passed") : gettext("failed here")),
        " ",
        h("span", { class: "mono hop-detail" }, hop.detail)));
    let answer;
    if (trace.ok) {
      const first = (trace.body || "").split("\n").find((line) => line.trim()) || "";
      answer = h("div", { class: `answer${trace.status >= 400 ? " error" : " ok"}` }, h("strong", {}, `HTTP ${trace.status}`), " ", h("span", { class: "mono" }, first.slice(0, 160)));
    } else {
      answer = h("div", { class: "answer error" }, h("span", {}, gettext("The client sees:")), h("pre", { class: "mono client-error" }, trace.error));
    }
    const list = h("ol", { class: "plain hops", "aria-label": fmt(gettext("Path of request %(n)s"), { n: index + 1 }) }, ...hops);
    setAttr(list, "data-request", String(index));
    return h("div", { class: "trace" }, list, answer);
  }
}
