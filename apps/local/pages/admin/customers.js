// Customers: search the directory by the start of a name or an email, page through, and open
// one: order count, cancellations, total spent, first and last order (read from the orders
// API), phone and the addresses of their profile as it is now, and their orders, newest first
// (`GET /orders?customer_id=`), a page at a time.

import { $, el, short, when } from "../common/dom.js";
import { ApiError } from "../common/session.js";
import { button, cell, showProblems, usd } from "./forms.js";
import { orderSummaryCells } from "./orders.js";
import { addressLines, money, readCustomer, readCustomerPage } from "./readers.js";

const PAGE = 20;
const ORDERS_PAGE = 10;

export function customerView(ctx) {
  let cursor = null;
  let request = 0;
  let orders = { customer: null, cursor: null };

  const label = (customer) => customer.name || customer.email || `customer ${short(customer.id)}`;

  async function search(append = false) {
    const query = new URLSearchParams({ limit: String(PAGE), by: $("customer-by").value });
    const q = $("customer-q").value.trim();
    if (q) query.set("q", q);
    if (append && cursor) query.set("cursor", cursor);
    const mine = ++request;
    let page;
    try {
      page = readCustomerPage(await ctx.api("GET", `/customers?${query}`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        $("customers-status").textContent = "Customers are not available from this API yet (GET /customers answered 404).";
        return;
      }
      return showProblems($("customer-search"), error);
    }
    if (mine !== request) return;
    const rows = page.items.map((customer) => el("tr", { data: { customerId: customer.id } },
      el("th", { scope: "row" }, label(customer)), el("td", { className: "buyer" }, customer.email || ""),
      cell(String(customer.orderCount)), el("td", { className: "money" }, money(customer.spentMinor, customer.currency)),
      cell(customer.lastOrderAt ? when(customer.lastOrderAt) : ""),
      el("td", { className: "actions" }, button("Open", () => open(customer.id).catch(ctx.failed),
        { className: "secondary", "aria-label": `Open ${label(customer)}` }))));
    if (append) $("customers").append(...rows);
    else $("customers").replaceChildren(...rows);
    cursor = page.nextCursor;
    $("more-customers").hidden = !cursor;
    const shown = $("customers").children.length;
    $("customers-status").textContent = shown
      ? `${shown} ${shown === 1 ? "customer" : "customers"} shown${cursor ? ", more below" : ""}.`
      : "No customer matches.";
  }

  async function open(id) {
    const customer = readCustomer(await ctx.api("GET", `/customers/${encodeURIComponent(id)}`));
    // The last order as it is now (it may have been completed or cancelled since).
    const last = customer.lastOrderId ? await ctx.api("GET", `/orders/${customer.lastOrderId}`).catch(() => null) : null;
    $("customer-title").textContent = label(customer);
    const facts = [
      ["Customer id", customer.id], ["Email", customer.email], ["Phone", customer.phone],
      ["Orders", `${customer.orderCount}${customer.cancelledCount ? ` (${customer.cancelledCount} cancelled)` : ""}`],
      ["Total spent", money(customer.spentMinor, customer.currency)],
      ["First order", customer.since && when(customer.since)],
      ["Last order", last
        ? `${when(last.created_at)} · ${short(last.id)} · ${usd(last.total)} · ${last.status}`
        : customer.lastOrderAt && `${when(customer.lastOrderAt)} · ${short(customer.lastOrderId)}`],
    ];
    $("customer-facts").replaceChildren(...facts.filter(([, value]) => value)
      .map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value))));
    // The addresses of the buyer's profile as it is now (orders keep their own copy).
    const addresses = customer.addresses || [];
    $("customer-addresses").replaceChildren(...addresses.map((address) => el("li", { className: "address" },
      el("strong", {}, `${address.label || "Address"}${address.id === customer.defaultAddressId ? " (default)" : ""}`),
      "\n", addressLines(address).join("\n"))));
    $("customer-addresses-status").textContent = addresses.length ? "" : "No address saved.";
    $("customer").hidden = false;
    await customerOrders(customer.id);
    $("customer-title").focus();
  }

  /// The customer's orders, newest first; `append` reads the next page of the same customer's.
  async function customerOrders(id, append = false) {
    const query = new URLSearchParams({ customer_id: id, limit: String(ORDERS_PAGE) });
    if (append && orders.cursor) query.set("cursor", orders.cursor);
    if (!append) {
      orders = { customer: id, cursor: null };
      $("customer-orders").replaceChildren();
    }
    const page = await ctx.api("GET", `/orders?${query}`);
    if (orders.customer !== id) return; // another customer was opened meanwhile
    $("customer-orders").append(...page.items.map((order) =>
      el("tr", { data: { orderId: order.id } }, ...orderSummaryCells(order))));
    orders.cursor = page.next_cursor;
    $("more-customer-orders").hidden = !orders.cursor;
    const shown = $("customer-orders").children.length;
    $("customer-orders-status").textContent = shown
      ? `${shown} ${shown === 1 ? "order" : "orders"} shown${orders.cursor ? ", more below" : ""}.`
      : "No orders.";
  }

  return {
    heading: () => $("customers-title"),
    async start() {
      $("customer-search").onsubmit = (event) => {
        event.preventDefault();
        search().catch(ctx.failed);
      };
      $("more-customers").onclick = () => search(true).catch(ctx.failed);
      $("more-customer-orders").onclick = () => customerOrders(orders.customer, true).catch(ctx.failed);
      await search();
    },
    shown: async () => {},
  };
}
