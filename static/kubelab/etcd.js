// The etcd tab: snapshots (save, restore) and the keyspace browser.

import { q } from "./api.js";
import { fmt, h, gettext } from "./dom.js";

export class EtcdPanel {
  constructor(app) {
    this.app = app;
    this.keys = document.getElementById("keys");
    this.value = document.getElementById("key-value");
    this.snapshots = document.getElementById("snapshots");
    document.getElementById("etcd-load").addEventListener("click", () => this.browse());
    document.getElementById("snapshot-save").addEventListener("click", () => this.save());
  }

  async load() {
    await Promise.all([this.browse(), this.listSnapshots()]);
  }

  async browse() {
    const prefix = document.getElementById("etcd-prefix").value || "/registry/";
    try {
      const data = await this.app.api.get(`etcd/?${q({ prefix })}`);
      this.keys.replaceChildren(
        h("li", { class: "muted" }, fmt(gettext("revision %(rev)s · %(count)s keys"), { rev: data.revision, count: data.keys.length })),
        ...data.keys.slice(0, 500).map((k) => h("li", {}, h("button", { type: "button", class: "link mono", onclick: () => this.show(k.key) }, k.key), h("small", { class: "muted" }, ` mod ${k.modRevision}`))),
      );
    } catch (err) {
      this.keys.replaceChildren(h("li", { class: "error" }, err.message));
    }
  }

  async show(key) {
    try {
      const data = await this.app.api.get(`etcd/value/?${q({ key })}`);
      this.value.textContent = JSON.stringify(data.value, null, 2);
    } catch (err) {
      this.value.textContent = err.message;
    }
  }

  async listSnapshots() {
    const list = await this.app.api.get("snapshots/");
    this.snapshots.replaceChildren(
      ...list.map((s) => h("li", {}, h("strong", {}, s.name), ` · rev ${s.revision} `, h("button", {
        type: "button",
        disabled: !this.app.writable,
        onclick: async () => {
          if (!confirm(fmt(gettext("Restore snapshot %(name)s? Changes since it are lost."), { name: s.name }))) return;
          try {
            await this.app.api.post(`snapshots/${s.id}/restore/`);
            this.app.toast(gettext("Restored."));
          } catch (err) {
            this.app.toast(err.message, true);
          }
        },
      }, gettext("Restore")))),
    );
  }

  async save() {
    const input = document.getElementById("snapshot-name");
    try {
      await this.app.api.post("snapshots/", { name: input.value || `snap-${Date.now() % 100000}` });
      input.value = "";
      await this.listSnapshots();
    } catch (err) {
      this.app.toast(err.message, true);
    }
  }
}
