// The moderation queue: reviews with open reports (or only those the reports hid), oldest
// report first as the API pages them; each kept (shown again, its reports dismissed) or removed.
// Admins and support agents.

import { $, el, when } from "../common/dom.js";
import { ApiError } from "../common/session.js";
import { button } from "./forms.js";

const PAGE = 20;
const REASONS = { spam: "spam", abuse: "abuse", off_topic: "off topic", spoiler: "spoiler", other: "other" };

export function reviewView(ctx) {
  let cursor = null;
  let request = 0;
  const books = new Map(); // book id → its name (or a promise of it)

  function bookName(id) {
    if (!books.has(id)) {
      books.set(id, ctx.api("GET", `/books/${id}`).then((book) => book.name, () => `book ${id.slice(0, 8)}`));
    }
    return books.get(id);
  }

  async function load(append = false) {
    const query = new URLSearchParams({ limit: String(PAGE), status: $("review-status").value });
    if (append && cursor) query.set("cursor", cursor);
    const mine = ++request;
    const page = await ctx.api("GET", `/reviews?${query}`);
    const items = await Promise.all(page.items.map(async (review) => item(review, await bookName(review.book_id))));
    if (mine !== request) return;
    if (append) $("reviews").append(...items);
    else $("reviews").replaceChildren(...items);
    cursor = page.next_cursor;
    $("more-reviews").hidden = !cursor;
    count();
  }

  function count() {
    const shown = $("reviews").children.length;
    $("reviews-status").textContent = shown
      ? `${shown} ${shown === 1 ? "review" : "reviews"} to moderate${cursor ? ", more below" : ""}.`
      : "Nothing to moderate.";
  }

  function item(review, book) {
    const reasons = Object.entries(review.report_reasons || {}).filter(([, n]) => n > 0)
      .map(([reason, n]) => `${REASONS[reason] || reason} × ${n}`).join(", ");
    const headline = review.title || "(no title)";
    const entry = el("li", { data: { reviewId: review.id } },
      el("h3", {}, el("span", { "aria-hidden": "true", className: "stars" }, `${"★".repeat(review.rating)}${"☆".repeat(5 - review.rating)} `),
        el("span", { className: "visually-hidden" }, `${review.rating} of 5 stars: `), headline),
      el("p", { className: "meta" }, `${book} · by ${review.reviewer_name} · ${when(review.created_at)}${review.verified_purchase ? " · verified purchase" : ""}`),
      review.comment ? el("p", { className: "text" }, review.comment) : null,
      el("p", {}, el("strong", {}, `${review.status === "hidden" ? "Hidden" : "Still shown"}; `),
        `${review.reports} ${review.reports === 1 ? "report" : "reports"}${reasons ? ` (${reasons})` : ""}`),
      el("div", { className: "bar" },
        button("Restore", () => moderate(review, entry, "restore").catch(ctx.failed), { "aria-label": `Restore the review “${headline}” of ${book}` }),
        button("Remove", () => moderate(review, entry, "remove").catch(ctx.failed),
          { className: "secondary", "aria-label": `Remove the review “${headline}” of ${book}` })));
    return entry;
  }

  async function moderate(review, entry, action) {
    if (action === "remove" && !window.confirm("Remove this review for good?")) return;
    try {
      if (action === "restore") await ctx.api("POST", `/reviews/${review.id}/restore`);
      else await ctx.api("DELETE", `/reviews/${review.id}`);
    } catch (error) {
      // Changed meanwhile (edited, reported again, moderated by someone else): read it afresh.
      if (!(error instanceof ApiError) || (error.status !== 409 && error.status !== 404)) throw error;
      ctx.failed(error);
      return load();
    }
    entry.remove();
    count();
    ctx.announce(action === "restore" ? "Review restored: shown again, its reports dismissed." : "Review removed.");
    $("reviews-title").focus();
  }

  return {
    heading: () => $("reviews-title"),
    async start() {
      $("review-filter").onsubmit = (event) => {
        event.preventDefault();
        load().catch(ctx.failed);
      };
      $("review-status").onchange = () => load().catch(ctx.failed);
      $("more-reviews").onclick = () => load(true).catch(ctx.failed);
      await load();
    },
    shown: () => load(),
  };
}
