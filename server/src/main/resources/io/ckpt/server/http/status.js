// The ckpt status page: reads the JSON API (docs/API.md) every 10 s and draws it. No libraries.
"use strict";

const REFRESH_MS = 10000;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

// On a listener that needs a bearer token (docs/SECURITY.md), open the page as /#token=TOKEN:
// the token stays in this tab (the fragment is never sent to the server) and goes in a header.
const token = (() => {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("ckpt-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("ckpt-token");
})();

async function get(path) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const r = await fetch("api/v1/" + path, { cache: "no-store", headers });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 120) return Math.round(seconds) + " s ago";
  if (seconds < 7200) return Math.round(seconds / 60) + " min ago";
  if (seconds < 172800) return (seconds / 3600).toFixed(1) + " h ago";
  return (seconds / 86400).toFixed(1) + " d ago";
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

function fill(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren(...rows);
}

function drawAlerts(alerts) {
  const box = document.getElementById("alerts");
  if (!alerts.length) {
    box.replaceChildren(el("p", { class: "ok" }, "no active alerts"));
    return;
  }
  box.replaceChildren(...alerts.map(a => el("div", { class: "alert " + a.severity, "data-alert": a.key },
    el("b", {}, a.severity.toUpperCase() + " " + a.key), " since " + a.since + ": " + a.message)));
}

function drawWpars(wpars, checkpoints) {
  const byWpar = {};
  for (const c of checkpoints) (byWpar[c.wpar] = byWpar[c.wpar] || []).push(c);
  fill("wpars", wpars.map(w => {
    const remove = new Set(w.retention.remove);
    const line = el("div", { class: "timeline" });
    for (const c of byWpar[w.wpar] || []) {
      const cls = ["cp", c.health];
      if (c.lkg) cls.push("lkg");
      if (c.protected) cls.push("protected");
      if (remove.has(c.id)) cls.push("remove");
      const title = "#" + c.id + " " + c.taken_at + " " + c.kind + ", " + c.health
        + (c.health_reason ? " (" + c.health_reason + ")" : "") + (c.lkg ? ", last known good" : "")
        + (c.protected ? ", protected" : "") + (remove.has(c.id) ? ", retention removes it next" : "")
        + ", " + bytes(c.logical_bytes);
      line.append(el("span", { class: cls.join(" "), "data-checkpoint-id": c.id, title: title }));
    }
    const backup = [w.primary && w.primary !== w.owner ? "primary " + w.primary : null,
      ...w.backups.filter(b => b !== w.owner)].filter(x => x).join(", ") || "—";
    const retention = w.retention.error ? el("div", { class: "error" }, "retention: " + w.retention.error)
      : w.retention.policy ? el("div", {}, remove.size ? remove.size + " removed at the next prune" : "nothing to prune")
      : null;
    return el("tr", { "data-wpar": w.wpar },
      el("td", {}, el("b", {}, w.wpar), line, retention),
      el("td", {}, w.owner ? w.owner + " (epoch " + w.epoch + ")" : "—"),
      el("td", {}, backup),
      el("td", {}, w.checkpoints + (w.uploading ? " (+" + w.uploading + " uploading)" : ""), el("br"), bytes(w.stored_bytes) + " stored"),
      el("td", {}, w.last_checkpoint ? "#" + w.last_checkpoint.id + " " + age(w.checkpoint_age_seconds) : "—"),
      el("td", {}, w.lkg ? el("span", {}, "#" + w.lkg.id + " " + age(w.lkg_age_seconds), el("span", { class: "lkg-tag" }, "LKG"))
        : el("span", { class: "error" }, "none")),
      el("td", { class: "error" }, w.last_error ? w.last_error.at + ": " + w.last_error.message : ""));
  }));
}

function drawHosts(h) {
  fill("hosts", h.hosts.map(x => el("tr", { "data-host": x.host },
    el("td", {}, x.host),
    el("td", {}, el("span", { class: x.live ? "live" : "dead" }, x.live ? "● live" : "● down")),
    el("td", {}, x.last_heartbeat || "—"),
    el("td", {}, (x.owns || []).map(o => o.wpar + " (" + o.epoch + ")").join(", ") || "—"))));
}

