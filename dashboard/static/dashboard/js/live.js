/* The dashboard's live socket and the small helpers every page uses. No build step: plain browser JS.
 *
 * Voltstack.on(fn) hears every nudge the server pushes ({type, station_id, ...}),
 * Voltstack.on(type, fn) (or on([types], fn)) only those of that type, plus
 * {type: "resync"} when the socket (re)opens and every RESYNC_MS: a page re-reads what it
 * shows then, so a nudge lost while the socket was down (or dropped by the channel layer)
 * is made good. Voltstack.throttle(fn, ms) runs fn at once, then at most once per ms.
 */
window.Voltstack = (function () {
  "use strict";
  const RESYNC_MS = 30000;
  const listeners = [];
  let socket = null;
  let retryMs = 500;

  function on(types, fn) {
    if (typeof types === "function") { listeners.push(types); return; }
    const wanted = [].concat(types);
    listeners.push(function (message) { if (wanted.indexOf(message.type) !== -1) fn(message); });
  }

  function emit(message) {
    for (const fn of listeners) {
      try { fn(message); } catch (err) { console.error(err); }
    }
  }

  function setState(state) {
    const dot = document.getElementById("live-state");
    if (dot) { dot.dataset.state = state; dot.title = "Live updates: " + state; }
  }

  function connect() {
    const path = document.body.dataset.liveSocket;
    if (!path) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + location.host + path);
    socket.onopen = function () { retryMs = 500; setState("live"); emit({ type: "resync" }); };
    socket.onmessage = function (e) {
      let message;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      emit(message);
    };
    socket.onclose = function (e) {
      if (e.code === 4401) { setState("signed out"); location.reload(); return; }
      if (e.code === 4403) { setState("not allowed"); return; }
      setState("reconnecting");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  function throttle(fn, ms) {
    let last = 0, timer = null;
    return function () {
      const wait = last + ms - Date.now();
      if (wait <= 0) { last = Date.now(); fn(); return; }
      if (!timer) timer = setTimeout(function () { timer = null; last = Date.now(); fn(); }, wait);
    };
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(url + ": " + response.status);
    return response.json();
  }

  function toast(text, attributes) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.textContent = text;
    for (const [name, value] of Object.entries(attributes || {})) item.setAttribute(name, value);
    box.prepend(item);
    setTimeout(function () { item.remove(); }, 15000);
  }

  // The alerts badge in the top bar, on every page; a toast for each alert that opens.
  const refreshAlerts = throttle(async function () {
    const url = document.body.dataset.alertsSummary;
    if (!url) return;
    try {
      const summary = await getJSON(url);
      const badge = document.getElementById("alert-count");
      badge.textContent = summary.open;
      badge.dataset.count = summary.open;
      badge.hidden = summary.open === 0;
    } catch (err) { /* the next nudge or resync tries again */ }
  }, 500);

  on(function (message) {
    if (message.type === "alert_changed" || message.type === "resync") refreshAlerts();
    if (message.type === "alert_changed" && message.state === "open" && message.new) {
      toast(message.title, {
        "data-alert-rule": message.rule,
        "data-station": message.charge_point_id || "",
        role: "status",
      });
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    connect();
    setInterval(function () { emit({ type: "resync" }); }, RESYNC_MS);
  });

  function formatNumber(value, digits) {
    if (value === null || value === undefined) return "–";
    return Number(value).toLocaleString(undefined, { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
  }

  // A moment as the page's own clock reads it (body data-time-zone: the site's, or the network's), not the browser's.
  function formatTime(moment) {
    return new Date(moment).toLocaleTimeString(undefined, { timeZone: document.body.dataset.timeZone || undefined });
  }

  return { on: on, throttle: throttle, getJSON: getJSON, toast: toast, formatNumber: formatNumber, formatTime: formatTime };
})();
