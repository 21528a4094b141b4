/* The timeline page: reads the registry through the public GraphQL API only (POST /graphql)
   and draws it with vis-timeline (groups are bands, items are facts). No geometry is
   computed here: the library places every item from its dates.

   State lives in the URL (?asOf=&knownAt=&from=&to=&item=) so a view can be shared. */
"use strict";

const API = "graphql";
const SCO = "organization/sco";
const FIVE = "organization/shanghai-five";
const CLUSTER_ABOVE = 300; // items: more than this and the library clusters them
const HOS_BODIES = ["body/heads_of_state_council", "body/shanghai_five_summit"];
const HOG_BODIES = ["body/heads_of_government_council"];
const STATUS_LABEL = {
  SHANGHAI_FIVE_PARTICIPANT: "Shanghai Five participant",
  FOUNDING_MEMBER: "founding member",
  MEMBER: "member",
  OBSERVER: "observer",
  DIALOGUE_PARTNER: "dialogue partner",
  PARTNER: "partner",
};
// Dark enough for white text (contrast at least 4.5:1 against #fff).
const PALETTE = ["#8b1e1e", "#1d4f91", "#2e6b2e", "#6a3d9a", "#8a4b00", "#00606b", "#7a2459",
  "#4a4a4a", "#5b5b00", "#9c2f00", "#264653", "#5a3e1b"];

// Short marks inside a meeting's box (the full words are in its tooltip and list entry).
const MARK = { virtual: "virtual", hybrid: "hybrid", corrected: "✎", "departs from a norm": "⚠" };

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => (
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

class ApiError extends Error {
  constructor(message, kind, code) { super(message); this.kind = kind; this.code = code; }
}

/* One GraphQL request; a server that does not answer, an HTTP error and GraphQL errors
   each become an ApiError saying which. */
async function gql(query, variables) {
  let response;
  try {
    response = await fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables: variables || {} }),
    });
  } catch (e) {
    throw new ApiError("The server does not answer: is `make run` (or `sco-registry serve`) running?", "down");
  }
  let body;
  try { body = await response.json(); } catch (e) {
    throw new ApiError(`The server answered HTTP ${response.status} without a GraphQL body.`, "http");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = first.extensions && first.extensions.code;
    throw new ApiError(`${first.message}${code ? ` [${code}]` : ""}`, "graphql", code);
  }
  return body.data;
}

/* Every page of a connection (the API's pages hold at most 100). */
async function all(query, variables, field) {
  const nodes = [];
  let after = null;
  for (;;) {
    const data = await gql(query, { ...variables, after });
    const conn = data[field];
    nodes.push(...conn.nodes);
    if (!conn.pageInfo.hasNextPage) return { nodes, totalCount: conn.totalCount };
    after = conn.pageInfo.endCursor;
  }
}

// ---------------------------------------------------------------- the URL's state
function readUrl() {
  const p = new URLSearchParams(location.search);
  return {
    asOf: p.get("asOf") || "",
    knownAt: p.get("knownAt") || "",
    from: p.get("from") || "",
    to: p.get("to") || "",
    item: p.get("item") || "",
  };
}

function writeUrl(state, replace) {
  const p = new URLSearchParams();
  for (const k of ["asOf", "knownAt", "from", "to", "item"]) if (state[k]) p.set(k, state[k]);
  const url = `${location.pathname}${p.toString() ? `?${p}` : ""}`;
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
}

function knownAtInput(text) {
  if (!text) return null;
  if (/^\d+$/.test(text)) return { position: Number(text) };
  return { time: text };
}

/* The last day a partial date may stand for ("2004" -> 2004-12-31), as an ISO day. */
function upperDay(text) {
  if (/^\d{4}$/.test(text)) return `${text}-12-31`;
  if (/^\d{4}-\d{2}$/.test(text)) {
    const [y, m] = text.split("-").map(Number);
    return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  }
  return text;
}

const today = () => new Date().toISOString().slice(0, 10);

// ---------------------------------------------------------------- queries
const PERIOD = "validPeriod { start { text lower upper } end { text lower upper } open }";
const Q_HEAD = "query ($k: KnownAt) { head { position hash } known: events(first: 0, knownAt: $k) { totalCount } }";
const Q_MEETINGS = `query ($k: KnownAt, $after: String, $asOf: String) {
  meetings(first: 100, after: $after, knownAt: $k, asOf: $asOf) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id bodyId ordinal city format status startDate { text lower upper } endDate { text lower upper }
      hostState { code name } documents { id title signedOn { text } }
      provenance { events { position } } }
  } }`;
