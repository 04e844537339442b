// The merchant dashboard: one shop's live events, today's counters and its orders.
// No framework and no build step: the page is these three files, the modules of ../common/ and a
// config.json beside them (API and WebSocket URLs, the identity provider's endpoints, client id).

import { $, setConnection, short, show as showOnly, showError } from "../common/dom.js";
import { Live } from "../common/live.js";
import { Session, renewWhenVisible } from "../common/session.js";

const SHOP = "bookworm.merchant.shop";
/// A catch-up reads back to this long before the newest event shown: events are stamped by the
/// function that stored them, and one stored a moment earlier may reach the socket later.
const CATCH_UP_OVERLAP_MS = 30_000;

const session = new Session("merchant");
const state = {
  live: null,
  shop: null,
  seen: new Set(),   // event ids shown, so a catch-up never repeats one
  events: [],        // shown events, newest first (by time)
  catchUpFrom: 0,    // ms: how far back the next catch-up reads
  ordersRequest: 0,  // the latest orders request; older answers are dropped
  ordersCursor: null,
};

const api = (method, path) => session.api(method, path);

// ---- live events ------------------------------------------------------------------------------

function watchLive() {
  state.live = new Live(session, { shop_id: state.shop }, {
    // Fixed before the socket opens: live events arriving during the catch-up must not move it.
    onConnecting() {
      const newest = state.events.length ? Date.parse(state.events[0].time) : startOfToday();
      state.catchUpFrom = Math.max(startOfToday(), newest - CATCH_UP_OVERLAP_MS);
    },
    onOpen: () => catchUp().catch((error) => showError(error.message)),
    onMessage(event) {
      if (typeof event.type === "string" && event.type.startsWith("com.bookworm.")) addEvents([event]);
    },
    onStatus: setConnection,
  });
  state.live.connect().catch((error) => showError(error.message));
}

function startOfToday() {
  const day = new Date();
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/// Reads the shop's history, newest first, back to `catchUpFrom` (the newest event shown before
/// the socket dropped, less an overlap), adding what is not shown yet: what arrived while the
/// socket was down appears once, in time order, even if live events came in meanwhile.
async function catchUp() {
  const missed = [];
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body = await api("GET", `/shops/${state.shop}/events?${query}`);
    let reachedStart = false;
    for (const event of body.items) {
      if (Date.parse(event.time) < state.catchUpFrom) {
        reachedStart = true;
        break;
      }
      missed.push(event);
    }
    cursor = body.next_cursor;
    if (reachedStart || !cursor) break;
  }
  addEvents(missed.reverse(), false);
}

/// Shows events, each where its time puts it (newest first), skipping any already shown.
/// Live ones are also announced to screen readers; a catch-up is not read out item by item.
function addEvents(events, live = true) {
  let ordersChanged = false;
  const feed = $("feed");
  for (const event of events) {
    if (state.seen.has(event.id)) continue;
    state.seen.add(event.id);
    const time = Date.parse(event.time);
    let index = state.events.findIndex((shown) => Date.parse(shown.time) < time);
    if (index === -1) index = state.events.length;
    state.events.splice(index, 0, event);
    feed.insertBefore(feedItem(event), feed.children[index] || null);
    if (live) $("announce").textContent = `New: ${describe(event).what}`;
    ordersChanged ||= event.type === "com.bookworm.checkout.completed" || event.type.startsWith("com.bookworm.order.");
  }
  updateCounters();
  // One reload of the orders for a whole catch-up, not one per checkout in it.
  if (ordersChanged) refreshOrders().catch((error) => showError(error.message));
}

function money(value) {
  const number = Number(value);
  return Number.isFinite(number) ? number.toFixed(2) : "";
}

/// Who, what, which book or product, amount and basket total, readable at a glance.
function describe(event) {
  const data = event.data || {};
  switch (event.type) {
    case "com.bookworm.checkout.action":
      return { what: `${data.action} ${data.product_name}`, amount: money(data.product_price),
        detail: `in store · shopper ${short(data.shopper_id)} · basket ${money(data.basket_total)}` };
    case "com.bookworm.basket.item_added":
      return { what: `Added ${data.name} × ${data.quantity}`, amount: money(data.unit_price),
        detail: `online · customer ${short(data.customer_id)} · basket ${money(data.total)}` };
    case "com.bookworm.basket.item_updated":
      return { what: `${data.name}: now × ${data.quantity}`, amount: money(data.unit_price),
        detail: `online · customer ${short(data.customer_id)} · basket ${money(data.total)}` };
    case "com.bookworm.basket.item_removed":
      return { what: `Removed ${data.name || "a book"}`, amount: "",
        detail: `online · customer ${short(data.customer_id)} · basket ${money(data.total)}` };
    case "com.bookworm.basket.cleared":
      return { what: "Emptied the basket", amount: "", detail: `online · customer ${short(data.customer_id)}` };
    case "com.bookworm.checkout.completed":
      return { what: `Checkout: order ${short(data.order_id)}`, amount: money(data.total),
        detail: `buyer ${short(data.buyer_id)}` };
    case "com.bookworm.order.completed":
      return { what: `Order ${short(data.order_id)} completed`, amount: money(data.total), detail: "" };
    case "com.bookworm.order.cancelled":
      return { what: `Order ${short(data.order_id)} cancelled`, amount: money(data.total), detail: "" };
    default:
      return { what: event.type.replace("com.bookworm.", ""), amount: "", detail: "" };
  }
}

