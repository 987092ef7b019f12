/* The agreements map: vendored country shapes (no tile server needed), clustered markers
   from /map/points.json with the page's filters, a popup per institution. */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var data = element.dataset;
  var map = L.map(element, { worldCopyJump: true, keyboard: true, minZoom: 2, maxZoom: 12 }).setView([48, 12], 4);
  map.attributionControl.setPrefix(false);

  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 18 }).addTo(map);
  } else {
    fetch(data.countriesUrl)
      .then(function (response) { return response.json(); })
      .then(function (world) {
        var shapes = topojson.feature(world, world.objects.countries);
        L.geoJSON(shapes, {
          interactive: false,
          style: { color: "#8a8a8a", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 1 }
        }).addTo(map).bringToBack();
      });
    map.attributionControl.addAttribution("Natural Earth");
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function popup(point) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("a");
    title.href = point.url;
    title.textContent = point.name;
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    box.appendChild(text((point.city ? point.city + ", " : "") + point.country));
    box.appendChild(document.createElement("br"));
    box.appendChild(text(point.offers + " " + data.textOffers + " · " + point.seats + " " + data.textSeats));
    var list = document.createElement("ul");
    point.agreements.forEach(function (agreement) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = agreement.url;
      link.textContent = agreement.code;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  var cluster = L.markerClusterGroup({ showCoverageOnHover: false });
  fetch(data.pointsUrl, { headers: { "Accept": "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (payload) {
      payload.points.forEach(function (point) {
        var marker = L.marker([point.lat, point.lon], { title: point.name, alt: point.name, keyboard: true });
        marker.bindPopup(function () { return popup(point); });
        cluster.addLayer(marker);
      });
      map.addLayer(cluster);
      if (payload.points.length > 0 && window.location.search.length > 1) {
        map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 7 });
      }
      var status = document.getElementById("map-status");
      if (status) { status.textContent = payload.count + " " + data.textInstitutions; }
      element.dataset.loaded = "true";
    });
})();