const Q_STATES = `query ($k: KnownAt, $after: String) {
  states(first: 100, after: $after, knownAt: $k) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { code name
      sco: history(organization: "${SCO}") { status ${PERIOD} provenance { recordId } }
      five: history(organization: "${FIVE}") { status ${PERIOD} provenance { recordId } } }
  } }`;
const Q_BODIES = `query ($k: KnownAt, $after: String) {
  bodies(first: 100, after: $after, knownAt: $k) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id latestName category establishedOn { lower } decidedOn { lower } dissolvedOn { lower }
      seatHistory { seat seatState ${PERIOD} } }
  } }`;
const Q_FINDINGS = `query ($k: KnownAt, $after: String) {
  complianceFindings(first: 100, after: $after, knownAt: $k, outcome: "departed", standingOnly: true) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { rule article year body outcome explanation readingText evidence }
  } }`;
const Q_CORRECTIONS = `query ($k: KnownAt, $after: String) {
  timeline(first: 100, after: $after, knownAt: $k, kinds: ["correction", "retraction"]) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { kind eventType entity recordId summary position corrects validPeriod { start { lower } } }
  } }`;
const Q_MEMBERS = `query ($k: KnownAt, $asOf: String!) {
  sco: members(organization: "${SCO}", asOf: $asOf, first: 100, knownAt: $k) {
    totalCount nodes { answer certain status state { code name } } }
  observers: members(organization: "${SCO}", asOf: $asOf, first: 100, knownAt: $k, statuses: [OBSERVER]) { totalCount }
  partners: members(organization: "${SCO}", asOf: $asOf, first: 100, knownAt: $k, statuses: [DIALOGUE_PARTNER, PARTNER]) { totalCount }
  five: members(organization: "${FIVE}", asOf: $asOf, first: 100, knownAt: $k) { totalCount }
}`;
const PROV = "provenance { recordId confidence note sources { title url article } events { position } recordTime { recordedFrom recordedTo } }";
const Q_NODE = `query ($id: ID!, $k: KnownAt, $asOf: String) {
  node(id: $id, knownAt: $k, asOf: $asOf) {
    __typename
    ... on Meeting { id ordinal city format status chair participants changes startDate { text } endDate { text }
      hostState { code name } body { latestName } documents { id title signedOn { text } }
      ${PROV} }
    ... on State { code name ${PROV}
      sco: history(organization: "${SCO}") { status ${PERIOD} ${PROV} }
      five: history(organization: "${FIVE}") { status ${PERIOD} ${PROV} } }
    ... on Body { id latestName abbreviation category establishedOn { text } dissolvedOn { text }
      seatHistory { seat seatState ${PERIOD} ${PROV} } ${PROV} }
    ... on Document { id title docCategory: category signedOn { text } place ${PROV} }
  } }`;
const Q_AUDIT = `query ($entity: String!, $k: KnownAt, $after: String) {
  audit(entity: $entity, first: 100, after: $after, knownAt: $k) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id position type recordedAt actor hash previousHash correctsPosition }
  } }`;
const Q_VERIFY = "{ verify { ok checked headHash brokenAt reason } }";

// ---------------------------------------------------------------- drawing
let timeline = null;
let view = null; // what the last load drew: items by id, etc.

function colourOf(code, codes) {
  const i = codes.indexOf(code);
  return i < 0 ? "#4a4a4a" : PALETTE[i % PALETTE.length];
}

function periodEnd(period, cap) {
  const end = period.end ? period.end.lower : cap;
  return end > cap ? cap : end;
}

