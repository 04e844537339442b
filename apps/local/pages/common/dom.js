// What every page does to its document. Text always goes in as textContent: nothing a user
// wrote is ever parsed as HTML.

export const $ = (id) => document.getElementById(id);

/// An element with `props` (className, type, dataset entries as `data`, aria-* and other
/// attributes as themselves) and `children` (strings become text nodes).
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "data") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

export function showError(message) {
  const element = $("error");
  element.textContent = message || "";
  element.hidden = !message;
}

export function setConnection(kind, text) {
  const element = $("connection");
  element.className = `connection ${kind}`;
  element.textContent = text;
}

/// Shows the one section of `all` named `section`.
export function show(section, all) {
  for (const id of all) $(id).hidden = id !== section;
}

export function short(id) {
  return String(id || "").slice(0, 8);
}

export function time(rfc3339) {
  return new Date(rfc3339).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function when(rfc3339) {
  const date = new Date(rfc3339);
  const today = date.toDateString() === new Date().toDateString();
  return today ? time(rfc3339) : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}
