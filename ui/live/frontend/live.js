// A live view (ui/live/__init__.py): the Streamlit component protocol, the view's own sliders,
// the messages between the views of one group in this tab, and the redraws. The math is in the
// recipes (gumbel.js, …): LiveRecipes[name] = {compute(data, values), <role>(ctx) → draw}.
"use strict";
window.LiveRecipes = window.LiveRecipes || {};

const Live = (() => {
  const post = (type, extra) =>
    window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*");
  let args = null, recipe = null, data = null, pristine = null, gd = null;
  let values = {}, own = {}, results = null, drawnFigure = null, reportTimer = null;
  let pending = null;  // a render that came while plotly.js was still loading

  // --- formatting shared by the recipes (Python's format specs, so texts read the same) ---
  function fmtG(x, p = 6) {  // Python's format(x, f".{p}g")
    if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    if (x === 0) return "0";
    const e = Number(x.toExponential(p - 1).split("e")[1]);
    if (e < -4 || e >= p) return fmtE(x, p - 1, true);
    return strip(x.toFixed(Math.max(0, p - 1 - e)));
  }
  function fmtE(x, d, trim = false) {  // Python's f".{d}e" (two-digit exponent)
    let [m, e] = x.toExponential(d).split("e");
    if (trim) m = strip(m);
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  function strip(s) { return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s; }
  function pyFloat(x) {  // repr(float): shortest digits, exponent below 1e-4 and from 1e16
    const a = Math.abs(x);
    if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
      const [m, e] = x.toExponential().split("e");
      return `${m}e${e[0]}${e.slice(1).padStart(2, "0")}`;
    }
    return Number.isInteger(x) ? x.toFixed(1) : String(x);
  }
  function wrap(text, chars) {  // textwrap.wrap, joined by <br> (plotly never wraps)
    if (text.length <= chars) return text;
    const lines = [];
    let line = "";
    for (const word of text.split(" ")) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    }
    if (line) lines.push(line);
    return lines.join("<br>");
  }
  const bold = (s) => s.replace(/\*\*(.+?)\*\*/g, "<b>$1</b>");

  // --- the view's own controls ---
  function controlValue(c, input) {
    if (c.options) return c.options[Number(input.value)];
    const decimals = (String(c.step).split(".")[1] || "").length;
    return Number(Number(input.value).toFixed(decimals));
  }
  function buildControls(box) {
    for (const c of args.controls) {
      const wrapper = document.createElement("div");
      wrapper.className = "control";
      const label = document.createElement("label");
      const shown = document.createElement("output");
      label.textContent = c.label;
      if (c.help) label.title = c.help;
      const input = document.createElement("input");
      input.type = "range";
      input.setAttribute("aria-label", c.label);
      if (c.help) input.title = c.help;
      const now = values[c.name];
      if (c.options) {
        input.min = 0; input.max = c.options.length - 1; input.step = 1;
        let best = 0;
        c.options.forEach((o, i) => {
          if (Math.abs(o - now) < Math.abs(c.options[best] - now)) best = i;
        });
        input.value = best;
      } else {
        input.min = c.min; input.max = c.max; input.step = c.step; input.value = now;
      }
      const show = () => {
        shown.textContent = fmtG(controlValue(c, input));
        input.setAttribute("aria-valuetext", shown.textContent);
      };
      show();
      input.addEventListener("input", guarded(() => {
        show();
        own[c.name] = values[c.name] = controlValue(c, input);
        changed(true);
      }));
      own[c.name] = values[c.name] = controlValue(c, input);
      label.appendChild(shown);
      wrapper.append(label, input);
      box.appendChild(wrapper);
    }
  }

  // --- the group: the other live views in this tab's page ---
  function tell(msg) {
    const frames = window.parent.frames;
    for (let i = 0; i < frames.length; i++) {
      if (frames[i] !== window) frames[i].postMessage(Object.assign({vxLive: args.group}, msg), "*");
    }
  }
  function hub() { return typeof recipe.compute === "function" && args.role === recipe.hub; }

  // The hub computes what the views need now (recipe.compute), tells them, then completes the
  // rest in idle slices (recipe.more → fuller results, or null when done).
  let moreTimer = null;
  function recompute() {
    results = recipe.compute(data, values, results);
    tell({values: own, results});
    draw();
    clearTimeout(moreTimer);
    const more = guarded(() => {
      const fuller = recipe.more ? recipe.more(data, values, results) : null;
      if (!fuller) return;
      results = fuller;
      tell({values: own, results});
      draw();
      moreTimer = setTimeout(more, 0);
    });
    moreTimer = setTimeout(more, 0);
  }

  function changed(fromUser) {
    if (hub()) recompute();
    else { tell({values: own}); draw(); }
    if (fromUser) {
      clearTimeout(reportTimer);  // one rerun per gesture, not per step
      reportTimer = setTimeout(report, 400);
    }
  }

  // The server puts the values in the URL (to_url) for the page's later runs; the address bar is
  // set here too, at once and again for 5 s: Streamlit can leave it behind (or push an older
  // query string) while the reruns of two views' reports overlap.
  function report() {
    post("streamlit:setComponentValue", {value: Object.assign({}, own), dataType: "json"});
    for (let k = 0; k <= 10; k++) setTimeout(ownAddress, 500 * k);  // over the reruns' own pushes
  }
  function ownAddress() {
    try {
      const url = new URL(window.parent.location.href);
      for (const c of args.controls) {
        const v = own[c.name];
        url.searchParams.set(c.url, c.options ? c.texts[c.options.indexOf(v)] : pyFloat(v));
      }
      if (url.href !== window.parent.location.href)
        window.parent.history.replaceState(window.parent.history.state, "", url.href);
    } catch (e) { /* the page is on another origin: the server's URL update still comes */ }
  }

  // A recipe that throws leaves its view as it was and says so, instead of failing silently.
  function guarded(fn) {
    return (...a) => {
      try { return fn(...a); } catch (e) {
        document.getElementById("notes").innerHTML =
          `<div class='error'>This view could not redraw (${String(e.message || e)}); reload the page.</div>`;
        resize();
        return undefined;
      }
    };
  }

  window.addEventListener("message", guarded((ev) => {
    const m = ev.data || {};
    if (m.type === "streamlit:render") {
      if (document.readyState === "complete") return render(m.args);
      pending = m.args;  // plotly.js and the recipes are still loading
      return;
    }
    if (m.vxLive !== (args && args.group) || ev.source === window) return;
    if (m.hello) { if (hub() && results) tell({values: own, results}); return; }
    if (m.values) Object.assign(values, m.values);
    if (m.results) results = m.results;
    if (hub() && m.values) recompute();  // another view's control (τ, …) may need more
    else draw();
  }));

  // --- drawing: only when on screen (a view scrolled away redraws when it comes back), and
  // only when what it shows changed ---
  function setPath(obj, path, value) {
    const keys = path.split(".");
    let o = obj;
    for (const k of keys.slice(0, -1)) o = o[k] = (o[k] === undefined ? {} : o[k]);
    o[keys[keys.length - 1]] = value;
  }
  // plotly.js (4.8 MB) is parsed only by views that come into sight: a page of five views
  // used to parse it five times before its first chart, and a view below the fold draws later.
  let onScreen = null, stale = false, shown = null, unpainted = false, plotlyLoading = null;
  function withPlotly(fn, tries = 3) {
    if (window.Plotly) return void fn();
    plotlyLoading = plotlyLoading || new Promise((done, fail) => {
      const tag = document.createElement("script");
      tag.src = args.plotly || "plotly.min.js";  // the app's static copy, cached by the browser
      tag.onload = done;
      tag.onerror = () => { tag.remove(); fail(new Error("plotly.js did not load")); };
      document.head.appendChild(tag);
    });
    // A busy server can drop one request: try again before showing the failure.
    plotlyLoading.then(guarded(fn), (e) => {
      plotlyLoading = null;
      if (tries > 1) setTimeout(() => withPlotly(fn, tries - 1), 1000);
      else guarded(() => { throw e; })();
    });
  }
  function paintPristine() {  // the server's figure, once this view is on screen
    if (!gd || !unpainted || onScreen !== true) return;
    unpainted = false;
    const fig = pristine;
    withPlotly(() => Plotly.react(gd, structuredClone(fig.data), structuredClone(fig.layout),
                                  config()));
  }
  function draw() {
    const painter = recipe[args.role];
    if (!painter || !results) return;
    if (onScreen !== true) { stale = true; return; }
    stale = false;
    const out = painter({values, results, data, args, template: pristine, fmtG, fmtE, pyFloat,
                         wrap, bold, redraw: guarded(draw),  // for a painter waiting on a fetch
                         fail: guarded((e) => { throw e; })});
    if (!out) return;  // the results do not cover this view yet
    const key = JSON.stringify(out);
    if (key === shown) return;
    shown = key;
    if (gd && (out.traces || out.layout)) {
      const fig = structuredClone(pristine);
      for (const [i, patch] of Object.entries(out.traces || {}))
        for (const [path, v] of Object.entries(patch)) setPath(fig.data[i], path, v);
      for (const [path, v] of Object.entries(out.layout || {})) setPath(fig.layout, path, v);
      unpainted = false;  // this full figure replaces the server's
      if (fig.layout.height) gd.style.minHeight = `${fig.layout.height}px`;  // a frame's own size
      withPlotly(() => Plotly.react(gd, fig.data, fig.layout, config()));
    }
    if (out.html !== undefined) document.getElementById("text").innerHTML = out.html;
    if (out.notes !== undefined) document.getElementById("notes").innerHTML = out.notes;
    resize();
  }
  function watchScreen() {
    new IntersectionObserver((entries) => {
      onScreen = entries[entries.length - 1].isIntersecting;
      if (!onScreen) return;
      paintPristine();
      if (stale) draw();
    }).observe(document.body);
  }
  function config() {
    return {responsive: true, displaylogo: false,
            toImageButtonOptions: {format: "svg", filename: args.filename}};
  }
  function download(format) {
    withPlotly(() => Plotly.downloadImage(gd, {format, filename: args.filename,
                                               width: gd.offsetWidth, height: gd.offsetHeight,
                                               scale: format === "png" ? 2 : 1}));
  }
  function resize() { post("streamlit:setFrameHeight", {height: document.body.scrollHeight + 2}); }

  // After the first render the browser owns the values (the server only hears them, late);
  // a new figure from the server (presentation mode, …) is adopted and redrawn with them.
  // New data from the server (a Streamlit widget beside the view changed) is adopted too.
  function render(a) {
    if (args !== null) {
      document.body.classList.toggle("present", Boolean(a.present));
      const newData = a.data !== args.data;
      if (a.figure && a.figure !== drawnFigure) { adopt(a.figure); shown = null; }
      if (newData) {
        args = Object.assign({}, args, {data: a.data});
        data = decode(a);
        if (hub()) return recompute();
      }
      return draw();
    }
    args = a;
    recipe = window.LiveRecipes[a.recipe];
    data = decode(a);
    values = Object.assign({}, a.values);
    document.body.classList.toggle("present", Boolean(a.present));  // presentation mode's sizes
    buildControls(document.getElementById("controls"));
    if (a.figure) {
      gd = document.getElementById("figure");
      document.getElementById("downloads").hidden = false;
      for (const b of document.querySelectorAll("#downloads button"))
        b.addEventListener("click", () => download(b.dataset.format));
      adopt(a.figure);
    }
    new ResizeObserver(resize).observe(document.body);
    watchScreen();
    if (hub()) recompute();
    else tell({hello: true});
    resize();
  }
  function decode(a) {
    const out = JSON.parse(a.data || "{}");
    for (const [k, v] of Object.entries(a)) {
      if (k.startsWith("blob_")) out[k.slice(5)] = new Float32Array(v.slice().buffer);
    }
    return out;
  }
  function adopt(figure) {
    pristine = JSON.parse(figure);
    drawnFigure = figure;
    gd.style.minHeight = `${pristine.layout.height || 450}px`;  // its size before it is drawn
    unpainted = true;
    paintPristine();
  }

  window.addEventListener("load", () => { if (pending) render(pending); pending = null; });
  post("streamlit:componentReady", {apiVersion: 1});
  return {fmtG, fmtE, pyFloat, wrap, bold};
})();
