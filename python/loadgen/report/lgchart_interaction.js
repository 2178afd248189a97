  /* lgchart, part 3 of 3 (after lgchart_series.js): hover read-outs, box
   * zoom, the SVG download, and drawing every figure of the page. */
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
