/* gridtool offline map runtime (MIT, part of gridtool).
 *
 * Builds Leaflet layers from the compact layer data written by gridtool/maps/html.py:
 * delta-encoded integer coordinates (see gridtool/maps/webgeom.py), columns of values that
 * Python has already HTML-escaped, and tooltip/popup templates written by gridtool itself.
 * Text from the data is never inserted unescaped: every value in `cols` is escaped text or a
 * number, and templates come from gridtool, not from the data.
 */
(function (global) {
  "use strict";

  function decodeRing(a, q) {
    var out = new Array(a.length / 2), x = 0, y = 0;
    for (var i = 0, j = 0; i < a.length; i += 2, j++) {
      x += a[i]; y += a[i + 1];
      out[j] = [y / q, x / q];
    }
    return out;
  }

  function decode(kind, g, q) {
    if (kind === "polygon") {
      return g.map(function (poly) { return poly.map(function (r) { return decodeRing(r, q); }); });
    }
    if (kind === "line") { return g.map(function (p) { return decodeRing(p, q); }); }
    return [g[1] / q, g[0] / q];
  }

  function value(cols, k, i) {
    var c = cols[k];
    if (!c) { return ""; }
    var v = c[i];
    return (v === null || v === undefined) ? "" : String(v);
  }

  // Escaped text back to plain text (search keys): DOMParser documents run no scripts and load nothing.
  var parser = new DOMParser();
  function plain(html) {
    return html.indexOf("&") < 0 ? html : parser.parseFromString(html, "text/html").documentElement.textContent;
  }

  // "{code}" is replaced by the (escaped) value; "[[text {worker}]]" disappears when worker is empty;
  // "{hh|household|households}" is the count and the word for one or for several ("1 household").
  var FIELD = /\{(\w+)(?:\|([^|{}]*)\|([^|{}]*))?\}/g;
  function fill(tpl, cols, i) {
    tpl = tpl.replace(/\[\[([\s\S]*?)\]\]/g, function (m, inner) {
      var empty = false;
      inner.replace(FIELD, function (m2, k) { if (value(cols, k, i) === "") { empty = true; } return m2; });
      return empty ? "" : inner;
    });
    return tpl.replace(FIELD, function (m, k, one, many) {
      var v = value(cols, k, i);
      if (one === undefined) { return v; }
      return v + " " + (String(v).replace(/,/g, "") === "1" ? one : many);
    });
  }

  // A polygon that reacts only near its outline: service circles and corridors cover grids,
  // and must not take the grids' tooltips away.
  var StrokePolygon = L.Polygon.extend({
    _containsPoint: function (p) { return L.Polyline.prototype._containsPoint.call(this, p, true); }
  });

  var registry = {};   // search key -> layer
  var stack = [];      // [order, featureGroup of paths]: drawing order on the shared canvas

  // Paths share one canvas, where the last added is drawn on top and takes the mouse. Layers that
  // come and go (layer control, zoom-dependent sub-grids) would end up above the routes; put every
  // layer back in its place.
  function restack(map) {
    stack.forEach(function (s) { if (map.hasLayer(s[1])) { s[1].bringToFront(); } });
  }
  var icons = {};

  function iconFor(name, size) {
    var key = name + "/" + size;
    if (!icons[key]) {
      icons[key] = L.divIcon({ className: "gt-icon", html: (global.gridtool.icons[name] || global.gridtool.icons.other),
                               iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
    }
    return icons[key];
  }

  function arrowIcon(colour, angle) {
    return L.divIcon({
      className: "gt-arrow",
      html: '<svg width="16" height="16" viewBox="0 0 16 16" style="transform:rotate(' + angle.toFixed(0) +
            'deg)"><path d="M3 2.5 14 8 3 13.5 6 8z" fill="' + colour + '" stroke="#fff" stroke-width="1.2"/></svg>',
      iconSize: [16, 16], iconAnchor: [8, 8]
    });
  }

  // Direction arrows every `spacing` pixels along each route, inside the view only; redrawn on zoom/pan.
  function routeArrows(map, routes, group, spacing) {
    function draw() {
      group.clearLayers();
      if (!map.hasLayer(group)) { return; }
      var z = map.getZoom(), view = map.getPixelBounds().pad(0.2);
      routes.forEach(function (r) {
        r.lines.forEach(function (latlngs) {
          var carry = spacing / 2, prev = map.project(latlngs[0], z);
          for (var k = 1; k < latlngs.length; k++) {
            var cur = map.project(latlngs[k], z), dx = cur.x - prev.x, dy = cur.y - prev.y;
            var len = Math.sqrt(dx * dx + dy * dy), pos = carry;
            while (pos < len) {
              var t = pos / len, p = L.point(prev.x + dx * t, prev.y + dy * t);
              if (view.contains(p)) {
                L.marker(map.unproject(p, z), { icon: arrowIcon(r.colour, Math.atan2(dy, dx) * 180 / Math.PI),
                                                interactive: false, keyboard: false }).addTo(group);
              }
              pos += spacing;
            }
            carry = pos - len;
            prev = cur;
          }
        });
      });
    }
    map.on("zoomend moveend", draw);
    group.on("add", draw);
    return draw;
  }

  function labelsFor(map, group, d) {
    var labels = L.layerGroup(), shown = false;
    for (var i = 0; i < d.n; i++) {
      if (!d.lp[i]) { continue; }
      L.marker(decode("point", d.lp[i], d.q), {
        icon: L.divIcon({ className: "gt-label " + (d.labelClass || ""),
                          html: '<div class="gt-lab">' + fill(d.label, d.cols, i) + "</div>", iconSize: [0, 0] }),
        interactive: false, keyboard: false
      }).addTo(labels);
    }
    function update() {
      var want = map.getZoom() >= d.labelZoom;
      if (want && !shown) { group.addLayer(labels); shown = true; }
      if (!want && shown) { group.removeLayer(labels); shown = false; }
    }
    map.on("zoomend", update);
    update();
  }

  /* Points binned on screen: cells of `c.px` pixels holding two or more points become one bubble
   * with their count (coloured by count, a density reading); single points stay themselves. Only
   * the view (and a margin) is binned, again after every zoom or pan; from zoom `c.until` on,
   * every point in view is drawn. Thousands of points stay readable and cheap to draw. */
  function clustered(map, group, inner, layers, c) {
    var bubbles = L.featureGroup().addTo(group), base = [];
    layers.forEach(function (l) { base.push(map.project(l.getLatLng(), 0)); });
    bubbles.bindTooltip(function (l) { return c.tip.replace("{n}", String(l._gtN)); }, { direction: "top" });
    bubbles.on("click", function (e) {
      map.fitBounds(e.layer._gtBounds.pad(0.3), { maxZoom: Math.max(map.getZoom() + 2, c.until) });
    });
    function bubble(n, ll, bounds) {
      var k = n < 10 ? 0 : n < 50 ? 1 : 2, s = [22, 28, 36][k];
      var m = L.marker(ll, { icon: L.divIcon({ className: "gt-cluster", iconSize: [s, s], iconAnchor: [s / 2, s / 2],
        html: '<span style="background:' + c.colours[k] + ';line-height:' + (s - 4) + 'px">' + n + "</span>" }),
        keyboard: false });
      m._gtN = n;
      m._gtBounds = bounds;
      return m;
    }
    function draw() {
      inner.clearLayers();
      bubbles.clearLayers();
      if (!map.hasLayer(group)) { return; }
      var z = map.getZoom(), f = Math.pow(2, z), view = map.getPixelBounds().pad(0.25), cells = {}, keys = [];
      for (var i = 0; i < layers.length; i++) {
        var p = base[i].multiplyBy(f);
        if (!view.contains(p)) { continue; }
        if (z >= c.until) { inner.addLayer(layers[i]); continue; }
        var key = Math.floor(p.x / c.px) + ":" + Math.floor(p.y / c.px), cell = cells[key];
        if (!cell) { cell = cells[key] = { idx: [], x: 0, y: 0 }; keys.push(key); }
        cell.idx.push(i); cell.x += p.x; cell.y += p.y;
      }
      keys.forEach(function (k) {
        var cell = cells[k], n = cell.idx.length;
        if (n === 1) { inner.addLayer(layers[cell.idx[0]]); return; }
        var bounds = L.latLngBounds(cell.idx.map(function (j) { return layers[j].getLatLng(); }));
        bubbles.addLayer(bubble(n, map.unproject(L.point(cell.x / n, cell.y / n), z), bounds));
      });
    }
    map.on("zoomend moveend", draw);
    group.on("add", draw);
    draw();
  }

  /* Add one data layer to `group` (a folium FeatureGroup). d: {kind, q, n, g, cols, pal, fill, color,
   * style, tip, pop, r, icon, num, colour, lp, label, labelZoom, minZoom, strokeOnly, key, arrows, cluster}. */
  function addLayer(map, group, d) {
    var layers = [], routes = [];
    for (var i = 0; i < d.n; i++) {
      if (!d.g[i]) { continue; }
      var st = L.extend({}, d.style || {}), lyr, ll;
      if (d.fill) { st.fillColor = d.pal[d.fill[i]]; }
      if (d.color) { st.color = d.pal[d.color[i]]; }
      if (d.kind === "polygon") {
        lyr = new (d.strokeOnly ? StrokePolygon : L.Polygon)(decode("polygon", d.g[i], d.q), st);
      } else if (d.kind === "line") {
        lyr = L.polyline(decode("line", d.g[i], d.q), st);
        if (d.arrows) { routes.push({ lines: lyr.getLatLngs(), colour: st.color || "#333" }); }
      } else if (d.kind === "icon") {
        lyr = L.marker(decode("point", d.g[i], d.q), { icon: iconFor(d.icon[i], d.iconSize || 22), keyboard: false,
                                                       riseOnHover: true });
      } else if (d.kind === "badge") {  // a numbered square left of the point (hot-spot ranks): the
        // incidents bubble on the point stays readable
        lyr = L.marker(decode("point", d.g[i], d.q), { icon: L.divIcon({ className: "gt-badge-icon",
          html: '<span class="gt-badge" style="background:' + (d.colour || "#b71c1c") + '">' +
                value(d.cols, d.num || "num", i) + "</span>",
          iconSize: [24, 24], iconAnchor: [30, 12] }), riseOnHover: true, keyboard: false, zIndexOffset: 900 });
      } else if (d.kind === "stop") {
        ll = decode("point", d.g[i], d.q);
        lyr = L.marker(ll, { icon: L.divIcon({ className: "gt-stop",
          html: '<span style="background:' + st.color + '">' + value(d.cols, "num", i) + "</span>",
          iconSize: [22, 22], iconAnchor: [-3, 25] }), riseOnHover: true, keyboard: false, zIndexOffset: 1000 });
      } else {
        st.radius = d.r ? d.r[i] : (st.radius || 4);
        lyr = L.circleMarker(decode("point", d.g[i], d.q), st);
      }
      lyr._gtI = i;
      layers.push(lyr);
      if (d.key) {
        var k = plain(value(d.cols, d.key, i));
        if (k && !registry[k]) { registry[k] = lyr; }
      }
    }
    var inner = L.featureGroup(layers);
    if (d.kind === "polygon" || d.kind === "line" || d.kind === "point") {
      stack.push([d.order || 0, inner]);
      stack.sort(function (a, b) { return a[0] - b[0]; });
    }
    var sticky = d.kind === "polygon" || d.kind === "line";
    if (d.tip) {
      inner.bindTooltip(function (l) { return fill(d.tip, d.cols, l._gtI); },
                        { sticky: sticky, direction: "top", opacity: 0.95 });
    }
    if (d.pop) {
      inner.bindPopup(function (l) { return fill(d.pop, d.cols, l._gtI); }, { maxWidth: 340 });
    }
    if (d.hover) {
      inner.on("mouseover", function (e) { e.layer.setStyle(d.hover); });
      inner.on("mouseout", function (e) { e.layer.setStyle({ weight: (d.style || {}).weight || 1,
                                                            color: (d.style || {}).color || "#333" }); });
    }
    if (d.cluster) {
      group.addLayer(inner);
      clustered(map, group, inner, layers, d.cluster);
    } else if (d.minZoom) {
      var shown = false;
      var update = function () {
        var want = map.getZoom() >= d.minZoom;
        if (want && !shown) { group.addLayer(inner); shown = true; restack(map); }
        if (!want && shown) { group.removeLayer(inner); shown = false; }
      };
      map.on("zoomend", update);
      update();
    } else {
      group.addLayer(inner);
    }
    if (routes.length) { routeArrows(map, routes, L.layerGroup().addTo(group), d.arrows); }
    if (d.label) { labelsFor(map, group, d); }
    return inner;
  }

  // Search box: a grid code, sub-grid code or village name zooms there.
  function search(map, input) {
    var list = document.getElementById(input.getAttribute("list"));
    Object.keys(registry).sort().forEach(function (k) {
      var o = document.createElement("option");
      o.value = k;  // a DOM property: the browser treats it as text
      list.appendChild(o);
    });
    function go() {
      var lyr = registry[input.value.trim()];
      if (!lyr) { input.classList.add("gt-miss"); return; }
      input.classList.remove("gt-miss");
      if (lyr.getBounds) { map.fitBounds(lyr.getBounds(), { maxZoom: 18 }); } else { map.setView(lyr.getLatLng(), 17); }
      if (lyr.openPopup && lyr.getPopup && lyr.getPopup()) { lyr.openPopup(); }
    }
    input.addEventListener("change", go);
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
  }

  // Metric only, in the map's language: 200 米 / 1 公里 (Leaflet's own scale also shows feet).
  var words = { zh: { m: " 米", km: " 公里", zoomIn: "放大", zoomOut: "缩小", layers: "图层" },
                en: { m: " m", km: " km", zoomIn: "Zoom in", zoomOut: "Zoom out", layers: "Layers" } };
  var Scale = L.Control.Scale.extend({
    _updateMetric: function (maxMeters) {
      var meters = this._getRoundNum(maxMeters), w = this.options.words;
      var label = meters < 1000 ? meters + w.m : (meters / 1000) + w.km;
      this._updateScale(this._mScale, label, meters / maxMeters);
    }
  });

  function finish(map, opts) {
    var w = words[opts.lang === "en" ? "en" : "zh"];
    L.control.zoom({ zoomInTitle: w.zoomIn, zoomOutTitle: w.zoomOut }).addTo(map);
    new Scale({ metric: true, imperial: false, words: w, position: "bottomleft" }).addTo(map);
    map.attributionControl.setPrefix(opts.prefix || "Leaflet");
    // Not animated: the first view is final at once (and scripts that set a view after it win).
    if (opts.bounds) { map.fitBounds(opts.bounds, { animate: false }); }
    if (opts.attribution) { map.attributionControl.addAttribution(opts.attribution); }
    var input = document.getElementById("gt-search");
    if (input) { search(map, input); }
    map.on("overlayadd", function () { restack(map); });
    // Leaflet titles the layer switch "Layers"; the control is added after this script has run.
    setTimeout(function () {
      var toggle = map.getContainer().querySelector(".leaflet-control-layers-toggle");
      if (toggle) { toggle.title = w.layers; }
    }, 0);
    restack(map);
    global.gridtoolMap = map;
  }

  global.gridtool = { addLayer: addLayer, finish: finish, fill: fill, decode: decode, icons: {},
                      registry: registry };
})(window);
