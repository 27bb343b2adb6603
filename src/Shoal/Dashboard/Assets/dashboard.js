// Shoal dashboard: plain JavaScript, no dependencies. Each page fills itself from /api/v1/
// and, where live, from the server-sent event stream /api/v1/stream (one update per interval).
"use strict";

const PAGES = ["status", "workers", "tasks", "graph", "info"];
const WINDOW_S = 10; // task stream: seconds shown

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function bytes(n) {
  if (!n || n < 0) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + u[i];
}

function seconds(s) {
  if (s < 0 || s === undefined || s === null) return "-";
  if (s < 1e-3) return (s * 1e6).toFixed(0) + " µs";
  if (s < 1) return (s * 1e3).toFixed(1) + " ms";
  if (s < 120) return s.toFixed(2) + " s";
  return (s / 60).toFixed(1) + " min";
}

function number(n) { return Number(n || 0).toLocaleString("en-US"); }

const colourCache = new Map();
function groupColour(name) {
  let c = colourCache.get(name);
  if (!c) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    c = "hsl(" + (h % 360) + ", 62%, 52%)";
    colourCache.set(name, c);
  }
  return c;
}

function buildNav(page) {
  const nav = document.querySelector("nav");
  nav.appendChild(el("span", "brand", "Shoal"));
  for (const p of PAGES) {
    const a = el("a", p === page ? "here" : "", p);
    a.href = "/" + p;
    nav.appendChild(a);
  }
  const live = el("span", "live", "connecting…");
  live.id = "live";
  nav.appendChild(live);
}

function setLive(text, stale) {
  const live = document.getElementById("live");
  live.textContent = text;
  live.classList.toggle("stale", !!stale);
}

async function getJson(path) {
  const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

function liveStream(onUpdate) {
  const source = new EventSource("/api/v1/stream");
  source.addEventListener("update", ev => {
    const u = JSON.parse(ev.data);
    setLive("live · " + new Date(u.taken).toLocaleTimeString());
    onUpdate(u);
  });
  source.onerror = () => setLive("reconnecting…", true);
}

// A row of a bar chart: name, a track of coloured segments (fractions of the track), a value.
function barRow(container, name, segments, value, title) {
  const row = el("div", "row");
  const n = el("div", "name", name);
  n.title = title || name;
  const track = el("div", "track");
  for (const [cls, fraction] of segments) {
    if (fraction <= 0) continue;
    const s = el("span", cls);
    s.style.width = Math.min(100, fraction * 100).toFixed(2) + "%";
    track.appendChild(s);
  }
  row.append(n, track, el("div", "value", value));
  container.appendChild(row);
}

function sizeCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return [ctx, w, h];
}

// ------------------------------------------------------------------ /status