function feedItem(event) {
  const { what, amount, detail } = describe(event);
  const item = document.createElement("li");
  item.dataset.eventId = event.id;
  item.dataset.type = event.type;
  const cell = (className, text) => {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    item.append(element);
  };
  cell("time", new Date(event.time).toLocaleTimeString());
  cell("what", what);
  cell("amount", amount);
  if (detail) cell("detail", detail);
  return item;
}

function updateCounters() {
  const today = new Date().toDateString();
  const todays = state.events.filter((event) => new Date(event.time).toDateString() === today);
  const checkouts = todays.filter((event) => event.type === "com.bookworm.checkout.completed");
  $("count-actions").textContent = todays.filter((e) => e.type === "com.bookworm.checkout.action").length;
  $("count-checkouts").textContent = checkouts.length;
  const cents = checkouts.reduce((sum, event) => sum + Math.round(Number(event.data.total) * 100), 0);
  $("count-revenue").textContent = (cents / 100).toFixed(2);
}

// ---- orders -----------------------------------------------------------------------------------

async function refreshOrders(append = false) {
  const request = ++state.ordersRequest;
  const status = $("order-status").value;
  const query = new URLSearchParams({ limit: "20" });
  if (status) query.set("status", status);
  if (append && state.ordersCursor) query.set("cursor", state.ordersCursor);
  const page = await api("GET", `/shops/${state.shop}/orders?${query}`);
  if (request !== state.ordersRequest) return; // a newer request answers instead
  const rows = $("orders");
  if (!append) rows.replaceChildren();
  for (const order of page.items) rows.append(orderRow(order));
  state.ordersCursor = page.next_cursor;
  $("more-orders").hidden = !page.next_cursor;
}

function orderRow(order) {
  const row = document.createElement("tr");
  row.dataset.orderId = order.id;
  const books = order.lines.map((line) => `${line.name} × ${line.quantity}`).join(", ");
  for (const text of [new Date(order.created_at).toLocaleString(), short(order.buyer_id), books,
    money(order.total), order.status]) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.append(cell);
  }
  const actions = document.createElement("td");
  actions.className = "actions";
  const isAdmin = session.me.roles.includes("admin");
  if (isAdmin && order.status === "new") {
    for (const [label, move] of [["Complete", "complete"], ["Cancel", "cancel"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.className = move === "cancel" ? "secondary" : "";
      button.setAttribute("aria-label", `${label} order ${short(order.id)}`);
      button.onclick = async () => {
        button.disabled = true;
        try {
          await api("PATCH", `/orders/${order.id}/${move}`);
          $("announce").textContent = `Order ${short(order.id)} ${move === "complete" ? "completed" : "cancelled"}`;
          await refreshOrders();
          $("order-status").focus(); // the row and its button are gone
        } catch (error) {
          showError(error.message);
          button.disabled = false;
        }
      };
      actions.append(button);
    }
  }
  row.append(actions);
  return row;
}

// ---- the page ---------------------------------------------------------------------------------

const SECTIONS = ["signed-out", "pick-shop", "dashboard"];
const show = (section) => showOnly(section, SECTIONS);

function watch(shop) {
  state.shop = shop;
  sessionStorage.setItem(SHOP, shop);
  $("shop-name").textContent = `shop ${short(shop)}`;
  $("who").textContent = `Signed in as ${session.me.name || session.me.username || session.me.user_id}`;
  show("dashboard");
  showError("");
  setConnection("reconnecting", "Connecting");
  watchLive();
  refreshOrders().catch((error) => showError(error.message));
}

async function start() {
  $("sign-in").onclick = () => session.signIn().catch((error) => showError(error.message));
  $("sign-out").onclick = () => session.signOut();
  $("refresh-orders").onclick = () => refreshOrders().catch((error) => showError(error.message));
  $("order-status").onchange = $("refresh-orders").onclick;
  $("more-orders").onclick = () => refreshOrders(true).catch((error) => showError(error.message));
  $("watch").onclick = () => watch($("shop").value);
  session.onError = showError;
  session.onSignedOut = () => {
    state.shop = null;
    if (state.live) state.live.stop();
    else setConnection("offline", "Signed out");
    show("signed-out");
  };

  const me = await session.start();
  if (!me) return show("signed-out");
  // Shops are a merchant's; an admin watches the shops their token names too.
  const watcher = me.roles.includes("merchant") || me.roles.includes("admin");
  const shops = watcher ? me.shop_ids : [];
  if (shops.length === 0) {
    showError("This account works for no shop.");
    return show("signed-out");
  }
  const remembered = sessionStorage.getItem(SHOP);
  if (shops.length === 1 || shops.includes(remembered)) return watch(shops.includes(remembered) ? remembered : shops[0]);
  $("shop").replaceChildren(...shops.map((shop) => new Option(shop, shop)));
  show("pick-shop");
}

renewWhenVisible(session);
start().catch((error) => {
  showError(error.message);
  show("signed-out");
});
