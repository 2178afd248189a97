  /* lgchart, part 2 of 3 (after lgchart_axes.js): a chart, its legend, and
   * the drawing of each kind of series. */
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
