/* The live map: markers for what is in view, from map/data.json, kept live by the dashboard socket.
 *
 * django-leaflet builds the map and calls VoltstackMap.init(map). Every move or zoom (debounced),
 * every station nudge (throttled) and every resync re-reads the view; a newer request aborts an
 * older one, so a slow answer never paints over a fresh one. Station markers are kept by id and
 * only re-iconed when their state changes; clusters are redrawn. DOM contract (browser tests):
 *   <span class="marker marker--STATE" data-station="CHARGE_POINT_ID" data-state="STATE"></span>
 *   <span class="cluster cluster--WORST" data-count="N">N</span>
 */
window.VoltstackMap = (function () {
  "use strict";
  const NUDGES = ["status_changed", "connection_changed", "transaction_started", "transaction_stopped"];
  const MOVE_DEBOUNCE_MS = 250;
  const NUDGE_THROTTLE_MS = 400;
  const MARKER_PX = 18;
  const SPREAD_PX = 11; // stations sharing one site's coordinates are fanned out around it

  let map = null, frame = null, clusterLayer = null, stationLayer = null;
  const markers = new Map(); // station id -> {marker, state, key}
  let pending = null, generation = 0;
  let popup = null, popupStation = null;

  function init(leafletMap) {
    map = leafletMap;
    frame = document.getElementById("map-frame");
    map.setMaxBounds(null); // django-leaflet fitted the network's extent; panning beyond it is fine
    clusterLayer = L.layerGroup().addTo(map);
    stationLayer = L.layerGroup().addTo(map);
    map.on("moveend", debounce(refresh, MOVE_DEBOUNCE_MS));
    map.on("popupclose", function () { popupStation = null; });
    listen();
    refresh();
  }

  function listen() {
    if (!window.Voltstack) return;
    const nudge = Voltstack.throttle(refresh, NUDGE_THROTTLE_MS);
    const onMessage = function (message) {
      if (message.type === "resync") { nudge(); return; }
      if (NUDGES.indexOf(message.type) === -1) return;
      nudge();
      if (popupStation !== null && message.station_id === popupStation) loadPopup(popupStation);
    };
    // live.js's on(fn) hears every message; an on(type, fn) form is asked per type.
    if (Voltstack.on.length >= 2) {
      for (const type of NUDGES.concat(["resync"])) Voltstack.on(type, onMessage);
    } else {
      Voltstack.on(onMessage);
    }
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function wrap(longitude) {
    if (longitude >= -180 && longitude <= 180) return longitude;
    return ((longitude + 180) % 360 + 360) % 360 - 180;
  }

  /* The view as min_lon,min_lat,max_lon,max_lat within the world (min > max across the antimeridian). */
  function viewBox() {
    const bounds = map.getBounds();
    let west = bounds.getWest(), east = bounds.getEast();
    if (east - west >= 360) { west = -180; east = 180; } else { west = wrap(west); east = wrap(east); }
    const south = Math.max(-90, bounds.getSouth()), north = Math.min(90, bounds.getNorth());
    return [west, south, east, north].map(function (v) { return v.toFixed(5); }).join(",");
  }

  async function refresh() {
    if (!map) return;
    const mine = ++generation;
    if (pending) pending.abort();
    pending = new AbortController();
    const query = new URLSearchParams({ bbox: viewBox(), zoom: String(Math.round(map.getZoom())) });
    let data;
    try {
      const response = await fetch(frame.dataset.url + "?" + query, {
        credentials: "same-origin", headers: { Accept: "application/json" }, signal: pending.signal,
      });
      if (!response.ok) throw new Error("map data: " + response.status);
      data = await response.json();
    } catch (err) {
      return; // aborted by a newer request, or failed: the next move, nudge or resync asks again
    }
    if (mine !== generation) return;
    draw(data);
  }

  function draw(data) {
    clusterLayer.clearLayers();
    for (const cluster of data.clusters) clusterLayer.addLayer(clusterMarker(cluster));
    drawStations(data.stations);
    for (const [state, count] of Object.entries(data.states)) {
      const cell = document.querySelector('[data-legend="' + state + '"]');
      if (cell) cell.textContent = count;
    }
    frame.dataset.loaded = String(generation);
  }

  function drawStations(stations) {
    const seen = new Set();
    const sites = new Map(); // "lat,lon" -> stations there, to fan out
    for (const station of stations) {
      const site = station.lat + "," + station.lon;
      if (!sites.has(site)) sites.set(site, []);
      sites.get(site).push(station);
    }
    for (const group of sites.values()) {
      group.forEach(function (station, index) {
        seen.add(station.id);
        const key = station.state + "|" + station.lat + "|" + station.lon + "|" + index + "/" + group.length;
        const known = markers.get(station.id);
        if (known && known.key === key) return;
        if (known) stationLayer.removeLayer(known.marker);
        const marker = stationMarker(station, index, group.length);
        stationLayer.addLayer(marker);
        markers.set(station.id, { marker: marker, key: key });
      });
    }
    for (const [id, known] of markers) {
      if (!seen.has(id)) { stationLayer.removeLayer(known.marker); markers.delete(id); }
    }
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function stationMarker(station, index, among) {
    const half = MARKER_PX / 2;
    let anchor = [half, half];
    if (among > 1) {
      const angle = 2 * Math.PI * index / among;
      anchor = [half - SPREAD_PX * Math.cos(angle), half - SPREAD_PX * Math.sin(angle)];
    }
    const icon = L.divIcon({
      className: "map-icon",
      iconSize: [MARKER_PX, MARKER_PX],
      iconAnchor: anchor,
      html: '<span class="marker marker--' + station.state + '" data-station="' + escapeHtml(station.charge_point_id) +
        '" data-state="' + station.state + '"></span>',
    });
    const marker = L.marker([station.lat, station.lon], {
      icon: icon, title: station.charge_point_id + " · " + station.state, riseOnHover: true,
    });
    marker.on("click", function () { openPopup(station.id, marker.getLatLng()); });
    return marker;
  }

  function clusterMarker(cluster) {
    const size = cluster.count < 10 ? 30 : cluster.count < 100 ? 36 : cluster.count < 1000 ? 42 : 50;
    const counts = Object.entries(cluster.states).filter(function (e) { return e[1] > 0; })
      .map(function (e) { return e[1] + " " + e[0]; }).join(", ");
    const icon = L.divIcon({
      className: "map-icon",
      iconSize: [size, size],
      html: '<span class="cluster cluster--' + cluster.worst + '" data-count="' + cluster.count + '">' +
        cluster.count + "</span>",
    });
    const marker = L.marker([cluster.lat, cluster.lon], { icon: icon, title: cluster.count + " stations: " + counts });
    marker.on("click", function () {
      map.setView([cluster.lat, cluster.lon], Math.min(map.getZoom() + 2, map.getMaxZoom()));
    });
    return marker;
  }

  function popupUrl(stationId) {
    return frame.dataset.popupUrl.replace(/\/0\/popup$/, "/" + stationId + "/popup");
  }

  function openPopup(stationId, latlng) {
    popupStation = stationId;
    popup = L.popup({ maxWidth: 420, minWidth: 280 }).setLatLng(latlng).setContent("Loading…").openOn(map);
    loadPopup(stationId);
  }

  async function loadPopup(stationId) {
    const target = popup;
    try {
      const response = await fetch(popupUrl(stationId), { credentials: "same-origin" });
      if (!response.ok) throw new Error("popup: " + response.status);
      const html = await response.text();
      if (target === popup && popupStation === stationId) target.setContent(html);
    } catch (err) {
      if (target === popup && popupStation === stationId) target.setContent("Could not load this station.");
    }
  }

  // `map` is the Leaflet map once django-leaflet has built it (for browser tests and the console).
  return { init: init, refresh: refresh, get map() { return map; } };
})();
