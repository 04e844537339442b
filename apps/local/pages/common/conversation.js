// One support conversation on screen, for the customer's chat page and the agents' console
// alike: its history and its live messages in `seq` order, each once; what is sent, over the
// socket (`chat.send`) or, when that is down or silent, over HTTPS with the same
// client_message_id (stored once either way); typing; read receipts.
//
// Nothing is missed: each conversation keeps the last `seq` up to which it holds everything, and
// a reconnect, a reopening or a message that skips a number (live, acknowledged or answered
// over HTTPS) reads the history after it (`GET …/messages?cursor=<last seq>`), which is whole:
// what it leaves out (a customer is never shown agents' notes) is not missing. Ids, not
// positions, decide what is already shown.

import { $, el, showError, time } from "./dom.js";

/// How long a message sent over the socket waits for its chat.ack before going over HTTPS.
const ACK_WAIT_MS = 4_000;
/// At most one chat.typing this often; the indicator shows this long after the last one.
const TYPING_EVERY_MS = 3_000;
const TYPING_SHOWN_MS = 5_000;

/// Elements (the same ids on both pages): #conversation, #conversation-title, #messages,
/// #typing, #reply, #reply-text, #announce.
export class ConversationView {
  /// `side`: "customer" or "support", the author_role this page writes as. `names(conversation,
  /// message)` labels a message's author; `onMessage(conversationId, message, live)` tells the
  /// page of every message added (for its lists).
  constructor({ session, live, side, names, onMessage = () => {} }) {
    Object.assign(this, { session, live, side, names, onMessage });
    this.held = new Map(); // conversation id -> { conversation, messages: Map(id -> message), lastSeq, readSent, otherRead }
    this.current = null; // the open conversation's id
    this.pending = new Map(); // client_message_id -> { conversationId, body, item, timer }
    this.catchingUp = new Map(); // conversation id -> the catch-up in flight
    this.lastTyping = 0;
    this.typingTimer = null;
    $("reply-text").addEventListener("keydown", (event) => {
      // Enter sends; Shift+Enter is a new line (and an IME composing text keeps its Enter).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("reply").requestSubmit();
      }
    });
    $("reply-text").addEventListener("input", () => this.typing());
    document.addEventListener("visibilitychange", () => this.markRead());
  }

  get conversation() {
    return this.current && this.held.get(this.current).conversation;
  }

  hold(conversation) {
    let held = this.held.get(conversation.id);
    if (!held) {
      held = { conversation, messages: new Map(), lastSeq: 0, readSent: 0, otherRead: 0 };
      this.held.set(conversation.id, held);
    }
    held.conversation = conversation;
    const theirs = this.side === "support" ? conversation.customer_read : conversation.support_read;
    held.otherRead = Math.max(held.otherRead, theirs || 0);
    return held;
  }

  /// Shows `conversation` with what is held of it, then reads what is missing.
  async open(conversation) {
    this.current = conversation.id;
    const held = this.hold(conversation);
    $("conversation").hidden = false;
    const shown = [...held.messages.values()].sort((a, b) => a.seq - b.seq);
    $("messages").replaceChildren(...shown.map((message) => this.item(message)));
    $("typing").textContent = "";
    this.render();
    $("conversation-title").focus();
    await this.catchUp(conversation.id);
    this.scrollToEnd(true);
  }

  /// A newer state of a conversation (a chat.assigned, chat.closed or an API answer).
  update(conversation) {
    const held = this.held.get(conversation.id);
    if (!held || conversation.version < held.conversation.version) return;
    this.hold(conversation);
    if (conversation.id === this.current) {
      this.render();
      this.refreshReceipts();
    }
  }

  /// The reply box follows the conversation: closed ones take no more messages.
  render() {
    $("reply").hidden = this.conversation.status === "closed";
  }

  /// Reads the history after the last `seq` held, page by page; one read at a time per
  /// conversation, and one more after it if something asked meanwhile.
  catchUp(conversationId) {
    const running = this.catchingUp.get(conversationId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const run = { again: false };
    this.catchingUp.set(conversationId, run);
    run.done = (async () => {
      try {
        do {
          run.again = false;
          await this.readAfter(conversationId);
        } while (run.again);
        this.markRead();
      } catch (error) {
        showError(error.message);
      } finally {
        this.catchingUp.delete(conversationId);
      }
    })();
    return run.done;
  }

  async readAfter(conversationId) {
    const held = this.held.get(conversationId);
    let cursor = String(held.lastSeq);
    // At most 1,000 messages a conversation: ten pages.
    for (let page = 0; page < 20 && cursor; page++) {
      const query = new URLSearchParams({ cursor, limit: "100" });
      const body = await this.session.api("GET", `/support/conversations/${conversationId}/messages?${query}`);
      for (const message of body.items) this.add(message, false, true);
      cursor = body.next_cursor;
    }
  }

  /// Every socket message of the support channel the view cares about.
  receive(event) {
    const data = event.data || {};
    switch (event.type) {
      case "chat.ack":
        return this.acknowledged(event);
      case "com.bookworm.chat.message":
        return this.arrived(data);
      case "com.bookworm.chat.typing":
        return this.othersTyping(data);
      case "com.bookworm.chat.read":
        return this.othersRead(data);
      default:
        // A refusal (problem+json) carries no client_message_id: every message waiting for an
        // ack goes over HTTPS now, whose answer says which one was refused and why.
        if (typeof event.status === "number" && event.status >= 400) {
          if (this.pending.size === 0) showError(event.detail || event.title);
          for (const pending of this.pending.values()) this.post(pending);
        }
    }
  }

  /// A live message: the page hears of it; the view adds it if it holds the conversation.
  arrived(message) {
    if (this.held.has(message.conversation_id)) this.add(message, true);
    else this.onMessage(message.conversation_id, message, true);
  }

  /// Adds `message` to its conversation (once), in `seq` order. `whole`: it comes from the
  /// history, which leaves nothing out before it; otherwise a skipped number is read from there.
  add(message, live, whole = false) {
    const held = this.held.get(message.conversation_id);
    const waiting = this.pending.get(message.client_message_id);
    if (waiting && waiting.conversationId === message.conversation_id) {
      clearTimeout(waiting.timer);
      waiting.item.remove();
      this.pending.delete(message.client_message_id);
    }
    if (!held) return;
    if (whole || message.seq <= held.lastSeq + 1) held.lastSeq = Math.max(held.lastSeq, message.seq);
    else this.catchUp(message.conversation_id);
    if (held.messages.has(message.id)) return;
    held.messages.set(message.id, message);
    this.onMessage(message.conversation_id, message, live);
    if (message.conversation_id !== this.current) return;
    const list = $("messages");
    const stayAtEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const after = [...list.querySelectorAll("li[data-seq]")].find((item) => Number(item.dataset.seq) > message.seq);
    list.insertBefore(this.item(message), after || list.querySelector("li.pending"));
    if (message.author_role !== this.side) {
      $("typing").textContent = "";
      if (live) $("announce").textContent = `${this.names(held.conversation, message)}: ${message.text}`;
    }
    this.scrollToEnd(stayAtEnd);
    if (live) this.markRead();
  }

  item(message) {
    const held = this.held.get(message.conversation_id);
    const mine = message.author_role === this.side;
    const classes = ["message", message.author_role, mine ? "mine" : "theirs", message.private ? "note" : ""];
    const receipt = mine && !message.private ? el("span", { className: "receipt" }) : null;
    const item = el("li", { className: classes.join(" ").trim(), data: { messageId: message.id, seq: message.seq } },
      el("p", { className: "meta" },
        el("span", { className: "author" }, this.names(held.conversation, message)),
        message.private ? el("span", { className: "badge" }, "private note") : null,
        el("time", { datetime: message.created_at }, time(message.created_at)),
        receipt),
      el("p", { className: "text" }, message.text));
    if (receipt) receipt.textContent = message.seq <= held.otherRead ? "Read" : "Sent";
    return item;
  }

  /// Sends `body` ({text, private?}) to the open conversation.
  send(body) {
    const conversationId = this.current;
    const clientMessageId = crypto.randomUUID();
    const message = { ...body, client_message_id: clientMessageId };
    const item = el("li", { className: `message ${this.side} mine pending${body.private ? " note" : ""}` },
      el("p", { className: "meta" }, el("span", { className: "author" }, "You"),
        body.private ? el("span", { className: "badge" }, "private note") : null,
        el("span", { className: "receipt" }, "Sending…")),
      el("p", { className: "text" }, body.text));
    $("messages").append(item);
    this.scrollToEnd(true);
    const pending = { conversationId, body: message, item, timer: null };
    this.pending.set(clientMessageId, pending);
    if (this.live.send({ action: "chat.send", conversation_id: conversationId, ...message })) {
      pending.timer = setTimeout(() => this.post(pending), ACK_WAIT_MS);
    } else {
      this.post(pending);
    }
  }

  /// The same message over HTTPS: stored once whichever way arrives first.
  async post(pending) {
    clearTimeout(pending.timer);
    const id = pending.body.client_message_id;
    try {
      const stored = await this.session.api("POST", `/support/conversations/${pending.conversationId}/messages`, pending.body);
      this.add(stored, false);
    } catch (error) {
      if (!this.pending.has(id)) return;
      this.pending.delete(id);
      pending.item.remove();
      const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : "";
      showError(`Not sent: ${error.message}${wait}`);
      // Back in the box to send again, unless something new was typed meanwhile.
      if (pending.conversationId === this.current && !$("reply-text").value) $("reply-text").value = pending.body.text;
    }
  }

  acknowledged(ack) {
    const pending = this.pending.get(ack.client_message_id);
    if (!pending) return;
    clearTimeout(pending.timer);
    const message = {
      id: ack.message_id, conversation_id: ack.conversation_id, seq: ack.seq,
      author_id: this.session.me.user_id, author_role: this.side, text: pending.body.text,
      private: Boolean(pending.body.private), created_at: new Date().toISOString(),
      client_message_id: ack.client_message_id,
    };
    this.add(message, false);
  }

  /// Tells the other side this one is typing: at most every few seconds, never when closed.
  typing() {
    const conversation = this.conversation;
    if (!conversation || conversation.status === "closed" || Date.now() - this.lastTyping < TYPING_EVERY_MS) return;
    if (this.live.send({ action: "chat.typing", conversation_id: conversation.id })) this.lastTyping = Date.now();
  }

  othersTyping(data) {
    if (data.conversation_id !== this.current || data.role === this.side) return;
    const who = this.side === "support" ? this.conversation.customer_name || "The customer" : "Support";
    $("typing").textContent = `${who} is typing…`;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => ($("typing").textContent = ""), TYPING_SHOWN_MS);
  }

  othersRead(data) {
    const held = this.held.get(data.conversation_id);
    if (!held || data.role === this.side) return;
    held.otherRead = Math.max(held.otherRead, data.seq);
    if (data.conversation_id === this.current) this.refreshReceipts();
  }

  refreshReceipts() {
    const held = this.held.get(this.current);
    for (const receipt of $("messages").querySelectorAll("li[data-seq] .receipt")) {
      const seq = Number(receipt.closest("li").dataset.seq);
      receipt.textContent = seq <= held.otherRead ? "Read" : "Sent";
    }
  }

  /// Says what this side has read: the newest message of the other side, once the open
  /// conversation is on screen. Over the socket only; a reconnect says it then.
  markRead() {
    const held = this.current && this.held.get(this.current);
    if (!held || document.visibilityState !== "visible") return;
    const theirs = [...held.messages.values()].filter((message) => message.author_role !== this.side);
    const newest = theirs.reduce((last, message) => (!last || message.seq > last.seq ? message : last), null);
    if (!newest || newest.seq <= held.readSent) return;
    const read = { action: "chat.read", conversation_id: this.current, message_id: newest.id };
    if (this.live.send(read)) held.readSent = newest.seq;
  }

  /// Back online: what the open conversation missed, and a read receipt that could not go.
  async reconnected() {
    if (this.current) await this.catchUp(this.current);
  }

  scrollToEnd(wanted) {
    const list = $("messages");
    if (wanted) list.scrollTop = list.scrollHeight;
  }
}
