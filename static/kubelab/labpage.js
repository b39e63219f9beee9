// A lab page: its steps tick off by themselves. The page follows the lab cluster's
// live stream (the diagram's WebSocket) and re-runs the checks when the cluster
// changes, at most twice a second. A slow poll covers a stream that cannot connect.

import { gettext } from "./dom.js";
import { Stream } from "./stream.js";
import { Throttle } from "./throttle.js";

const MIN_CHECK_INTERVAL_MS = 500;
const FALLBACK_POLL_MS = 15000;
const STATUS = {
  connecting: "connecting…",
  live: "live",
  offline: "offline, reconnecting…",
  forbidden: "no access to this cluster",
};

class LabPage {
  constructor(root) {
    this.root = root;
    this.url = root.dataset.checkUrl;
    this.csrf = root.dataset.csrf;
    this.checks = 0;
    this.throttle = new Throttle(() => this.check(), MIN_CHECK_INTERVAL_MS);
  }

  start() {
    for (const b of document.querySelectorAll("button[data-confirm]")) {
      b.addEventListener("click", (e) => {
        if (!confirm(b.dataset.confirm)) e.preventDefault();
      });
    }
    if (!this.url) return;
    this.throttle.request();
    // Tests raise the poll interval to prove that ticks arrive by push.
    setInterval(() => this.throttle.request(), window.KUBELAB_LAB_POLL_MS || FALLBACK_POLL_MS);
    const slug = this.root.dataset.cluster;
    if (!slug) return;
    this.stream = new Stream(slug, {
      onState: () => this.throttle.request(),
      onCalls: () => {},
      onStatus: (s) => this.status(s),
    });
    this.stream.connect();
  }

  status(s) {
    const el = document.getElementById("lab-conn");
    if (!el) return;
    el.textContent = gettext(STATUS[s] || s);
    el.className = `conn ${s}`;
  }

  async check() {
    const r = await fetch(this.url, {
      method: "POST",
      headers: { "X-CSRFToken": this.csrf },
      credentials: "same-origin",
    });
    if (!r.ok) return;
    const body = await r.json();
    this.checks += 1;
    this.root.dataset.checks = String(this.checks);
    const done = this.root.dataset.doneText;
    const notDone = this.root.dataset.notDoneText;
    for (const c of body.checks) {
      const li = document.getElementById(`step-${c.id}`);
      if (!li) continue;
      li.classList.toggle("done", c.done);
      li.querySelector(".tick").textContent = c.done ? "✔" : "○";
      li.querySelector(".status").textContent = c.done ? done : notDone;
      li.querySelector(".explanation").textContent = c.done ? "" : c.explanation;
    }
  }
}

const root = document.querySelector(".lab");
if (root) {
  window.kubelabLab = new LabPage(root);
  window.kubelabLab.start();
}
