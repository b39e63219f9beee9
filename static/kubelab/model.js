// From the raw objects to what the diagram draws: nodes, pods per node, the
// unscheduled tray, services with their endpoint pods, ingresses, volumes, events.

export function podState(pod) {
  const meta = pod.metadata || {};
  const status = pod.status || {};
  const phase = status.phase || "Pending";
  if (meta.deletionTimestamp) return { cls: "terminating", text: "Terminating" };
  if (phase === "Succeeded") return { cls: "succeeded", text: "Completed" };
  if (phase === "Failed") return { cls: "failed", text: status.reason || "Failed" };
  if (!(pod.spec || {}).nodeName) return { cls: "unscheduled", text: "Pending" };
  const statuses = status.containerStatuses || [];
  for (const cs of statuses) {
    const waiting = (cs.state || {}).waiting;
    if (waiting && waiting.reason && waiting.reason !== "ContainerCreating") {
      return { cls: "failing", text: waiting.reason };
    }
  }
  if (phase === "Pending") return { cls: "creating", text: "ContainerCreating" };
  const ready = (status.conditions || []).some((c) => c.type === "Ready" && c.status === "True");
  return ready ? { cls: "ready", text: "Running" } : { cls: "notready", text: "Running, not ready" };
}

export function restarts(pod) {
  return ((pod.status || {}).containerStatuses || []).reduce((n, cs) => n + (cs.restartCount || 0), 0);
}

export function nodeState(node) {
  if (!node) return { ready: null, cordoned: false };
  const ready = ((node.status || {}).conditions || []).find((c) => c.type === "Ready");
  return {
    ready: ready ? ready.status === "True" : null,
    cordoned: Boolean((node.spec || {}).unschedulable),
  };
}

const byName = (a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

export function buildModel(objects) {
  const m = {
    nodes: new Map(),
    podsByNode: new Map(),
    unscheduled: [],
    services: [],
    endpoints: new Map(),
    ingresses: [],
    pvcs: [],
    pvs: [],
    events: [],
    pods: new Map(),
  };
  for (const [key, obj] of objects) {
    switch (obj.kind) {
      case "Node":
        m.nodes.set(obj.metadata.name, obj);
        break;
      case "Pod": {
        m.pods.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
        const node = (obj.spec || {}).nodeName;
        const state = podState(obj);
        if (!node) {
          if (state.cls === "unscheduled") m.unscheduled.push(obj);
        } else {
          if (!m.podsByNode.has(node)) m.podsByNode.set(node, []);
          m.podsByNode.get(node).push(obj);
        }
        break;
      }
      case "Service":
        m.services.push(obj);
        break;
      case "Endpoints":
        m.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
        break;
      case "Ingress":
        m.ingresses.push(obj);
        break;
      case "PersistentVolumeClaim":
        m.pvcs.push(obj);
        break;
      case "PersistentVolume":
        m.pvs.push(obj);
        break;
      case "Event":
        m.events.push(obj);
        break;
      default:
        break;
    }
  }
  for (const pods of m.podsByNode.values()) pods.sort(byName);
  m.unscheduled.sort(byName);
  m.services.sort(byName);
  m.ingresses.sort(byName);
  const when = (e) => e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp || "";
  m.events.sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0));
  m.eventTime = when;
  return m;
}

// The pods a service routes to: the addresses of its Endpoints, by pod name.
export function servicePods(model, svc) {
  const ep = model.endpoints.get(`${svc.metadata.namespace}/${svc.metadata.name}`);
  const out = [];
  for (const subset of (ep && ep.subsets) || []) {
    for (const addr of [...(subset.addresses || []), ...(subset.notReadyAddresses || [])]) {
      const ref = addr.targetRef;
      if (ref && ref.kind === "Pod") out.push(`${ref.namespace || svc.metadata.namespace}/${ref.name}`);
    }
  }
  return out;
}

// How many ready addresses a service's Endpoints hold, pods or not (the kubernetes
// Service's one is the API server's address).
export function endpointCount(model, svc) {
  const ep = model.endpoints.get(`${svc.metadata.namespace}/${svc.metadata.name}`);
  return ((ep && ep.subsets) || []).reduce((n, subset) => n + (subset.addresses || []).length, 0);
}

export function ingressServices(ing) {
  const names = new Set();
  const spec = ing.spec || {};
  const add = (backend) => {
    if (backend && backend.service && backend.service.name) names.add(backend.service.name);
  };
  add(spec.defaultBackend);
  for (const rule of spec.rules || []) for (const p of (rule.http || {}).paths || []) add(p.backend);
  return [...names].map((n) => `${ing.metadata.namespace}/${n}`);
}
