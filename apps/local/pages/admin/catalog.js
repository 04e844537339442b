// Books: search the catalog (by name, and by category), add, edit and take books out (a soft
// delete: the API keeps them for the orders that name them). The form leaves checking to the
// API, so that every rule is the API's and each problem it names shows beside its field.

import { $, el } from "../common/dom.js";
import { button, cell, clearProblems, showProblems, usd } from "./forms.js";

const PAGE = 20;

function options(map, placeholder) {
  const sorted = [...map].sort((a, b) => a[1].localeCompare(b[1]));
  const list = sorted.map(([id, name]) => new Option(name, id));
  return placeholder === undefined ? list : [new Option(placeholder, ""), ...list];
}

export function bookViews(ctx) {
  let cursor = null;
  let editing = null; // the book being edited, or null when adding one
  let request = 0;

  const names = (kind, ids) => ids.map((id) => ctx.lookups[kind].get(id) || id).join(", ");

  async function search(append = false) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    const q = $("book-q").value.trim();
    if (q) query.set("q", q);
    if ($("book-category-filter").value) query.set("category_id", $("book-category-filter").value);
    if (append && cursor) query.set("cursor", cursor);
    const mine = ++request;
    let page;
    try {
      page = await ctx.api("GET", `/books?${query}`);
    } catch (error) {
      return showProblems($("book-search"), error);
    }
    if (mine !== request) return;
    const rows = page.items.map(bookRow);
    if (append) $("books").append(...rows);
    else $("books").replaceChildren(...rows);
    cursor = page.next_cursor;
    $("more-books").hidden = !cursor;
    count();
  }

  function count() {
    const shown = $("books").children.length;
    $("books-status").textContent = shown
      ? `${shown} ${shown === 1 ? "book" : "books"} shown${cursor ? ", more below" : ""}.`
      : "No book matches.";
  }

  function bookRow(book) {
    const price = book.sale_price ? `${usd(book.sale_price)} (was ${usd(book.price)})` : usd(book.price);
    const row = el("tr", { data: { bookId: book.id } },
      el("th", { scope: "row" }, book.name), el("td", { className: "money" }, price),
      cell(book.status === "in_stock" ? "in stock" : "out of stock"), cell(names("authors", book.author_ids)),
      cell(ctx.lookups.categories.get(book.category_id) || book.category_id),
      el("td", { className: "actions" },
        button("Edit", () => openForm(book), { className: "secondary", "aria-label": `Edit “${book.name}”` }),
        button("Delete", () => remove(book, row).catch(ctx.failed), { className: "secondary", "aria-label": `Delete “${book.name}”` })));
    return row;
  }

  async function remove(book, row) {
    if (!window.confirm(`Take “${book.name}” out of the catalog? Orders that name it keep it.`)) return;
    await ctx.api("DELETE", `/books/${book.id}`);
    row.remove();
    count();
    ctx.announce(`“${book.name}” is out of the catalog.`);
    $("books-title").focus();
  }

  function fillSelects() {
    $("book-authors").replaceChildren(...options(ctx.lookups.authors));
    $("book-category").replaceChildren(...options(ctx.lookups.categories, "Choose a category"));
    $("book-publisher").replaceChildren(...options(ctx.lookups.publishers, "Choose a publisher"));
  }

  function openForm(book) {
    editing = book;
    const form = $("book-form");
    clearProblems(form);
    fillSelects();
    $("book-form-title").textContent = book ? `Edit “${book.name}”` : "Add a book";
    $("book-name").value = book ? book.name : "";
    $("book-description").value = book ? book.description : "";
    $("book-price").value = book ? book.price : "";
    $("book-sale-price").value = book && book.sale_price ? book.sale_price : "";
    $("book-status").value = book ? book.status : "in_stock";
    for (const option of $("book-authors").options) option.selected = Boolean(book && book.author_ids.includes(option.value));
    $("book-category").value = book ? book.category_id : "";
    $("book-publisher").value = book ? book.publisher_id : "";
    form.hidden = false;
    $("book-form-title").focus();
  }

  function closeForm() {
    $("book-form").hidden = true;
    editing = null;
    $("new-book").focus();
  }

  /// The form as the API's BookInput: what is left empty is left out, for the API to name.
  function body() {
    const input = { name: $("book-name").value, description: $("book-description").value, status: $("book-status").value };
    if ($("book-price").value.trim()) input.price = $("book-price").value.trim();
    input.sale_price = $("book-sale-price").value.trim() || null;
    input.author_ids = [...$("book-authors").selectedOptions].map((option) => option.value);
    if ($("book-category").value) input.category_id = $("book-category").value;
    if ($("book-publisher").value) input.publisher_id = $("book-publisher").value;
    return input;
  }

  async function save() {
    const form = $("book-form");
    let saved;
    try {
      saved = editing ? await ctx.api("PUT", `/books/${editing.id}`, body()) : await ctx.api("POST", "/books", body());
    } catch (error) {
      return showProblems(form, error);
    }
    clearProblems(form);
    ctx.announce(`Saved “${saved.name}”.`);
    closeForm();
    // Show the book saved: search for it by name.
    $("book-q").value = saved.name;
    $("book-category-filter").value = "";
    await search();
  }

  const view = {
    heading: () => $("books-title"),
    async start() {
      $("book-category-filter").replaceChildren(...options(ctx.lookups.categories, "Every category"));
      $("book-search").onsubmit = (event) => {
        event.preventDefault();
        search().catch(ctx.failed);
      };
      $("more-books").onclick = () => search(true).catch(ctx.failed);
      $("new-book").onclick = () => openForm(null);
      $("cancel-book").onclick = closeForm;
      $("book-form").onsubmit = (event) => {
        event.preventDefault();
        save().catch(ctx.failed);
      };
      await search();
    },
    async shown() {
      // Authors, categories or publishers may have been added meanwhile.
      const chosen = $("book-category-filter").value;
      $("book-category-filter").replaceChildren(...options(ctx.lookups.categories, "Every category"));
      $("book-category-filter").value = chosen;
    },
  };
  return { books: { section: "view-books", admin: true, view, title: "Books" } };
}
