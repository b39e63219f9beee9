// The cluster page: wires the live stream to the diagram, the inspector, the editor,
// the etcd tab and the toolbar.

import { makeApi } from "./api.js";
import { fmt, gettext, gettext_noop, h } from "./dom.js";
import { Diagram } from "./diagram.js";
import { Editor } from "./editor.js";
import { EtcdPanel } from "./etcd.js";
import { Inspector } from "./inspector.js";
import { renderLegend } from "./legend.js";
import { Links } from "./links.js";
import { buildModel } from "./model.js";
import { Stream } from "./stream.js";
import { renderTimeline } from "./timeline.js";
import { TrafficPanel } from "./traffic.js";

const STATUS = {
  connecting: gettext_noop("connecting…"),
  live: gettext_noop("live"),
  offline: gettext_noop("offline, reconnecting…"),
  forbidden: gettext_noop("no access to this cluster"),
};
const COMPACT_PODS = 400;

class App {
  constructor(root) {
    this.root = root;
    this.slug = root.dataset.slug;
    this.writable = root.dataset.writable === "1";
    this.api = makeApi(this.slug, root.dataset.csrf);
    this.canvas = document.getElementById("canvas");
    this.viewport = document.getElementById("viewport");
    this.diagram = new Diagram(this.canvas);
    this.links = new Links(this.canvas, document.getElementById("links"), this.diagram);
    this.inspector = new Inspector(document.getElementById("inspector"), this.api, this);
    this.editor = new Editor(this);
    this.etcd = new EtcdPanel(this);
    this.traffic = new TrafficPanel(document.getElementById("traffic"), this);
    renderLegend(document.getElementById("legend"));
    this.scale = 1;
    this.painted = 0;
    this.stream = new Stream(this.slug, {
      onState: () => this.schedule(),
      onCalls: (calls) => this.links.pulse(calls),
      onStatus: (s) => this.status(s),
    });
    this.wire();
    this.stream.connect();
    setInterval(() => this.tickClock(), 250);
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.paint();
    });
  }

  paint() {
    const s = this.stream;
    const model = buildModel(s.objects);
    const collapse = document.getElementById("collapse");
    const compact = collapse.checked || model.pods.size > COMPACT_PODS;
    const relaid = compact !== this.canvas.classList.contains("collapsed");
    this.canvas.classList.toggle("collapsed", compact);
    this.diagram.render(model, s.machines);
    renderTimeline(document.getElementById("timeline"), model);
    this.model = model;
    if (!document.getElementById("tab-traffic").hidden) this.traffic.update(model);
    this.links.scale = this.scale;
    this.links.draw(relaid);
    const banner = document.getElementById("banner");
    banner.hidden = !s.unavailable;
    banner.textContent = s.unavailable ? fmt(gettext("The API server cannot answer: %(why)s"), { why: s.unavailable }) : "";
    this.painted = s.rev;
    this.root.dataset.rev = s.rev ?? "";
    this.root.dataset.pods = String(model.pods.size);
  }

  status(s) {
    const el = document.getElementById("conn");
    el.textContent = gettext(STATUS[s] || s);
    el.className = `conn ${s}`;
  }

  tickClock() {
    const c = this.stream.clock;
    if (!c) return;
    const now = c.now + (Date.now() / 1000 - c.wall) * c.speed;
    document.getElementById("clock-now").textContent = new Date(now * 1000).toISOString().slice(11, 19);
    document.getElementById("clock-speed").textContent = c.speed === 0 ? gettext("paused") : `${c.speed}×`;
    for (const b of document.querySelectorAll("[data-speed]")) b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === c.speed));
  }

  toast(message, error = false) {
    const el = h("div", { class: `toast${error ? " error" : ""}`, role: error ? "alert" : "status" }, message);
    document.body.append(el);
    setTimeout(() => el.remove(), error ? 6000 : 2500);
  }

  showTab(name) {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      document.getElementById(`tab-${tab.dataset.tab}`).hidden = !on;
    }
    if (name === "etcd") this.etcd.load().catch((err) => this.toast(err.message, true));
    if (name === "traffic" && this.model) this.traffic.update(this.model);
  }

  async act(promise) {
    try {
      await promise;
    } catch (err) {
      this.toast(err.message, true);
    }
  }

  setScale(scale) {
    this.scale = Math.min(2, Math.max(0.2, scale));
    this.canvas.style.transform = `scale(${this.scale})`;
    this.links.scale = this.scale;
  }

  wire() {
    for (const b of document.querySelectorAll("[data-speed]")) {
      b.addEventListener("click", () => this.act(this.api.post("clock/", { speed: Number(b.dataset.speed) })));
    }
    document.getElementById("clock-step").addEventListener("click", () => this.act(this.api.post("clock/step/")));
    for (const b of document.querySelectorAll("[data-advance]")) {
      b.addEventListener("click", () => this.act(this.api.post("clock/advance/", { seconds: Number(b.dataset.advance) })));
    }
    for (const b of document.querySelectorAll("[data-add-machine]")) {
      b.disabled = !this.writable;
      b.addEventListener("click", () => this.act(this.api.post("machines/", { role: b.dataset.addMachine })));
    }
    for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    document.getElementById("collapse").addEventListener("change", () => this.schedule());
    document.getElementById("zoom-in").addEventListener("click", () => this.setScale(this.scale * 1.25));
    document.getElementById("zoom-out").addEventListener("click", () => this.setScale(this.scale / 1.25));
    document.getElementById("zoom-reset").addEventListener("click", () => {
      this.setScale(Math.min(1, this.viewport.clientWidth / this.canvas.scrollWidth));
      this.viewport.scrollTo(0, 0);
    });
    this.viewport.addEventListener("wheel", (e) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      this.setScale(this.scale * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    // Drag the background to pan.
    let drag = null;
    this.viewport.addEventListener("pointerdown", (e) => {
      if (e.target.closest("button, a, input, article")) return;
      drag = { x: e.clientX, y: e.clientY, left: this.viewport.scrollLeft, top: this.viewport.scrollTop };
    });
    window.addEventListener("pointermove", (e) => {
      if (!drag) return;
      this.viewport.scrollLeft = drag.left - (e.clientX - drag.x);
      this.viewport.scrollTop = drag.top - (e.clientY - drag.y);
    });
    window.addEventListener("pointerup", () => { drag = null; });
    window.addEventListener("resize", () => this.links.draw(true));
    // Click or Enter on anything in the diagram opens it in the inspector.
    this.canvas.addEventListener("click", (e) => {
      const el = e.target.closest("[data-target]");
      if (el) this.inspector.open(targetOf(el));
    });
    this.canvas.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || e.target.tagName === "BUTTON") return;
      const el = e.target.closest("[data-target]");
      if (el) this.inspector.open(targetOf(el));
    });
    document.getElementById("copy-cmd").addEventListener("click", () => {
      navigator.clipboard?.writeText(document.getElementById("kubectl-cmd").textContent).then(() => this.toast(gettext("Copied.")), () => {});
    });
  }
}

function targetOf(el) {
  const d = el.dataset;
  return { kind: d.target, machine: d.machine, component: d.component, namespace: d.ns, name: d.name || d.machine };
}

window.kubelab = new App(document.getElementById("app"));
