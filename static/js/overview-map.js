/* The map of coverage gaps: each sub-place a circle shaded like the heat map, gaps as hollow
   red rings. The points come with the page (a few hundred at most), so no second request. */
(function () {
  "use strict";
  var el = document.getElementById("gap-map");
  var data = document.getElementById("gap-points");
  if (!el || !data || !window.L) return;
  var points = JSON.parse(data.textContent);
  var map = L.map(el, { worldCopyJump: true, maxZoom: 18, keyboard: true });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map);
  var shades = ["#ffffff", "#d3e8df", "#8fc3ae", "#3f8f77", "#134a3f"];
  var bounds = [];
  points.forEach(function (p) {
    var gap = p.home + p.serving === 0;
    var marker = gap
      ? L.circleMarker([p.lat, p.lng], { radius: 9, weight: 3, color: "#a32020", fill: false, className: "gap-marker" })
      : L.circleMarker([p.lat, p.lng], { radius: 9, weight: 1, color: "#134a3f", fillColor: shades[p.shade], fillOpacity: 0.9, className: "cover-marker" });
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = el.dataset.link.replace("SLUG", encodeURIComponent(p.slug));
    link.textContent = p.name;
    var what = document.createElement("p");
    what.textContent = gap ? el.dataset.gap
      : el.dataset.some.replace("%1", String(p.home)).replace("%2", String(p.serving));
    box.appendChild(link);
    box.appendChild(what);
    marker.bindPopup(box);
    marker.bindTooltip(p.name + ": " + what.textContent);
    marker.addTo(map);
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length > 1) map.fitBounds(bounds, { maxZoom: 10, padding: [20, 20] });
  else if (bounds.length) map.setView(bounds[0], 9);
  else map.setView([30, 0], 2);
})();