function statusPage() {
  let bars = [];
  let latest = null;
  const canvas = document.getElementById("task-stream");
  canvas.style.height = "220px";

  getJson("/api/v1/task_stream").then(r => { bars = r.bars.concat(bars); }).catch(() => {});

  liveStream(u => {
    latest = u;
    bars = bars.concat(u.stream);
    const cutoff = u.time - WINDOW_S;
    let first = 0;
    while (first < bars.length && bars[first].stop < cutoff) first++;
    if (first > 0) bars = bars.slice(first);
    if (bars.length > 20000) bars = bars.slice(bars.length - 20000);
    renderSummary(u);
    renderProgress(u);
    renderWorkers(u);
    drawStream();
    document.getElementById("stream-note").textContent =
      "(last " + WINDOW_S + " s; " + number(u.stream.length) + " bars this update of " + number(u.stream_events) + " tasks seen" + (u.stream_lost ? ", " + number(u.stream_lost) + " skipped" : "") + ")";
  });
  window.addEventListener("resize", drawStream);

  function renderSummary(u) {
    const s = document.getElementById("summary");
    s.textContent = "";
    const threads = u.workers.reduce((a, w) => a + w.threads, 0);
    const items = [["workers", number(u.workers.length)], ["threads", number(threads)], ["tasks/s", number(Math.round(u.tasks_per_second))],
      ["processing", number(u.states.processing)], ["queued", number(u.states.queued)], ["waiting", number(u.states.waiting)],
      ["in memory", number(u.states.memory)], ["erred", number(u.states.erred)], ["done (total)", number(u.tasks_done)], ["clients", number(u.clients)]];
    for (const [label, value] of items) {
      const d = el("div");
      d.append(el("b", "", value), el("span", "", label));
      s.appendChild(d);
    }
  }

  function renderProgress(u) {
    const p = document.getElementById("progress");
    p.textContent = "";
    const order = ["forgotten", "memory", "processing", "queued", "waiting", "no_worker", "erred"];
    for (const g of u.groups) {
      const total = order.reduce((a, k) => a + (g.states[k] || 0), 0) + (g.states.released || 0) + (g.states.restoring || 0);
      if (total === 0) continue;
      const done = (g.states.memory || 0) + (g.states.forgotten || 0);
      barRow(p, g.name, order.map(k => ["s-" + k, (g.states[k] || 0) / total]), number(done) + " / " + number(total),
        g.name + ": " + order.map(k => k + " " + (g.states[k] || 0)).join(", "));
    }
    const legend = document.getElementById("group-legend");
    legend.textContent = "";
    for (const g of u.groups.slice(0, 30)) {
      const s = el("span");
      const i = el("i");
      i.style.background = groupColour(g.name);
      s.append(i, document.createTextNode(g.name));
      legend.appendChild(s);
    }
  }

  function renderWorkers(u) {
    const mem = document.getElementById("memory"), proc = document.getElementById("processing"), cpu = document.getElementById("cpu");
    mem.textContent = ""; proc.textContent = ""; cpu.textContent = "";
    const maxProc = Math.max(1, ...u.workers.map(w => w.processing));
    for (const w of u.workers) {
      const limit = w.memory_limit > 0 ? w.memory_limit : Math.max(w.process_memory, w.managed_bytes, 1);
      const unmanaged = Math.max(0, w.process_memory - w.managed_bytes);
      const over = w.memory_limit > 0 && w.process_memory > w.memory_limit;
      barRow(mem, w.name, [[over ? "m-over" : "m-managed", w.managed_bytes / limit], ["m-unmanaged", unmanaged / limit], ["m-spilled", w.spilled_bytes / limit]],
        bytes(w.process_memory) + " / " + (w.memory_limit > 0 ? bytes(w.memory_limit) : "∞"),
        w.name + ": managed " + bytes(w.managed_bytes) + ", unmanaged " + bytes(unmanaged) + ", spilled " + bytes(w.spilled_bytes));
      barRow(proc, w.name, [["s-processing", w.processing / maxProc]], number(w.processing) + (w.paused ? " (paused)" : ""));
      barRow(cpu, w.name, [["s-processing", Math.min(1, w.cpu / (100 * w.threads))]], Math.round(w.cpu) + " %");
    }
  }

  function drawStream() {
    if (!latest) return;
    const [ctx, width, height] = sizeCanvas(canvas);
    ctx.clearRect(0, 0, width, height);
    const workers = latest.workers;
    const label = 110, plot = width - label;
    const end = latest.time, start = end - WINDOW_S;
    // Lanes: each worker gets as many as it has threads; a bar takes the first lane free at its start.
    const lanesOf = new Map();
    let totalLanes = 0;
    for (const w of workers) { lanesOf.set(w.id, { first: totalLanes, ends: new Array(w.threads).fill(-Infinity), name: w.name }); totalLanes += w.threads; }
    if (totalLanes === 0) return;
    const laneH = Math.max(2, Math.min(18, (height - 16) / totalLanes));
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#555";
    for (const w of workers) {
      const l = lanesOf.get(w.id);
      ctx.fillText(w.name.length > 16 ? w.name.slice(0, 15) + "…" : w.name, 2, l.first * laneH + Math.min(laneH, 12));
      ctx.fillStyle = "#eee";
      ctx.fillRect(label, (l.first + w.threads) * laneH - 1, plot, 1);
      ctx.fillStyle = "#555";
    }
    const sorted = bars.slice().sort((a, b) => a.start - b.start);
    for (const b of sorted) {
      const l = lanesOf.get(b.worker);
      if (!l || b.stop < start) continue;
      let lane = l.ends.findIndex(e => e <= b.start + 1e-6);
      if (lane < 0) { lane = l.ends.indexOf(Math.min(...l.ends)); }
      l.ends[lane] = b.stop;
      const x0 = label + Math.max(0, (b.start - start) / WINDOW_S) * plot;
      const x1 = label + Math.min(1, (b.stop - start) / WINDOW_S) * plot;
      ctx.fillStyle = b.kind === "erred" ? "#111" : b.kind === "transfer" ? "#d62728" : b.kind === "spill" ? "#999" : groupColour(b.group);
      ctx.fillRect(x0, (l.first + lane) * laneH + 1, Math.max(1, x1 - x0), Math.max(1, laneH - 2));
    }
    ctx.fillStyle = "#777";
    for (let s = 0; s <= WINDOW_S; s += 2) {
      const x = label + (s / WINDOW_S) * plot;
      ctx.fillText((s - WINDOW_S) + " s", Math.min(x, width - 30), height - 3);
    }
  }
}