function buildItems(data, state) {
  const cap = state.asOf ? upperDay(state.asOf) : today();
  const groups = [];
  const items = [];
  const byId = new Map();
  const corrected = new Set(data.corrections.map((c) => c.recordId || c.entity));
  // A departure marks the meeting of its year and body (its evidence also names earlier ones).
  const departed = new Map(data.findings.map((f) => [`${f.body}@${f.year}`, f]));
  const add = (item) => { items.push(item); byId.set(item.id, item); };

  groups.push({ id: "hos", content: "Heads of state", order: 1 });
  groups.push({ id: "hog", content: "Heads of government", order: 2 });
  if (data.findings.length) groups.push({ id: "norms", content: "Norms departures", order: 3 });
  if (data.corrections.length) groups.push({ id: "corrections", content: "Corrections", order: 4 });

  const hosts = [...new Set(data.meetings.map((m) => m.hostState && m.hostState.code).filter(Boolean))].sort();
  let other = false;
  for (const m of data.meetings) {
    if (!m.startDate || m.startDate.lower > cap) continue; // not yet held as of the date
    const group = HOS_BODIES.includes(m.bodyId) ? "hos" : HOG_BODIES.includes(m.bodyId) ? "hog" : "other";
    if (group === "other") other = true;
    const host = m.hostState ? m.hostState.code : "";
    const classes = ["meeting"];
    if (m.format && m.format !== "in_person") classes.push(`format-${m.format}`);
    if (m.status !== "held") classes.push(`status-${m.status}`);
    const isCorrected = corrected.has(m.id);
    if (isCorrected) classes.push("corrected");
    const finding = departed.get(`${m.bodyId}@${m.startDate.text.slice(0, 4)}`);
    if (finding) classes.push("departure");
    const docs = m.documents.map((d) => `${d.title || d.id}${d.signedOn ? ` (${d.signedOn.text})` : ""}`);
    const marks = [
      m.format && m.format !== "in_person" ? m.format : null,
      m.status !== "held" ? m.status : null,
      isCorrected ? "corrected" : null,
      finding ? "departs from a norm" : null,
    ].filter(Boolean);
    const label = `${m.startDate.text.slice(0, 4)} ${m.city || "?"}${host ? ` (${host})` : ""}`;
    add({
      id: m.id, group, start: m.startDate.lower, type: "box", className: classes.join(" "),
      content: `${esc(`${m.startDate.text.slice(0, 4)} ${host}`)}${marks.length ? ` <span class="mark">${esc(marks.map((x) => MARK[x] || x).join(" "))}</span>` : ""}`,
      title: `${esc(label)}${marks.length ? ` [${esc(marks.join(", "))}]` : ""}. ${docs.length ? `Documents signed: ${esc(docs.join("; "))}` : "No documents recorded"}`,
      style: `background-color: ${colourOf(host, hosts)}; border-color: ${colourOf(host, hosts)}; color: #fff;`,
      kind: "meeting", entity: m.id, label: `${label}${marks.length ? ` [${marks.join(", ")}]` : ""}`,
      docs, year: Number(m.startDate.text.slice(0, 4)),
    });
  }
  if (other) groups.push({ id: "other", content: "Other meetings", order: 5 });

  let order = 10;
  for (const s of data.states) {
    const periods = [...s.five.map((p) => ({ ...p, org: "Shanghai Five" })), ...s.sco.map((p) => ({ ...p, org: "SCO" }))];
    const shown = periods.filter((p) => p.validPeriod.start && p.validPeriod.start.lower <= cap);
    if (!shown.length) continue;
    const gid = `state/${s.code}`;
    groups.push({ id: gid, content: `${esc(s.code)} · ${esc(s.name || s.code)}`, order: order++ });
    shown.forEach((p, i) => {
      const label = `${s.name || s.code}: ${STATUS_LABEL[p.status] || p.status} (${p.org})`;
      const start = p.validPeriod.start.lower;
      let end = periodEnd(p.validPeriod, cap);
      if (end <= start) end = upperDay(start.slice(0, 4)); // a day's period: still visible
      add({
        id: `${gid}#${i}`, group: gid, start, end, type: "range",
        className: `status status-${p.status.toLowerCase()}${corrected.has(p.provenance.recordId) ? " corrected" : ""}`,
        content: esc(`${STATUS_LABEL[p.status] || p.status} (${p.org})`),
        title: `${label}, from ${p.validPeriod.start.text}${p.validPeriod.end ? ` to ${p.validPeriod.end.text}` : ""}`,
        kind: "state", entity: gid, auditEntity: `membership/${s.code}`, label: `${label}, from ${p.validPeriod.start.text}`,
        year: Number(start.slice(0, 4)),
      });
    });
  }

  for (const b of data.bodies) {
    const seats = b.seatHistory.filter((p) => p.seat);
    if (!seats.length) continue;
    const founded = [b.decidedOn, b.establishedOn].filter(Boolean).map((d) => d.lower).sort()[0];
    const shown = seats.filter((p) => (p.validPeriod.start ? p.validPeriod.start.lower : founded || cap) <= cap);
    if (!shown.length) continue;
    const gid = b.id;
    groups.push({ id: gid, content: `Seat: ${esc(b.latestName)}`, order: order++ });
    shown.forEach((p, i) => {
      const start = p.validPeriod.start ? p.validPeriod.start.lower : founded || "2001-06-15";
      let end = periodEnd(p.validPeriod, cap);
      if (end <= start) end = upperDay(start.slice(0, 4));
      const label = `${b.latestName}: seat in ${p.seat}${p.seatState ? ` (${p.seatState})` : ""}`;
      add({
        id: `${gid}#seat${i}`, group: gid, start, end, type: "range", className: "seat",
        content: esc(p.seat), kind: "body", entity: gid,
        title: `${label}${p.validPeriod.start ? `, from ${p.validPeriod.start.text}` : ", from its start (no date recorded)"}`,
        label: `${label}${p.validPeriod.start ? `, from ${p.validPeriod.start.text}` : ""}`,
        year: Number(start.slice(0, 4)),
      });
    });
  }

  data.findings.forEach((f, i) => {
    const start = `${f.year}-07-01`;
    if (`${f.year}-01-01` > cap) return;
    add({
      id: `finding#${i}`, group: "norms", start, type: "box",
      className: "finding", content: `<span aria-hidden="true">⚠</span> ${esc(f.rule)}`,
      title: f.explanation, kind: "finding", finding: f,
      label: `${f.year}: ${f.rule} (${f.article}), ${f.body}: ${f.explanation}`, year: f.year,
    });
  });

  data.corrections.forEach((c, i) => {
    const start = c.validPeriod.start ? c.validPeriod.start.lower : null;
    if (!start || start > cap) return;
    add({
      id: `correction#${i}`, group: "corrections", start, type: "point", className: "correction",
      content: esc(`${c.kind}: ${c.summary}`), title: `${c.kind} at log position ${c.position}: ${c.summary}`,
      kind: "correction", entity: c.recordId || c.entity, correction: c,
      label: `${c.kind} at position ${c.position}: ${c.summary}`, year: Number(start.slice(0, 4)),
    });
  });
  return { groups, items, byId, hosts };
}

