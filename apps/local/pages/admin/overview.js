// The overview: the figures of a date range (30 days unless chosen), revenue by day as a chart
// and a table, books by category, and the latest orders of every shop.

import { $, el } from "../common/dom.js";
import { ApiError } from "../common/session.js";
import { revenueChart } from "./chart.js";
import { Live } from "../common/live.js";
import { orderSummaryCells } from "./orders.js";

/// The order events of the admins' feed (`/ws?feed=orders`): each one re-reads the latest orders.
const ORDER_EVENTS = ["com.bookworm.checkout.completed", "com.bookworm.order.completed", "com.bookworm.order.cancelled"];
import { money, readStats } from "./readers.js";

const DAYS_SHOWN = 30;
const LATEST = 10;

/// "YYYY-MM-DD" of a UTC day: the figures are kept per UTC day.
const isoDay = (date) => date.toISOString().slice(0, 10);

/// Every day from `from` to `to`, both included.
function daysBetween(from, to) {
  const days = [];
  for (let day = new Date(`${from}T00:00:00Z`); isoDay(day) <= to; day.setUTCDate(day.getUTCDate() + 1)) {
    days.push(isoDay(day));
    if (days.length > 366) break;
  }
  return days;
}

export function overviewView(ctx) {
  async function loadFigures() {
    const from = $("range-from").value;
    const to = $("range-to").value;
    const status = $("figures-status");
    status.textContent = "Reading the figures…";
    let body;
    try {
      body = await ctx.api("GET", `/admin/stats?${new URLSearchParams({ from, to })}`);
    } catch (error) {
      $("figures").hidden = true;
      if (!(error instanceof ApiError)) throw error;
      status.textContent = error.status === 404
        ? "The figures are not available from this API yet (GET /admin/stats answered 404)."
        : `The figures could not be read: ${error.message}`;
      return;
    }
    const stats = readStats(body);
    const format = (minor) => money(minor, stats.currency);
    renderTotals(stats, format);
    const byDate = new Map(stats.days.map((day) => [day.date, day]));
    const days = daysBetween(from, to).map((date) => byDate.get(date) || { date, placed: 0, completed: 0, cancelled: 0, revenueMinor: 0, newCustomers: 0 });
    $("revenue-chart").replaceChildren(revenueChart(days, format));
    $("days").replaceChildren(...days.map((day) => el("tr", {},
      el("th", { scope: "row" }, day.date), el("td", {}, String(day.placed)), el("td", {}, String(day.completed)),
      el("td", {}, String(day.cancelled)), el("td", { className: "money" }, format(day.revenueMinor)), el("td", {}, String(day.newCustomers)))));
    renderCategories(stats.byCategory);
    $("figures").hidden = false;
    status.textContent = `Figures from ${from} to ${to}.`;
  }

  function renderTotals(stats, format) {
    const { total } = stats;
    const counters = [
      ["Orders placed", total.placed, "total-placed"], ["Completed", total.completed, "total-completed"],
      ["Cancelled", total.cancelled, "total-cancelled"], ["Revenue", format(total.revenueMinor), "total-revenue"],
      ["New customers", total.newCustomers, "total-customers"],
    ];
    const stock = [["In stock", stats.inStock, "total-in-stock"], ["Out of stock", stats.outOfStock, "total-out-of-stock"]];
    const items = (list) => list.map(([term, value, id]) => el("div", {}, el("dt", {}, term), el("dd", { id }, String(value))));
    $("totals").replaceChildren(...items(counters));
    $("stock").replaceChildren(...items(stock));
  }

  function renderCategories(rows) {
    const most = Math.max(1, ...rows.map((row) => row.count));
    const sorted = [...rows].sort((a, b) => b.count - a.count);
    $("by-category").replaceChildren(...sorted.map((row) => {
      const name = row.name || ctx.lookups.categories.get(row.id) || row.id;
      // Set through the CSSOM: the pages' policy refuses inline style attributes.
      const fill = el("span", { className: "fill" });
      fill.style.width = `${(row.count / most) * 100}%`;
      return el("li", {},
        el("span", {}, name),
        el("span", { className: "track", "aria-hidden": "true" }, fill),
        el("span", { className: "count" }, String(row.count)));
    }));
  }

  async function loadLatest() {
    const page = await ctx.api("GET", `/orders?limit=${LATEST}`);
    $("latest").replaceChildren(...page.items.map((order) => el("tr", { data: { orderId: order.id } }, ...orderSummaryCells(order))));
    $("latest-status").textContent = `Latest orders read at ${new Date().toLocaleTimeString()}: ${page.items.length}.`;
  }

  return {
    heading: () => $("overview-title"),
    async start() {
      const today = new Date();
      const first = new Date(today);
      first.setUTCDate(first.getUTCDate() - (DAYS_SHOWN - 1));
      $("range-from").value = isoDay(first);
      $("range-to").value = isoDay(today);
      $("range").onsubmit = (event) => {
        event.preventDefault();
        loadFigures().catch(ctx.failed);
      };
      $("refresh-latest").onclick = () => loadLatest().catch(ctx.failed);
      // Every shop's order events, live: the list is read again on each (and on each reconnect,
      // to catch up on what came while the socket was down).
      const live = new Live(ctx.session(), { feed: "orders" }, {
        onOpen: () => loadLatest().catch(ctx.failed),
        onMessage: (event) => ORDER_EVENTS.includes(event.type) && loadLatest().catch(ctx.failed),
        onStatus: (_kind, text) => { $("latest-live").textContent = text; },
      });
      live.connect().catch(ctx.failed);
      await Promise.all([loadFigures(), loadLatest()]);
    },
    shown: () => Promise.all([loadFigures(), loadLatest()]),
  };
}
