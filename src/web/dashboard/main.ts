/**
 * The hub's measurement page (/dashboard): charts of declarationStats under the rights of the
 * key typed on the page. Bundled at build time (scripts/build-web.ts); served by the hub.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import { HubError, platforms, session, stats, whoAmI, type ChartFilter, type Dimension, type Stats } from "./api";
import { CARDS, DIMENSIONS, labelOf, ordered, type CardSpec } from "./cards";
import "./dashboard.css";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const COLORS = ["#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#c92a2a", "#868e96"];

/** Platform id to name, for labels and filters; filled once a key is accepted. */
const platformNames = new Map<string, string>();

/** An element with properties and children; text goes in as text, never as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const codes = (s: string) =>
  s
    .split(/[\s,;]+/)
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);

interface Card {
  spec: CardSpec;
  root: HTMLElement;
  form: HTMLFormElement;
  canvas: HTMLCanvasElement;
  summary: HTMLElement;
  table: HTMLTableElement;
  chart: Chart | null;
}

function filterForm(spec: CardSpec): HTMLFormElement {
  const by = el("select", { name: "by" }, ...DIMENSIONS.map((d) => el("option", { value: d.value, defaultSelected: d.value === spec.defaultBy }, d.label)));
  return el(
    "form",
    {},
    el("label", {}, "by", by),
    el("label", {}, "destinations", el("input", { type: "text", name: "destinations", placeholder: "e.g. DE, FR" })),
    el("label", {}, "origins", el("input", { type: "text", name: "origins", placeholder: "e.g. CN" })),
    el("label", {}, "platform", el("select", { name: "platform" }, el("option", { value: "" }, "all"))),
    el("label", {}, "from", el("input", { type: "month", name: "from" })),
    el("label", {}, "to", el("input", { type: "month", name: "to" })),
    el("button", { type: "submit" }, "Apply"),
  );
}

function makeCard(spec: CardSpec): Card {
  const form = filterForm(spec);
  const canvas = el("canvas", { role: "img", ariaLabel: spec.title });
  const summary = el("p", { className: "summary" });
  const table = el("table");
  const root = el("section", { className: "card", id: `card-${spec.id}` }, el("h2", {}, spec.title), form, el("div", { className: "chart" }, canvas), summary, el("details", {}, el("summary", {}, "Numbers"), table));
  root.dataset.state = "idle";
  const card: Card = { spec, root, form, canvas, summary, table, chart: null };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void refresh(card);
  });
  (form.elements.namedItem("by") as HTMLSelectElement).addEventListener("change", () => void refresh(card));
  return card;
}

function filterOf(card: Card): ChartFilter {
  const v = (name: string) => (card.form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
  return { by: v("by") as Dimension, destinations: codes(v("destinations")), origins: codes(v("origins")), platformId: v("platform"), fromMonth: v("from"), toMonth: v("to") };
}

function draw(card: Card, by: Dimension, result: Stats): void {
  const groups = ordered(by, result.groups);
  const labels = groups.map((g) => labelOf(by, g, platformNames));
  const series = card.spec.series(groups);
  const unit = card.spec.unit(result.referenceCurrency);
  card.chart?.destroy();
  card.chart = new Chart(card.canvas, {
    type: by === "MONTH" ? "line" : "bar",
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.values, yAxisID: s.right ? "y1" : "y", backgroundColor: COLORS[i % COLORS.length], borderColor: COLORS[i % COLORS.length] })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        y: { beginAtZero: true, title: { display: true, text: unit } },
        y1: { display: "auto", position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: `${series.find((s) => s.right)?.right ?? ""} (${unit})` } },
      },
    },
  });
  const total = groups.reduce((n, g) => n + g.count, 0);
  const suppressed = result.suppressedGroups ? ` · ${result.suppressedGroups} smaller groups left out (fewer than ${result.minGroupSize})` : "";
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  card.summary.textContent = `${plural(total, "declaration")} in ${plural(groups.length, "group")}${suppressed} · amounts in ${result.referenceCurrency}`;
  card.summary.className = "summary";
  card.table.replaceChildren(
    el("tr", {}, el("th", {}, by.toLowerCase()), el("th", {}, "declarations"), ...series.map((s) => el("th", {}, `${s.label} (${unit})`))),
    ...groups.map((g, i) => el("tr", {}, el("td", {}, labels[i]), el("td", {}, String(g.count)), ...series.map((s) => el("td", {}, s.values[i] === null ? "–" : String(s.values[i]))))),
  );
  card.root.dataset.total = String(total);
  card.root.dataset.state = "drawn";
}

async function refresh(card: Card): Promise<void> {
  const filter = filterOf(card);
  card.root.dataset.state = "loading";
  try {
    draw(card, filter.by, await stats(filter));
  } catch (err) {
    card.chart?.destroy();
    card.chart = null;
    card.table.replaceChildren();
    card.summary.textContent = err instanceof HubError ? `${err.message}${err.code ? ` (${err.code})` : ""}` : String(err);
    card.summary.className = "summary error";
    card.root.dataset.state = "error";
  }
}

const cards = CARDS.map(makeCard);
const viewer = document.getElementById("viewer")!;
const keyInput = document.getElementById("key") as HTMLInputElement;

function say(text: string, error = false): void {
  viewer.textContent = text;
  viewer.className = error ? "error" : "";
}

async function start(): Promise<void> {
  try {
    const me = await whoAmI();
    say(`${me.party.name} · ${me.party.kind.toLowerCase()} · ${me.role}: the numbers below count only what this key may read.`);
  } catch (err) {
    session.forget();
    say(err instanceof HubError && err.code === "UNAUTHENTICATED" ? "That key is not valid (unknown or revoked)." : `The hub could not be reached: ${String(err)}`, true);
    return;
  }
  platformNames.clear();
  for (const p of await platforms().catch(() => [])) platformNames.set(p.id, p.name);
  for (const card of cards) {
    const select = card.form.elements.namedItem("platform") as HTMLSelectElement;
    select.replaceChildren(el("option", { value: "" }, "all"), ...[...platformNames].map(([id, name]) => el("option", { value: id }, name)));
  }
  document.getElementById("cards")!.replaceChildren(...cards.map((c) => c.root));
  await Promise.all(cards.map(refresh));
}

document.getElementById("key-form")!.addEventListener("submit", (e) => {
  e.preventDefault();
  const key = keyInput.value.trim().replace(/^Bearer\s+/i, "");
  if (!key) return;
  session.remember(key);
  keyInput.value = "";
  void start();
});
document.getElementById("forget")!.addEventListener("click", () => {
  session.forget();
  for (const c of cards) {
    c.chart?.destroy();
    c.form.reset(); // the next key starts from the default charts
  }
  document.getElementById("cards")!.replaceChildren();
  say("Key forgotten. Enter an API key to see the measurements.");
});

if (session.key()) void start();
