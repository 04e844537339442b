// The one place that reads the answers of the routes issue 29 adds on other branches:
// `GET /admin/stats`, `GET /customers`, `GET /customers/{id}` and an order's
// `shipping_address` / `fulfilment`. Written against the contract before those routes
// existed here: when the field names settle, adjust them in this file only; the views use the
// shapes these functions answer.

/// `GET /admin/stats?from&to` →
/// `{ currency, days: [Day], total: Day, inStock, outOfStock, byCategory: [{id, name, count}] }`
/// where a Day is `{ date, placed, completed, cancelled, revenueMinor, newCustomers }`.
export function readStats(body) {
  const day = (row) => ({
    date: row.date || null,
    placed: number(row.orders_placed),
    completed: number(row.orders_completed),
    cancelled: number(row.orders_cancelled),
    revenueMinor: number(row.revenue_minor ?? (row.revenue && row.revenue.amount_minor)),
    newCustomers: number(row.new_customers),
  });
  const books = body.books || {};
  return {
    currency: body.currency || (body.total && body.total.revenue && body.total.revenue.currency) || "USD",
    days: (body.days || []).map(day),
    total: day(body.total || {}),
    inStock: number(books.in_stock),
    outOfStock: number(books.out_of_stock),
    byCategory: (books.by_category || []).map((row) => ({
      id: row.category_id,
      name: row.name || row.category_name || null,
      count: number(row.books ?? row.count),
    })),
  };
}

/// `GET /customers?q&cursor&limit` → `{ items: [Customer], nextCursor }`, a Customer being
/// `{ id, name, email, since }`.
export function readCustomerPage(body) {
  return { items: (body.items || []).map(readCustomerSummary), nextCursor: body.next_cursor || null };
}

function readCustomerSummary(row) {
  return {
    id: row.id || row.customer_id,
    name: row.display_name || row.name || null,
    email: row.email || null,
    since: row.created_at || row.first_seen_at || null,
  };
}

/// `GET /customers/{id}` → a Customer with `phone`, `addresses` (as `shipTo` reads them),
/// `defaultAddressId`, `orderCount`, `spentMinor`, `currency`, and `lastOrder` (`{id,
/// createdAt, total, status}` or null).
export function readCustomer(body) {
  const profile = body.profile || body;
  const spent = body.total_spent;
  const last = body.last_order;
  return {
    ...readCustomerSummary({ ...profile, id: body.id || profile.id || body.customer_id }),
    email: body.email || profile.email || null,
    phone: profile.phone || null,
    addresses: profile.addresses || [],
    defaultAddressId: profile.default_address_id || null,
    orderCount: number(body.order_count),
    spentMinor: number(typeof spent === "object" && spent ? spent.amount_minor : body.total_spent_minor ?? spent),
    currency: (spent && spent.currency) || body.currency || "USD",
    lastOrder: last ? { id: last.id || last.order_id, createdAt: last.created_at, total: last.total, status: last.status } : null,
  };
}

/// Where an order goes: `{ pickup: true }` for `fulfilment: pickup`, `{ lines: [text] }` for
/// a shipping address, null for an order from before addresses (neither field).
export function shipTo(order) {
  if (order.shipping_address) return { lines: addressLines(order.shipping_address) };
  if (order.fulfilment === "pickup") return { pickup: true };
  return null;
}

/// An address as the lines of an envelope.
export function addressLines(address) {
  const cityLine = [address.postal_code, address.city].filter(Boolean).join(" ");
  return [address.recipient, address.line1, address.line2, cityLine, [address.region, address.country].filter(Boolean).join(", ")]
    .filter(Boolean);
}

/// Minor units of `currency` as text, e.g. 123456 USD → "$1,234.56".
export function money(minor, currency = "USD") {
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(minor / 10 ** digits);
}

function number(value) {
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : 0;
}
