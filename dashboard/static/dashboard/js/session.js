/* One session: power, energy and state of charge over time (Chart.js), and its figures, read again from
 * the page's JSON twin when the session is priced anew (cost_changed, after every reading), when it stops,
 * and on every resync. When its billing state moves on (stopped, sealed) the page reloads to show the CDR. */
(function () {
  "use strict";
  // A reading or two draws no line: show them as dots until the line says enough.
  function fewPoints(context) { return context.dataset.data.length < 30 ? 3 : 0; }
  const panel = document.getElementById("session");
  if (!panel) return;
  const transactionId = Number(panel.dataset.transaction);
  const charts = {
    power: lineChart("chart-power", "W"),
    energy: lineChart("chart-energy", "Wh"),
    soc: lineChart("chart-soc", "%"),
  };

  function lineChart(id, unit) {
    const canvas = document.getElementById(id);
    return new Chart(canvas, {
      type: "line",
      data: { labels: [], datasets: [{ label: unit, data: [], pointRadius: fewPoints, borderWidth: 2, tension: 0.2 }] },
      options: { animation: false, responsive: true, plugins: { legend: { display: false } } },
    });
  }

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text;
  }

  function clock(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }

  const refresh = Voltstack.throttle(async function () {
    let data;
    try { data = await Voltstack.getJSON(panel.dataset.src); } catch (err) { return; }
    if (data.cdr_state !== panel.dataset.cdrState) { location.reload(); return; }
    for (const [name, chart] of Object.entries(charts)) {
      const points = data.series[name] || [];
      chart.data.labels = points.map(function (p) { return Voltstack.formatTime(p.t); });
      chart.data.datasets[0].data = points.map(function (p) { return p.v; });
      chart.update();
    }
    setText("energy", data.energy_wh === null ? "–" : Voltstack.formatNumber(data.energy_wh / 1000, 3));
    setText("power", data.power_w === null ? "–" : Voltstack.formatNumber(data.power_w));
    setText("soc", data.soc_percent === null ? "–" : data.soc_percent);
    setText("duration", clock(data.duration_s));
    if (data.cost) setText("cost", data.cost.incl_vat === null ? "–" : data.cost.incl_vat + " " + data.cost.currency);
  }, 1000);

  function mine(message) { return message.type === "resync" || message.transaction_id === transactionId; }
  const types = ["cost_changed", "transaction_stopped", "resync"];
  if (Voltstack.on.length >= 2) {
    types.forEach(function (type) { Voltstack.on(type, function (m) { if (mine(m)) refresh(); }); });
  } else {
    Voltstack.on(function (m) { if (types.indexOf(m.type) >= 0 && mine(m)) refresh(); });
  }
  refresh();
})();
