// Small DOM helpers. Object data only ever reaches the page as text nodes or
// attribute values (never innerHTML), so a name like "<script>" stays text.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const gettext = (text) => (window.gettext ? window.gettext(text) : text);
export const ngettext = (singular, plural, count) =>
  window.ngettext ? window.ngettext(singular, plural, count) : count === 1 ? singular : plural;

// fmt(gettext("%(name)s is %(state)s"), {name, state}): fill in a translated text
// Marks a text for translation where it is defined; it is translated where shown.
export const gettext_noop = (text) => text;

export function fmt(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

// Reuse one element per key, in the given order; remove the ones no longer listed.
// Returns whether any element was added, moved or removed (the layout may have moved).
export function reconcile(parent, items, keyOf, create, update) {
  const cache = parent._kl || (parent._kl = new Map());
  const seen = new Set();
  let previous = null;
  let moved = false;
  for (const item of items) {
    const key = keyOf(item);
    seen.add(key);
    let el = cache.get(key);
    if (!el) {
      el = create(item);
      cache.set(key, el);
    }
    update(el, item);
    const wanted = previous ? previous.nextSibling : parent.firstChild;
    if (wanted !== el) {
      parent.insertBefore(el, wanted);
      moved = true;
    }
    previous = el;
  }
  if (cache.size > seen.size) {
    for (const [key, el] of cache) {
      if (!seen.has(key)) {
        el.remove();
        cache.delete(key);
        moved = true;
      }
    }
  }
  return moved;
}

// Set text / class / attributes only when they change (keeps large diagrams cheap).
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
export function setClass(el, cls) {
  if (el.className !== cls) el.className = cls;
}
export function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}
