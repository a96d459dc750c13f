/* The map of a coalition's members: points fetched after the page has loaded, so a coalition
   with thousands of members still shows its page at once. */
(function () {
  "use strict";
  var el = document.getElementById("members-map");
  if (!el || !window.L || !window.fetch) return;
  var map = L.map(el, { worldCopyJump: true, maxZoom: 18, keyboard: true, preferCanvas: true });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map);
  map.setView([30, 0], 2);
  var status = document.getElementById("members-map-status");
  fetch(el.dataset.points, { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var bounds = [];
      data.points.forEach(function (p) {
        var marker = L.circleMarker([p.lat, p.lng], { radius: 5, weight: 1, color: "#134a3f", fillColor: "#1d6455", fillOpacity: 0.8 });
        var link = document.createElement("a");
        link.href = "/organizations/" + encodeURIComponent(p.slug) + "/";
        link.textContent = p.name;
        marker.bindPopup(link).addTo(map);
        bounds.push([p.lat, p.lng]);
      });
      // Places the members serve beyond their home: hollow rings, so homes stay distinct.
      (data.served || []).forEach(function (p) {
        var ring = L.circleMarker([p.lat, p.lng], { radius: 7, weight: 2, color: "#8a4b12", fill: false, dashArray: "3 3" });
        var label = document.createElement("span");
        label.textContent = el.dataset.servedLabel.replace("%1", p.name).replace("%2", p.by);
        ring.bindPopup(label).addTo(map);
        bounds.push([p.lat, p.lng]);
      });
      if (bounds.length) map.fitBounds(bounds, { maxZoom: 11, padding: [20, 20] });
      if (status) status.textContent = status.dataset.done.replace("%s", String(bounds.length));
    })
    .catch(function () { if (status) status.textContent = status.dataset.failed; });
})();