function drawLegend(hosts, meetings) {
  const names = new Map(meetings.filter((m) => m.hostState).map((m) => [m.hostState.code, m.hostState.name]));
  $("#legend").innerHTML = `<span class="legend-title">Host state:</span> ${hosts.map((h) =>
    `<span class="swatch" style="background:${colourOf(h, hosts)}">${esc(h)}</span> <span class="legend-name">${esc(names.get(h) || h)}</span>`).join(" ")}`;
}

function drawList(groups, items) {
  const byGroup = new Map(groups.map((g) => [g.id, []]));
  for (const it of items) byGroup.get(it.group).push(it);
  const html = [];
  for (const g of [...groups].sort((a, b) => a.order - b.order)) {
    const its = byGroup.get(g.id);
    if (!its.length) continue;
    its.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    html.push(`<h3>${g.content}</h3><ul>`);
    for (const it of its) {
      const docsId = `docs-${html.length}`;
      const docs = it.kind === "meeting"
        ? `<span class="docs" id="${docsId}">${it.docs.length ? `Documents signed: ${esc(it.docs.join("; "))}` : "No documents recorded"}</span>`
        : "";
      html.push(`<li><button type="button" class="item-button" data-item="${esc(it.id)}" data-kind="${it.kind}"${
        docs ? ` aria-describedby="${docsId}"` : ""}>${esc(it.label)}</button>${docs}</li>`);
    }
    html.push("</ul>");
  }
  $("#item-list").innerHTML = html.join("") || "<p>Nothing recorded as of this date.</p>";
}

function say(text, kind) {
  const el = $("#status");
  el.textContent = text;
  el.className = `status ${kind || ""}`;
}

function showError(err) {
  const down = err.kind === "down";
  say(down ? err.message : `The API refused the request: ${err.message}`, "error");
  $("#main").setAttribute("aria-busy", "false");
  const retry = document.createElement("button");
  retry.type = "button";
  retry.textContent = "Try again";
  retry.addEventListener("click", () => load(readUrl()));
  $("#status").append(" ", retry);
}

