/* The analytics page: read analytics.json for the chosen period and draw it (Chart.js, tables). */
(function () {
  "use strict";
  const form = document.getElementById("analytics-filters");
  if (!form) return;
  const charts = {};
  let utilisation = [];
  let sortKey = "percent", sortDown = true;

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(canvas, config);
  }

  function drawDays(days) {
    chart("chart-days", {
      type: "bar",
      data: {
        labels: days.map(function (d) { return d.day; }),
        datasets: [
          { label: "kWh", data: days.map(function (d) { return d.kwh; }), yAxisID: "kwh", backgroundColor: "#1f6fd1" },
          { label: "Sessions", data: days.map(function (d) { return d.sessions; }), yAxisID: "sessions", backgroundColor: "#2e9e44" },
        ],
      },
      options: { animation: false, scales: { kwh: { position: "left", beginAtZero: true }, sessions: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } },
    });
  }

  function drawRevenue(revenue) {
    if (!revenue) return;
    const currencies = Object.keys(revenue);
    document.getElementById("no-revenue").hidden = currencies.length > 0;
    const months = currencies.length ? revenue[currencies[0]].map(function (m) { return m.month; }) : [];
    const datasets = [];
    for (const currency of currencies) {
      datasets.push({ type: "bar", label: currency + " per month", data: revenue[currency].map(function (m) { return m.amount; }), yAxisID: currency });
      datasets.push({ type: "line", label: currency + " cumulative", data: revenue[currency].map(function (m) { return m.cumulative; }), yAxisID: currency });
    }
    const scales = {};
    currencies.forEach(function (c, i) { scales[c] = { position: i % 2 ? "right" : "left", beginAtZero: true, title: { display: true, text: c } }; });
    chart("chart-revenue", { data: { labels: months, datasets: datasets }, options: { animation: false, scales: scales } });
  }

  function drawUtilisation() {
    const body = document.querySelector("#utilisation tbody");
    const rows = utilisation.slice().sort(function (a, b) {
      const x = a[sortKey], y = b[sortKey];
      const order = typeof x === "string" ? x.localeCompare(y) : x - y;
      return sortDown ? -order : order;
    });
    body.replaceChildren();
    const stationUrl = form.dataset.stationUrl;
    for (const u of rows) {
      const tr = document.createElement("tr");
      tr.dataset.station = u.charge_point_id;
      const link = document.createElement("a");
      link.href = stationUrl.replace(/0\/$/, u.station_id + "/");
      link.textContent = u.charge_point_id;
      const first = document.createElement("td");
      first.append(link);
      tr.append(first);
      for (const key of ["percent", "occupied_hours", "sessions", "kwh"]) {
        const td = document.createElement("td");
        td.textContent = Voltstack.formatNumber(u[key], key === "sessions" ? 0 : 1);
        tr.append(td);
      }
      body.append(tr);
    }
    for (const th of document.querySelectorAll("#utilisation th")) {
      th.setAttribute("aria-sort", th.dataset.key === sortKey ? (sortDown ? "descending" : "ascending") : "none");
    }
  }

  function drawHeatmap(heatmap) {
    const body = document.querySelector("#heatmap tbody");
    const max = Math.max(1, ...heatmap.starts.flat());
    body.replaceChildren();
    heatmap.starts.forEach(function (hours, weekday) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.textContent = heatmap.weekdays[weekday];
      tr.append(th);
      hours.forEach(function (count) {
        const td = document.createElement("td");
        td.textContent = count;
        td.title = heatmap.weekdays[weekday] + ": " + count + " starts";
        td.style.background = "rgba(31, 111, 209, " + (count / max).toFixed(3) + ")";
        tr.append(td);
      });
      body.append(tr);
    });
  }

  function setCard(name, text) {
    const value = document.querySelector('.card[data-card="' + name + '"] .value');
    if (value) value.textContent = text;
  }

  async function load() {
    const params = new URLSearchParams(new FormData(form));
    for (const [key, value] of Array.from(params.entries())) if (!value) params.delete(key);
    const error = document.getElementById("analytics-error");
    const response = await fetch(form.dataset.url + "?" + params, { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) { error.textContent = data.detail; error.hidden = false; return; }
    error.hidden = true;
    history.replaceState(null, "", "?" + params);  // the view, as a link to share or come back to
    form.elements.from.value = data.from;
    form.elements.to.value = data.to;
    setCard("kwh", Voltstack.formatNumber(data.kwh, 1) + " kWh");
    setCard("sessions", Voltstack.formatNumber(data.sessions, 0));
    setCard("co2_kg", Voltstack.formatNumber(data.co2_kg, 1) + " kg");
    document.getElementById("co2-factor").textContent = "at " + data.co2_kg_per_kwh + " kg/kWh";
    drawDays(data.days);
    drawRevenue(data.revenue);
    utilisation = data.utilisation;
    drawUtilisation();
    drawHeatmap(data.heatmap);
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  for (const th of document.querySelectorAll("#utilisation th[data-key]")) {
    th.addEventListener("click", function () {
      if (sortKey === th.dataset.key) sortDown = !sortDown; else { sortKey = th.dataset.key; sortDown = th.dataset.type !== "text"; }
      drawUtilisation();
    });
  }
  load();
})();
