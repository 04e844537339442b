// Orders of every shop, or of one: filtered by status and by the days they were placed,
// newest first, paged; new ones completed or cancelled; where each one goes.

import { $, el, short, when } from "../common/dom.js";
import { ApiError } from "../common/session.js";
import { button, cell, clearProblems, showProblems, usd } from "./forms.js";
import { shipTo } from "./readers.js";

const PAGE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function buyer(order) {
  return order.buyer_name || order.buyer_email || `buyer ${short(order.buyer_id)}`;
}

function statusCell(order) {
  return el("td", { className: `status-${order.status}` }, order.status);
}

/// Placed, order, buyer, books, total, status: the cells the overview's latest orders share.
export function orderSummaryCells(order) {
  const books = order.lines.map((line) => `${line.name} × ${line.quantity}`).join(", ");
  return [cell(when(order.created_at)), cell(el("code", { title: order.id }, short(order.id))), el("td", { className: "buyer" }, buyer(order)), cell(books),
    el("td", { className: "money" }, usd(order.total)), statusCell(order)];
}

function shipToCell(order) {
  const target = shipTo(order);
  if (!target) return el("td", { className: "note" }, "no address");
  if (target.pickup) return cell("pickup at shop");
  return el("td", { className: "address" }, target.lines.join("\n"));
}

export function orderView(ctx) {
  let cursor = null;
  let request = 0; // the latest list request: older answers are dropped

  async function load(append = false) {
    const form = $("order-filter");
    clearProblems(form);
    const shop = $("order-shop").value.trim();
    const status = $("order-status").value;
    if (shop && !UUID.test(shop)) {
      // The API would say the same (its path parameter is a UUID); said here, beside the field.
      const problem = { field: "shop_id", message: "must be a shop id (a UUID), or empty for every shop" };
      return showProblems(form, new ApiError("The shop id is not valid.", 400, null, [problem]));
    }
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (status) query.set("status", status);
    // The days as typed: the API checks them (a `to` before `from` is shown beside `to`).
    for (const name of ["from", "to"]) {
      const value = $(`order-${name}`).value;
      if (value) query.set(name, value);
    }
    if (append && cursor) query.set("cursor", cursor);
    const mine = ++request;
    const path = shop ? `/shops/${shop}/orders?${query}` : `/orders?${query}`;
    let page;
    try {
      page = await ctx.api("GET", path);
    } catch (error) {
      return showProblems(form, error);
    }
    if (mine !== request) return;
    const rows = page.items.map(orderRow);
    if (append) $("orders").append(...rows);
    else $("orders").replaceChildren(...rows);
    cursor = page.next_cursor;
    $("more-orders").hidden = !cursor;
    const shown = $("orders").children.length;
    $("orders-status").textContent = `${shown} ${shown === 1 ? "order" : "orders"} shown${cursor ? ", more below" : ""}.`;
  }

  function orderRow(order) {
    const actions = el("td", { className: "actions" });
    if (order.status === "new") {
      for (const [label, move, done] of [["Complete", "complete", "completed"], ["Cancel", "cancel", "cancelled"]]) {
        actions.append(button(label, async (event) => {
          event.target.disabled = true;
          try {
            const changed = await ctx.api("PATCH", `/orders/${order.id}/${move}`);
            row.replaceWith(orderRow(changed));
            ctx.announce(`Order ${short(order.id)} ${done}.`);
            $("orders-title").focus(); // the button pressed is gone
          } catch (error) {
            event.target.disabled = false;
            ctx.failed(error);
          }
        }, { className: move === "cancel" ? "secondary" : "", "aria-label": `${label} order ${short(order.id)}` }));
      }
    }
    const row = el("tr", { data: { orderId: order.id } }, ...orderSummaryCells(order), shipToCell(order), actions);
    return row;
  }

  return {
    heading: () => $("orders-title"),
    async start() {
      $("order-filter").onsubmit = (event) => {
        event.preventDefault();
        load().catch(ctx.failed);
      };
      $("order-status").onchange = () => load().catch(ctx.failed);
      $("more-orders").onclick = () => load(true).catch(ctx.failed);
      await load();
    },
    shown: () => load(),
  };
}
