// The instructor's wall: one row per student with their current lab, steps done, time
// spent and cluster health. A WebSocket nudges it when a student's progress changes
// and it re-reads the wall API; a poll covers health, and a socket that is down.

import { fmt, gettext, h } from "./dom.js";
import { Throttle } from "./throttle.js";

const MIN_REFRESH_INTERVAL_MS = 250;
const POLL_LIVE_MS = 15000; // nudged on progress: the poll only refreshes health
const POLL_OFFLINE_MS = 3000;
const STATUS = {
  connecting: "connecting…",
  live: "live",
  offline: "offline, reconnecting…",
};

// "42 s", "12 min", "1 h 5 min": an instructor glances, seconds stop mattering soon.
export function timeSpent(seconds) {
  if (seconds < 60) return fmt(gettext("%(s)s s"), { s: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return fmt(gettext("%(m)s min"), { m: minutes });
  return fmt(gettext("%(h)s h %(m)s min"), { h: Math.floor(minutes / 60), m: minutes % 60 });
}

function row(student) {
  const cur = student.current;
  const none = (column) => h("td", { class: `${column} muted`, text: "—" });
  const cells = [h("td", { class: "student", text: student.username })];
  if (cur) {
    cells.push(
      h("td", { class: "lab", "data-lab": cur.lab, text: cur.title }),
      h(
        "td",
        { class: "steps", "data-done": cur.steps_done, "data-total": cur.steps_total },
        h("progress", { max: cur.steps_total, value: cur.steps_done }),
        ` ${cur.steps_done}/${cur.steps_total}`,
      ),
      h("td", { class: "time", "data-seconds": cur.seconds_spent, text: timeSpent(cur.seconds_spent) }),
    );
  } else {
    cells.push(none("lab"), none("steps"), none("time"));
  }
  const cluster = student.cluster;
  cells.push(
    cluster
      ? h(
          "td",
          { class: cluster.healthy ? "health ok" : "health error" },
          h("a", {
            href: `/clusters/${encodeURIComponent(cluster.slug)}/`,
            text: cluster.healthy ? gettext("healthy") : cluster.problems.join(", "),
          }),
        )
      : none("health"),
  );
  return h("tr", { "data-user": student.username }, cells);
}

class Wall {
  constructor(root) {
    this.root = root;
    this.tbody = root.querySelector("tbody");
    this.empty = root.querySelector(".empty");
    this.live = false;
    this.retry = 500;
    this.poll = null;
    this.refreshes = 0;
    this.throttle = new Throttle(() => this.refresh(), MIN_REFRESH_INTERVAL_MS);
  }

  start() {
    this.throttle.request();
    this.connect();
    this.schedulePoll();
  }

  // Tests raise the poll interval to prove that updates arrive by push.
  schedulePoll() {
    clearTimeout(this.poll);
    const ms = window.KUBELAB_WALL_POLL_MS || (this.live ? POLL_LIVE_MS : POLL_OFFLINE_MS);
    this.poll = setTimeout(() => {
      this.throttle.request();
      this.schedulePoll();
    }, ms);
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.root.dataset.socket}`);
    this.status("connecting");
    ws.onopen = () => {
      this.retry = 500;
      this.setLive(true);
      this.throttle.request(); // catch up on what happened while disconnected
    };
    ws.onmessage = () => this.throttle.request();
    ws.onclose = () => {
      this.setLive(false);
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    };
  }

  setLive(live) {
    const changed = live !== this.live;
    this.live = live;
    this.status(live ? "live" : "offline");
    if (changed) this.schedulePoll(); // a failed reconnect keeps the running poll
  }

  status(s) {
    const el = document.getElementById("wall-conn");
    el.textContent = gettext(STATUS[s]);
    el.className = `conn ${s}`;
  }

  async refresh() {
    const r = await fetch(this.root.dataset.url, { credentials: "same-origin" });
    if (!r.ok) return;
    const body = await r.json();
    this.tbody.replaceChildren(...body.students.map(row));
    this.empty.hidden = body.students.length > 0;
    this.refreshes += 1;
    this.root.dataset.refreshes = String(this.refreshes);
  }
}

const root = document.querySelector(".wall");
if (root) {
  window.kubelabWall = new Wall(root);
  window.kubelabWall.start();
}
