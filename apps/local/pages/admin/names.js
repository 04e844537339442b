// Authors, categories and publishers: a name each. One view serves the three: list, add,
// rename and delete; one that books still name stays (the API says so, and why).

import { $, el } from "../common/dom.js";
import { ApiError } from "../common/session.js";
import { button, clearProblems, showProblems } from "./forms.js";

const KINDS = {
  authors: { title: "Authors", one: "author" },
  categories: { title: "Categories", one: "category" },
  publishers: { title: "Publishers", one: "publisher" },
};

export function nameViews(ctx) {
  let kind = "authors";

  function render() {
    const { one } = KINDS[kind];
    const sorted = [...ctx.lookups[kind]].sort((a, b) => a[1].localeCompare(b[1]));
    $("names").replaceChildren(...sorted.map(([id, name]) => row(id, name)));
    $("names-status").textContent = `${sorted.length} ${sorted.length === 1 ? one : kind}.`;
  }

  function row(id, name) {
    const { one } = KINDS[kind];
    const actions = el("td", { className: "actions" },
      button("Rename", () => rename(id, name, line), { className: "secondary", "aria-label": `Rename ${one} “${name}”` }),
      button("Delete", () => remove(id, name, line).catch(ctx.failed),
        { className: "secondary", "aria-label": `Delete ${one} “${name}”` }));
    const line = el("tr", { data: { id } }, el("th", { scope: "row" }, name), actions);
    return line;
  }

  /// The row becomes a small form: the new name, Save and Cancel; errors beside the name.
  function rename(id, name, line) {
    const { one } = KINDS[kind];
    const inputId = `rename-${id}`;
    const input = el("input", { id: inputId, value: name, "aria-describedby": `${inputId}-error` });
    const problem = el("p", { id: `${inputId}-error`, className: "field-error", data: { field: "name" } });
    const form = el("form", { className: "bar", novalidate: true },
      el("label", { for: inputId }, `New name for ${one} “${name}”`), input,
      el("button", { type: "submit" }, "Save"), button("Cancel", () => {
        render();
        $("names-title").focus();
      }, { className: "secondary" }), problem);
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        const saved = await ctx.api("PUT", `/${kind}/${id}`, { name: input.value });
        ctx.lookups[kind].set(saved.id, saved.name);
        render();
        ctx.announce(`Renamed to “${saved.name}”.`);
        $("names-title").focus();
      } catch (error) {
        showProblems(form, error);
      }
    };
    line.replaceChildren(el("td", { colspan: "2" }, form));
    input.focus();
  }

  async function remove(id, name, line) {
    const { one } = KINDS[kind];
    if (!window.confirm(`Delete ${one} “${name}”?`)) return;
    try {
      await ctx.api("DELETE", `/${kind}/${id}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
      // The API's reason, beside the row: one that books still name stays.
      line.querySelector(".actions").append(el("p", { className: "field-error", role: "alert" }, error.message));
      return;
    }
    ctx.lookups[kind].delete(id);
    render();
    ctx.announce(`Deleted ${one} “${name}”.`);
    $("names-title").focus();
  }

  async function add() {
    const form = $("name-form");
    try {
      const saved = await ctx.api("POST", `/${kind}`, { name: $("new-name").value });
      ctx.lookups[kind].set(saved.id, saved.name);
      clearProblems(form);
      $("new-name").value = "";
      render();
      ctx.announce(`Added ${KINDS[kind].one} “${saved.name}”.`);
    } catch (error) {
      showProblems(form, error);
    }
  }

  function viewOf(name) {
    return {
      heading: () => $("names-title"),
      async start() {
        $("name-form").onsubmit = (event) => {
          event.preventDefault();
          add().catch(ctx.failed);
        };
        await this.shown();
      },
      async shown() {
        kind = name;
        $("names-title").textContent = KINDS[name].title;
        $("new-name-label").textContent = `New ${KINDS[name].one}`;
        clearProblems($("name-form"));
        await ctx.loadLookups();
        render();
      },
    };
  }

  return Object.fromEntries(Object.keys(KINDS).map((name) =>
    [name, { section: "view-names", admin: true, view: viewOf(name), title: KINDS[name].title }]));
}
