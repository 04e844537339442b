// The back office: admins manage the catalog, orders and customers and see the shop's figures;
// support agents moderate reviews. One page, a view per `#hash`, each view a module of its
// own. No framework and no build step: these files, ../common/ and a config.json beside them.

import { $, show as showOnly, showError } from "../common/dom.js";
import { Session, renewWhenVisible } from "../common/session.js";
import { bookViews } from "./catalog.js";
import { customerView } from "./customers.js";
import { nameViews } from "./names.js";
import { orderView } from "./orders.js";
import { overviewView } from "./overview.js";
import { reviewView } from "./reviews.js";

const session = new Session("admin", { fresh: true });
const RETURN_TO = "bookworm.admin.return-to";

/// What every view gets: the API, the catalog's names (read once, kept fresh by the views that
/// change them), a polite announcement for screen readers, and errors shown at the top.
const ctx = {
  api: (method, path, body) => session.api(method, path, body),
  session: () => session,
  lookups: { authors: new Map(), categories: new Map(), publishers: new Map() },
  async loadLookups() {
    const kinds = ["authors", "categories", "publishers"];
    const lists = await Promise.all(kinds.map((kind) => ctx.api("GET", `/${kind}`)));
    kinds.forEach((kind, i) => {
      ctx.lookups[kind] = new Map(lists[i].items.map((item) => [item.id, item.name]));
    });
  },
  announce(text) {
    $("announce").textContent = text;
  },
  failed(error) {
    showError(error.message);
  },
};

/// Hash → view. `admin`: whether only admins may open it (support agents get the reviews).
const VIEWS = {
  overview: { section: "view-overview", admin: true, view: overviewView(ctx), title: "Overview" },
  ...bookViews(ctx),
  ...nameViews(ctx),
  orders: { section: "view-orders", admin: true, view: orderView(ctx), title: "Orders" },
  customers: { section: "view-customers", admin: true, view: customerView(ctx), title: "Customers" },
  reviews: { section: "view-reviews", admin: false, view: reviewView(ctx), title: "Reviews" },
};
const SECTIONS = [...new Set(Object.values(VIEWS).map((entry) => entry.section))];
const started = new Set();
let isAdmin = false;

function currentName() {
  const name = location.hash.replace(/^#/, "");
  if (VIEWS[name]) return name;
  return isAdmin ? "overview" : "reviews";
}

/// Shows the view the hash names; `focus`: move the focus to its heading (after a navigation,
/// not on the first load, so a screen reader hears where it went).
async function route(focus) {
  const name = currentName();
  const entry = VIEWS[name];
  showError("");
  for (const link of document.querySelectorAll("#menu a")) {
    link.setAttribute("aria-current", link.getAttribute("href") === `#${name}` ? "page" : "false");
  }
  if (entry.admin && !isAdmin) {
    showOnly(null, SECTIONS);
    const notice = $("forbidden");
    notice.textContent = `${entry.title} is for admins. As a support agent you may moderate reviews: open Reviews in the menu.`;
    notice.hidden = false;
    return;
  }
  $("forbidden").hidden = true;
  showOnly(entry.section, SECTIONS);
  document.title = `BookWorm — ${entry.title} — back office`;
  try {
    if (!started.has(name)) {
      started.add(name);
      await entry.view.start();
    } else {
      await entry.view.shown();
    }
  } catch (error) {
    ctx.failed(error);
  }
  // After the view is filled in (its heading may name what it shows), unless it moved on.
  if (focus && currentName() === name) entry.view.heading().focus();
}

function signedOut() {
  $("who").textContent = "";
  $("sign-out").hidden = true;
  showOnly("signed-out", ["signed-out", "console"]);
}

async function start() {
  // The issuer sends the browser back without the #view: keep it for the way back.
  $("sign-in").onclick = () => {
    sessionStorage.setItem(RETURN_TO, location.hash);
    session.signIn().catch(ctx.failed);
  };
  $("sign-out").onclick = () => session.signOut();
  session.onError = showError;
  session.onSignedOut = signedOut;

  const me = await session.start();
  if (!me) return signedOut();
  const returnTo = sessionStorage.getItem(RETURN_TO);
  sessionStorage.removeItem(RETURN_TO);
  if (returnTo && !location.hash) history.replaceState(null, "", returnTo);
  $("who").textContent = `Signed in as ${me.name || me.username || me.user_id}`;
  $("sign-out").hidden = false;
  isAdmin = me.roles.includes("admin");
  const agent = me.roles.includes("support");
  if (!isAdmin && !agent) {
    showOnly("signed-out", ["signed-out", "console"]);
    showError(`This account (${me.roles.join(", ") || "no role"}) may not use the back office: sign out and sign in as an admin, or as a support agent for reviews.`);
    return;
  }
  for (const item of document.querySelectorAll("#menu [data-admin]")) item.hidden = !isAdmin;
  showOnly("console", ["signed-out", "console"]);
  if (isAdmin) await ctx.loadLookups();
  window.addEventListener("hashchange", () => route(true));
  // The skip link goes to the page's heading without touching the #view (a hash of its own
  // would be read as a view).
  document.querySelector(".skip").onclick = (event) => {
    event.preventDefault();
    VIEWS[currentName()].view.heading().focus();
  };
  await route(false);
}

renewWhenVisible(session);
start().catch((error) => {
  showError(error.message);
  if (!session.tokens) signedOut();
});
