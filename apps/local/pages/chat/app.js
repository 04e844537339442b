// The customers' chat: their conversations with support, a new one (subject, first message,
// optionally one of their orders), the open one live, closing it and rating it once closed.
// No framework and no build step.

import { ConversationView } from "../common/conversation.js";
import { $, el, setConnection, short, show as showOnly, showError, when } from "../common/dom.js";
import { Live } from "../common/live.js";
import { Session, renewWhenVisible } from "../common/session.js";

const session = new Session("chat");
const state = {
  live: null,
  view: null,
  conversations: new Map(), // mine, by id
  cursor: null,
  unread: new Set(),
  openingId: null, // the client_message_id of the opening being sent: a retry opens no second one
};

const show = (section) => showOnly(section, ["signed-out", "desk"]);
const failed = (error) => showError(error.message);

// ---- the list -----------------------------------------------------------------------------------

async function refreshList(more = false) {
  const query = new URLSearchParams({ limit: "50" });
  if (more) query.set("cursor", state.cursor);
  const page = await session.api("GET", `/support/conversations?${query}`);
  if (!more) state.conversations = new Map();
  for (const conversation of page.items) keep(conversation);
  state.cursor = page.next_cursor;
  renderList();
}

function keep(conversation) {
  const held = state.conversations.get(conversation.id);
  if (!held || held.version <= conversation.version) state.conversations.set(conversation.id, conversation);
  return state.conversations.get(conversation.id);
}

function renderList() {
  const conversations = [...state.conversations.values()].sort((a, b) => b.last_message_at.localeCompare(a.last_message_at));
  $("list").replaceChildren(...conversations.map((conversation) => {
    const unread = state.unread.has(conversation.id);
    const open = el("button", { type: "button", className: "open", "aria-current": state.view.current === conversation.id ? "true" : null },
      el("span", { className: "subject" }, conversation.subject),
      el("span", { className: "detail" }, `${statusText(conversation)} · ${when(conversation.last_message_at)}`),
      unread ? el("span", { className: "unread" }, "new reply") : null);
    open.onclick = () => openConversation(conversation.id).catch(failed);
    return el("li", { className: unread ? "unread" : "", data: { conversationId: conversation.id } }, open);
  }));
  $("list-empty").hidden = conversations.length > 0;
  $("more").hidden = !state.cursor;
}

function statusText(conversation) {
  switch (conversation.status) {
    case "waiting":
      return "waiting for an agent";
    case "assigned":
      return "an agent is with you";
    default:
      return "closed";
  }
}

/// A conversation changed (opened elsewhere, taken, closed): the list and the open view follow.
function changed(conversation) {
  const current = keep(conversation);
  renderList();
  state.view.update(current);
  if (state.view.current === current.id) renderStatus();
}

// ---- one conversation ---------------------------------------------------------------------------

async function openConversation(id) {
  showError("");
  state.unread.delete(id);
  const opening = state.view.open(state.conversations.get(id));
  renderStatus();
  renderList();
  await opening;
}

function renderStatus() {
  const conversation = state.view.conversation;
  const closed = conversation.status === "closed";
  $("conversation-title").textContent = conversation.subject;
  const about = conversation.order_id ? ` · about order ${short(conversation.order_id)}` : "";
  $("status").textContent = closed
    ? `Closed ${when(conversation.closed_at)}: a transcript goes to your email.${about}`
    : `${statusText(conversation)[0].toUpperCase()}${statusText(conversation).slice(1)}${about}`;
  $("close").hidden = closed;
  $("rating").hidden = !closed || Boolean(conversation.rating);
  $("rated").hidden = !conversation.rating;
  if (conversation.rating) $("rated").textContent = `You rated this ${conversation.rating.score} out of 5. Thank you!`;
}

async function startConversation() {
  const body = { subject: $("subject").value.trim(), text: $("first-message").value.trim() };
  if (!body.subject || !body.text) return;
  if ($("order").value) body.order_id = $("order").value;
  state.openingId ||= crypto.randomUUID();
  body.client_message_id = state.openingId;
  const conversation = await session.api("POST", "/support/conversations", body);
  state.openingId = null;
  $("opening").reset();
  keep(conversation);
  renderList();
  await openConversation(conversation.id);
}

async function closeConversation() {
  changed(await session.api("POST", `/support/conversations/${state.view.current}/close`));
  $("conversation-title").focus(); // the button pressed is gone
}

async function rate() {
  const id = state.view.current;
  const score = document.querySelector("input[name=score]:checked");
  if (!score) return;
  const body = { score: Number(score.value) };
  if ($("comment").value.trim()) body.comment = $("comment").value.trim();
  await session.api("POST", `/support/conversations/${id}/rating`, body);
  $("rating").reset();
  changed(await session.api("GET", `/support/conversations/${id}`));
  $("conversation-title").focus(); // the form is gone
}

async function loadOrders() {
  const orders = await session.api("GET", "/orders?limit=20");
  $("order").append(...orders.items.map((order) =>
    new Option(`${when(order.created_at)} · ${order.lines.map((line) => line.name).join(", ")}`, order.id)));
}

// ---- the socket ---------------------------------------------------------------------------------

function received(event) {
  if (["com.bookworm.chat.waiting", "com.bookworm.chat.assigned", "com.bookworm.chat.closed"].includes(event.type)) {
    const { conversation_id: _, ...conversation } = event.data;
    changed(conversation);
  }
  state.view.receive(event);
}

function noted(conversationId, message, live) {
  if (!live || conversationId === state.view.current || message.author_role === "customer") return;
  state.unread.add(conversationId);
  renderList();
}

// ---- the page -----------------------------------------------------------------------------------

function signedOut() {
  if (state.live) state.live.stop();
  else setConnection("offline", "Signed out");
  $("who").textContent = "";
  $("sign-out").hidden = true;
  show("signed-out");
}

async function start() {
  $("sign-in").onclick = () => session.signIn().catch(failed);
  $("sign-out").onclick = () => session.signOut();
  $("more").onclick = () => refreshList(true).catch(failed);
  $("close").onclick = () => closeConversation().catch(failed);
  $("opening").onsubmit = (event) => {
    event.preventDefault();
    startConversation().catch(failed);
  };
  // An edited opening is a new one, not a retry of the last.
  $("opening").oninput = () => (state.openingId = null);
  $("rating").onsubmit = (event) => {
    event.preventDefault();
    rate().catch(failed);
  };
  $("reply").onsubmit = (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    state.view.send({ text });
    $("reply-text").value = "";
  };
  session.onError = showError;
  session.onSignedOut = signedOut;

  const who = await session.start();
  if (!who) return signedOut();
  $("who").textContent = `Signed in as ${who.name || who.username || who.user_id}`;
  $("sign-out").hidden = false;
  state.live = new Live(session, { channel: "support" }, {
    onOpen: () => Promise.all([refreshList(), state.view.reconnected()]).catch(failed),
    onMessage: received,
    onStatus: setConnection,
  });
  state.view = new ConversationView({
    session, live: state.live, side: "customer", onMessage: noted,
    names: (_, message) => (message.author_role === "customer" ? "You" : "Support"),
  });
  show("desk");
  setConnection("reconnecting", "Connecting");
  // Orders are a nicety: without them (none, or the call refused) the opening still works.
  loadOrders().catch(() => ($("order").disabled = true));
  await refreshList();
  await state.live.connect();
}

renewWhenVisible(session);
start().catch((error) => {
  showError(error.message);
  if (!session.tokens) show("signed-out");
});
