// The REST API client: JSON in and out, CSRF header, errors carry the response body.

export function makeApi(slug, csrf) {
  const base = `/api/clusters/${encodeURIComponent(slug)}/`;
  async function call(method, path, body) {
    const response = await fetch(base + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && (data.message || data.detail)) || response.statusText);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    del: (path) => call("DELETE", path),
  };
}

export const q = (params) => new URLSearchParams(params).toString();
