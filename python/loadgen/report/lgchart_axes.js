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
 *
 * The renderer is three files, inlined as one script in this order and
 * sharing one closure (report.chart_js wraps them): lgchart_axes.js
 * (formatting, axes and scales), lgchart_series.js (a chart, its legend and
 * the drawing of each kind of series) and lgchart_interaction.js (hover
 * read-outs, box zoom, the SVG download, drawAll and window.LGChart).
 */

  /* lgchart, part 1 of 3: formatting, axes and scales. */
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
