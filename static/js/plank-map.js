/* The map of a plank's endorsing assemblies, from the points the page carries. */
(function () {
  "use strict";
  var el = document.getElementById("endorsements-map");
  var data = document.getElementById("endorsement-points");
  if (!el || !data || !window.L) return;
  var points = JSON.parse(data.textContent);
  var map = L.map(el, { worldCopyJump: true, maxZoom: 18, keyboard: true, preferCanvas: true });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map);
  map.setView([30, 0], 2);
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lng], { radius: 6, weight: 1, color: "#134a3f", fillColor: "#1d6455", fillOpacity: 0.85 });
    var link = document.createElement("a");
    link.href = "/assemblies/" + encodeURIComponent(p.slug) + "/";
    link.textContent = p.name;
    marker.bindPopup(link).addTo(map);
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length) map.fitBounds(bounds, { maxZoom: 9, padding: [20, 20] });
  var status = document.getElementById("endorsements-map-status");
  if (status) status.textContent = status.dataset.done.replace("%s", String(points.length));
  el.dataset.markers = String(points.length);
})();
