// Clinforge web app: plain DOM, no framework, no CDN. Every text from the server is set with
// textContent (never innerHTML), so a request or a class name cannot inject markup.
"use strict";

const csrf = document.querySelector('meta[name="clinforge-csrf"]').content;
const main = document.getElementById("main");
let source = null;       // the EventSource of the open project
let sections = {};       // section key -> last rendered JSON, so live updates do not clobber typing

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(method, url, body) {
  const init = { method, headers: { "X-Clinforge-Csrf": csrf } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const r = await fetch(url, init);
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  if (!r.ok) throw new Error((data && data.error) || `The server answered ${r.status}.`);
  return data;
}

const pct = v => `${Math.round(1000 * v) / 10}%`;
const fmt = v => (v === null || v === undefined || Number.isNaN(v)) ? "—" : Number(v).toFixed(3);

const metricNames = {
  auc: "AUC (how well the model ranks positives above negatives)",
  macro_auc: "average AUC over the classes",
  sensitivity_at_specificity: "sensitivity while keeping specificity at the floor",
  specificity_at_sensitivity: "specificity while keeping sensitivity at the floor",
  balanced_accuracy: "balanced accuracy",
  accuracy: "accuracy",
};

const fieldNames = {
  task: "Task", classes: "Classes", class_groups: "Grouped classes", positive_class: "Condition to find",
  priority_classes: "Classes that matter most", error_preference: "Which mistake is worse",
  primary_metric: "Measure of success", operating_point: "Operating point", requirements: "Minimum requirements",
  localize: "Show where the finding is", confounders: "Possible confounders", supervision: "Labels available", budget: "Time budget",
};

const preferenceWords = {
  sensitivity: "missing a case is worse (favour sensitivity)",
  specificity: "a false alarm is worse (favour specificity)",
  balanced: "both mistakes weigh the same",
};

function fieldValue(spec, field) {
  const v = spec[field];
  switch (field) {
    case "classes": return v.join(", ");
    case "class_groups": return Object.entries(v || {}).map(([k, m]) => `${k} = ${m.join(" + ")}`).join("; ") || "none";
    case "priority_classes": return (v || []).join(", ") || "none";
    case "error_preference": return preferenceWords[v] || v;
    case "primary_metric": return metricNames[v] || v;
    case "operating_point": return v ? `maximise ${v.maximize} while ${v.constraint} stays at or above ${pct(v.constraint_value)}` : "none";
    case "requirements": return (v || []).map(r => `${r.metric} at least ${pct(r.minimum)}`).join(", ") || "none";
    case "localize": return v ? "yes" : "no";
    case "confounders": return (v || []).map(c => c.name).join(", ") || "none";
    default: return v === null || v === undefined || v === "" ? "not given" : String(v);
  }
}

// ---------- routing ----------
window.addEventListener("hashchange", route);
route();

function route() {
  if (source) { source.close(); source = null; }
  sections = {};
  const m = location.hash.match(/^#\/run\/([A-Za-z0-9._-]+)$/);
  if (m) showRun(m[1]); else showHome();
}

// ---------- home: runs + new project ----------
async function showHome() {
  main.replaceChildren(h("h1", {}, "Your projects"));
  const newCard = h("section", { class: "card", id: "new-project" });
  const runsCard = h("section", { class: "card", id: "runs" }, h("h2", {}, "Projects in this workspace"), h("p", { class: "hint" }, "Loading…"));
  main.append(runsCard, newCard);
  renderNewProject(newCard);
  try {
    const runs = await api("GET", "/api/runs");
    runsCard.replaceChildren(h("h2", {}, "Projects in this workspace"));
    if (runs.length === 0) { runsCard.append(h("p", { class: "hint" }, "No projects yet. Start one below.")); return; }
    const rows = runs.map(r => h("tr", { onclick: () => { location.hash = `#/run/${r.id}`; } },
      h("td", {}, h("a", { href: `#/run/${r.id}` }, r.request)),
      h("td", {}, r.data || ""),
      h("td", {}, h("span", { class: `badge ${r.status}` }, statusWords[r.status] || r.status)),
      h("td", {}, String(r.rounds)), h("td", {}, fmt(r.best))));
    runsCard.append(h("table", { class: "runs" },
      h("thead", {}, h("tr", {}, h("th", {}, "Request"), h("th", {}, "Data"), h("th", {}, "State"), h("th", {}, "Trials"), h("th", {}, "Best score"))),
      h("tbody", {}, rows)));
  } catch (e) { runsCard.append(h("p", { class: "error" }, e.message)); }
}

const statusWords = { draft: "not started", running: "developing…", pausing: "pausing after this round…", paused: "paused", stopped: "stopped", choose: "waiting for your choice", finished: "finished", failed: "failed" };
// A developer process is at work (also while it finishes a round before pausing).
const busy = s => s.status === "running" || s.status === "pausing";

async function renderNewProject(card) {
  const err = h("div");
  const request = h("textarea", { id: "request", placeholder: "For example: Find melanoma in these dermoscopy images. Missing a melanoma is much worse than a false alarm." });
  const path = h("input", { type: "text", id: "data-path", placeholder: "/full/path/to/image/folder" });
  const library = h("select", { id: "data-library" });
  const kind = name => h("input", { type: "radio", name: "dataset", value: name, checked: name === "demo" });
  const demoRadio = kind("demo"), pathRadio = kind("path"), libRadio = kind("library");
  let libraryLabel = h("span", { class: "muted" }, " (none registered yet; 'clinforge data add' registers one)");
  const create = h("button", { id: "create", onclick: async () => {
    err.replaceChildren();
    const chosen = [demoRadio, pathRadio, libRadio].find(r => r.checked).value;
    create.disabled = true; create.textContent = "Reading the data…";
    try {
      const r = await api("POST", "/api/projects", { request: request.value, dataset: chosen, path: path.value, name: library.value });
      location.hash = `#/run/${r.id}`;
    } catch (e) {
      err.replaceChildren(h("p", { class: "error" }, e.message));
      create.disabled = false; create.textContent = "Read my request";
    }
  } }, "Read my request");
  // Upload: a zip of images becomes a registered dataset, then chosen like any other.
  const zipFile = h("input", { type: "file", id: "zip-file", accept: ".zip,application/zip" });
  const zipName = h("input", { type: "text", id: "zip-name", placeholder: "a short name, e.g. wrist-xrays-2024" });
  const zipOut = h("div", { id: "zip-result" });
  const upload = h("button", { id: "upload", class: "secondary", onclick: async () => {
    zipOut.replaceChildren();
    if (!zipFile.files.length) { zipOut.replaceChildren(h("p", { class: "error" }, "Choose a zip file first.")); return; }
    const fd = new FormData(); fd.append("archive", zipFile.files[0]); fd.append("name", zipName.value);
    upload.disabled = true; upload.textContent = "Uploading and checking…";
    try {
      const r = await api("POST", "/api/datasets/upload", fd);
      const e = r.dataset;
      library.hidden = false; libraryLabel.textContent = "";
      library.append(h("option", { value: e.name }, `${e.name} — ${e.classes.join(", ")}`));
      library.value = e.name; libRadio.checked = true;
      zipOut.replaceChildren(h("p", { class: "ok" }, `Registered “${e.name}”: ${e.images} images (${Object.entries(e.counts_per_class).map(([c, n]) => `${c} ${n}`).join(", ")}). It is now chosen above.`));
    } catch (err2) { zipOut.replaceChildren(h("p", { class: "error" }, err2.message)); }
    upload.disabled = false; upload.textContent = "Upload";
  } }, "Upload");
  card.replaceChildren(
    h("h2", {}, "New project"),
    h("label", { for: "request" }, "What should the model do? Write it as you would tell a colleague."),
    request,
    h("label", {}, "Which images?"),
    h("div", { class: "choices" },
      h("label", {}, demoRadio, "Built-in synthetic demo data (artificial lesion pictures, to try Clinforge out)"),
      h("label", {}, pathRadio, "A folder on this computer (one sub-folder per class, or images with a CSV of labels)"),
      path,
      h("label", {}, libRadio, "A dataset registered in this workspace", libraryLabel),
      library,
      h("details", { id: "zip-upload" }, h("summary", { id: "zip-summary" }, "…or upload a zip of images to register it here"),
        h("p", { class: "hint" }, "One folder per class, or images with a CSV of labels, or images/ and labels/ folders with boxes. The zip is checked file by file and kept in this workspace."),
        h("div", { class: "row center" }, h("div", {}, zipFile), h("div", {}, zipName), h("div", {}, upload)), zipOut)),
    h("p", { class: "hint", id: "roots" }, ""),
    err,
    create);
  path.addEventListener("focus", () => { pathRadio.checked = true; });
  library.addEventListener("focus", () => { libRadio.checked = true; });
  try {
    const d = await api("GET", "/api/datasets");
    for (const e of d.library) library.append(h("option", { value: e.name }, `${e.name} — ${e.classes ? e.classes.join(", ") : ""}`));
    if (d.library.length > 0) libraryLabel.textContent = ""; else library.hidden = true;
    document.getElementById("zip-summary").textContent = `…or upload a zip of images (up to ${d.max_zip_mb} MB) to register it here`;
    document.getElementById("roots").textContent = "Folders you may use: " + d.allowed_roots.join(", ") + ". Others can be allowed with 'clinforge serve --allow DIR'.";
  } catch { /* the list is a convenience */ }
}

// ---------- one project ----------
async function showRun(id) {
  main.replaceChildren(h("p", { class: "hint" }, "Loading the project…"));
  let state;
  try { state = await api("GET", `/api/runs/${id}`); }
  catch (e) { main.replaceChildren(h("p", { class: "error" }, e.message), h("a", { href: "#/" }, "Back to the projects")); return; }
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← All projects")),
    h("div", { id: "s-head" }), h("section", { class: "card", id: "s-spec" }), h("section", { class: "card", id: "s-data" }),
    h("section", { class: "card", id: "s-dev" }), h("section", { class: "card", id: "s-why" }),
    h("section", { class: "card", id: "s-tradeoff", hidden: true }), h("section", { class: "card", id: "s-results" }));
  renderWhy(id);
  render(state);
  // Live view: the server pushes the state whenever the run folder changes; reconnects by itself.
  source = new EventSource(`/api/runs/${id}/events`);
  source.addEventListener("state", ev => render(JSON.parse(ev.data)));
}

function once(key, value, fn) {
  const json = JSON.stringify(value);
  if (sections[key] === json) return;
  sections[key] = json;
  fn();
}

function render(s) {
  once("head", [s.request, s.status, s.data], () => renderHead(s));
  // The spec form is not redrawn while the clinician is typing into it.
  const specEl = document.getElementById("s-spec");
  if (!specEl.contains(document.activeElement) || !sections.spec) once("spec", [s.spec, s.spec_error, s.started, s.answers], () => renderSpec(s));
  once("data", [s.data_summary, s.data_card], () => renderData(s));
  once("dev", [s.status, s.rounds, s.log, s.rounds_planned], () => renderDev(s));
  once("tradeoff", [s.trade_off, s.trade_off_options, s.status], () => renderTradeOff(s));
  once("results", [s.report, s.pdf, s.package, s.status], () => renderResults(s));
  once("why", s.rounds.length > 0, () => { const b = document.getElementById("ask"); if (b) b.disabled = s.rounds.length === 0; document.getElementById("why-wait").hidden = s.rounds.length > 0; });
  // Once finished, the results are what the clinician came for: they move to the top.
  if (s.status === "finished") document.getElementById("s-head").after(document.getElementById("s-results"));
}

function renderHead(s) {
  document.getElementById("s-head").replaceChildren(
    h("h1", {}, "“", s.request, "”"),
    h("p", {}, h("span", { class: `badge ${s.status}`, id: "status" }, statusWords[s.status] || s.status),
      s.data ? h("span", { class: "muted" }, "  Data: ", s.data) : null));
}

function renderSpec(s) {
  const el = document.getElementById("s-spec");
  const parts = [h("h2", {}, "What I understood")];
  if (s.spec_error) parts.push(h("p", { class: "error" }, s.spec_error));
  if (!s.spec) { el.replaceChildren(...parts); return; }
  const spec = s.spec;
  parts.push(h("p", { class: "restatement", id: "restatement" }, spec.restatement));
  const fields = ["task", "classes", "class_groups", "positive_class", "priority_classes", "error_preference", "primary_metric", "operating_point", "requirements", "confounders", "budget"];
  const rows = fields.filter(f => f in spec && !(f === "class_groups" && Object.keys(spec.class_groups || {}).length === 0))
    .map(f => h("tr", {}, h("th", {}, fieldNames[f] || f), h("td", {}, fieldValue(spec, f)),
      h("td", { class: "source" }, provenanceWords(spec.provenance[f]))));
  parts.push(h("details", { open: true }, h("summary", {}, "Details, and where each came from"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Value"), h("th", {}, "From"))), h("tbody", {}, rows))));

  if (s.started) {
    parts.push(h("p", { class: "hint" }, "Development has started, so this spec is fixed for this project."));
  } else {
    const inputs = {};
    const questions = spec.questions.map(q => {
      const input = h("input", { type: "text", "data-field": q.field, placeholder: `default: ${q.default}`, value: s.answers[q.field] || "" });
      inputs[q.field] = input;
      return h("div", { class: "question" }, h("label", {}, q.question), input, h("div", { class: "default" }, `Leave empty to keep the default (${q.default}).`));
    });
    const answered = Object.entries(s.answers).map(([f, v]) => h("li", {}, `${fieldNames[f] || f}: ${v}`));
    const err = h("div");
    const save = h("button", { id: "save-answers", class: "secondary", onclick: async () => {
      err.replaceChildren();
      const body = {};
      for (const [f, input] of Object.entries(inputs)) if (input.value.trim() !== "") body[f] = input.value.trim();
      try {
        const st = await api("POST", `/api/runs/${s.id}/answers`, body);
        document.activeElement.blur();
        sections.spec = null; render(st);
        document.getElementById("answers-saved")?.replaceChildren("Answers saved.");
      } catch (e) { err.replaceChildren(h("p", { class: "error" }, e.message)); }
    } }, "Save answers");
    if (questions.length > 0) {
      parts.push(h("h2", {}, "Questions for you"), h("p", { class: "hint" }, "Your answers change the spec above before anything is trained."), ...questions, err, save);
    } else {
      parts.push(h("p", { class: "ok", id: "no-questions" }, "No open questions: the request was clear."));
    }
    if (answered.length > 0) parts.push(h("p", { class: "hint" }, "Your answers so far:"), h("ul", { id: "answers-list" }, answered));
    parts.push(h("p", { class: "ok", id: "answers-saved" }));
  }
  el.replaceChildren(...parts);
}

function provenanceWords(p) {
  if (!p) return "";
  if (p === "default") return "default (not in your request)";
  if (p.startsWith("answer: ")) return "your answer";
  if (p.startsWith("default kept")) return "default kept";
  return `your words: “${p}”`;
}

function renderData(s) {
  const el = document.getElementById("s-data");
  const parts = [h("h2", {}, "The data")];
  const sum = s.data_summary;
  if (sum) {
    const max = Math.max(...Object.values(sum.per_class), 1);
    parts.push(h("p", { class: "hint" }, `${sum.total} images, ${Object.keys(sum.per_class).length} classes (${sum.format}).`),
      h("div", { class: "bars" }, Object.entries(sum.per_class).flatMap(([c, n]) =>
        [h("span", {}, c), h("div", { class: "bar", style: `width:${Math.max(2, 100 * n / max)}%` }), h("span", {}, String(n))])));
    for (const n of sum.notes || []) parts.push(h("p", { class: "hint" }, n));
  }
  const card = s.data_card;
  if (card) {
    const splits = ["train", "val", "test"];
    parts.push(h("h2", { style: "margin-top:1rem" }, "Data card"),
      h("p", { class: "hint" }, `Split by ${card.split_method}. The test images are sealed: they are looked at once, at the very end.`),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Class"), ...splits.map(x => h("th", {}, x)))),
        h("tbody", {}, card.classes.map(c => h("tr", {}, h("td", {}, c), ...splits.map(x => h("td", {}, String((card.counts[x] || {})[c] ?? 0))))))));
    const problems = [];
    if (card.cross_split_duplicates.length) problems.push(`${card.cross_split_duplicates.length} group(s) of identical images across splits`);
    if (card.unreadable.length) problems.push(`${card.unreadable.length} unreadable file(s)`);
    parts.push(h("p", { class: problems.length ? "error" : "ok" }, problems.length ? "Problems found: " + problems.join("; ") + "." : "No duplicates across splits and no unreadable files."));
    for (const n of card.notes || []) parts.push(h("p", { class: "hint" }, n));
  } else {
    parts.push(h("p", { class: "hint" }, "The full data card (split counts, duplicates, problems) appears when development starts."));
  }
  el.replaceChildren(...parts);
}

function renderDev(s) {
  const el = document.getElementById("s-dev");
  const err = h("div");
  const parts = [h("h2", {}, "Development")];
  const act = (label, url, cls, body) => h("button", { class: cls, id: label.toLowerCase().split(" ")[0], onclick: async ev => {
    ev.target.disabled = true; err.replaceChildren();
    try { const st = await api("POST", url, body ? body() : {}); render(st); }
    catch (e) { err.replaceChildren(h("p", { class: "error" }, e.message)); ev.target.disabled = false; }
  } }, label);
  if (s.status === "draft" || (s.status === "failed" && !s.started)) {
    const rounds = h("input", { type: "number", id: "rounds", min: 1, max: 50, value: 4 });
    const minutes = h("input", { type: "number", id: "trial-minutes", min: 0.05, max: 120, step: "any", value: 1 });
    parts.push(h("p", { class: "hint" }, "Clinforge trains a first model, then improves it round by round, explaining each change. You can stop at any time and continue later."),
      h("div", { class: "row" }, h("div", {}, h("label", { for: "rounds" }, "Rounds"), rounds), h("div", {}, h("label", { for: "trial-minutes" }, "Minutes per round"), minutes),
        h("div", {}, act("Start development", `/api/runs/${s.id}/start`, "", () => ({ rounds: rounds.value, trial_minutes: minutes.value })))));
    if (s.status === "failed") parts.push(h("p", { class: "error" }, "The last attempt failed; its last messages are below."));
  } else if (busy(s)) {
    const done = s.rounds.length, planned = s.rounds_planned;
    parts.push(h("p", { id: "progress" }, planned ? `Working: ${done} of ${planned + 1} trials finished (a first model, then ${planned} round(s) of improvement).` : `Working: ${done} trial(s) finished.`));
    if (s.status === "pausing")
      parts.push(h("p", { id: "pausing" }, "Pausing after this round: the round in progress finishes and is kept, then development waits for you."), act("Stop now", `/api/runs/${s.id}/stop`, "danger"));
    else
      parts.push(h("div", { class: "row" }, h("div", {}, act("Pause after this round", `/api/runs/${s.id}/pause`, "secondary")), h("div", {}, act("Stop now", `/api/runs/${s.id}/stop`, "danger"))),
        h("p", { class: "hint" }, "Pause lets the current round finish; Stop ends it at once (that round is run again when you continue)."));
  } else if (s.status === "paused") {
    parts.push(h("p", { id: "paused" }, "Development is paused between rounds, as you asked. Every finished round is kept; continue whenever you like."), act("Continue development", `/api/runs/${s.id}/resume`, ""));
  } else if (s.status === "stopped") {
    parts.push(h("p", {}, "Development was stopped. Nothing finished is lost; continuing re-runs only the interrupted round."), act("Continue development", `/api/runs/${s.id}/resume`, ""));
  } else if (s.status === "choose") {
    parts.push(h("p", { id: "choose-hint" }, "Development is done, but the requirements you stated cannot all be met. Choose an operating point below; then the final model is tested once on the sealed test images."));
  } else if (s.status === "finished") {
    parts.push(h("p", { class: "ok" }, "Development finished. The final model was tested once on the sealed test images; its results are at the top of this page."));
  }
  parts.push(err);
  if (s.rounds.length > 0) {
    parts.push(chart(s.rounds, s.spec));
    parts.push(h("table", { id: "rounds-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Round"), h("th", {}, "What was tried"), h("th", {}, "Score"), h("th", {}, "Kept?"), h("th", {}, "Best so far"))),
      h("tbody", {}, s.rounds.map(r => h("tr", {}, h("td", {}, r.number === 0 ? "first model" : String(r.number)),
        h("td", {}, h("div", {}, r.change), h("div", { class: "source" }, r.reason)),
        h("td", {}, r.status === "Succeeded" ? fmt(r.objective) : r.status === "TimedOut" ? "ran out of time" : "failed"),
        h("td", {}, r.accepted ? "kept" : "discarded"), h("td", {}, fmt(r.best_so_far)))))));
  } else if (busy(s)) {
    parts.push(h("p", { class: "hint" }, "The first round is training; it appears here when it finishes."));
  }
  if (s.log.length > 0) parts.push(h("details", { open: busy(s) || s.status === "failed" }, h("summary", {}, "Latest messages from the developer"), h("div", { class: "log" }, s.log.join("\n"))));
  el.replaceChildren(...parts);
}

// The running best as an inline SVG: one dot per round (filled: kept), a step line for the best so far.
function chart(rounds, spec) {
  const W = 640, H = 220, L = 52, R = 16, T = 14, B = 36;
  const ns = "http://www.w3.org/2000/svg";
  const s = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };
  const vals = rounds.map(r => r.objective).filter(v => v !== null);
  let lo = Math.min(...vals, 1), hi = Math.max(...vals, 0);
  if (!vals.length) { lo = 0; hi = 1; }
  lo = Math.max(0, Math.floor((lo - 0.05) * 10) / 10); hi = Math.min(1, Math.ceil((hi + 0.05) * 10) / 10);
  if (hi - lo < 0.1) hi = Math.min(1, lo + 0.1);
  const n = rounds.length, xmin = rounds[0].number, xmax = Math.max(rounds[n - 1].number, xmin + 1);
  const x = v => L + (W - L - R) * (v - xmin) / (xmax - xmin);
  const y = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", id: "best-chart", role: "img", "aria-label": "Score per round and best so far" });
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4;
    svg.append(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e9ed" }), s("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end", "font-size": 12, fill: "#5b6b78" }, v.toFixed(2)));
  }
  for (const r of rounds) svg.append(s("text", { x: x(r.number), y: H - B + 18, "text-anchor": "middle", "font-size": 12, fill: "#5b6b78" }, String(r.number)));
  svg.append(s("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", "font-size": 12, fill: "#5b6b78" }, "round"));
  let path = "", prev = null;
  for (const r of rounds) {
    if (r.best_so_far === null) continue;
    path += prev === null ? `M${x(r.number)},${y(r.best_so_far)}` : `H${x(r.number)}V${y(r.best_so_far)}`;
    prev = r.best_so_far;
  }
  if (path) svg.append(s("path", { d: path, fill: "none", stroke: "#2f6f8f", "stroke-width": 2.5 }));
  for (const r of rounds) if (r.objective !== null)
    svg.append(s("circle", { cx: x(r.number), cy: y(r.objective), r: 5, fill: r.accepted ? "#2f6f8f" : "#fff", stroke: "#2f6f8f", "stroke-width": 2 }, undefined));
  const what = spec ? (spec.operating_point ? `${spec.operating_point.maximize} while ${spec.operating_point.constraint} stays at or above ${pct(spec.operating_point.constraint_value)}` : (metricNames[spec.primary_metric] || spec.primary_metric)) : "the score";
  const legend = h("p", { class: "hint" }, `Score: ${what}, measured on the validation images (higher is better). Line: best score so far.`  + " Filled dot: a round that was kept; open dot: a round that did not help and was discarded.");
  return h("div", {}, svg, legend);
}

