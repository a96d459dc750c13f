/* The map of coverage gaps: each sub-place shaded like the heat map, over its boundary where
   the hub ships one (countries, states, US counties), else as a circle; gaps are outlined in
   red and left blank. The figures come with the page, so only the boundary file is fetched. */
(function () {
  "use strict";
  var el = document.getElementById("gap-map");
  var data = document.getElementById("gap-points");
  if (!el || !data || !window.L) return;
  var points = JSON.parse(data.textContent);
  var map = L.map(el, { worldCopyJump: true, maxZoom: 18, keyboard: true });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map);
  // Shapes added to a map without a view yet fail to draw; the real view is fitted at the end.
  map.setView([30, 0], 2);
  var shades = ["#ffffff", "#d3e8df", "#8fc3ae", "#3f8f77", "#134a3f"];
  var bounds = L.latLngBounds([]);

  function isGap(p) { return p.home + p.serving === 0; }

  function describe(p) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = el.dataset.link.replace("SLUG", encodeURIComponent(p.slug));
    link.textContent = p.name;
    var what = document.createElement("p");
    what.textContent = isGap(p) ? el.dataset.gap
      : el.dataset.some.replace("%1", String(p.home)).replace("%2", String(p.serving));
    box.appendChild(link);
    box.appendChild(what);
    return { box: box, text: p.name + ": " + what.textContent };
  }

  function circle(p) {
    if (p.lat === null || p.lng === null) return;
    var marker = isGap(p)
      ? L.circleMarker([p.lat, p.lng], { radius: 9, weight: 3, color: "#a32020", fill: false, className: "gap-marker" })
      : L.circleMarker([p.lat, p.lng], { radius: 9, weight: 1, color: "#134a3f", fillColor: shades[p.shade], fillOpacity: 0.9, className: "cover-marker" });
    var d = describe(p);
    marker.bindPopup(d.box).bindTooltip(d.text).addTo(map);
    bounds.extend([p.lat, p.lng]);
  }

  function finish() {
    if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 10, padding: [20, 20] });
  }

  var url = el.dataset.boundaries;
  if (!url || !window.fetch) {
    points.forEach(circle);
    finish();
    return;
  }
  var byKey = {};
  points.forEach(function (p) { p.keys.forEach(function (k) { byKey[k] = p; }); });
  fetch(url)
    .then(function (response) { return response.json(); })
    .then(function (shapes) {
      var drawn = {};
      var layer = L.geoJSON(shapes, {
        filter: function (f) { return Boolean(byKey[f.properties.key]); },
        style: function (f) {
          var p = byKey[f.properties.key];
          return isGap(p)
            ? { color: "#a32020", weight: 2.5, dashArray: "4 3", fillColor: "#ffffff", fillOpacity: 0.5, className: "gap-area" }
            : { color: "#134a3f", weight: 1, fillColor: shades[p.shade], fillOpacity: 0.85, className: "cover-area" };
        },
        onEachFeature: function (f, shape) {
          var p = byKey[f.properties.key];
          drawn[p.slug] = true;
          var d = describe(p);
          shape.bindPopup(d.box).bindTooltip(d.text, { sticky: true });
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) bounds.extend(layer.getBounds());
      points.forEach(function (p) { if (!drawn[p.slug]) circle(p); });
      finish();
    })
    .catch(function () { points.forEach(circle); finish(); });
})();
