// The one place that reads the answers of the back office's own routes — `GET /admin/stats`,
// `GET /customers`, `GET /customers/{id}` (functions/admin) — and an order's
// `shipping_address` / `fulfilment` (functions/checkout): the views use what it answers, so a
// change of field names is made here only.

/// `GET /admin/stats?from&to` →
/// `{ currency, days: [Day], total: Day, inStock, outOfStock, byCategory: [{id, name, count}] }`
/// where a Day is `{ date, placed, completed, cancelled, revenueMinor, newCustomers }`.
export function readStats(body) {
  const tally = (row) => ({
    date: row.day || null,
    placed: number(row.orders_placed),
    completed: number(row.orders_completed),
    cancelled: number(row.orders_cancelled),
    revenueMinor: number(row.revenue),
    newCustomers: number(row.new_customers),
  });
  const catalog = body.catalog || {};
  return {
    currency: body.currency || "USD",
    days: (body.days || []).map(tally),
    total: tally(body.total || {}),
    inStock: number(catalog.books_in_stock),
    outOfStock: number(catalog.books_out_of_stock),
    byCategory: (catalog.by_category || []).map((row) => ({ id: row.category_id, name: row.name || null, count: number(row.books) })),
  };
}

/// `GET /customers?q&by&cursor&limit` → `{ items: [Customer], nextCursor }`.
export function readCustomerPage(body) {
  return { items: (body.items || []).map(readCustomer), nextCursor: body.next_cursor || null };
}

/// A customer (`GET /customers/{id}`, or an item of the search) →
/// `{ id, name, email, since, orderCount, cancelledCount, spentMinor, currency, lastOrderId,
/// lastOrderAt, phone, addresses, defaultAddressId }` (`addresses` null when the answer has no
/// `profile`, as a search's items have none; `[]` for a buyer who never saved one).
export function readCustomer(body) {
  const profile = body.profile || null;
  return {
    id: body.id,
    name: body.name || null,
    email: body.email || null,
    since: body.first_order_at || null,
    orderCount: number(body.order_count),
    cancelledCount: number(body.cancelled_count),
    spentMinor: number(body.total_spent),
    currency: body.currency || "USD",
    lastOrderId: body.last_order_id || null,
    lastOrderAt: body.last_order_at || null,
    phone: profile?.phone || null,
    addresses: profile ? (Array.isArray(profile.addresses) ? profile.addresses : []) : null,
    defaultAddressId: profile?.default_address_id || null,
  };
}

/// Where an order goes: `{ pickup: true }` for `fulfilment: pickup`, `{ lines: [text] }` for
/// a shipping address, null for an order from before addresses (neither field).
export function shipTo(order) {
  if (order.shipping_address) return { lines: addressLines(order.shipping_address) };
  if (order.fulfilment === "pickup") return { pickup: true };
  return null;
}

/// An address (`recipient`, `line1`, `line2`, `city`, `region`, `postal_code`, `country`) as
/// the lines of an envelope.
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