// ---------------------------------------------------------------- loading
async function load(state) {
  say("Loading the history…", "loading");
  $("#main").setAttribute("aria-busy", "true");
  fillControls(state);
  const k = knownAtInput(state.knownAt);
  const asOf = state.asOf || today();
  try {
    const head = await gql(Q_HEAD, { k });
    if (head.head.position === 0) {
      say("The registry is empty: no events are recorded yet. `make run` loads the bundled history on its first start.", "empty");
      $("#main").setAttribute("aria-busy", "false");
      return;
    }
    const [meetings, states, bodies, findings, corrections, members] = await Promise.all([
      all(Q_MEETINGS, { k, asOf: state.asOf || null }, "meetings"),
      all(Q_STATES, { k }, "states"),
      all(Q_BODIES, { k }, "bodies"),
      all(Q_FINDINGS, { k }, "complianceFindings"),
      all(Q_CORRECTIONS, { k }, "timeline"),
      gql(Q_MEMBERS, { k, asOf }),
    ]);
    const data = {
      head: head.head, known: head.known.totalCount, meetings: meetings.nodes, states: states.nodes,
      bodies: bodies.nodes, findings: findings.nodes, corrections: corrections.nodes, members,
    };
    draw(data, state);
    const when = state.knownAt ? ` as the registry knew it at ${state.knownAt}` : "";
    say(`Showing the history as of ${asOf}${when}: ${view.items.length} items.`, "ok");
  } catch (err) {
    if (err instanceof ApiError) showError(err); else { showError(new ApiError(String(err), "page")); throw err; }
  } finally {
    $("#main").setAttribute("aria-busy", "false");
  }
}

