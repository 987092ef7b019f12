/* The agreements map: vendored country shapes (no tile server needed), clustered markers
   from /map/points.json with the page's filters, a popup per institution. */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var data = element.dataset;
  var map = L.map(element, { worldCopyJump: true, keyboard: true, minZoom: 2, maxZoom: 12 }).setView([48, 12], 4);
  map.attributionControl.setPrefix(false);
  // the zoom, on the element: what the page shows, for whoever reads the page's state
  element.dataset.zoom = map.getZoom();
  map.on("zoomend", function () { element.dataset.zoom = map.getZoom(); });

  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 18 }).addTo(map);
  } else {
    fetch(data.countriesUrl)
      .then(function (response) { return response.json(); })
      .then(function (world) {
        var shapes = topojson.feature(world, world.objects.countries);
        shapes.features.forEach(function (feature) { unwrapGeometry(feature.geometry); });
        L.geoJSON(shapes, {
          interactive: false,
          style: function (feature) {
            return {
              color: "#8a8a8a", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 1,
              className: "map-country map-country-" + feature.id
            };
          }
        }).addTo(map).bringToBack();
        element.dataset.countries = "drawn";
      });
    map.attributionControl.addAttribution("Natural Earth");
  }

  /* A ring that crosses the 180th meridian (Russia's Chukotka, Fiji, Alaska's Aleutians,
     Kiribati) jumps from +179.9 to -179.9 degrees; drawn on a flat map that jump is a band
     across the whole world. Each point is moved by 360 degrees where needed so the ring stays
     continuous (Chukotka is drawn just east of 180). A ring around a pole (Antarctica) is then
     closed along the pole's latitude. */
  function unwrapRing(ring) {
    var shift = 0;
    var previous = null;
    var out = ring.map(function (point) {
      var lon = point[0] + shift;
      if (previous !== null) {
        if (lon - previous > 180) { shift -= 360; lon -= 360; }
        else if (previous - lon > 180) { shift += 360; lon += 360; }
      }
      previous = lon;
      return [lon, point[1]];
    });
    if (out.length > 1 && Math.abs(out[out.length - 1][0] - out[0][0]) > 180) {
      var pole = out.reduce(function (sum, point) { return sum + point[1]; }, 0) < 0 ? -90 : 90;
      out.push([out[out.length - 1][0], pole], [out[0][0], pole], out[0]);
    }
    return out;
  }

  function unwrapGeometry(geometry) {
    if (!geometry) { return; }
    if (geometry.type === "Polygon") {
      geometry.coordinates = geometry.coordinates.map(unwrapRing);
    } else if (geometry.type === "MultiPolygon") {
      geometry.coordinates = geometry.coordinates.map(function (polygon) { return polygon.map(unwrapRing); });
    }
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
    // the server says "1 offer · 3 seats" in the reader's language; else the counts and labels
    box.appendChild(text(point.facts || (point.offers + " " + data.textOffers + " · " + point.seats + " " + data.textSeats)));
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
