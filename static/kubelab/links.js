// Lines from services to their pods, and the pulses that show API calls travelling
// (caller → api-server → etcd for writes). Coordinates are in canvas space, so they
// hold at any zoom.

const SVG = "http://www.w3.org/2000/svg";
const MAX_LINES = 400;
const MAX_PULSES = 24;
const WRITES = /^(create|update|patch|delete|apply|deletecollection)/;

export class Links {
  constructor(canvas, svg, diagram) {
    this.canvas = canvas;
    this.svg = svg;
    this.diagram = diagram;
    this.scale = 1;
    this.active = 0;
  }

  center(el) {
    const c = this.canvas.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return [(r.left + r.width / 2 - c.left) / this.scale, (r.top + r.height / 2 - c.top) / this.scale];
  }

  draw() {
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
