// The event timeline: the newest Kubernetes Events first.

import { h, reconcile, setClass, setText } from "./dom.js";

const SHOWN = 80;

export function renderTimeline(list, model) {
  const events = model.events.slice(0, SHOWN);
  reconcile(
    list,
    events,
    (e) => `${e.metadata.namespace}/${e.metadata.name}`,
    () => {
      const time = h("time");
      const reason = h("strong");
      const object = h("span", { class: "obj" });
      const message = h("span", { class: "msg" });
      const el = h("li", {}, time, " ", reason, " ", object, " ", message);
      el._parts = { time, reason, object, message };
      return el;
    },
    (el, e) => {
      const p = el._parts;
      const when = model.eventTime(e);
      const involved = e.involvedObject || e.regarding || {};
      setClass(el, e.type === "Warning" ? "warning" : "normal");
      setText(p.time, when ? when.slice(11, 19) : "");
      setText(p.reason, e.reason || "");
      setText(p.object, `${(involved.kind || "").toLowerCase()}/${involved.name || ""}`);
      setText(p.message, (e.message || e.note || "") + (e.count > 1 ? ` (×${e.count})` : ""));
    },
  );
}
