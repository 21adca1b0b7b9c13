// kfyaml ui: the runs list, one run (DAG, live states, step details), and a comparison.
// All HTML inserted here is either built from escaped text or comes from the server's fragments,
// which escape every value from a run.
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const main = document.getElementById("main");
const where = document.getElementById("where");
let stream = null;

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
function api(path) {
  const sep = path.includes("?") ? "&" : "?";
  return `/api/${path}${sep}token=${encodeURIComponent(token)}`;
}
async function get(path, as) {
  const response = await fetch(api(path));
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return as === "text" ? response.text() : response.json();
}
function took(started, finished) {
  if (!started) return "-";
  const s = (finished || Date.now() / 1000) - started;
  return s < 120 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}
function when(t) { return t ? new Date(t * 1000).toLocaleString() : "-"; }
function badge(state) { return `<span class="state ${esc(state)}">${esc(state)}</span>`; }

async function showRuns(page) {
  where.textContent = "runs";
  const data = await get(`runs?page=${page}`);
  const rows = data.runs.map(r => `<tr data-run="${esc(r.id)}"><td><input type="checkbox" value="${esc(r.id)}" aria-label="compare ${esc(r.id)}"></td>` +
    `<td>${esc(r.pipeline)}</td><td>${esc(when(r.started))}</td><td>${esc(took(r.started, r.finished))}</td><td>${badge(r.state)}</td>` +
    `<td>${esc(Object.entries(r.params || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" "))}</td></tr>`).join("");
  main.innerHTML = `<div class="toolbar"><button id="compare" disabled>compare selected</button> ${data.total} runs</div>` +
    `<table class="runs"><tr><th></th><th>pipeline</th><th>started</th><th>took</th><th>state</th><th>params</th></tr>${rows}</table>` +
    `<div class="pager">${data.page > 1 ? `<button id="prev">newer</button>` : ""}page ${data.page} of ${data.pages}` +
    `${data.page < data.pages ? ` <button id="next">older</button>` : ""}</div>`;
  const chosen = () => [...main.querySelectorAll("input[type=checkbox]:checked")].map(c => c.value);
  main.querySelectorAll("tr[data-run]").forEach(tr => tr.addEventListener("click", e => {
    if (e.target.tagName !== "INPUT") location.hash = `#/run/${encodeURIComponent(tr.dataset.run)}`;
  }));
  main.querySelectorAll("input[type=checkbox]").forEach(c => c.addEventListener("change", () => {
    document.getElementById("compare").disabled = chosen().length < 2;
  }));
  document.getElementById("compare").addEventListener("click", () => { location.hash = `#/compare/${chosen().map(encodeURIComponent).join(",")}`; });
  if (document.getElementById("prev")) document.getElementById("prev").addEventListener("click", () => { location.hash = `#/runs/${data.page - 1}`; });
  if (document.getElementById("next")) document.getElementById("next").addEventListener("click", () => { location.hash = `#/runs/${data.page + 1}`; });
}

async function showRun(id) {
  const run = await get(`runs/${encodeURIComponent(id)}?steps=0`);
  where.textContent = `${run.pipeline} · ${id}`;
  const params = Object.entries(run.params || {}).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(JSON.stringify(v))}</td></tr>`).join("");
  main.innerHTML = `<h2>${esc(run.pipeline)} <span id="run-state">${badge(run.state)}</span> <span id="took">${esc(took(run.started, run.finished))}</span></h2>` +
    `<p class="note">started ${esc(when(run.started))} · <span id="counts"></span></p><table class="params">${params}</table>` +
    `<div class="layout"><div class="dag-box" id="dag"></div><div id="panel"><p class="note">click a step for its inputs, outputs, artifacts and log</p></div></div>`;
  document.getElementById("dag").innerHTML = await get(`runs/${encodeURIComponent(id)}/dag.svg`, "text");
  const shapes = new Map([...document.querySelectorAll("svg.dag [data-node]")].map(g => [g.dataset.node, g]));
  let selected = null;
  const open = async node => {
    selected = node;
    document.querySelectorAll("svg.dag .node").forEach(g => g.classList.toggle("selected", g.dataset.node === node));
    document.getElementById("panel").innerHTML = await get(`runs/${encodeURIComponent(id)}/node/${encodeURIComponent(node)}`, "text");
  };
  document.querySelectorAll("svg.dag .node").forEach(g => {
    g.addEventListener("click", () => open(g.dataset.node));
    g.addEventListener("keydown", e => { if (e.key === "Enter") open(g.dataset.node); });
  });
  const apply = event => {
    for (const [node, state] of Object.entries(event.nodes || {})) {
      const g = shapes.get(node);
      if (g && !g.classList.contains(`state-${state}`)) g.setAttribute("class", g.getAttribute("class").replace(/state-[a-z_]+/, `state-${state}`));
    }
    document.getElementById("run-state").innerHTML = badge(event.state);
    document.getElementById("took").textContent = took(event.started, event.finished);
    document.getElementById("counts").textContent = Object.entries(event.counts || {}).map(([k, v]) => `${v} ${k}`).join(", ");
    document.body.dataset.runState = event.state;
    running = event.running || [];
    if (selected && running.includes(selected)) open(selected);
  };
  let running = [];
  // A running step's log grows between state changes: its panel is read again every second while it runs.
  const follow = setInterval(() => {
    if (!document.body.contains(document.getElementById("panel"))) { clearInterval(follow); return; }
    if (selected && running.includes(selected)) open(selected);
  }, 1000);
  if (stream) stream.close();
  stream = new EventSource(api(`runs/${encodeURIComponent(id)}/events`));
  stream.onmessage = m => {
    const event = JSON.parse(m.data);
    apply(event);
    if (["succeeded", "failed", "cancelled", "interrupted"].includes(event.state)) {
      stream.close();
      running = [];
      if (selected) open(selected);
    }
  };
}

async function showCompare(ids) {
  where.textContent = `compare ${ids.length} runs`;
  main.innerHTML = await get(`compare?ids=${ids.map(encodeURIComponent).join(",")}`, "text");
}

async function route() {
  if (stream) { stream.close(); stream = null; }
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "run" && parts[1]) await showRun(parts[1]);
    else if (parts[0] === "compare" && parts[1]) await showCompare(parts[1].split(","));
    else await showRuns(parts[0] === "runs" ? Number(parts[1]) || 1 : 1);
  } catch (error) {
    main.innerHTML = `<p class="error">${esc(error.message)}</p>`;
  }
}
window.addEventListener("hashchange", route);
route();
