// Lines from services to their pods, and the pulses that show API calls travelling
// (caller → api-server → etcd for writes). Coordinates are in canvas space, so they
// hold at any zoom.

const SVG = "http://www.w3.org/2000/svg";
const MAX_LINES = 400;
const MAX_PULSES = 24;
const REDRAW_MS = 1000;
const WRITES = /^(create|update|patch|delete|apply|deletecollection)/;

export class Links {
  constructor(canvas, svg, diagram) {
    this.canvas = canvas;
    this.svg = svg;
    this.diagram = diagram;
    this.scale = 1;
    this.active = 0;
    this.drawnAt = -Infinity;
  }

  center(el) {
    const c = this.canvas.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return [(r.left + r.width / 2 - c.left) / this.scale, (r.top + r.height / 2 - c.top) / this.scale];
  }

  // Draw the lines again when elements came, went or moved (or `force`: a resize, a
  // collapse); otherwise at most once a second, for boxes that grew.
  draw(force = false) {
    const now = performance.now();
    if (!force && !this.diagram.moved && !this.diagram.traceChanged && now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    this.diagram.traceChanged = false;
    this.svg.setAttribute("width", this.canvas.scrollWidth);
    this.svg.setAttribute("height", this.canvas.scrollHeight);
    this.svg.replaceChildren();
    let count = 0;
    for (const [from, toOf, cls] of this.diagram.links) {
      const to = toOf();
      if (!to || !to.isConnected || !from.isConnected || count >= MAX_LINES) continue;
      const [x1, y1] = this.center(from);
      const [x2, y2] = this.center(to);
      const path = document.createElementNS(SVG, "path");
      const my = (y1 + y2) / 2;
      path.setAttribute("d", `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`);
      path.setAttribute("class", cls);
      this.svg.append(path);
      count += 1;
    }
    this.drawTrace();
  }

  // The path of the request being followed (send traffic): a line through each
  // element it met, red into the hop where it failed; a dot runs it once.
  drawTrace() {
    const stops = this.diagram.traceStops();
    document.getElementById("actor-you")?.classList.toggle("hop-src", this.diagram.marks.get("you") === "hop-src");
    const points = stops.map((s) => this.center(s.el));
    for (let i = 1; i < points.length; i += 1) {
      const [x1, y1] = points[i - 1];
      const [x2, y2] = points[i];
      const path = document.createElementNS(SVG, "path");
      const mx = (x1 + x2) / 2;
      path.setAttribute("d", `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
      path.setAttribute("class", stops[i].fail ? "trace-link fail" : "trace-link");
      this.svg.append(path);
    }
    if (this.diagram.traceFresh && points.length > 1) {
      this.diagram.traceFresh = false;
      if (!matchMedia("(prefers-reduced-motion: reduce)").matches) this.travel(points, stops.some((s) => s.fail));
    }
  }

  // Where a caller sits in the diagram.
  callerEl(caller) {
    const d = this.diagram;
    const [who, where] = caller.split("/");
    if (where && d.chipEls.has(`${where}/${who}`)) return d.chipEls.get(`${where}/${who}`);
    for (const [key, el] of d.chipEls) {
      if (key.endsWith(`/${who}`) && !el.classList.contains("s-stopped")) return el;
    }
    return document.getElementById("actor-you");
  }

  firstRunning(kind) {
    let fallback = null;
    for (const [key, el] of this.diagram.chipEls) {
      if (!key.endsWith(`/${kind}`)) continue;
      if (el.classList.contains("s-running")) return el;
      fallback = fallback || el;
    }
    return fallback;
  }

  pulse(calls) {
    if (document.hidden || matchMedia("(prefers-reduced-motion: reduce)").matches) return;
    const api = this.firstRunning("kube-apiserver");
    const etcd = this.firstRunning("etcd");
    if (!api) return;
    for (const call of calls.slice(-MAX_PULSES)) {
      if (this.active >= MAX_PULSES) return;
      const stops = [this.callerEl(call.caller || ""), api];
      if (WRITES.test(call.verb || "") && etcd) stops.push(etcd);
      if (call.caller && call.caller.startsWith("kubelet/") && (call.resource || "") === "pods") {
        const runtime = this.diagram.chipEls.get(`${call.caller.split("/")[1]}/container-runtime`);
        if (runtime) stops.unshift(runtime);
      }
      this.travel(stops.map((el) => this.center(el)), call.code >= 400);
    }
  }

  travel(points, failed) {
    const dot = document.createElement("div");
    dot.className = failed ? "pulse failed" : "pulse";
    this.canvas.append(dot);
    this.active += 1;
    const frames = points.map(([x, y]) => ({ transform: `translate(${x - 5}px, ${y - 5}px)` }));
    const animation = dot.animate(frames, { duration: 350 * points.length, easing: "ease-in-out" });
    animation.onfinish = () => {
      dot.remove();
      this.active -= 1;
    };
  }
}