// ------------------------------------------------------------------ /workers

function workersPage() {
  liveStream(u => {
    document.getElementById("worker-count").textContent = "(" + u.workers.length + ")";
    const body = document.querySelector("#workers tbody");
    body.textContent = "";
    for (const w of u.workers) {
      const tr = el("tr");
      const cells = [w.name, w.address, number(w.threads), bytes(w.process_memory), w.memory_limit > 0 ? bytes(w.memory_limit) : "∞", bytes(w.spilled_bytes),
        Math.round(w.cpu) + " %", number(w.processing), number(w.held_results), seconds(w.last_seen_ago) + " ago",
        w.retiring ? "retiring" : w.paused ? "paused" : "running"];
      cells.forEach((c, i) => tr.appendChild(el("td", i >= 2 && i <= 9 ? "num" : "", c)));
      const metrics = el("td");
      if (w.http_address) { const a = el("a", "", "metrics"); a.href = w.http_address + "/metrics"; metrics.appendChild(a); }
      tr.appendChild(metrics);
      tr.dataset.worker = w.name;
      body.appendChild(tr);
    }
  });
  // Log lines: polled (they are few), only what is new since the last poll, the newest 200 shown.
  const LEVELS = ["trace", "debug", "info", "warning", "error", "critical"];
  let after = 0;
  const shown = [];
  async function refreshLogs() {
    const r = await getJson("/api/v1/logs?after=" + after);
    after = r.last_sequence;
    shown.push(...r.lines);
    shown.splice(0, Math.max(0, shown.length - 200));
    const body = document.querySelector("#logs tbody");
    body.textContent = "";
    for (const line of shown.slice().reverse()) {
      const tr = el("tr", line.level >= 4 ? "erred" : "");
      [new Date(line.time).toLocaleTimeString(), line.worker, LEVELS[line.level] || String(line.level), line.task_key || "", line.message]
        .forEach(c => tr.appendChild(el("td", "", c)));
      body.appendChild(tr);
    }
  }
  refreshLogs();
  setInterval(() => refreshLogs().catch(() => {}), 2000);
}

// ------------------------------------------------------------------ /tasks

