// The live stream: a snapshot at revision R, then change frames after R.
// A frame that does not start where the last one ended is a gap: ask for a snapshot.
// After a disconnect, resume with ?since=R (the server sends a snapshot if R is gone).

export class Stream {
  constructor(slug, { onState, onCalls, onStatus }) {
    this.slug = slug;
    this.rev = null;
    this.objects = new Map();
    this.machines = [];
    this.clock = null;
    this.unavailable = "";
    this.onState = onState;
    this.onCalls = onCalls;
    this.onStatus = onStatus;
    this.retry = 500;
    this.frames = 0;
    this.gaps = 0;
    this.resyncing = false; // a snapshot was asked for and has not come yet
    this.partsDue = 0; // frames still to come of a snapshot sent in parts
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.rev === null ? "" : `?since=${this.rev}`;
    const ws = new WebSocket(`${scheme}//${location.host}/ws/clusters/${encodeURIComponent(this.slug)}/${since}`);
    this.ws = ws;
    this.resyncing = false;
    this.onStatus("connecting");
    ws.onopen = () => {
      this.retry = 500;
      this.onStatus("live");
    };
    ws.onmessage = (message) => this.receive(JSON.parse(message.data));
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      if (event.code === 4403) {
        this.onStatus("forbidden");
        return;
      }
      this.onStatus("offline");
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    };
  }

  // Drop the connection (tests and the "reconnect" path use it).
  drop() {
    if (this.ws) this.ws.close();
  }

  receive(frame) {
    this.frames += 1;
    if (frame.t === "calls") {
      this.onCalls(frame.calls || []);
      return;
    }
    if (frame.machines) this.machines = frame.machines;
    if (frame.clock) this.clock = frame.clock;
    if (frame.t === "snapshot") {
      this.resyncing = false;
      this.unavailable = frame.unavailable || "";
      if (frame.objects) {
        this.objects = new Map(Object.entries(frame.objects));
      }
      this.rev = frame.rev;
      // A big snapshot comes in parts: draw once the last one is in.
      this.partsDue = (frame.parts || 1) - 1;
      if (this.partsDue > 0) return;
    } else if (frame.t === "objects") {
      if (!this.partsDue || frame.rev !== this.rev) return;
      for (const [key, obj] of Object.entries(frame.objects)) this.objects.set(key, obj);
      this.partsDue -= 1;
      if (this.partsDue > 0) return;
    } else if (frame.t === "changes") {
      if (this.rev !== null && frame.from !== this.rev) {
        // Frames after a gap cannot be applied either; one snapshot mends them all.
        if (!this.resyncing) {
          this.gaps += 1;
          this.resyncing = true;
          this.ws.send(JSON.stringify({ action: "resync" }));
        }
        return;
      }
      this.unavailable = "";
      for (const change of frame.changes || []) {
        if (change.type === "DELETED") this.objects.delete(change.key);
        else this.objects.set(change.key, change.obj);
      }
      this.rev = frame.rev;
    }
    this.onState(this);
  }
}
