// The legend: what each colour and mark means.

import { h, gettext } from "./dom.js";

export function renderLegend(root) {
  const row = (cls, label) => h("li", {}, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), " ", label);
  root.replaceChildren(
    h("h4", {}, gettext("Components")),
    h("ul", { class: "plain legend" },
      row("s-running", gettext("running")), row("s-starting", gettext("starting")), row("s-stopped", gettext("stopped or powered off")), row("s-crashed", gettext("crashed")),
      h("li", {}, "★ ", gettext("leader (holds the Lease)"))),
    h("h4", {}, gettext("Pods")),
    h("ul", { class: "plain legend" },
      row("st-ready", gettext("Running and ready")), row("st-notready", gettext("Running, not ready")), row("st-creating", gettext("Being created (image pull)")),
      row("st-unscheduled", gettext("Pending: no node yet")), row("st-failing", gettext("Failing (CrashLoopBackOff, image error)")),
      row("st-terminating", gettext("Terminating")), row("st-succeeded", gettext("Completed")),
      h("li", {}, "↻2 ", gettext("restart count"))),
    h("h4", {}, gettext("Machines")),
    h("ul", { class: "plain legend" }, row("m-notready", gettext("NotReady node")), row("m-cordoned", gettext("cordoned (SchedulingDisabled)")), row("m-off", gettext("powered off"))),
    h("h4", {}, gettext("Arrows")),
    h("p", {}, gettext("Lines join services to the pods behind them. A moving dot is an API call: caller → api-server → etcd.")),
    h("p", {}, h("span", { class: "swatch hop", "aria-hidden": "true" }), " ", gettext("The path of the request you follow in the Traffic tab: an orange outline and line, red where it failed.")),
  );
}
