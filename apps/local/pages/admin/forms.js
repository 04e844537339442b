// What the back office's forms share: the API's field errors (problem+json `errors`), each shown
// beside its field and tied to it (aria-invalid, aria-describedby), and money as text.

import { el } from "../common/dom.js";
import { ApiError } from "../common/session.js";

/// Empties every field error of `form` and its summary.
export function clearProblems(form) {
  for (const message of form.querySelectorAll(".field-error")) message.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  const summary = form.querySelector("[role=alert]");
  if (summary) {
    summary.textContent = "";
    summary.hidden = true;
  }
}

/// `author_ids[2]` is a problem of the field `author_ids`.
function fieldOf(name) {
  return String(name).replace(/\[\d+\]$/, "").replace(/\.\w+$/, "");
}

/// Shows `error` in `form`: each field error beside its field (a `.field-error` with
/// `data-field`), focusing the first such field; anything else in the form's summary (or
/// thrown, when it has none).
export function showProblems(form, error) {
  clearProblems(form);
  if (!(error instanceof ApiError)) throw error;
  const elsewhere = [];
  for (const problem of error.errors) {
    const message = form.querySelector(`.field-error[data-field="${fieldOf(problem.field)}"]`);
    if (!message) {
      elsewhere.push(`${problem.field}: ${problem.message}`);
      continue;
    }
    message.textContent = message.textContent ? `${message.textContent}; ${problem.message}` : problem.message;
    const control = form.querySelector(`[aria-describedby~="${message.id}"]`);
    if (control) control.setAttribute("aria-invalid", "true");
  }
  const first = form.querySelector('[aria-invalid="true"]'); // the first refused, in reading order
  const summary = form.querySelector("[role=alert]");
  const text = error.errors.length
    ? [`${error.errors.length} ${error.errors.length === 1 ? "problem" : "problems"}: see the marked fields.`, ...elsewhere].join(" ")
    : error.message;
  if (summary) {
    summary.textContent = text;
    summary.hidden = false;
  } else if (!first || elsewhere.length) {
    throw error;
  }
  if (first) first.focus();
}

/// "12.99" as the API writes money (USD), for reading.
export function usd(value) {
  if (value === null || value === undefined || value === "") return "";
  const number = Number(value);
  return Number.isFinite(number) ? `$${number.toFixed(2)}` : String(value);
}

export function button(label, onclick, props = {}) {
  const element = el("button", { type: "button", ...props }, label);
  element.onclick = onclick;
  return element;
}

export function cell(...children) {
  return el("td", {}, ...children);
}
