// A page's WebSocket to the API, kept open: it reconnects with backoff (1 s doubling to 30 s,
// with jitter) whenever it drops, and with the new token whenever the session renews it. What
// was missed while it was down is the page's to catch up from the history, in `onOpen`.

const MAX_BACKOFF_MS = 30_000;

export class Live {
  /// `query`: what the socket is for (`{shop_id}` or `{channel: "support"}`). Handlers:
  /// `onConnecting()` just before each attempt, `onOpen()`, `onMessage(parsed JSON)`, and
  /// `onStatus(kind, text)` with kind live, reconnecting or offline.
  constructor(session, query, handlers) {
    this.session = session;
    this.query = query;
    this.handlers = { onConnecting() {}, onOpen() {}, onMessage() {}, onStatus() {}, ...handlers };
    this.socket = null;
    this.backoff = 1000;
    this.timer = null;
    session.onRenewed = () => this.socket && this.socket.close(4000, "token renewed");
  }

  get isOpen() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  async connect() {
    clearTimeout(this.timer);
    const tokens = await this.session.freshToken();
    if (!tokens) return;
    this.handlers.onConnecting();
    const query = new URLSearchParams({ ...this.query, token: tokens.access_token });
    const socket = new WebSocket(`${this.session.config.websocket_url}?${query}`);
    this.socket = socket;
    socket.onopen = () => {
      this.backoff = 1000;
      this.handlers.onStatus("live", "Live");
      this.handlers.onOpen();
    };
    socket.onmessage = (message) => {
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      if (parsed && typeof parsed === "object") this.handlers.onMessage(parsed);
    };
    socket.onclose = () => {
      if (this.socket !== socket || !this.session.tokens) return;
      this.handlers.onStatus("reconnecting", `Reconnecting in ${Math.round(this.backoff / 1000)} s`);
      const jitter = Math.random() * 250;
      this.timer = setTimeout(() => this.connect().catch((error) => this.session.onError(error.message)), this.backoff + jitter);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    };
  }

  /// Sends `message` (as JSON) if the socket is open; answers whether it went.
  send(message) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  stop() {
    clearTimeout(this.timer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.handlers.onStatus("offline", "Signed out");
  }
}
