// A bar chart of revenue by day, drawn as plain SVG. The picture is one image to assistive
// technology, named by a sentence that says what it shows; the numbers themselves are in the
// table beside it.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 1000;
const HEIGHT = 240;
const LEFT = 90; // room for the amounts
const BOTTOM = 28; // room for the dates
const TOP = 12;

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

/// `days`: `[{date: "YYYY-MM-DD", revenueMinor}]` in order; `format(minor)` writes an amount.
export function revenueChart(days, format) {
  const highest = days.reduce((best, day) => (day.revenueMinor > best.revenueMinor ? day : best), days[0] || { revenueMinor: 0 });
  const total = days.reduce((sum, day) => sum + day.revenueMinor, 0);
  const summary = days.length
    ? `Revenue by day from ${days[0].date} to ${days[days.length - 1].date}: ${format(total)} in all, ` +
      (highest.revenueMinor > 0 ? `the most on ${highest.date} (${format(highest.revenueMinor)}).` : "none on any day.")
    : "No days to show.";
  const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": summary });
  const top = Math.max(highest.revenueMinor, 1);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(days.length, 1);
  const y = (minor) => TOP + plotHeight - (minor / top) * plotHeight;

  for (const [value, label] of [[0, format(0)], [top, format(top)]]) {
    svg.append(node("line", { class: "axis", x1: LEFT, x2: WIDTH, y1: y(value), y2: y(value), "stroke-dasharray": value ? "4 4" : "" }));
    svg.append(node("text", { x: LEFT - 6, y: y(value) + 4, "text-anchor": "end" }, label));
  }
  days.forEach((day, i) => {
    const height = (day.revenueMinor / top) * plotHeight;
    const bar = node("rect", {
      class: "bar-rect", x: LEFT + i * slot + slot * 0.15, y: TOP + plotHeight - height,
      width: slot * 0.7, height: Math.max(height, day.revenueMinor > 0 ? 1 : 0),
    });
    bar.append(node("title", {}, `${day.date}: ${format(day.revenueMinor)}`));
    svg.append(bar);
    // A date under the first bar, every seventh and the last: readable, never crowded (a
    // seventh too near the last gives way to it).
    const last = days.length - 1;
    if (i === last || (i % 7 === 0 && last - i >= 4)) {
      // The last one ends at the right edge, where a centred one would be cut.
      const x = i === last && i > 0 ? WIDTH : LEFT + i * slot + slot / 2;
      svg.append(node("text", { x, y: HEIGHT - 8, "text-anchor": i === last && i > 0 ? "end" : "middle" }, day.date.slice(5)));
    }
  });
  return svg;
}
