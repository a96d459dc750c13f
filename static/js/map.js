/* Maps of organizations: clusters come from the server, already grouped for the viewport. */
(function () {
  "use strict";

  var MAX_ZOOM = 18;

  function text(value) {
    var div = document.createElement("div");
    div.textContent = value;
    return div.innerHTML;
  }

  function formatNumber(n) {
    return Number(n).toLocaleString();
  }

  function baseMap(el) {
    var map = L.map(el, { worldCopyJump: true, maxZoom: MAX_ZOOM, keyboard: true });
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: MAX_ZOOM }).addTo(map);
    var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng), zoom = parseInt(el.dataset.zoom, 10);
    map.setView([isNaN(lat) ? 30 : lat, isNaN(lng) ? 0 : lng], isNaN(zoom) ? 2 : zoom);
    return map;
  }

  function pinMap(el) {
    var map = baseMap(el);
    var marker = L.marker(map.getCenter(), {
      icon: L.divIcon({ className: "point-icon", iconSize: [16, 16] }),
      title: el.dataset.pin,
      alt: el.dataset.pin,
    }).addTo(map);
    marker.bindPopup(text(el.dataset.pin));
    // The places a group serves, drawn around its pin, the view fitted to them all.
    var served = el.dataset.served ? document.getElementById(el.dataset.served) : null;
    if (served) {
      var bounds = L.latLngBounds([map.getCenter()]);
      JSON.parse(served.textContent).forEach(function (p) {
        L.circleMarker([p[0], p[1]], { radius: 5, weight: 1, className: "served-place" })
          .bindTooltip(text(p[2])).addTo(map);
        bounds.extend([p[0], p[1]]);
      });
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 12 });
    }
  }

  function clusterSize(count) {
    return Math.round(26 + Math.min(22, Math.log10(count) * 6));
  }

  function clusterMap(el) {
    var map = baseMap(el);
    var layer = L.layerGroup().addTo(map);
    var statusEl = el.dataset.status ? document.getElementById(el.dataset.status) : null;
    var filters = el.dataset.filters ? document.getElementById(el.dataset.filters) : null;
    var controller = null;

    // The view lives in the address (#zoom/lat/lng) so it can be shared and bookmarked.
    function viewFromHash() {
      var m = /^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
      if (m) map.setView([parseFloat(m[2]), parseFloat(m[3])], parseInt(m[1], 10));
    }
    if (el.dataset.hash) {
      viewFromHash();
      window.addEventListener("hashchange", viewFromHash);
    }

    function say(message) {
      if (statusEl) statusEl.textContent = message;
    }

    function params() {
      var b = map.getBounds();
      var q = new URLSearchParams();
      q.set("bbox", [b.getWest(), Math.max(b.getSouth(), -90), b.getEast(), Math.min(b.getNorth(), 90)]
        .map(function (v) { return v.toFixed(5); }).join(","));
      q.set("zoom", String(map.getZoom()));
      if (el.dataset.place) q.set("place", el.dataset.place);
      if (filters) {
        new FormData(filters).forEach(function (value, key) {
          if (value) q.set(key, value);
        });
      }
      return q;
    }

    function itemsList(items) {
      return "<ul>" + items.map(function (item) {
        return '<li><a href="' + encodeURI(item.url) + '">' + text(item.name) + "</a></li>";
      }).join("") + "</ul>";
    }

    function draw(data) {
      layer.clearLayers();
      data.clusters.forEach(function (c) {
        var size = clusterSize(c.count);
        var label = formatNumber(c.count) + " organizations";
        var marker = L.marker([c.lat, c.lng], {
          icon: L.divIcon({
            className: "cluster-icon",
            html: "<span>" + (c.count >= 10000 ? Math.round(c.count / 1000) + "k" : formatNumber(c.count)) + "</span>",
            iconSize: [size, size],
          }),
          title: label,
          alt: label,
          keyboard: true,
        });
        if (c.items) {
          marker.bindPopup("<strong>" + text(label) + "</strong>" + itemsList(c.items));
        } else {
          marker.on("click", function () {
            map.setView([c.lat, c.lng], Math.min(map.getZoom() + 2, MAX_ZOOM));
          });
        }
        layer.addLayer(marker);
      });
      data.points.forEach(function (p) {
        var marker = L.marker([p.lat, p.lng], {
          icon: L.divIcon({ className: "point-icon", iconSize: [14, 14] }),
          title: p.name,
          alt: p.name,
          keyboard: true,
        });
        marker.bindPopup('<a href="' + encodeURI(p.url) + '">' + text(p.name) + "</a>");
        layer.addLayer(marker);
      });
      // Places groups serve away from home (the "Show where groups serve" toggle): rings, so
      // they read apart from the listings' own markers.
      (data.served ? data.served.markers : []).forEach(function (s) {
        var label = (s.place ? s.place + ": " : "") + formatNumber(s.groups) +
          (s.groups === 1 ? " group serves here from elsewhere" : " groups serve here from elsewhere");
        var marker = L.marker([s.lat, s.lng], {
          icon: L.divIcon({ className: "served-icon", html: "<span>" + formatNumber(s.groups) + "</span>", iconSize: [22, 22] }),
          title: label,
          alt: label,
          keyboard: true,
        });
        marker.bindPopup("<strong>" + text(label) + "</strong>" + itemsList(s.items));
        layer.addLayer(marker);
      });
      say((data.total === 0 ? "No organizations in this part of the map."
        : formatNumber(data.total) + " organization" + (data.total === 1 ? "" : "s") + " in view.") +
        (data.served ? " " + formatNumber(data.served.markers.length) + " served place" +
          (data.served.markers.length === 1 ? "" : "s") + " shown as rings." : ""));
      el.dataset.loaded = "1";
    }

    function load() {
      if (controller) controller.abort();
      controller = new AbortController();
      var q = params();
      if (el.dataset.hash) {
        var c = map.getCenter();
        history.replaceState(null, "", window.location.pathname + window.location.search +
          "#" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" + c.lng.toFixed(4));
      }
      say("Loading…");
      fetch(el.dataset.clusters + "?" + q.toString(), { signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        })
        .then(function (res) {
          if (!res.ok) {
            var first = Object.keys(res.body.errors || {})[0];
            say(first ? res.body.errors[first][0] : "The map could not be loaded.");
            return;
          }
          draw(res.body);
        })
        .catch(function (err) {
          if (err.name !== "AbortError") say("The map could not be loaded. Check your connection and try again.");
        });
    }

    map.on("moveend", load);
    if (filters) {
      filters.addEventListener("change", function () {
        var q = new URLSearchParams(new FormData(filters));
        Array.from(q.keys()).forEach(function (k) { if (!q.get(k)) q.delete(k); });
        history.replaceState(null, "", window.location.pathname + (q.toString() ? "?" + q : "") + window.location.hash);
        load();
      });
    }
    load();
  }

  document.querySelectorAll(".js-map").forEach(function (el) {
    if (el.dataset.clusters) clusterMap(el);
    else if (el.dataset.pin) pinMap(el);
  });
})();
