/* The station page, live. When this station changes (its status, its connection, a session starting,
 * stopping or priced after a reading), and on every resync, it re-reads the page's JSON twin, swaps
 * in the parts the server rendered anew, and redraws the running sessions' power. The heartbeat's
 * age ticks here, from the time the server gave. */
(function () {
  "use strict";
  // A reading or two draws no line: show them as dots until the line says enough.
  function fewPoints(context) { return context.dataset.data.length < 30 ? 3 : 0; }
  const root = document.getElementById("station-page");
  if (!root || !window.Voltstack) return;
  const stationId = Number(root.dataset.stationId);
  const NUDGES = new Set(["status_changed", "connection_changed", "transaction_started", "transaction_stopped", "cost_changed"]);
  const COLOURS = ["#1f6fd1", "#2e9e44", "#8a5cd6", "#d42a2a", "#e5b43c"];
  let chart = null;

  function age(seconds) {
    if (seconds < 120) return seconds + " s";
    if (seconds < 7200) return Math.floor(seconds / 60) + " min";
    if (seconds < 172800) return Math.floor(seconds / 3600) + " h";
    return Math.floor(seconds / 86400) + " days";
  }

  function tick() {
    for (const el of document.querySelectorAll("[data-age-of]")) {
      const at = Date.parse(el.dataset.ageOf);
      if (!isNaN(at)) el.textContent = age(Math.max(0, Math.round((Date.now() - at) / 1000)));
    }
  }

  function lines(power) {
    return power.map(function (line, i) {
      return {
        transactionId: line.transaction_id,
        label: "EVSE " + line.evse + " · session " + line.transaction_id,
        data: line.points.map(function (p) { return { x: Date.parse(p[0]), y: p[1] / 1000 }; }),
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length],
        pointRadius: fewPoints,
        borderWidth: 2,
      };
    });
  }

  function draw(power) {
    document.getElementById("power-empty").hidden = power.length > 0;
    const canvas = document.getElementById("power-chart");
    if (!window.Chart || !canvas) return;
    if (chart === null) {
      chart = new window.Chart(canvas, {
        type: "line",
        data: { datasets: lines(power) },
        options: {
          animation: false, maintainAspectRatio: false, parsing: false,
          scales: {
            x: { type: "linear", ticks: { callback: function (v) { return Voltstack.formatTime(v); } } },
            y: { beginAtZero: true, title: { display: true, text: "kW" } },
          },
        },
      });
      return;
    }
    // The same session keeps its line (and colour); its points are the server's, newest included.
    const shown = new Map(chart.data.datasets.map(function (d) { return [d.transactionId, d]; }));
    chart.data.datasets = lines(power).map(function (line) {
      const old = shown.get(line.transactionId);
      if (!old) return line;
      old.data = line.data;
      return old;
    });
    chart.update("none");
  }

  const refresh = window.Voltstack.throttle(async function () {
    let state;
    try { state = await window.Voltstack.getJSON(root.dataset.liveUrl); } catch (err) { return; } // the next nudge tries again
    for (const [id, html] of Object.entries(state.html)) {
      const part = document.getElementById(id);
      if (part) part.innerHTML = html;
    }
    tick();
    draw(state.power);
  }, 500);

  window.Voltstack.on(function (message) {
    if (message.type === "resync" || (NUDGES.has(message.type) && message.station_id === stationId)) refresh();
  });

  draw(JSON.parse(document.getElementById("station-power").textContent));
  tick();
  setInterval(tick, 1000);
  // A command sent at the press (a reset mid-session, say) is asked about first; the "…" ones have the admin's form.
  document.addEventListener("submit", function (e) {
    const question = e.target.dataset && e.target.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