function draw(data, state) {
  const built = buildItems(data, state);
  view = { ...built, data, state };
  const sco = data.members.sco;
  const asOf = state.asOf || today();
  document.querySelectorAll("[data-count-date]").forEach((el) => { el.textContent = asOf; });
  const five = data.members.five.totalCount;
  $("#count-members").textContent = String(sco.totalCount);
  $("#count-observers").textContent = String(data.members.observers.totalCount);
  $("#count-partners").textContent = String(data.members.partners.totalCount);
  const perhaps = sco.nodes.filter((n) => !n.certain).length;
  $("#members-list").textContent = sco.totalCount
    ? `SCO members: ${sco.nodes.map((n) => `${n.state.name || n.state.code}${n.certain ? "" : " (perhaps)"}`).join(", ")}${perhaps ? ` (${perhaps} rest on an imprecise date)` : ""}.`
    : five ? `The SCO did not exist yet; the Shanghai Five had ${five} participants.` : "No members then.";
  const lo = state.from ? Number(state.from) : -Infinity;
  const hi = state.to ? Number(state.to) : Infinity;
  const inRange = (it) => it.kind === "meeting" && it.year >= lo && it.year <= hi;
  $("#range-label").textContent = state.from || state.to ? `${state.from || "…"}–${state.to || "…"}` : "";
  $("#count-hos").textContent = String(built.items.filter((it) => it.group === "hos" && inRange(it)).length);
  $("#count-hog").textContent = String(built.items.filter((it) => it.group === "hog" && inRange(it)).length);
  $("#count-departures").textContent = String(built.items.filter((it) => it.kind === "finding").length);
  $("#log-head").textContent = state.knownAt
    ? `${data.known} of ${data.head.position} events known then`
    : `${data.head.position} events, head ${data.head.hash.slice(0, 12)}…`;
  drawLegend(built.hosts, data.meetings);
  drawList(built.groups, built.items);

  // The window: the years asked, else the recorded history's years (up to the as-of date).
  const years = built.items.map((it) => it.year).filter((y) => Number.isFinite(y));
  const first = years.length ? Math.min(...years) : Number(asOf.slice(0, 4));
  const last = Math.min(years.length ? Math.max(...years) : first, Number(asOf.slice(0, 4)));
  // A phone-sized screen starts on the last seven years (drag or pinch for the rest).
  const narrow = window.matchMedia("(max-width: 40rem)").matches;
  const start = state.from ? `${state.from}-01-01` : `${narrow ? Math.max(first, last - 6) : first - 1}-07-01`;
  const end = state.to ? `${Number(state.to) + 1}-01-01` : `${last + 1}-07-01`;
  const clustered = built.items.length > CLUSTER_ABOVE;
  const options = {
    stack: true, orientation: "top", zoomKey: "ctrlKey", horizontalScroll: false,
    verticalScroll: true,
    // The container's height is fixed by the style sheet (reserved before the data arrive).
    height: `${$("#timeline").clientHeight}px`, selectable: true, multiselect: false,
    tooltip: { followMouse: false, overflowMethod: "cap" }, margin: { item: 4 },
    // The library's own cluster content is `<div title="…">N</div>`: let it through its filter.
    xss: { disabled: false, filterOptions: { whiteList: { span: ["class", "aria-hidden"], div: ["title"] } } },
    // A large history: items too close to tell apart at the zoom gather into one cluster per
    // band, drawn as a box with their count; a click (or double click) on it zooms in to its
    // items. The list below still holds every item, and the year fields narrow the window.
    cluster: clustered ? {
      maxItems: 3, showStipes: true, fitOnDoubleClick: true,
      titleTemplate: "{count} items here: click to zoom in, or use the list of every item",
      clusterCriteria: (a, b) => a.group === b.group,
    } : false,
  };
  // A new timeline for each view: updating one in place (setOptions, setItems) skipped the
  // clustering and took a minute for 1,000 items, a new one about a second.
  if (timeline) { timeline.destroy(); timeline = null; }
  {
    // Made without a window (the library then fits its items and shows itself at once), and
    // set to its window once the library has laid itself out (its first "changed" event). The
    // library keeps the window's milliseconds per pixel from the first time an item asks
    // (Range.getMillisecondsPerPixel, cached until the window moves); during the constructor's
    // first redraw the centre panel is still 0 px wide, so that value is Infinity, and a
    // cluster's visibility test (its never-drawn width is null, null * Infinity is NaN) failed
    // until the user zoomed: no cluster was drawn. Moving the window drops the cached value
    // and restacks every band. (Adding the items after the first layout instead draws each
    // item on its own with a forced layout: 30 s for 1,000.)
        timeline = new vis.Timeline($("#timeline"), new vis.DataSet(built.items), new vis.DataSet(built.groups), options);
    const drawn = timeline;
    timeline.once("changed", () => { if (timeline === drawn) timeline.setWindow(start, end, { animation: false }); });
    timeline.on("select", (props) => { if (props.items.length && built.byId.has(props.items[0])) openPanel(props.items[0], true); });
    if (clustered) {
      // A click on a cluster zooms in eight times around it (a double click fits its items,
      // the library's own fitOnDoubleClick); the click's properties do not list a cluster's
      // items, so the zoom is centred on the time clicked.
      timeline.on("click", (props) => {
        if (!props.isCluster || !props.time) return;
        const w = timeline.getWindow();
        const half = (w.end - w.start) / 16;
        const at = props.time.valueOf();
        timeline.setWindow(at - half, at + half, { animation: false });
      });
    }
    // The band labels scroll with the bands: reachable by keyboard (arrow keys scroll it).
    for (const el of document.querySelectorAll("#timeline .vis-left, #timeline .vis-center")) {
      el.tabIndex = 0;
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", el.classList.contains("vis-left") ? "Band names" : "Timeline bands");
    }
  }
  timeline.addCustomTime(upperDay(asOf), "asof");
  timeline.setCustomTimeMarker(`as of ${asOf}`, "asof");
  if (state.item && built.byId.has(state.item)) openPanel(state.item, false);
  else closePanel(false);
}

// ---------------------------------------------------------------- the side panel
function sources(prov) {
  if (!prov || !prov.sources.length) return "<p>No sources recorded.</p>";
  return `<ul class="sources">${prov.sources.map((s) => `<li>${s.url
    ? `<a href="${esc(s.url)}" rel="noopener noreferrer">${esc(s.title || s.url)}</a>` : esc(s.title || "(untitled)")}${
    s.article ? `, ${esc(s.article)}` : ""}</li>`).join("")}</ul>`;
}

function provenance(prov) {
  if (!prov) return "";
  const rt = prov.recordTime;
  return `<dl class="facts">
    <dt>Record</dt><dd>${esc(prov.recordId || "–")}</dd>
    <dt>Confidence</dt><dd>${esc(prov.confidence || "not given")}</dd>
    <dt>Note</dt><dd>${esc(prov.note || "none")}</dd>
    ${rt ? `<dt>Known</dt><dd>from log position ${rt.recordedFrom}${rt.recordedTo ? ` until ${rt.recordedTo}` : " (current)"}</dd>` : ""}
  </dl><h4>Sources</h4>${sources(prov)}`;
}

