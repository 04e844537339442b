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
/// A catch-up reads back to this long before the newest event shown: events are stamped by the
/// function that stored them, and one stored a moment earlier may reach the socket later.
const CATCH_UP_OVERLAP_MS = 30_000;

const state = {
  config: null,
  tokens: null,      // { access_token, refresh_token, expires_at (ms) }
  me: null,          // the caller as the API reads the token (GET /me): roles, shops, name
  shop: null,
  socket: null,
  backoff: 1000,
  seen: new Set(),   // event ids shown, so a catch-up never repeats one
  events: [],        // shown events, newest first (by time)
  catchUpFrom: 0,    // ms: how far back the next catch-up reads
  ordersRequest: 0,  // the latest orders request; older answers are dropped
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
  if (!response.ok) {
    const error = new Error(`Sign-in failed: ${body.error_description || body.error || response.status}`);
    error.code = body.error;
    throw error;
  }
  const lifetime = Number.isFinite(body.expires_in) && body.expires_in > 0 ? body.expires_in : 300;
  saveTokens({
    access_token: body.access_token,
    refresh_token: body.refresh_token || (state.tokens && state.tokens.refresh_token),
    expires_at: Date.now() + lifetime * 1000,
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
    if (await renew() && state.socket) state.socket.close(4000, "token renewed");
  }, wait);
}

/// Trades the refresh token for fresh tokens. A refused refresh token signs out; anything else
/// (the network, the provider restarting) is tried again in 10 s.
async function renew() {
  try {
    await tokenRequest({
      grant_type: "refresh_token",
      refresh_token: state.tokens.refresh_token,
      client_id: state.config.client_id,
    });
    return true;
  } catch (error) {
    if (error.code === "invalid_grant" || error.code === "invalid_client") {
      signOut();
      showError(`${error.message} Sign in again.`);
    } else {
      showError(`${error.message}; trying again.`);
      clearTimeout(state.renewTimer);
      state.renewTimer = setTimeout(() => renew().then((ok) => ok && state.socket && state.socket.close(4000, "token renewed")), 10_000);
    }
    return false;
  }
}

/// A timer may fire late (a laptop asleep): before using the token, renew it if it is due.
async function freshToken() {
  if (state.tokens && state.tokens.expires_at - Date.now() < RENEW_EARLY_MS) await renew();
  return state.tokens;
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

async function api(method, path, retried = false) {
  const tokens = await freshToken();
  if (!tokens) throw new Error("Signed out.");
  const response = await fetch(`${state.config.api_url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  if (response.status === 401 && !retried && (await renew())) return api(method, path, true);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${method} ${path}: ${response.status}`);
  return body;
}

// ---- live events ------------------------------------------------------------------------------

async function connect() {
  clearTimeout(state.reconnectTimer);
  const tokens = await freshToken();
  if (!tokens) return;
  // Fixed before the socket opens: live events arriving during the catch-up must not move it.
  const newest = state.events.length ? Date.parse(state.events[0].time) : startOfToday();
  state.catchUpFrom = Math.max(startOfToday(), newest - CATCH_UP_OVERLAP_MS);
  const url = `${state.config.websocket_url}?shop_id=${encodeURIComponent(state.shop)}` +
    `&token=${encodeURIComponent(tokens.access_token)}`;
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
    state.reconnectTimer = setTimeout(() => connect().catch((error) => showError(error.message)), state.backoff + jitter);
    state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
  };
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
  showError("");
  setConnection("reconnecting", "Connecting");
  connect().catch((error) => showError(error.message));
  refreshOrders().catch((error) => showError(error.message));
}

async function start() {
  $("sign-in").onclick = () => signIn().catch((error) => showError(error.message));
  $("sign-out").onclick = signOut;
  $("refresh-orders").onclick = () => refreshOrders().catch((error) => showError(error.message));
  $("order-status").onchange = $("refresh-orders").onclick;
  $("more-orders").onclick = () => refreshOrders(true).catch((error) => showError(error.message));
  $("watch").onclick = () => watch($("shop").value);

  const config = await fetch("config.json");
  state.config = config.ok ? await config.json().catch(() => null) : null;
  if (!state.config) throw new Error(`config.json could not be read (${config.status}): ask whoever deployed this page.`);
  const params = new URLSearchParams(location.search);
  if (params.has("error")) {
    history.replaceState(null, "", redirectUri());
    throw new Error(`Sign-in refused: ${params.get("error_description") || params.get("error")}`);
  }
  if (params.has("code")) await finishSignIn(params);
  const stored = JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  if (!state.tokens && stored && stored.expires_at > Date.now() + 5_000) saveTokens(stored);
  if (!state.tokens) return show("signed-out");

  // Roles and shops as the API reads them from the token, whichever provider issued it
  // (Keycloak's and Cognito's claims differ; the API's authorizer knows both).
  state.me = await api("GET", "/me");
  // Shops are a merchant's; an admin watches the shops their token names too.
  const watcher = state.me.roles.includes("merchant") || state.me.roles.includes("admin");
  const shops = watcher ? state.me.shop_ids : [];
  if (shops.length === 0) {
    showError("This account works for no shop.");
    return show("signed-out");
  }
  const remembered = sessionStorage.getItem(SHOP);
  if (shops.length === 1 || shops.includes(remembered)) return watch(shops.includes(remembered) ? remembered : shops[0]);
  $("shop").replaceChildren(...shops.map((shop) => new Option(shop, shop)));
  show("pick-shop");
}

document.addEventListener("visibilitychange", () => {
  // Back from sleep: a late renewal timer must not leave an expired token in use.
  if (document.visibilityState === "visible" && state.tokens) freshToken().catch(() => {});
});

start().catch((error) => {
  showError(error.message);
  show("signed-out");
});
