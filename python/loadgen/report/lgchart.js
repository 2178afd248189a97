/* lgchart: the report's chart renderer (docs/reports.md). Draws each figure
 * spec that python/loadgen/report/charts.py writes as SVG in the page, with
 * hover read-outs, legend toggles, box zoom (double-click resets) and an SVG
 * download. No dependency and no network access.
 *
 * Spec: {title, height, x: AXIS, y: AXIS, series: [SERIES...]}
 *   AXIS   {title, type: 'linear'|'log', zero: bool, ticks: [[value, label]...]}
 *   SERIES {kind: 'line'|'points'|'bars'|'heatmap', name, color, hover, ...}
 *     line    x, y, dash, step ('hvh'), fill (to zero), width
 *     points  x, y, symbol ('dot'|'diamond'), size, opacity, text (per point)
 *     bars    x (centres), y, width (data units)
 *     heatmap x (edges), y (edges), z (rows by y; null = empty), zlabel
 *   hover: a template: {x} {y} {z} {text} {name}, with :.3f (fixed),
 *          :.4g (significant digits) or :pct (x = 1/(1-p) as p in %).
 * Each drawn chart's div gets data-series (series drawn) and data-marks
 * (points, bars, cells and line vertices drawn), which the tests read.
 */
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e',
                 '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
  var MARGIN = {l: 74, r: 22, t: 38, b: 50};

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function trim(s) {
    return s.indexOf('.') < 0 || s.indexOf('e') >= 0 ? s : s.replace(/0+$/, '').replace(/\.$/, '');
  }

  function fmt(v, spec) {
    if (typeof v !== 'number') return v === null || v === undefined ? '' : String(v);
    if (!isFinite(v)) return String(v);
    var m = /^\.(\d+)([fg])$/.exec(spec || '');
    if (spec === 'pct') return trim((100 * (1 - 1 / v)).toFixed(3)) + '%';
    if (m && m[2] === 'f') return v.toFixed(+m[1]);
    var digits = m ? +m[1] : 6;
    // Whole numbers with more digits than asked for: all of them, grouped (150,000), never 1.500e+5.
    if (Math.abs(v) >= Math.pow(10, digits - 1) && Math.abs(v) < 1e21) return Math.round(v).toLocaleString('en-US');
    return trim(v.toPrecision(digits));
  }

  /* A tick label: short, with SI prefixes from 10,000 up (25k, 2.5M, 2.5G). */
  function tickText(v, decimals) {
    var a = Math.abs(v), units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e4, 'k']];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) return trim((v / (units[i][1] === 'k' ? 1e3 : units[i][0])).toPrecision(4)) + units[i][1];
    }
    return decimals > 0 ? v.toFixed(decimals) : trim(v.toPrecision(6));
  }

  function fill(template, ctx) {
    return String(template || '').replace(/\{(\w+)(?::([^}]*))?\}/g, function (_, key, spec) {
      return fmt(ctx[key], spec);
    });
  }

  /* An axis maps data values to pixels; its range is kept in axis space
   * (log10 of the value on a log axis). */
  function Axis(spec, range, p0, p1) {
    this.spec = spec;
    this.log = spec.type === 'log';
    this.lo = range[0];
    this.hi = range[1];
    this.p0 = p0;
    this.p1 = p1;
  }
  Axis.prototype.space = function (v) {
    if (!this.log) return v;
    return v > 0 ? Math.log(v) / Math.LN10 : NaN;
  };
  Axis.prototype.px = function (v) {
    var a = this.space(v);
    return this.p0 + (a - this.lo) / (this.hi - this.lo) * (this.p1 - this.p0);
  };
  Axis.prototype.value = function (px) {
    var a = this.lo + (px - this.p0) / (this.p1 - this.p0) * (this.hi - this.lo);
    return this.log ? Math.pow(10, a) : a;
  };
  Axis.prototype.ticks = function () {
    var spec = this.spec, out = [], self = this, i, v;
    var lo = Math.min(this.lo, this.hi), hi = Math.max(this.lo, this.hi);
    var inside = function (v) { var a = self.space(v); return a >= lo - 1e-9 && a <= hi + 1e-9; };
    if (spec.ticks) {
      var last = -1e9;
      spec.ticks.forEach(function (t) {
        var p = self.px(t[0]);
        if (inside(t[0]) && Math.abs(p - last) >= 38) { out.push([t[0], t[1]]); last = p; }
      });
      if (out.length >= 2) return out;
      out = [];
    }
    if (this.log && hi - lo >= 0.6) {
      var mult = hi - lo > 6 ? [1] : hi - lo > 2.5 ? [1, 3] : hi - lo > 1.2 ? [1, 2, 5] : [1, 2, 3, 5, 7];
      var step = hi - lo > 12 ? 2 : 1;
      for (var d = Math.floor(lo); d <= Math.ceil(hi); d += step) {
        for (i = 0; i < mult.length; i++) {
          v = mult[i] * Math.pow(10, d);
          if (inside(v)) out.push([v, tickText(v, 0)]);
        }
      }
      if (out.length >= 2) return out;
      out = [];
    }
    var vlo = this.log ? Math.pow(10, lo) : lo, vhi = this.log ? Math.pow(10, hi) : hi;
    var raw = (vhi - vlo) / 6, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var nice = raw / mag < 1.5 ? 1 : raw / mag < 3 ? 2 : raw / mag < 7 ? 5 : 10;
    var stepv = nice * mag, digits = Math.max(0, -Math.floor(Math.log(stepv) / Math.LN10 + 1e-9));
    for (v = Math.ceil(vlo / stepv - 1e-9) * stepv; v <= vhi + stepv * 1e-9; v += stepv) {
      var r = Math.abs(v) < stepv * 1e-9 ? 0 : v;
      out.push([r, tickText(r, digits)]);
    }
    return out;
  };

  function extent(values, axisSpec, acc) {
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v === null || !isFinite(v) || (axisSpec.type === 'log' && v <= 0)) continue;
      if (v < acc[0]) acc[0] = v;
      if (v > acc[1]) acc[1] = v;
    }
  }

  function autoRange(values, axisSpec, pad) {
    var acc = [Infinity, -Infinity];
    values.forEach(function (vs) { extent(vs, axisSpec, acc); });
    if (axisSpec.zero && axisSpec.type !== 'log') acc[0] = Math.min(acc[0], 0);
    if (!isFinite(acc[0])) acc = axisSpec.type === 'log' ? [1, 10] : [0, 1];
    if (axisSpec.type === 'log') {
      var a = Math.log(acc[0]) / Math.LN10, b = Math.log(acc[1]) / Math.LN10;
      if (b - a < 1e-9) { a -= 0.5; b += 0.5; }
      var pl = (b - a) * pad;
      return [a - pl, b + pl];
    }
    var lo = acc[0], hi = acc[1];
    if (hi - lo < 1e-12) { var w = Math.abs(hi) * 0.1 || 1; lo -= w; hi += w; }
    var p = (hi - lo) * pad;
    return [axisSpec.zero && lo === 0 ? 0 : lo - p, hi + p];
  }

  function viridis(t) {
    t = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    var i = Math.min(Math.floor(t), VIRIDIS.length - 2), f = t - i;
    var a = VIRIDIS[i], b = VIRIDIS[i + 1], out = '#';
    for (var c = 1; c < 7; c += 2) {
      var x = Math.round(parseInt(a.substr(c, 2), 16) * (1 - f) + parseInt(b.substr(c, 2), 16) * f);
      out += (x < 16 ? '0' : '') + x.toString(16);
    }
    return out;
  }

  function Chart(div, spec) {
    this.div = div;
    this.spec = spec;
    this.hidden = spec.series.map(function () { return false; });
    this.zoom = null;
    div.innerHTML = '';
    div.classList.add('lgchart');
    var bar = document.createElement('div');
    bar.className = 'lgchart-bar';
    this.resetButton = this.button(bar, 'reset zoom', 'Show the whole chart again (or double-click it)',
                                   this.resetZoom.bind(this));
    this.resetButton.hidden = true;
    this.button(bar, 'download SVG', 'Save this chart as an SVG file', this.download.bind(this));
    div.appendChild(bar);
    this.holder = document.createElement('div');
    this.holder.className = 'lgchart-plot';
    div.appendChild(this.holder);
    this.tip = document.createElement('div');
    this.tip.className = 'lgchart-tip';
    this.tip.setAttribute('role', 'status');
    this.tip.hidden = true;
    div.appendChild(this.tip);
    this.legend = document.createElement('div');
    this.legend.className = 'lgchart-legend';
    div.appendChild(this.legend);
    this.buildLegend();
    this.draw();
  }

  Chart.prototype.button = function (parent, label, title, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.addEventListener('click', onClick);
    parent.appendChild(b);
    return b;
  };

  Chart.prototype.buildLegend = function () {
    var self = this;
    this.spec.series.forEach(function (s, i) {
      if (s.kind === 'heatmap') return;
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'lgchart-key';
      b.setAttribute('aria-pressed', 'true');
      b.title = 'Show or hide this series';
      var sw = document.createElement('span');
      sw.className = 'lgchart-swatch' + (s.kind === 'points' && s.symbol === 'diamond' ? ' diamond' : '');
      sw.style.borderColor = s.color;
      if (s.kind !== 'points' || s.symbol !== 'diamond') sw.style.background = s.color;
      b.appendChild(sw);
      b.appendChild(document.createTextNode(s.name));
      b.addEventListener('click', function () {
        self.hidden[i] = !self.hidden[i];
        b.setAttribute('aria-pressed', self.hidden[i] ? 'false' : 'true');
        b.classList.toggle('off', self.hidden[i]);
        self.draw();
      });
      self.legend.appendChild(b);
    });
  };

  Chart.prototype.ranges = function () {
    var spec = this.spec, xs = [], ys = [];
    spec.series.forEach(function (s) {
      if (s.kind === 'bars') {
        xs.push(s.x.map(function (x) { return x - s.width / 2; }), s.x.map(function (x) { return x + s.width / 2; }));
      } else {
        xs.push(s.x);
      }
      ys.push(s.kind === 'heatmap' || s.kind === 'bars' || !s.fill ? s.y : s.y.concat([0]));
    });
    var kinds = spec.series.map(function (s) { return s.kind; });
    var cells = kinds.indexOf('heatmap') >= 0, bars = kinds.indexOf('bars') >= 0;
    return {x: autoRange(xs, spec.x, cells || bars ? 0 : 0.02), y: autoRange(ys, spec.y, cells ? 0 : 0.06)};
  };

  Chart.prototype.draw = function () {
    var spec = this.spec, self = this;
    var width = Math.max(320, this.holder.clientWidth || this.div.clientWidth || 900);
    var height = spec.height || 380;
    var heat = spec.series.filter(function (s) { return s.kind === 'heatmap'; })[0];
    var m = {l: MARGIN.l, r: MARGIN.r + (heat ? 78 : 0), t: MARGIN.t, b: MARGIN.b};
    var auto = this.auto || (this.auto = this.ranges());
    var xr = this.zoom ? this.zoom.x : auto.x, yr = this.zoom ? this.zoom.y : auto.y;
    var X = new Axis(spec.x, xr, m.l, width - m.r), Y = new Axis(spec.y, yr, height - m.b, m.t);
    this.X = X;
    this.Y = Y;
    var svg = el('svg', {xmlns: SVG, width: width, height: height, viewBox: '0 0 ' + width + ' ' + height,
                         'class': 'lgchart-svg', role: 'img', 'aria-label': spec.title,
                         'font-family': 'system-ui, sans-serif', 'font-size': 12});
    el('rect', {x: 0, y: 0, width: width, height: height, fill: '#fff'}, svg);
    el('text', {x: m.l, y: 22, 'font-size': 15, 'font-weight': 600, fill: '#1a1a1a'}, svg, spec.title);
    var clipId = 'clip-' + this.div.id;
    var clip = el('clipPath', {id: clipId}, el('defs', {}, svg));
    el('rect', {x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b}, clip);
    var grid = el('g', {stroke: '#e4e4e4', 'stroke-width': 1}, svg);
    var axes = el('g', {fill: '#333', 'font-size': 11}, svg);
    X.ticks().forEach(function (t) {
      var p = X.px(t[0]);
      el('line', {x1: p, x2: p, y1: m.t, y2: height - m.b}, grid);
      el('text', {x: p, y: height - m.b + 15, 'text-anchor': 'middle'}, axes, t[1]);
    });
    Y.ticks().forEach(function (t) {
      var p = Y.px(t[0]);
      el('line', {x1: m.l, x2: width - m.r, y1: p, y2: p}, grid);
      el('text', {x: m.l - 6, y: p + 4, 'text-anchor': 'end'}, axes, t[1]);
    });
    el('rect', {x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b,
                fill: 'none', stroke: '#999'}, svg);
    el('text', {x: (m.l + width - m.r) / 2, y: height - 12, 'text-anchor': 'middle', fill: '#222'},
       svg, spec.x.title);
    el('text', {x: 0, y: 0, transform: 'translate(16,' + (m.t + height - m.b) / 2 + ') rotate(-90)',
                'text-anchor': 'middle', fill: '#222'}, svg, spec.y.title);
    var plot = el('g', {'clip-path': 'url(#' + clipId + ')'}, svg);
    var drawn = 0, marks = 0;
    this.cache = [];
    spec.series.forEach(function (s, i) {
      self.cache.push(null);
      if (self.hidden[i]) return;
      var n = self['draw_' + s.kind](plot, s, X, Y, i);
      if (n > 0) { drawn += 1; marks += n; }
    });
    if (heat) this.colorbar(svg, heat, width - m.r + 14, m.t, height - m.t - m.b);
    this.hoverDot = el('circle', {r: 5, fill: 'none', stroke: '#000', 'stroke-width': 1.5,
                                  visibility: 'hidden'}, svg);
    this.box = el('rect', {fill: 'rgba(0,114,178,0.12)', stroke: '#0072B2', visibility: 'hidden'}, svg);
    var overlay = el('rect', {x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b,
                              fill: 'transparent', 'class': 'lgchart-overlay'}, svg);
    this.listen(overlay);
    this.holder.innerHTML = '';
    this.holder.appendChild(svg);
    this.svg = svg;
    this.div.setAttribute('data-series', drawn);
    this.div.setAttribute('data-marks', marks);
    this.div.setAttribute('data-x-range', X.lo + ',' + X.hi);
    this.resetButton.hidden = !this.zoom;
  };

  function pixels(s, X, Y) {
    var px = new Float64Array(s.x.length), py = new Float64Array(s.x.length);
    for (var i = 0; i < s.x.length; i++) {
      px[i] = s.x[i] === null ? NaN : X.px(s.x[i]);
      py[i] = s.y[i] === null ? NaN : Y.px(s.y[i]);
    }
    return {px: px, py: py};
  }

  Chart.prototype.draw_line = function (g, s, X, Y, i) {
    var c = pixels(s, X, Y), d = [], pen = false, n = 0, base = Y.px(Y.log ? Math.pow(10, Y.lo) : 0);
    base = Math.max(Math.min(base, Y.p0), Y.p1);
    this.cache[i] = c;
    for (var k = 0; k < c.px.length; k++) {
      var x = c.px[k], y = c.py[k];
      if (!isFinite(x) || !isFinite(y)) { pen = false; continue; }
      if (!pen) { d.push('M' + x.toFixed(1) + ' ' + y.toFixed(1)); pen = true; }
      else if (s.step === 'hvh') {
        var mid = ((c.px[k - 1] + x) / 2).toFixed(1);
        d.push('H' + mid + 'V' + y.toFixed(1) + 'H' + x.toFixed(1));
      } else d.push('L' + x.toFixed(1) + ' ' + y.toFixed(1));
      n += 1;
    }
    if (!n) return 0;
    if (s.fill) {
      var first = c.px.find(isFinite);
      el('path', {d: d.join('') + 'V' + base.toFixed(1) + 'H' + first.toFixed(1) + 'Z',
                  fill: s.color, 'fill-opacity': 0.25, stroke: 'none'}, g);
    }
    el('path', {d: d.join(''), fill: 'none', stroke: s.color, 'stroke-width': s.width || 2,
                'stroke-dasharray': s.dash ? '6 4' : null, 'stroke-linejoin': 'round'}, g);
    return n;
  };

  Chart.prototype.draw_points = function (g, s, X, Y, i) {
    var c = pixels(s, X, Y), d = [], n = 0, size = s.size || 4;
    this.cache[i] = c;
    for (var k = 0; k < c.px.length; k++) {
      var x = c.px[k], y = c.py[k];
      if (!isFinite(x) || !isFinite(y)) continue;
      if (s.symbol === 'diamond') {
        d.push('M' + x.toFixed(1) + ' ' + (y - size).toFixed(1) + 'l' + size + ' ' + size + 'l' + (-size) +
               ' ' + size + 'l' + (-size) + ' ' + (-size) + 'Z');
      } else d.push('M' + x.toFixed(1) + ' ' + y.toFixed(1) + 'h0');
      n += 1;
    }
    if (!n) return 0;
    if (s.symbol === 'diamond') {
      el('path', {d: d.join(''), fill: '#fff', 'fill-opacity': 0.6, stroke: s.color, 'stroke-width': 2}, g);
    } else {
      el('path', {d: d.join(''), fill: 'none', stroke: s.color, 'stroke-width': size,
                  'stroke-linecap': 'round', 'stroke-opacity': s.opacity || 1}, g);
    }
    return n;
  };

  Chart.prototype.draw_bars = function (g, s, X, Y, i) {
    var n = 0, base = Y.px(0), boxes = [], grp = el('g', {fill: s.color}, g);
    for (var k = 0; k < s.x.length; k++) {
      var a = X.px(s.x[k] - s.width / 2), b = X.px(s.x[k] + s.width / 2), top = Y.px(s.y[k]);
      boxes.push([a, b, top]);
      if (!isFinite(top)) continue;
      el('rect', {x: (Math.min(a, b) + 0.5).toFixed(1), y: Math.min(top, base).toFixed(1),
                  width: Math.max(Math.abs(b - a) - 1, 0.5).toFixed(1),
                  height: Math.abs(base - top).toFixed(1)}, grp);
      n += 1;
    }
    this.cache[i] = {boxes: boxes, base: base};
    return n;
  };

  Chart.prototype.heatScale = function (s) {
    var lo = Infinity, hi = -Infinity;
    s.z.forEach(function (row) { row.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    return [lo, hi > lo ? hi : lo + 1];
  };

  Chart.prototype.draw_heatmap = function (g, s, X, Y, i) {
    var sc = this.heatScale(s), n = 0, xp = s.x.map(function (v) { return X.px(v); });
    var yp = s.y.map(function (v) { return Y.px(v); });
    for (var r = 0; r < s.z.length; r++) {
      for (var c = 0; c < s.z[r].length; c++) {
        var v = s.z[r][c];
        if (v === null) continue;
        el('rect', {x: Math.min(xp[c], xp[c + 1]).toFixed(1), y: Math.min(yp[r], yp[r + 1]).toFixed(1),
                    width: (Math.abs(xp[c + 1] - xp[c]) + 0.6).toFixed(1),
                    height: (Math.abs(yp[r + 1] - yp[r]) + 0.6).toFixed(1),
                    fill: viridis((v - sc[0]) / (sc[1] - sc[0]))}, g);
        n += 1;
      }
    }
    this.cache[i] = {xp: xp, yp: yp};
    return n;
  };

  Chart.prototype.colorbar = function (svg, s, x, y, h) {
    var sc = this.heatScale(s), id = 'grad-' + this.div.id;
    var grad = el('linearGradient', {id: id, x1: 0, y1: 1, x2: 0, y2: 0}, el('defs', {}, svg));
    for (var k = 0; k <= 10; k++) el('stop', {offset: k / 10, 'stop-color': viridis(k / 10)}, grad);
    el('rect', {x: x, y: y, width: 14, height: h, fill: 'url(#' + id + ')', stroke: '#999'}, svg);
    var t = el('g', {'font-size': 11, fill: '#333'}, svg);
    el('text', {x: x + 18, y: y + 10}, t, fmt(sc[1], '.4g'));
    el('text', {x: x + 18, y: y + h}, t, fmt(sc[0], '.4g'));
    el('text', {x: x + 7, y: y - 8, 'text-anchor': 'middle'}, t, s.zlabel || '');
  };

  /* The nearest drawn element to (mx, my): {series, index, x, y, dist}. */
  Chart.prototype.nearest = function (mx, my) {
    var best = null, spec = this.spec;
    for (var i = 0; i < spec.series.length; i++) {
      var s = spec.series[i], c = this.cache[i];
      if (!c || this.hidden[i]) continue;
      if (s.kind === 'line' || s.kind === 'points') {
        var bi = -1, bd = Infinity;
        for (var k = 0; k < c.px.length; k++) {
          var dx = c.px[k] - mx, dy = c.py[k] - my;
          var d = s.kind === 'line' ? Math.abs(dx) * 4 + Math.abs(dy) : dx * dx + dy * dy;
          if (d < bd) { bd = d; bi = k; }
        }
        if (bi < 0) continue;
        var dist = Math.hypot(c.px[bi] - mx, c.py[bi] - my);
        if (s.kind === 'line' && Math.abs(c.px[bi] - mx) < 12) dist = Math.min(dist, 20);
        if (!best || dist < best.dist) best = {series: i, index: bi, x: c.px[bi], y: c.py[bi], dist: dist};
      } else if (s.kind === 'bars') {
        for (var b = 0; b < c.boxes.length; b++) {
          var bx = c.boxes[b];
          if (mx >= Math.min(bx[0], bx[1]) && mx <= Math.max(bx[0], bx[1]) && isFinite(bx[2])) {
            var bdist = my >= Math.min(bx[2], c.base) && my <= Math.max(bx[2], c.base) ? 0 : Math.abs(my - bx[2]);
            if (!best || bdist < best.dist) best = {series: i, index: b, x: mx, y: bx[2], dist: bdist};
          }
        }
      } else if (s.kind === 'heatmap') {
        for (var cx = 0; cx + 1 < c.xp.length; cx++) {
          if (mx < Math.min(c.xp[cx], c.xp[cx + 1]) || mx > Math.max(c.xp[cx], c.xp[cx + 1])) continue;
          for (var ry = 0; ry + 1 < c.yp.length; ry++) {
            if (my < Math.min(c.yp[ry], c.yp[ry + 1]) || my > Math.max(c.yp[ry], c.yp[ry + 1])) continue;
            if (s.z[ry][cx] !== null && (!best || best.dist > 0)) {
              best = {series: i, index: [ry, cx], x: mx, y: my, dist: 0};
            }
          }
        }
      }
    }
    return best && best.dist <= 40 ? best : null;
  };

  Chart.prototype.hoverText = function (hit) {
    var s = this.spec.series[hit.series], ctx = {name: s.name};
    if (s.kind === 'heatmap') {
      var r = hit.index[0], c = hit.index[1];
      ctx.x = (s.x[c] + s.x[c + 1]) / 2;
      ctx.x0 = s.x[c]; ctx.x1 = s.x[c + 1];
      ctx.y0 = s.y[r]; ctx.y1 = s.y[r + 1];
      ctx.y = Math.sqrt(s.y[r] * s.y[r + 1]);
      ctx.z = s.z[r][c];
    } else {
      ctx.x = s.x[hit.index];
      ctx.y = s.y[hit.index];
      ctx.text = s.text ? s.text[hit.index] : '';
    }
    return fill(s.hover || '{x}, {y}', ctx);
  };

  Chart.prototype.showTip = function (hit) {
    if (!hit) {
      this.tip.hidden = true;
      this.hoverDot.setAttribute('visibility', 'hidden');
      return;
    }
    var s = this.spec.series[hit.series];
    this.tip.innerHTML = '';
    var name = document.createElement('strong');
    name.style.color = s.kind === 'heatmap' ? '#222' : s.color;
    name.textContent = s.name;
    this.tip.appendChild(name);
    this.tip.appendChild(document.createElement('br'));
    this.tip.appendChild(document.createTextNode(this.hoverText(hit)));
    this.tip.hidden = false;
    var w = this.svg.width.baseVal.value;
    this.tip.style.left = (hit.x > w * 0.6 ? hit.x - 12 - this.tip.offsetWidth : hit.x + 12) + 'px';
    this.tip.style.top = (this.holder.offsetTop + Math.max(hit.y - 40, 0)) + 'px';
    if (s.kind === 'line' || s.kind === 'points') {
      this.hoverDot.setAttribute('cx', hit.x);
      this.hoverDot.setAttribute('cy', hit.y);
      this.hoverDot.setAttribute('visibility', 'visible');
    } else this.hoverDot.setAttribute('visibility', 'hidden');
  };

  Chart.prototype.listen = function (overlay) {
    var self = this, start = null;
    var pos = function (ev) {
      var r = self.svg.getBoundingClientRect();
      return [ev.clientX - r.left, ev.clientY - r.top];
    };
    overlay.addEventListener('mousemove', function (ev) {
      var p = pos(ev);
      if (start) {
        self.box.setAttribute('x', Math.min(start[0], p[0]));
        self.box.setAttribute('y', Math.min(start[1], p[1]));
        self.box.setAttribute('width', Math.abs(p[0] - start[0]));
        self.box.setAttribute('height', Math.abs(p[1] - start[1]));
        self.box.setAttribute('visibility', 'visible');
        return;
      }
      self.showTip(self.nearest(p[0], p[1]));
    });
    overlay.addEventListener('mouseleave', function () { if (!start) self.showTip(null); });
    overlay.addEventListener('mousedown', function (ev) {
      if (ev.button !== 0) return;
      ev.preventDefault();
      start = pos(ev);
      self.showTip(null);
      window.addEventListener('mouseup', end, {once: true});
    });
    var end = function (ev) {
      if (!start) return;
      var p = pos(ev), a = start;
      start = null;
      self.box.setAttribute('visibility', 'hidden');
      var dx = Math.abs(p[0] - a[0]), dy = Math.abs(p[1] - a[1]);
      if (dx < 6 && dy < 6) return;
      var X = self.X, Y = self.Y, clampX = function (v) { return Math.max(X.p0, Math.min(X.p1, v)); };
      var clampY = function (v) { return Math.max(Y.p1, Math.min(Y.p0, v)); };
      var xr = [X.lo, X.hi], yr = [Y.lo, Y.hi];
      if (dx >= 6) xr = [X.space(X.value(clampX(Math.min(a[0], p[0])))), X.space(X.value(clampX(Math.max(a[0], p[0]))))];
      if (dy >= 6) yr = [Y.space(Y.value(clampY(Math.max(a[1], p[1])))), Y.space(Y.value(clampY(Math.min(a[1], p[1]))))];
      self.zoom = {x: xr, y: yr};
      self.draw();
    };
    overlay.addEventListener('dblclick', function () { self.resetZoom(); });
  };

  Chart.prototype.resetZoom = function () {
    this.zoom = null;
    this.draw();
  };

  Chart.prototype.download = function () {
    var text = new XMLSerializer().serializeToString(this.svg);
    var url = URL.createObjectURL(new Blob([text], {type: 'image/svg+xml'}));
    var a = document.createElement('a');
    a.href = url;
    a.download = this.div.id + '.svg';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  };

  var charts = [];
  function drawAll(specs) {
    specs.forEach(function (s) {
      var div = document.getElementById(s.id);
      try {
        charts.push(new Chart(div, s.figure));
      } catch (e) {
        div.textContent = 'This chart could not be drawn: ' + e;
        throw e;
      }
    });
    var timer = null;
    window.addEventListener('resize', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { charts.forEach(function (c) { c.draw(); }); }, 150);
    });
  }

  window.LGChart = {drawAll: drawAll, charts: charts, format: fmt};
})();
