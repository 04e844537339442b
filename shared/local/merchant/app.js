// The merchant dashboard: one shop's live events, today's counters and its orders.
// No framework and no build step: the page is these three files and a config.json beside them
// (API and WebSocket URLs, the identity provider's endpoints and client id).
"use strict";

const $ = (id) => document.getElementById(id);
const TOKENS = "bookworm.tokens";
const PENDING = "bookworm.sign-in";
const SHOP = "bookworm.shop";
const MAX_BACKOFF_MS = 30_000;
/// Renew this long before the access token expires.
const RENEW_EARLY_MS = 60_000;

const state = {
  config: null,
  tokens: null,      // { access_token, refresh_token, expires_at (ms) }
  me: null,          // the caller as the API reads the token (GET /me): roles, shops, name
  shop: null,
  socket: null,
  backoff: 1000,
  seen: new Set(),   // event ids shown, so a catch-up never repeats one
  events: [],        // shown events, newest first
  renewTimer: null,
  reconnectTimer: null,
  ordersCursor: null,
};

// ---- OpenID Connect: authorization code with PKCE (S256) ---------------------------------------

function base64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function redirectUri() {
  return location.origin + location.pathname;
}

async function signIn() {
  const verifier = randomText();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const pending = { verifier, state: randomText(), nonce: randomText() };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: state.config.client_id,
    redirect_uri: redirectUri(),
    scope: state.config.scope || "openid",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${state.config.authorization_endpoint}?${query}`);
}

/// Back from the identity provider with ?code=&state=: exchange the code for tokens.
async function finishSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", redirectUri());
  if (!pending || params.get("state") !== pending.state) {
    throw new Error("The sign-in answer does not belong to this page's sign-in; sign in again.");
  }
  await tokenRequest({
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: redirectUri(),
    client_id: state.config.client_id,
    code_verifier: pending.verifier,
  });
}

async function tokenRequest(form) {
  const response = await fetch(state.config.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`Sign-in failed: ${body.error_description || body.error || response.status}`);
  saveTokens({
    access_token: body.access_token,
    refresh_token: body.refresh_token || (state.tokens && state.tokens.refresh_token),
    expires_at: Date.now() + body.expires_in * 1000,
  });
}

function saveTokens(tokens) {
  state.tokens = tokens;
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
  scheduleRenewal();
}

/// Renews the access token a minute before it expires, then reconnects with the new one (the
/// socket would be closed at the old token's expiry; the catch-up fills the gap).
function scheduleRenewal() {
  clearTimeout(state.renewTimer);
  const wait = Math.max(0, state.tokens.expires_at - Date.now() - RENEW_EARLY_MS);
  state.renewTimer = setTimeout(async () => {
    try {
      await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: state.tokens.refresh_token,
        client_id: state.config.client_id,
      });
      if (state.socket) state.socket.close(4000, "token renewed");
    } catch (error) {
      showError(`${error.message} Sign in again.`);
      signOut();
    }
  }, wait);
}

function signOut() {
  sessionStorage.removeItem(TOKENS);
  state.tokens = null;
  state.shop = null;
  if (state.socket) {
    state.socket.onclose = null;
    state.socket.close();
  }
  clearTimeout(state.renewTimer);
  clearTimeout(state.reconnectTimer);
  show("signed-out");
  setConnection("offline", "Signed out");
}

// ---- the API ----------------------------------------------------------------------------------

async function api(method, path) {
  const response = await fetch(`${state.config.api_url}${path}`, {
    method,
    headers: { authorization: `Bearer ${state.tokens.access_token}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${method} ${path}: ${response.status}`);
  return body;
}

// ---- live events ------------------------------------------------------------------------------

function connect() {
  clearTimeout(state.reconnectTimer);
  const url = `${state.config.websocket_url}?shop_id=${encodeURIComponent(state.shop)}` +
    `&token=${encodeURIComponent(state.tokens.access_token)}`;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.onopen = async () => {
    state.backoff = 1000;
    setConnection("live", "Live");
    try {
      await catchUp();
    } catch (error) {
      showError(error.message);
    }
  };
  socket.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event && typeof event.type === "string" && event.type.startsWith("com.bookworm.")) addEvents([event]);
  };
  socket.onclose = () => {
    if (state.socket !== socket || !state.tokens) return;
    setConnection("reconnecting", `Reconnecting in ${Math.round(state.backoff / 1000)} s`);
    const jitter = Math.random() * 250;
    state.reconnectTimer = setTimeout(connect, state.backoff + jitter);
    state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
  };
}

/// Reads the shop's history, newest first, until it reaches an event already shown (or the
/// start of today): what arrived while the socket was down appears once, in order.
async function catchUp() {
  const startOfDay = new Date();
  startOfDay.setHours(0, 0, 0, 0);
  const missed = [];
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body = await api("GET", `/shops/${state.shop}/events?${query}`);
    let reachedKnown = false;
    for (const event of body.items) {
      if (state.seen.has(event.id) || new Date(event.time) < startOfDay) {
        reachedKnown = true;
        break;
      }
      missed.push(event);
    }
    cursor = body.next_cursor;
    if (reachedKnown || !cursor) break;
  }
  addEvents(missed.reverse());
}

/// Shows events (oldest first), skipping any already shown.
function addEvents(events) {
  let ordersChanged = false;
  for (const event of events) {
    if (state.seen.has(event.id)) continue;
    state.seen.add(event.id);
    state.events.unshift(event);
    $("feed").prepend(feedItem(event));
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

function short(id) {
  return String(id || "").slice(0, 8);
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
  const status = $("order-status").value;
  const query = new URLSearchParams({ limit: "20" });
  if (status) query.set("status", status);
  if (append && state.ordersCursor) query.set("cursor", state.ordersCursor);
  const page = await api("GET", `/shops/${state.shop}/orders?${query}`);
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
  const isAdmin = state.me.roles.includes("admin");
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
          await refreshOrders();
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

function show(section) {
  for (const id of ["signed-out", "pick-shop", "dashboard"]) $(id).hidden = id !== section;
}

function setConnection(kind, text) {
  const element = $("connection");
  element.className = `connection ${kind}`;
  element.textContent = text;
}

function showError(message) {
  const element = $("error");
  element.textContent = message;
  element.hidden = !message;
}

function watch(shop) {
  state.shop = shop;
  sessionStorage.setItem(SHOP, shop);
  $("shop-name").textContent = `shop ${short(shop)}`;
  $("who").textContent = `Signed in as ${state.me.name || state.me.username || state.me.user_id}`;
  show("dashboard");
  setConnection("reconnecting", "Connecting");
  connect();
  refreshOrders().catch((error) => showError(error.message));
}

async function start() {
  $("sign-in").onclick = () => signIn().catch((error) => showError(error.message));
  $("sign-out").onclick = signOut;
  $("refresh-orders").onclick = () => refreshOrders().catch((error) => showError(error.message));
  $("order-status").onchange = $("refresh-orders").onclick;
  $("more-orders").onclick = () => refreshOrders(true).catch((error) => showError(error.message));
  $("watch").onclick = () => watch($("shop").value);

  state.config = await (await fetch("config.json")).json();
  const params = new URLSearchParams(location.search);
  if (params.has("code")) await finishSignIn(params);
  const stored = JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  if (!state.tokens && stored && stored.expires_at > Date.now() + 5_000) saveTokens(stored);
  if (!state.tokens) return show("signed-out");

  // Roles and shops as the API reads them from the token, whichever provider issued it
  // (Keycloak's and Cognito's claims differ; the API's authorizer knows both).
  state.me = await api("GET", "/me");
  const shops = state.me.shop_ids;
  if (shops.length === 0) {
    showError("This account works for no shop.");
    return show("signed-out");
  }
  const remembered = sessionStorage.getItem(SHOP);
  if (shops.length === 1 || shops.includes(remembered)) return watch(shops.includes(remembered) ? remembered : shops[0]);
  $("shop").replaceChildren(...shops.map((shop) => new Option(shop, shop)));
  show("pick-shop");
}

start().catch((error) => {
  showError(error.message);
  show("signed-out");
});