function facts(pairs) {
  return `<dl class="facts">${pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd data-fact="${esc(k)}">${esc(v)}</dd>`).join("")}</dl>`;
}

function nodeHtml(node, item) {
  if (!node) return "<p>The registry knows no such entity at this time.</p>";
  switch (node.__typename) {
    case "Meeting":
      return facts([
        ["Body", node.body && node.body.latestName], ["Ordinal", node.ordinal],
        ["Date", `${node.startDate ? node.startDate.text : "?"}${node.endDate && node.endDate.text !== node.startDate.text ? ` to ${node.endDate.text}` : ""}`],
        ["City", node.city], ["Host state", node.hostState && `${node.hostState.name} (${node.hostState.code})`],
        ["Format", node.format], ["Status", node.status], ["Chair", node.chair],
        ["Participants", node.participants.join(", ")],
        ["Changes", node.changes && node.changes.length ? JSON.stringify(node.changes) : null],
      ]) + `<h4>Documents signed</h4>${node.documents.length ? `<ul>${node.documents.map((d) =>
        `<li>${esc(d.title || d.id)}${d.signedOn ? ` (${esc(d.signedOn.text)})` : ""}</li>`).join("")}</ul>` : "<p>None recorded.</p>"}`
        + provenance(node.provenance);
    case "State": {
      const periods = [...node.five.map((p) => ["Shanghai Five", p]), ...node.sco.map((p) => ["SCO", p])];
      return facts([["Code", node.code], ["Name", node.name]])
        + `<h4>Status history</h4><ol class="periods">${periods.map(([org, p]) => `<li><strong>${esc(STATUS_LABEL[p.status] || p.status)}</strong> (${org}) from ${
          esc(p.validPeriod.start ? p.validPeriod.start.text : "its start")}${p.validPeriod.end ? ` to ${esc(p.validPeriod.end.text)}` : ""}${provenance(p.provenance)}</li>`).join("")}</ol>`
        + `<h4>Registration</h4>${provenance(node.provenance)}`;
    }
    case "Body":
      return facts([["Name", node.latestName], ["Abbreviation", node.abbreviation], ["Category", node.category],
        ["Established", node.establishedOn && node.establishedOn.text], ["Dissolved", node.dissolvedOn && node.dissolvedOn.text]])
        + `<h4>Seat history</h4><ol class="periods">${node.seatHistory.map((p) => `<li><strong>${esc(p.seat || "no seat")}</strong>${p.seatState ? ` (${esc(p.seatState)})` : ""} from ${
          esc(p.validPeriod.start ? p.validPeriod.start.text : "its start (no date recorded)")}${p.validPeriod.end ? ` to ${esc(p.validPeriod.end.text)}` : ""}${provenance(p.provenance)}</li>`).join("")}</ol>`
        + `<h4>The body's record</h4>${provenance(node.provenance)}`;
    case "Document":
      return facts([["Title", node.title], ["Category", node.docCategory], ["Signed", node.signedOn && node.signedOn.text], ["Place", node.place]])
        + provenance(node.provenance);
    default:
      return `<p>${esc(item.label)}</p>`;
  }
}

function auditHtml(events, verify) {
  const status = verify.ok
    ? `<p class="verify ok" data-verify="ok">Chain verified by the API: intact over ${verify.checked} events, head <code>${esc(verify.headHash || "–")}</code>.
       ${events.length ? `This item's events (positions ${events.map((e) => e.position).join(", ")}) lie in the verified chain.` : ""}</p>`
    : `<p class="verify broken" data-verify="broken">Chain BROKEN at log position ${verify.brokenAt}: ${esc(verify.reason)}.
       ${events.filter((e) => e.position >= verify.brokenAt).length} of this item's events are at or after the break and are not verified.</p>`;
  if (!events.length) return `${status}<p>No events found for this item.</p>`;
  return `${status}<ol class="events" aria-label="The events that made it, in log order">${events.map((e) =>
    `<li class="event${e.correctsPosition ? " corrected" : ""}" data-position="${e.position}"><dl class="facts">
      <dt>Position</dt><dd>${e.position}</dd>
      <dt>Type</dt><dd>${esc(e.type)}${e.correctsPosition ? ` (a correction of position ${e.correctsPosition})` : ""}</dd>
      <dt>Recorded</dt><dd>${esc(e.recordedAt)}</dd>
      <dt>By</dt><dd>${esc(e.actor || "not shown (the auditor role sees actors)")}</dd>
      <dt>Hash</dt><dd><code class="hash" data-hash>${esc(e.hash)}</code></dd>
      <dt>Previous</dt><dd><code class="hash">${esc(e.previousHash)}</code></dd>
    </dl></li>`).join("")}</ol>`;
}

