// sundial dashboard: one-click changes through the REST API, and self-refresh of the page's
// <main> while it shows runs in flight. No framework, no build step.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

function flash(text, kind) {
  const el = document.getElementById("flash");
  el.textContent = text;
  el.className = kind || "";
  el.hidden = !text;
}

async function call(method, url, body) {
  const headers = {"X-CSRF-Token": csrf()};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, {method, headers, credentials: "same-origin",
                                body: body === undefined ? undefined : JSON.stringify(body)});
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.error || res.statusText);
    err.status = res.status;
    err.fix = data.fix;
    throw err;
  }
  return data;
}

const ACTIONS = {
  pause: (name, btn) => {
    const noteField = btn.dataset.note && document.querySelector(btn.dataset.note);
    const note = noteField && noteField.value.trim();
    return call("POST", `/api/v1/schedules/${encodeURIComponent(name)}/pause`,
                note ? {note} : {}).then(() => `Paused ${name}.`);
  },
  resume: (name) => call("POST", `/api/v1/schedules/${encodeURIComponent(name)}/resume`)
    .then(() => `Resumed ${name}.`),
  trigger: (name) => call("POST", `/api/v1/schedules/${encodeURIComponent(name)}/trigger`)
    .then((d) => ({text: `Queued run ${d.run_id.slice(0, 8)} of ${name}.`, run: d.run_id})),
  delete: async (name) => {
    const url = `/api/v1/schedules/${encodeURIComponent(name)}`;
    const plan = await call("DELETE", `${url}?dry_run=true`);
    const runs = plan.cancelled === 1 ? "1 queued run" : `${plan.cancelled} queued runs`;
    if (!window.confirm(`Delete schedule ${name}? Its history stays; ${runs} will be cancelled.`)) {
      return `Kept ${name}.`;
    }
    const done = await call("DELETE", url);
    return `Deleted ${name}` + (done.cancelled ? ` and cancelled ${done.cancelled} queued runs.` : ".");
  },
  cancel: (id) => call("POST", `/api/v1/runs/${encodeURIComponent(id)}/cancel`)
    .then((d) => `Run ${id.slice(0, 8)} is ${d.status}.`),
  rerun: async (id) => {
    if (!window.confirm(`Re-run run ${id.slice(0, 8)}: a new run of the same code and parameters?`)) {
      return null;
    }
    const d = await call("POST", `/api/v1/runs/${encodeURIComponent(id)}/rerun`, {});
    return {text: `Started run ${d.id.slice(0, 8)}.`, run: d.id, open: true};
  },
};

document.addEventListener("click", async (event) => {
  const btn = event.target.closest("button[data-action]");
  if (!btn) return;
  event.preventDefault();
  btn.disabled = true;
  try {
    const done = await ACTIONS[btn.dataset.action](btn.dataset.name, btn);
    if (done === null) return;
    const text = typeof done === "string" ? done : done.text;
    if (done.open) { window.location.assign(`/runs/${done.run}`); return; }
    if (done.run) {
      flash("", "");
      const link = document.createElement("a");
      link.href = `/runs/${done.run}`;
      link.id = "new-run";
      link.textContent = text + " Open it.";
      const el = document.getElementById("flash");
      el.replaceChildren(link);
      el.className = "ok";
      el.hidden = false;
    } else {
      flash(text, "ok");
    }
    if (btn.dataset.then) { window.location.assign(btn.dataset.then); return; }
    await refresh();
  } catch (err) {
    const signIn = err.status === 401 ? " Sign in with the dashboard token to make changes." : "";
    flash(`${err.message}.${signIn}`, "bad");
  } finally {
    btn.disabled = false;
  }
});

function localTimes(root) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  root.querySelectorAll("[data-viewer-zone]").forEach((el) => { el.textContent = zone; });
  const fmt = new Intl.DateTimeFormat(undefined, {weekday: "short", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hour12: false, timeZoneName: "short"});
  root.querySelectorAll("time.local").forEach((el) => {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) { el.textContent = fmt.format(when); el.title = el.getAttribute("datetime"); }
  });
}