function renderWhy(id) {
  const el = document.getElementById("s-why");
  const q = h("input", { type: "text", id: "why-question", placeholder: "For example: why did you add focal loss?  or  why was round 2 discarded?" });
  const round = h("input", { type: "number", id: "why-round", min: 0, placeholder: "any" });
  const out = h("div", { id: "why-answer" });
  const ask = h("button", { id: "ask", onclick: async () => {
    out.replaceChildren();
    try { const r = await api("POST", `/api/runs/${id}/why`, { question: q.value, round: round.value }); out.replaceChildren(h("div", { class: "answer" }, r.answer)); }
    catch (e) { out.replaceChildren(h("p", { class: "error" }, e.message)); }
  } }, "Ask");
  q.addEventListener("keydown", ev => { if (ev.key === "Enter") ask.click(); });
  el.replaceChildren(h("h2", {}, "Ask why"), h("p", { class: "hint" }, "Answers come from the journal of this project: every round, what was changed and why."),
    h("p", { class: "hint", id: "why-wait" }, "You can ask once the first round has finished."),
    h("label", { for: "why-question" }, "Your question"), q,
    h("div", { class: "row" }, h("div", {}, h("label", { for: "why-round" }, "About round (optional)"), round), h("div", {}, ask)), out);
}

function renderTradeOff(s) {
  const el = document.getElementById("s-tradeoff");
  const t = s.trade_off;
  const pending = !t && s.trade_off_options;
  el.hidden = !t && !pending;
  if (pending) {
    const out = h("p", { id: "trade-off-result" });
    const choose = key => async () => {
      try { render(await api("POST", `/api/runs/${s.id}/tradeoff`, { key })); }
      catch (e) { out.replaceChildren(h("span", { class: "error" }, e.message)); }
    };
    el.replaceChildren(h("h2", {}, "Choose an operating point"),
      h("p", { class: "hint" }, (s.trade_off_options.some(o => o.key === "promise_floor")
        ? "With the few positive cases available, promising your sensitivity floor on new patients means flagging nearly every case."
        : "On the validation images, no threshold meets every requirement you stated.") + " Development has paused before the sealed test split is opened: choose the point the final model should use."),
      h("table", { id: "trade-off-choices" }, h("thead", {}, h("tr", {}, h("th", {}, "Option"), h("th", {}, "Sensitivity"), h("th", {}, "Specificity"), h("th", {}, "What it means"), h("th", {}, ""))),
        h("tbody", {}, s.trade_off_options.map(o => h("tr", {}, h("td", {}, o.key.replace("_", " ")), h("td", {}, pct(o.sensitivity)), h("td", {}, pct(o.specificity)), h("td", {}, o.description),
          h("td", {}, h("button", { class: "choose", "data-key": o.key, disabled: busy(s), onclick: choose(o.key) }, "Use this")))))),
      out);
    return;
  }
  if (!t) return;
  el.replaceChildren(h("h2", {}, t.question ? "Trade-off: an operating point had to be chosen" : "Trade-off: your floors could not all be met"),
    h("p", { class: "hint" }, (t.question || `On the validation images, no threshold met every requirement (${t.requirements.map(r => `${r.metric} ≥ ${r.minimum}`).join(", ")}).`) + " These were the possible operating points:"),
    h("table", { id: "trade-off-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Option"), h("th", {}, "Sensitivity"), h("th", {}, "Specificity"), h("th", {}, "What it means"))),
      h("tbody", {}, t.options.map(o => h("tr", { class: o.key === t.chosen.key ? "chosen" : "" }, h("td", {}, o.key + (o.key === t.chosen.key ? " (chosen)" : "")), h("td", {}, fmt(o.sensitivity)), h("td", {}, fmt(o.specificity)), h("td", {}, o.description))))),
    h("p", {}, `Chosen by ${t.chosen_by}: ${t.reason}`));
}

