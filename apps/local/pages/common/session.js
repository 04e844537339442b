// Signing a page in and calling the API: OpenID Connect authorization code with PKCE (S256)
// against the identity provider its config.json names (the development issuer locally,
// Keycloak or Cognito deployed), the tokens kept for the tab and renewed before they expire.

/// Renew this long before the access token expires.
const RENEW_EARLY_MS = 60_000;

/// An API answer other than 2xx: the problem's detail, its status, any Retry-After, and the
/// field errors of an invalid input (`[{field, message}]`, empty otherwise).
export class ApiError extends Error {
  constructor(message, status, retryAfter, errors = []) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.errors = errors;
  }
}

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

export class Session {
  /// `name` keeps each page's tokens apart: a merchant's token is no agent's, even in one tab.
  /// `fresh`: every read asks the API, never the browser's cache (the catalog's public reads
  /// may be cached for a minute; a page that changes the catalog must see its own changes).
  constructor(name, { fresh = false } = {}) {
    this.fresh = fresh;
    this.tokensKey = `bookworm.${name}.tokens`;
    this.pendingKey = `bookworm.${name}.sign-in`;
    this.config = null;
    this.tokens = null; // { access_token, refresh_token, expires_at (ms) }
    this.me = null; // the caller as the API reads the token (GET /me): user id, name, roles, shops
    this.renewTimer = null;
    /// Called with nothing after each renewal: sockets reconnect with the new token (the old
    /// one's socket is closed when it expires; a catch-up fills the gap).
    this.onRenewed = () => {};
    this.onSignedOut = () => {};
    this.onError = () => {};
  }

  /// Reads config.json, finishes a sign-in the identity provider sent the browser back from,
  /// and answers who is signed in (GET /me), or null when nobody is.
  async start() {
    const config = await fetch("config.json");
    this.config = config.ok ? await config.json().catch(() => null) : null;
    if (!this.config) throw new Error(`config.json could not be read (${config.status}): ask whoever deployed this page.`);
    const params = new URLSearchParams(location.search);
    if (params.has("error")) {
      history.replaceState(null, "", redirectUri());
      throw new Error(`Sign-in refused: ${params.get("error_description") || params.get("error")}`);
    }
    if (params.has("code")) await this.finishSignIn(params);
    const stored = JSON.parse(sessionStorage.getItem(this.tokensKey) || "null");
    if (!this.tokens && stored && stored.expires_at > Date.now() + 5_000) this.save(stored);
    if (!this.tokens) return null;
    // Roles as the API reads them from the token, whichever provider issued it (Keycloak's
    // and Cognito's claims differ; the API's authorizer knows both).
    this.me = await this.api("GET", "/me");
    return this.me;
  }

  async signIn() {
    const verifier = randomText();
    const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    const pending = { verifier, state: randomText(), nonce: randomText() };
    sessionStorage.setItem(this.pendingKey, JSON.stringify(pending));
    const query = new URLSearchParams({
      response_type: "code",
      client_id: this.config.client_id,
      redirect_uri: redirectUri(),
      scope: this.config.scope || "openid",
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    location.assign(`${this.config.authorization_endpoint}?${query}`);
  }

  /// Back from the identity provider with ?code=&state=: exchange the code for tokens.
  async finishSignIn(params) {
    const pending = JSON.parse(sessionStorage.getItem(this.pendingKey) || "null");
    sessionStorage.removeItem(this.pendingKey);
    history.replaceState(null, "", redirectUri());
    if (!pending || params.get("state") !== pending.state) {
      throw new Error("The sign-in answer does not belong to this page's sign-in; sign in again.");
    }
    await this.tokenRequest({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: redirectUri(),
      client_id: this.config.client_id,
      code_verifier: pending.verifier,
    });
  }

  async tokenRequest(form) {
    const response = await fetch(this.config.token_endpoint, {
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
    this.save({
      access_token: body.access_token,
      refresh_token: body.refresh_token || (this.tokens && this.tokens.refresh_token),
      expires_at: Date.now() + lifetime * 1000,
    });
  }

  save(tokens) {
    this.tokens = tokens;
    sessionStorage.setItem(this.tokensKey, JSON.stringify(tokens));
    clearTimeout(this.renewTimer);
    const wait = Math.max(0, tokens.expires_at - Date.now() - RENEW_EARLY_MS);
    this.renewTimer = setTimeout(async () => {
      if (await this.renew()) this.onRenewed();
    }, wait);
  }

  /// Trades the refresh token for fresh tokens. A refused refresh token signs out; anything
  /// else (the network, the provider restarting) is tried again in 10 s.
  async renew() {
    try {
      await this.tokenRequest({
        grant_type: "refresh_token",
        refresh_token: this.tokens.refresh_token,
        client_id: this.config.client_id,
      });
      return true;
    } catch (error) {
      if (error.code === "invalid_grant" || error.code === "invalid_client") {
        this.signOut();
        this.onError(`${error.message} Sign in again.`);
      } else {
        this.onError(`${error.message}; trying again.`);
        clearTimeout(this.renewTimer);
        this.renewTimer = setTimeout(() => this.renew().then((ok) => ok && this.onRenewed()), 10_000);
      }
      return false;
    }
  }

  /// A timer may fire late (a laptop asleep): before using the token, renew it if it is due.
  async freshToken() {
    if (this.tokens && this.tokens.expires_at - Date.now() < RENEW_EARLY_MS) await this.renew();
    return this.tokens;
  }

  signOut() {
    sessionStorage.removeItem(this.tokensKey);
    this.tokens = null;
    this.me = null;
    clearTimeout(this.renewTimer);
    this.onSignedOut();
  }

  /// Calls the API; `body` (if any) goes as JSON. Answers the parsed body (null for 204).
  async api(method, path, body, retried = false) {
    const tokens = await this.freshToken();
    if (!tokens) throw new ApiError("Signed out.", 401);
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.config.api_url}${path}`, {
      method,
      headers,
      cache: this.fresh ? "no-store" : "default",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && !retried && (await this.renew())) return this.api(method, path, body, true);
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = (answer && (answer.detail || answer.title)) || `${method} ${path}: ${response.status}`;
      const errors = answer && Array.isArray(answer.errors) ? answer.errors : [];
      throw new ApiError(detail, response.status, Number(response.headers.get("retry-after")) || null, errors);
    }
    return answer;
  }
}

/// Back from sleep: a late renewal timer must not leave an expired token in use.
export function renewWhenVisible(session) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && session.tokens) session.freshToken().catch(() => {});
  });
}
