// Customers: search by the start of a name or an email, page through, and open one: their
// profile, addresses, order count, total spent and last order. (The orders API has no filter
// by buyer yet, so a customer's whole order list is not shown here.)

import { $, el, short, when } from "../common/dom.js";
import { ApiError } from "../common/session.js";
import { button, cell, showProblems, usd } from "./forms.js";
import { addressLines, money, readCustomer, readCustomerPage } from "./readers.js";

const PAGE = 20;

export function customerView(ctx) {
  let cursor = null;
  let request = 0;

  async function search(append = false) {
    const query = new URLSearchParams({ limit: String(PAGE) });
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
      el("th", { scope: "row" }, customer.name || `customer ${short(customer.id)}`), cell(customer.email || ""),
      cell(customer.since ? when(customer.since) : ""),
      el("td", { className: "actions" }, button("Open", () => open(customer.id).catch(ctx.failed),
        { className: "secondary", "aria-label": `Open ${customer.name || customer.email || customer.id}` }))));
    if (append) $("customers").append(...rows);
    else $("customers").replaceChildren(...rows);
    cursor = page.nextCursor;
    $("more-customers").hidden = !cursor;
    const shown = $("customers").children.length;
    $("customers-status").textContent = shown ? `${shown} ${shown === 1 ? "customer" : "customers"} shown.` : "No customer matches.";
  }

  async function open(id) {
    const customer = readCustomer(await ctx.api("GET", `/customers/${encodeURIComponent(id)}`));
    $("customer-title").textContent = customer.name || customer.email || `Customer ${short(customer.id)}`;
    const last = customer.lastOrder;
    const facts = [
      ["Customer id", customer.id], ["Email", customer.email], ["Phone", customer.phone],
      ["Orders", String(customer.orderCount)], ["Total spent", money(customer.spentMinor, customer.currency)],
      ["Last order", last && `${when(last.createdAt)} · ${short(last.id)} · ${usd(last.total)} · ${last.status}`],
    ];
    $("customer-facts").replaceChildren(...facts.filter(([, value]) => value)
      .map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value))));
    const addresses = customer.addresses.map((address) => el("li", { className: "address" },
      el("strong", {}, `${address.label || "Address"}${address.id === customer.defaultAddressId ? " (default)" : ""}`),
      "\n", addressLines(address).join("\n")));
    $("customer-addresses").replaceChildren(...(addresses.length ? addresses : [el("li", { className: "note" }, "None saved.")]));
    $("customer").hidden = false;
    $("customer-title").focus();
  }

  return {
    heading: () => $("customers-title"),
    async start() {
      $("customer-search").onsubmit = (event) => {
        event.preventDefault();
        search().catch(ctx.failed);
      };
      $("more-customers").onclick = () => search(true).catch(ctx.failed);
      await search();
    },
    shown: async () => {},
  };
}