function tasksPage() {
  async function refresh() {
    const t = await getJson("/api/v1/tasks");
    setLive("updated " + new Date().toLocaleTimeString());
    const body = document.querySelector("#groups tbody");
    body.textContent = "";
    for (const g of t.groups) {
      const tr = el("tr");
      const s = g.states;
      [g.name, number(s.waiting), number(s.queued), number(s.processing), number(s.memory), number(s.erred), number(s.forgotten), number(g.done),
        seconds(g.average_duration), seconds(g.total_seconds), bytes(g.bytes)].forEach((c, i) => tr.appendChild(el("td", i ? "num" : "", c)));
      const td = el("td");
      const c = el("canvas");
      c.width = 160; c.height = 24; c.style.width = "160px"; c.style.height = "24px";
      const ctx = c.getContext("2d");
      const max = Math.max(1, ...g.histogram);
      const used = g.histogram.map((v, i) => [v, i]).filter(p => p[0] > 0);
      const lo = used.length ? used[0][1] : 0, hi = used.length ? used[used.length - 1][1] : 0;
      const n = Math.max(1, hi - lo + 1), w = 160 / n;
      ctx.fillStyle = groupColour(g.name);
      for (let i = lo; i <= hi; i++) { const h = 22 * g.histogram[i] / max; ctx.fillRect((i - lo) * w, 24 - h, Math.max(1, w - 1), h); }
      c.title = used.length ? seconds(g.bucket_starts[lo]) + " … " + seconds(g.bucket_starts[hi] * 2) : "no durations yet";
      td.appendChild(c);
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }
  refresh().catch(() => setLive("unreachable", true));
  setInterval(() => refresh().catch(() => setLive("unreachable", true)), 1000);
}

// ------------------------------------------------------------------ /graph

function graphPage() {
  const canvas = document.getElementById("graph");
  canvas.style.height = "520px";
  const colours = { waiting: "#d1d5db", queued: "#a3bffa", processing: "#3b82f6", memory: "#2e9d4f", erred: "#dc2626", released: "#e5e7eb", no_worker: "#f59e0b", restoring: "#a855f7", forgotten: "#86c79c" };
  async function refresh() {
    const g = await getJson("/api/v1/graph");
    setLive("updated " + new Date().toLocaleTimeString());
    const [ctx, width, height] = sizeCanvas(canvas);
    ctx.clearRect(0, 0, width, height);
    const note = document.getElementById("graph-note");
    if (!g.complete) {
      note.textContent = "(more than " + number(g.limit) + " tasks: a summary by group)";
      const rowH = Math.min(24, (height - 10) / Math.max(1, g.groups.length));
      ctx.font = "12px system-ui, sans-serif";
      g.groups.forEach((grp, i) => {
        const states = Object.entries(grp.states);
        const total = states.reduce((a, [, v]) => a + v, 0) || 1;
        let x = 200;
        ctx.fillStyle = "#333"; ctx.fillText(grp.name, 4, i * rowH + rowH * 0.7);
        for (const [k, v] of states) { const w = (width - 210) * v / total; ctx.fillStyle = colours[k] || "#999"; ctx.fillRect(x, i * rowH + 2, w, rowH - 4); x += w; }
      });
      return;
    }
    note.textContent = "(" + number(g.tasks.length) + " tasks)";
    // Layers by longest path from a root; dependencies come from the left.
    const depth = new Array(g.tasks.length).fill(-1);
    function depthOf(i, guard) {
      if (depth[i] >= 0) return depth[i];
      if (guard > 10000) return 0;
      let d = 0;
      for (const p of g.tasks[i].dependencies) d = Math.max(d, depthOf(p, guard + 1) + 1);
      return (depth[i] = d);
    }
    g.tasks.forEach((_, i) => depthOf(i, 0));
    const layers = [];
    depth.forEach((d, i) => { (layers[d] = layers[d] || []).push(i); });
    const pos = new Array(g.tasks.length);
    const dx = width / (layers.length + 1);
    layers.forEach((layer, d) => { const dy = height / (layer.length + 1); layer.forEach((t, j) => { pos[t] = [dx * (d + 1), dy * (j + 1)]; }); });
    const r = Math.max(1.5, Math.min(6, 300 / Math.sqrt(g.tasks.length + 1)));
    ctx.strokeStyle = "rgba(0,0,0,0.12)";
    ctx.beginPath();
    g.tasks.forEach((t, i) => { for (const p of t.dependencies) { ctx.moveTo(pos[p][0], pos[p][1]); ctx.lineTo(pos[i][0], pos[i][1]); } });
    ctx.stroke();
    g.tasks.forEach((t, i) => { ctx.fillStyle = colours[t.state] || "#999"; ctx.beginPath(); ctx.arc(pos[i][0], pos[i][1], r, 0, 2 * Math.PI); ctx.fill(); });
  }
  refresh().catch(() => setLive("unreachable", true));
  setInterval(() => refresh().catch(() => setLive("unreachable", true)), 2000);
}

// ------------------------------------------------------------------ /info

async function infoPage() {
  const info = await getJson("/api/v1/info");
  setLive("updated " + new Date().toLocaleTimeString());
  const body = document.querySelector("#info tbody");
  function add(k, v) { const tr = el("tr"); tr.append(el("th", "", k), el("td", "", typeof v === "object" && v !== null ? JSON.stringify(v) : String(v))); body.appendChild(tr); }
  for (const [k, v] of Object.entries(info)) {
    if (k === "options") { for (const [ok, ov] of Object.entries(v)) add("option " + ok, ov); }
    else add(k, v);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  buildNav(page);
  ({ status: statusPage, workers: workersPage, tasks: tasksPage, graph: graphPage, info: infoPage })[page]();
});