function renderResults(s) {
  const el = document.getElementById("s-results");
  if (!s.report) {
    el.replaceChildren(h("h2", {}, "Results"), h("p", { class: "hint" }, busy(s) ? "The report appears here when development finishes." : "No report yet: it is written when development finishes."));
    return;
  }
  const base = `/runs/${s.id}`;
  const file = h("input", { type: "file", id: "try-file", accept: "image/png,image/jpeg" });
  const out = h("div", { id: "try-result" });
  const tryIt = h("button", { id: "try", onclick: async () => {
    out.replaceChildren();
    if (!file.files.length) { out.replaceChildren(h("p", { class: "error" }, "Choose a PNG or JPEG image first.")); return; }
    const fd = new FormData(); fd.append("image", file.files[0]);
    tryIt.disabled = true; tryIt.textContent = "Scoring…";
    try {
      const r = await api("POST", `/api/runs/${s.id}/predict`, fd);
      if (r.marked) {
        // A detector: the image with its suspicious regions outlined, and each region's score.
        const n = r.boxes.length;
        out.replaceChildren(h("div", { class: "prediction" }, h("img", { src: r.marked, alt: `the uploaded image with ${n} suspicious region(s) outlined`, id: "marked" }), h("div", {},
          h("div", { class: "decision", id: "findings" }, n === 0 ? `No suspicious ${r.finding} marked` : `${n} suspicious ${r.finding} region(s) marked`),
          n > 0 ? h("table", {}, h("tbody", {}, r.boxes.map((b, i) => h("tr", {}, h("td", {}, `region ${i + 1}`), b.class && b.class !== r.finding ? h("td", {}, b.class) : null, h("td", {}, `score ${b.score.toFixed(2)}`))))) : null,
          h("p", { class: "hint" }, `Regions scoring at least ${r.threshold.toFixed(2)} are outlined (the operating point chosen on validation).`),
          h("p", { class: "hint" }, "A research model: it marks regions for your review; it is not a diagnosis."))));
        tryIt.disabled = false; tryIt.textContent = "Try the model";
        return;
      }
      if (r.outlined) {
        // A segmenter: the image with each outlined structure tinted and its edge drawn, and its area.
        const found = r.labels.filter(l => l.pixels > 0);
        out.replaceChildren(h("div", { class: "prediction" }, h("img", { src: r.outlined, alt: `the uploaded image with ${r.labels.map(l => l.label).join(", ")} outlined`, id: "outlined" }), h("div", {},
          h("div", { class: "decision", id: "outlines" }, found.length === 0 ? `Nothing outlined (${r.labels.map(l => l.label).join(", ")})` : `Outlined: ${found.map(l => l.label).join(", ")}`),
          h("table", {}, h("tbody", {}, r.labels.map(l => h("tr", {}, h("td", {}, l.label), h("td", {}, `${l.pixels} px`), h("td", {}, `${(100 * l.fraction).toFixed(1)} % of the image`))))),
          h("p", { class: "hint" }, `Areas in pixels of the ${r.width}×${r.height} image; the mask and the overlay come from clinforge predict.`),
          h("p", { class: "hint" }, "A research model: outlines for your review; it is not a diagnosis."))));
        tryIt.disabled = false; tryIt.textContent = "Try the model";
        return;
      }
      const img = h("img", { src: URL.createObjectURL(file.files[0]), alt: "the uploaded image" });
      out.replaceChildren(h("div", { class: "prediction" }, img, h("div", {},
        h("div", { class: "decision" }, "Model says: ", r.decision),
        h("table", {}, h("tbody", {}, Object.entries(r.probabilities).map(([c, p]) => h("tr", {}, h("td", {}, c), h("td", {}, `${(100 * p).toFixed(1)} %`))))),
        r.rule ? h("p", { class: "hint" }, r.rule) : null,
        h("p", { class: "hint" }, "A research model: not a diagnosis."))));
    } catch (e) { out.replaceChildren(h("p", { class: "error" }, e.message)); }
    tryIt.disabled = false; tryIt.textContent = "Try the model";
  } }, "Try the model");
  el.replaceChildren(h("h2", {}, "Results"),
    h("div", { class: "downloads" },
      h("a", { class: "button secondary", href: `${base}/report/report.html`, target: "_blank", id: "open-report" }, "Open the report"),
      h("a", { class: "button secondary", href: `${base}/report/report.html`, download: "report.html" }, "Download report (HTML)"),
      s.pdf ? h("a", { class: "button secondary", href: `${base}/report/report.pdf`, download: "report.pdf" }, "Download report (PDF)") : null,
      s.package ? h("a", { class: "button secondary", href: `${base}/package.zip`, id: "download-package" }, "Download the model package") : null),
    h("iframe", { class: "report-frame", src: `${base}/report/report.html`, title: "Report", id: "report-frame" }),
    s.package ? h("div", {}, h("h2", { style: "margin-top:1rem" }, "Try the model on an image"),
      h("p", { class: "hint" }, "PNG or JPEG, up to 20 MB. The image is scored on this computer and deleted right after."),
      h("div", { class: "row center" }, h("div", {}, file), h("div", {}, tryIt)), out) : null);
}
