// The YAML editor: starters, apply or validate through the REST API, and the
// server's field errors marked at their line.

import { fmt, gettext, gettext_noop, h } from "./dom.js";
import { STARTERS } from "./starters.js";

// What happened to each applied object, as the API reports it.
const ACTIONS = [gettext_noop("created"), gettext_noop("configured")];

export class Editor {
  constructor(app) {
    this.app = app;
    this.text = document.getElementById("yaml");
    this.gutter = document.getElementById("gutter");
    this.result = document.getElementById("apply-result");
    const starter = document.getElementById("starter");
    for (const name of Object.keys(STARTERS)) starter.append(h("option", { value: name }, gettext(name)));
    starter.addEventListener("change", () => this.load(starter.value));
    this.text.addEventListener("input", () => this.lines());
    this.text.addEventListener("scroll", () => { this.gutter.scrollTop = this.text.scrollTop; });
    document.getElementById("apply").addEventListener("click", () => this.submit(false));
    document.getElementById("dry-run").addEventListener("click", () => this.submit(true));
    this.load(Object.keys(STARTERS)[0]);
  }

  load(name) {
    this.text.value = STARTERS[name];
    this.lines();
  }

  lines(marks = new Map()) {
    const count = this.text.value.split("\n").length;
    const rows = [];
    for (let i = 1; i <= count; i += 1) {
      rows.push(h("span", { class: marks.has(i) ? "err" : "", title: marks.get(i) || null }, `${i}\n`));
    }
    this.gutter.replaceChildren(...rows);
    this.gutter.scrollTop = this.text.scrollTop;
  }

  async submit(dryRun) {
    this.result.replaceChildren(h("span", { class: "muted" }, gettext("Sending…")));
    try {
      const data = await this.app.api.post("apply/", { yaml: this.text.value, dry_run: dryRun });
      this.lines();
      this.result.replaceChildren(
        h("p", { class: "ok" }, dryRun ? gettext("Valid: the API server accepts every object.") : gettext("Applied.")),
        h("ul", { class: "plain" }, ...data.results.map((r) => h("li", { class: "mono" }, `${r.kind.toLowerCase()}/${r.name} ${ACTIONS.includes(r.action) ? gettext(r.action) : r.action}`))),
      );
    } catch (err) {
      this.showErrors(err);
    }
  }

  showErrors(err) {
    const data = err.data || {};
    const marks = new Map();
    const items = [];
    for (const e of data.errors && data.errors.length ? data.errors : [{ field: "", message: data.message || err.message }]) {
      const line = e.field ? lineOf(this.text.value, e.document || 0, e.field) : null;
      if (line) marks.set(line, `${e.field}: ${e.message}`);
      items.push(h("li", {}, line ? h("button", { type: "button", class: "link", onclick: () => this.goTo(line) }, fmt(gettext("line %(line)s"), { line })) : null, line ? " " : null, e.field ? h("code", {}, e.field) : null, e.field ? ": " : null, e.message || ""));
    }
    // The summary first: kube-apiserver's message, as kubectl would print it.
    this.result.replaceChildren(h("p", { class: "error", role: "alert" }, data.message || err.message), h("ul", { class: "plain field-errors" }, ...items));
    this.lines(marks);
  }

  goTo(line) {
    const lines = this.text.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    this.text.focus();
    this.text.setSelectionRange(start, start + lines[line - 1].length);
  }
}

// The line of `field` (spec.template.spec.containers[0].image) in document `index`.
export function lineOf(text, index, field) {
  const lines = text.split("\n");
  let d = 0;
  let from = 0;
  let to = lines.length;
  let seenContent = false;
  for (let i = 0; i < lines.length; i += 1) {
    if (/^---\s*$/.test(lines[i])) {
      if (seenContent) {
        if (d === index) { to = i; break; }
        d += 1;
      }
      from = i + 1;
      seenContent = false;
    } else if (lines[i].trim() && !lines[i].trim().startsWith("#")) {
      seenContent = true;
    }
  }
  const keys = field.replace(/\[[^\]]*\]/g, "").split(".").filter(Boolean);
  let at = from;
  let found = null;
  for (const key of keys) {
    const pattern = new RegExp(`^\\s*(- )?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:`);
    let hit = null;
    for (let i = at; i < to; i += 1) {
      if (pattern.test(lines[i])) { hit = i; break; }
    }
    if (hit === null) break;
    found = hit;
    at = hit + 1;
  }
  return found === null ? null : found + 1;
}