// The schedule page's second calendar: the same fire times, grouped by the viewer's dates.
function viewerCalendar(root) {
  const source = root.querySelector("#calendar[data-times]");
  const table = root.querySelector("#calendar-viewer");
  if (!source || !table || !source.dataset.times) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const dayKey = new Intl.DateTimeFormat("en-CA", {timeZone: zone, year: "numeric",
    month: "2-digit", day: "2-digit"});
  const hhmm = new Intl.DateTimeFormat(undefined, {timeZone: zone, hour: "2-digit",
    minute: "2-digit", hour12: false});
  const byDay = new Map();
  for (const iso of source.dataset.times.split("|")) {
    const when = new Date(iso.replace(" ", "T"));
    const key = dayKey.format(when);
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(hhmm.format(when));
  }
  const keys = [...byDay.keys()].sort();
  const noon = (key) => new Date(`${key}T12:00:00Z`);
  const first = noon(keys[0]);
  const last = noon(keys[keys.length - 1]);
  const start = new Date(first.getTime() - ((first.getUTCDay() + 6) % 7) * 86400000);
  const body = table.querySelector("tbody");
  body.replaceChildren();
  let row = null;
  for (let day = start; day <= last || day.getUTCDay() !== 1;
       day = new Date(day.getTime() + 86400000)) {
    if (day.getUTCDay() === 1) { row = body.insertRow(); }
    const key = day.toISOString().slice(0, 10);
    const cell = row.insertCell();
    const times = byDay.get(key) || [];
    cell.className = (day >= first && day <= last ? "in" : "out") + (times.length ? " has" : "");
    const label = document.createElement("div");
    label.className = "dn";
    label.textContent = key.slice(5);
    cell.append(label);
    for (const t of times.slice(0, 6)) {
      const div = document.createElement("div");
      div.className = "ft";
      div.textContent = t;
      cell.append(div);
    }
  }
  table.hidden = false;
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form#backfill");
  if (!form) return;
  event.preventDefault();
  const out = form.querySelector("output");
  const dryRun = event.submitter && event.submitter.value === "1";
  try {
    const d = await call("POST", `/api/v1/schedules/${encodeURIComponent(form.dataset.name)}/backfill`,
      {start: form.start.value, end: form.end.value, dry_run: dryRun});
    out.textContent = dryRun ? `${d.ticks} ticks in that range, ${d.created} without a run.`
      : `${d.ticks} ticks: ${d.created} runs queued, ${d.existing} had one already.`;
    out.className = "ok";
  } catch (err) {
    out.textContent = `${err.message}.` + (err.fix ? ` ${err.fix}.` : "");
    out.className = "bad";
  }
});

let timer = null;

async function refresh() {
  const url = new URL(window.location.href);
  url.searchParams.set("partial", "1");
  try {
    const res = await fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}});
    if (res.ok) {
      const main = document.getElementById("main");
      // Never lose what the user is typing (a pause note, a back-fill range).
      const typing = [...main.querySelectorAll("input")].some((el) =>
        el.type !== "hidden" && (el.value || el === document.activeElement));
      if (!typing) {
        // Keep open what the user opened (a step's logs) and closed what they closed.
        const key = (el) => `${(el.closest("[id]") || {}).id || ""}/${el.className}`;
        const opened = new Map([...main.querySelectorAll("details")]
          .map((el) => [key(el), el.open]));
        main.innerHTML = await res.text();
        main.querySelectorAll("details").forEach((el) => {
          if (opened.has(key(el))) el.open = opened.get(key(el));
        });
        localTimes(main);
        viewerCalendar(main);
      }
    }
  } finally {
    schedule();
  }
}

function schedule() {
  clearTimeout(timer);
  const box = document.querySelector("[data-refresh]");
  const seconds = box ? Number(box.dataset.refresh) : 0;
  if (seconds > 0) timer = setTimeout(refresh, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  viewerCalendar(document);
  schedule();
});
