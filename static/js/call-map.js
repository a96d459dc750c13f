// A call's map: the groups committed to it, each a point with a link and its event's date.
(function () {
  "use strict";
  var el = document.getElementById("call-map");
  if (!el || !window.L) return;
  var map = L.map(el, {scrollWheelZoom: false}).setView([30, 0], 2);
  L.tileLayer(el.dataset.tiles, {attribution: el.dataset.attribution, maxZoom: 18}).addTo(map);
  fetch(el.dataset.points).then(function (r) { return r.json(); }).then(function (data) {
    var bounds = [];
    data.points.forEach(function (p) {
      var label = document.createElement("div");
      var a = document.createElement("a"); a.href = p.url; a.textContent = p.name; label.appendChild(a);
      if (p.date) { label.appendChild(document.createElement("br")); label.appendChild(document.createTextNode(p.date + (p.venue ? " · " + p.venue : ""))); }
      L.circleMarker([p.lat, p.lng], {radius: 6}).bindPopup(label).addTo(map);
      bounds.push([p.lat, p.lng]);
    });
    if (bounds.length) map.fitBounds(bounds, {maxZoom: 9, padding: [20, 20]});
  });
})();
