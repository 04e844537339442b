// The support console: an agent's availability, the queue (oldest first) and their own
// conversations, both kept live from the support channel's events, and one conversation open
// to answer, note, close or put back. No framework and no build step.

import { ConversationView } from "../common/conversation.js";
import { $, el, setConnection, short, show as showOnly, showError, when } from "../common/dom.js";
import { Live } from "../common/live.js";
import { ApiError, Session, renewWhenVisible } from "../common/session.js";

const session = new Session("support");
const state = {
  live: null,
  view: null,
  queue: new Map(), // waiting conversations by id
  queueCursor: null,
  mine: new Map(), // conversations assigned to me by id
  latest: new Map(), // the newest state seen of each conversation, by id
  heard: null, // changes heard while the lists are being read
  unread: new Set(), // conversations with messages not seen here yet
  canned: [],
};

const show = (section) => showOnly(section, ["signed-out", "desk"]);
const failed = (error) => showError(error.message);
const me = () => session.me.user_id;

// ---- the lists ----------------------------------------------------------------------------------

/// The queue and my conversations as the API has them now: at sign-in and after each reconnect.
/// Changes heard while the lists are read are applied again on top of them.
async function refreshLists() {
  const heard = [];
  state.heard = heard;
  try {
    const [queue, mine] = await Promise.all([
      session.api("GET", "/support/conversations?status=waiting&limit=50"),
      session.api("GET", "/support/conversations?status=assigned&assignee=me&limit=100"),
    ]);
    state.queue = new Map();
    state.mine = new Map();
    state.queueCursor = queue.next_cursor;
    for (const conversation of [...queue.items, ...mine.items]) place(newest(conversation));
  } finally {
    if (state.heard === heard) state.heard = null;
  }
  for (const conversation of heard) changed(conversation);
  renderLists();
}

async function moreQueue() {
  const page = await session.api("GET", `/support/conversations?status=waiting&limit=50&cursor=${encodeURIComponent(state.queueCursor)}`);
  for (const conversation of page.items) place(newest(conversation));
  state.queueCursor = page.next_cursor;
  renderLists();
}

/// The newest state seen here of `conversation` (events and listings may cross).
function newest(conversation) {
  const latest = state.latest.get(conversation.id);
  if (latest && latest.version > conversation.version) return latest;
  state.latest.set(conversation.id, conversation);
  return conversation;
}

/// In the queue while waiting, in my list while assigned to me.
function place(conversation) {
  const { id } = conversation;
  if (conversation.status === "waiting") state.queue.set(id, conversation);
  else state.queue.delete(id);
  if (conversation.status === "assigned" && conversation.assignee_id === me()) state.mine.set(id, conversation);
  else state.mine.delete(id);
}

/// A conversation changed (new, taken, put back, closed): the lists and the open view follow.
function changed(conversation) {
  if (state.heard) state.heard.push(conversation);
  const current = newest(conversation);
  place(current);
  renderLists();
  state.view.update(current);
  if (state.view.current === current.id) renderFacts();
}

function renderLists() {
  const byWaiting = (a, b) => a.waiting_since.localeCompare(b.waiting_since);
  const byActivity = (a, b) => b.last_message_at.localeCompare(a.last_message_at);
  const queue = [...state.queue.values()].sort(byWaiting);
  const mine = [...state.mine.values()].sort(byActivity);
  $("queue").replaceChildren(...queue.map((conversation) => listItem(conversation, true)));
  $("mine").replaceChildren(...mine.map((conversation) => listItem(conversation, false)));
  $("queue-count").textContent = `(${queue.length}${state.queueCursor ? "+" : ""})`;
  $("mine-count").textContent = `(${mine.length})`;
  $("queue-empty").hidden = queue.length > 0;
  $("mine-empty").hidden = mine.length > 0;
  $("more-queue").hidden = !state.queueCursor;
}

function customer(conversation) {
  return conversation.customer_name || `customer ${short(conversation.customer_id)}`;
}

function listItem(conversation, inQueue) {
  const unread = state.unread.has(conversation.id);
  const since = inQueue ? `waiting since ${when(conversation.waiting_since)}` : `last message ${when(conversation.last_message_at)}`;
  const open = el("button", { type: "button", className: "open", "aria-current": state.view.current === conversation.id ? "true" : null },
    el("span", { className: "subject" }, conversation.subject),
    el("span", { className: "detail" }, `${customer(conversation)} · ${since}`),
    unread ? el("span", { className: "unread" }, "new messages") : null);
  open.onclick = () => openConversation(conversation).catch(failed);
  const item = el("li", { data: { conversationId: conversation.id }, className: unread ? "unread" : "" }, open);
  if (inQueue) {
    const take = el("button", { type: "button", className: "take", "aria-label": `Take “${conversation.subject}”` }, "Take");
    take.onclick = () => takeConversation(conversation.id).catch(failed);
    item.append(take);
  }
  return item;
}

// ---- one conversation ---------------------------------------------------------------------------

async function openConversation(conversation) {
  showError("");
  state.unread.delete(conversation.id);
  const opening = state.view.open(conversation);
  renderFacts();
  renderLists();
  await opening;
}

