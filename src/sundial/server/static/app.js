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
  delete: (name) => {
    if (!window.confirm(`Delete schedule ${name}? Its history stays; queued runs are cancelled.`)) {
      return Promise.resolve(null);
    }
    return call("DELETE", `/api/v1/schedules/${encodeURIComponent(name)}`)
      .then(() => `Deleted ${name}.`);
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

let timer = null;

async function refresh() {
  const url = new URL(window.location.href);
  url.searchParams.set("partial", "1");
  try {
    const res = await fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}});
    if (res.ok) {
      const main = document.getElementById("main");
      // Keep what the user is typing (a pause note) across a refresh.
      const typing = document.activeElement && main.contains(document.activeElement) &&
        document.activeElement.tagName === "INPUT";
      if (!typing) {
        main.innerHTML = await res.text();
        localTimes(main);
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
  schedule();
});