async function openPanel(id, push) {
  const item = view && view.byId.get(id);
  if (!item) return;
  const state = view.state;
  if (push) { state.item = id; writeUrl(state, false); }
  if (timeline) timeline.setSelection([id]);
  const panel = $("#panel");
  panel.hidden = false;
  $("#panel-title").textContent = item.label;
  const body = $("#panel-body");
  body.innerHTML = '<p class="loading" role="status">Loading its facts, sources and audit history…</p>';
  panel.setAttribute("aria-busy", "true");
  if (push) $("#panel-title").focus();
  const k = knownAtInput(state.knownAt);
  try {
    if (item.kind === "finding") {
      const f = item.finding;
      body.innerHTML = facts([["Norm", `${f.rule} (${f.article})`], ["Year", f.year], ["Body", f.body],
        ["Outcome", f.outcome], ["Reading", f.readingText]])
        + `<h4>Explanation</h4><p class="explanation">${esc(f.explanation)}</p><h4>Evidence</h4><ul>${f.evidence.map((e) =>
          `<li>${view.byId.has(e) ? `<button type="button" class="link" data-open="${esc(e)}">${esc(e)}</button>` : esc(e)}</li>`).join("")}</ul>`;
      return;
    }
    const [node, audit, verify] = await Promise.all([
      gql(Q_NODE, { id: item.entity, k, asOf: state.asOf || null }),
      all(Q_AUDIT, { entity: item.auditEntity || item.entity, k }, "audit"),
      gql(Q_VERIFY, {}),
    ]);
    const pre = item.kind === "correction"
      ? `<p class="correction-note">A ${esc(item.correction.kind)} recorded at log position ${item.correction.position}: ${esc(item.correction.summary)}</p>` : "";
    body.innerHTML = `${pre}<h3>Facts</h3>${nodeHtml(node.node, item)}<h3>Audit history</h3>${auditHtml(audit.nodes, verify.verify)}`;
  } catch (err) {
    body.innerHTML = `<p class="error" role="alert">Could not load this item: ${esc(err.message)}</p>`;
  } finally {
    panel.setAttribute("aria-busy", "false");
  }
}

function closePanel(push) {
  $("#panel").hidden = true;
  if (view && view.state.item) {
    const back = view.state.item;
    view.state.item = "";
    if (push) writeUrl(view.state, false);
    const button = document.querySelector(`.item-button[data-item="${CSS.escape(back)}"]`);
    if (push && button) button.focus();
  }
  if (timeline) timeline.setSelection([]);
}

// ---------------------------------------------------------------- controls
function fillControls(state) {
  $("#as-of").value = state.asOf;
  $("#known-at").value = state.knownAt;
  $("#year-from").value = state.from;
  $("#year-to").value = state.to;
}

function init() {
  $("#controls").addEventListener("submit", (e) => {
    e.preventDefault();
    const state = {
      asOf: $("#as-of").value.trim(), knownAt: $("#known-at").value.trim(),
      from: $("#year-from").value.trim(), to: $("#year-to").value.trim(), item: "",
    };
    writeUrl(state, false);
    load(state);
  });
  $("#reset").addEventListener("click", () => {
    const state = { asOf: "", knownAt: "", from: "", to: "", item: "" };
    writeUrl(state, false);
    load(state);
  });
  $("#item-list").addEventListener("click", (e) => {
    const b = e.target.closest("[data-item]");
    if (b) openPanel(b.dataset.item, true);
  });
  $("#item-list").addEventListener("focusin", (e) => {
    const b = e.target.closest("[data-item]");
    if (b && timeline) timeline.setSelection([b.dataset.item]);
  });
  $("#panel-body").addEventListener("click", (e) => {
    const b = e.target.closest("[data-open]");
    if (b) openPanel(b.dataset.open, true);
  });
  $("#panel-close").addEventListener("click", () => closePanel(true));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("#panel").hidden) closePanel(true); });
  window.addEventListener("popstate", () => load(readUrl()));
  if (typeof vis === "undefined") {
    say("The drawing library did not load (vendor/vis-timeline-graph2d.min.js): run `make page`.", "error");
    return;
  }
  load(readUrl());
}

init();