function drawUsage(u) {
  const svg = document.getElementById("usage");
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height"), pad = 30;
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs) => { const n = document.createElementNS(ns, tag); for (const k in attrs) n.setAttribute(k, attrs[k]); return n; };
  svg.replaceChildren();
  const s = u.samples;
  if (!s.length) return;
  const last = s[s.length - 1];
  document.getElementById("usage-text").textContent = bytes(last.used_bytes) + " used of " + bytes(last.total_bytes)
    + " (" + (100 * last.used_bytes / last.total_bytes).toFixed(1) + "%), " + bytes(last.free_bytes) + " free, reserve "
    + bytes(u.reserve_bytes) + "; a sample a minute";
  const x = i => pad + (s.length === 1 ? (W - 2 * pad) : i * (W - 2 * pad) / (s.length - 1));
  const y = frac => H - pad + 10 - frac * (H - pad);
  svg.append(node("rect", { x: pad, y: y(1), width: W - 2 * pad, height: y(0) - y(1), fill: "#f3f6f9" }));
  for (const f of [0, 0.5, 0.85, 1]) {
    svg.append(node("line", { x1: pad, x2: W - pad, y1: y(f), y2: y(f), stroke: f === 0.85 ? "#d0342c" : "#ccc",
      "stroke-dasharray": f === 0.85 ? "4 3" : "" }));
    const t = node("text", { x: 2, y: y(f) + 4, "font-size": 10, fill: "#777" });
    t.textContent = Math.round(f * 100) + "%";
    svg.append(t);
  }
  const pts = s.map((p, i) => x(i) + "," + y(p.used_bytes / p.total_bytes)).join(" ");
  svg.append(node("polyline", { points: pts, fill: "none", stroke: "#1f4fa8", "stroke-width": 2 }));
  s.forEach((p, i) => svg.append(node("circle", { cx: x(i), cy: y(p.used_bytes / p.total_bytes), r: 2.5, fill: "#1f4fa8" })));
}

function drawJobs(j) {
  fill("jobs", j.jobs.length ? j.jobs.map(x => el("tr", { "data-job": x.id },
    el("td", {}, x.kind + (x.detail ? " " + x.detail : "")),
    el("td", { class: x.state === "failed" ? "error" : "" }, x.state),
    el("td", {}, x.trigger),
    el("td", {}, x.started),
    el("td", {}, x.seconds === undefined ? "" : x.seconds.toFixed(1)),
    el("td", {}, x.result ? summary(x) : ""))) : [el("tr", {}, el("td", { colspan: 6 }, "no prune, gc or verify since the server started"))]);
}

function summary(job) {
  const r = job.result;
  if (r.error) return r.error;
  if (job.kind === "prune") return (r.wpars || []).reduce((n, w) => n + (w.remove || []).length, 0) + " checkpoint(s) removed";
  if (job.kind === "gc") return bytes((r.bytes_freed || 0) + (r.bytes_removed || 0)) + " freed";
  if (job.kind === "verify") return r.ok ? "no damage, " + r.chunks_checked + " chunks" : r.damaged_chunks + " damaged chunk(s)";
  return "";
}

async function refresh() {
  try {
    const [wpars, cps, hosts, jobs, alerts, usage] = await Promise.all(
      ["wpars", "checkpoints", "hosts", "jobs", "alerts", "usage"].map(get));
    drawAlerts(alerts.alerts);
    drawWpars(wpars.wpars, cps.checkpoints);
    drawHosts(hosts);
    drawUsage(usage);
    drawJobs(jobs);
    document.getElementById("updated").textContent = "updated " + new Date().toISOString();
    document.body.dataset.loaded = "true";
  } catch (e) {
    document.getElementById("updated").textContent = "refresh failed: " + e.message;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