function renderFacts() {
  const conversation = state.view.conversation;
  const mine = conversation.status === "assigned" && conversation.assignee_id === me();
  $("conversation-title").textContent = conversation.subject;
  const facts = [
    ["Customer", `${customer(conversation)} (${conversation.customer_id})`],
    ["Status", conversation.status === "assigned" ? `assigned to ${conversation.assignee_id === me() ? "you" : conversation.assignee_id}` : conversation.status],
    ["Opened", when(conversation.created_at)],
    ["Order", conversation.order_id],
    ["Book", conversation.book_id],
    ["Rating", conversation.rating && `${conversation.rating.score}/5${conversation.rating.comment ? ` — ${conversation.rating.comment}` : ""}`],
  ];
  $("facts").replaceChildren(...facts.filter(([, value]) => value)
    .map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value))));
  $("take").hidden = conversation.status !== "waiting";
  $("unassign").hidden = !mine;
  $("close").hidden = !mine;
  // Agents answer the conversations they have taken; the others they read.
  $("reply").hidden = !mine;
}

async function takeConversation(id) {
  showError("");
  try {
    const taken = await session.api("POST", `/support/conversations/${id}/assign`);
    changed(taken);
    await openConversation(taken);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    state.queue.delete(id);
    renderLists();
    showError(`Someone else took it: ${error.message}.`);
    // The open view shows who has it now.
    if (state.view.current === id) changed(await session.api("GET", `/support/conversations/${id}`));
  }
}

async function manage(action) {
  const id = state.view.current;
  changed(await session.api("POST", `/support/conversations/${id}/${action}`));
  $("conversation-title").focus(); // the button pressed is gone
}

// ---- the agent ----------------------------------------------------------------------------------

async function loadAvailability() {
  let status = "away";
  try {
    status = (await session.api("GET", "/support/agents/me")).status;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error; // 404: never set yet
  }
  renderAvailability(status);
}

function renderAvailability(status) {
  for (const radio of document.querySelectorAll("input[name=availability]")) radio.checked = radio.value === status;
  $("availability-note").textContent = status === "online"
    ? "New conversations are announced to you."
    : "Away: new conversations are not announced to you (the queue refreshes when you reconnect).";
}

async function setAvailability(status) {
  const saved = await session.api("PUT", "/support/agents/me", { status });
  renderAvailability(saved.status);
  // Online again: what came into the queue while away.
  if (saved.status === "online") await refreshLists();
}

async function loadCanned() {
  state.canned = (await session.api("GET", "/support/canned-replies")).items;
  const options = state.canned.map((reply) => new Option(reply.title, reply.code));
  $("canned").replaceChildren(...(options.length ? options : [new Option("none yet (admins write them)", "")]));
  for (const id of ["canned", "insert-canned"]) $(id).disabled = options.length === 0;
}

function insertCanned() {
  const reply = state.canned.find((candidate) => candidate.code === $("canned").value);
  if (!reply) return;
  const box = $("reply-text");
  box.value = box.value ? `${box.value}\n${reply.text}` : reply.text;
  box.focus();
}

// ---- the socket ---------------------------------------------------------------------------------

function received(event) {
  const data = event.data || {};
  if (["com.bookworm.chat.waiting", "com.bookworm.chat.assigned", "com.bookworm.chat.closed"].includes(event.type)) {
    const { conversation_id: _, ...conversation } = data;
    const isNew = conversation.status === "waiting" && !state.queue.has(conversation.id);
    changed(conversation);
    if (isNew) $("announce").textContent = `Waiting in the queue: ${conversation.subject}`;
  }
  state.view.receive(event);
}

/// A message for a conversation that is not open: marked in the lists until it is opened.
function noted(conversationId, message, live) {
  if (!live || conversationId === state.view.current || message.author_id === me()) return;
  state.unread.add(conversationId);
  renderLists();
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
  $("more-queue").onclick = () => moreQueue().catch(failed);
  $("take").onclick = () => takeConversation(state.view.current).catch(failed);
  $("unassign").onclick = () => manage("unassign").catch(failed);
  $("close").onclick = () => manage("close").catch(failed);
  $("insert-canned").onclick = insertCanned;
  for (const radio of document.querySelectorAll("input[name=availability]")) {
    radio.onchange = () => setAvailability(radio.value).catch(failed);
  }
  $("reply").onsubmit = (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    state.view.send($("private").checked ? { text, private: true } : { text });
    $("reply-text").value = "";
    $("private").checked = false;
  };
  session.onError = showError;
  session.onSignedOut = signedOut;

  const who = await session.start();
  if (!who) return signedOut();
  $("who").textContent = `Signed in as ${who.name || who.username || who.user_id}`;
  $("sign-out").hidden = false;
  if (!who.roles.includes("support") && !who.roles.includes("admin")) {
    showError("This account is not a support agent: sign in again with the support role.");
    setConnection("offline", "Not connected");
    return show("signed-out");
  }
  state.live = new Live(session, { channel: "support" }, {
    onOpen: () => Promise.all([refreshLists(), state.view.reconnected()]).catch(failed),
    onMessage: received,
    onStatus: setConnection,
  });
  state.view = new ConversationView({
    session, live: state.live, side: "support", onMessage: noted,
    names: (conversation, message) => {
      if (message.author_role === "customer") return customer(conversation);
      return message.author_id === me() ? "You" : `Agent ${message.author_id}`;
    },
  });
  show("desk");
  setConnection("reconnecting", "Connecting");
  await Promise.all([loadAvailability(), loadCanned(), refreshLists()]);
  await state.live.connect();
}

renewWhenVisible(session);
start().catch((error) => {
  showError(error.message);
  if (!session.tokens) show("signed-out");
});
