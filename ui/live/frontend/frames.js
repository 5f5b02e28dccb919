// A slider through frames the server drew once (ui/live/frames.py): the set's index.json lists,
// per value, its picture (a static file) and the size and ticks that go with it, so a move swaps
// them here with no server round trip. The server draws a set in the background: until its index
// is there (fetched again every second) the view keeps the server's figure and says so. plotly.js
// sizes an image trace from a data URI it can read at once, so each picture is fetched (once: the
// browser caches it) and kept as one; all are fetched in idle time from the view's first render
// on (on screen or not), so the first move to a value is as quick as the next.
"use strict";
(() => {
  const uris = new Map();  // picture → its data URI, or the promise of it
  const later = (fn) => (window.requestIdleCallback ? requestIdleCallback(fn) : setTimeout(fn, 50));
  const WAITING = "<div class='caption'>Drawing the other frames of this slider once for the " +
                  "class… the figure follows the slider as soon as they are ready.</div>";

  function load(url) {
    if (!uris.has(url)) {
      uris.set(url, fetch(url)
        .then((r) => { if (!r.ok) throw new Error(`frame ${url}: HTTP ${r.status}`); return r.blob(); })
        .then((blob) => new Promise((done, fail) => {
          const reader = new FileReader();
          reader.onload = () => done(reader.result);
          reader.onerror = () => fail(reader.error);
          reader.readAsDataURL(blob);
        }))
        .then((uri) => { uris.set(url, uri); return uri; },
              (e) => { uris.delete(url); throw e; }));  // a later move tries again
    }
    return uris.get(url);
  }

  // A set's index: 404 until the server has drawn it, so asked again every second (3 minutes).
  const indexes = new Map();  // index URL → the promise of it
  const loaded = new Map();  // index URL → the index, once here
  function fetchIndex(url) {
    if (!indexes.has(url)) {
      indexes.set(url, new Promise((done, fail) => {
        let tries = 180;
        const again = () => fetch(url, {cache: "no-cache"})
          .then((r) => (r.ok ? r.json() : null), () => null)
          .then((got) => {
            if (got) done(got);
            else if (--tries > 0) setTimeout(again, 1000);
            else fail(new Error("the frames of this slider were not drawn; reload the page"));
          });
        again();
      }));
      indexes.get(url).then((got) => { loaded.set(url, got); later(() => prefetch(got.patches)); },
                            () => null);
    }
    return indexes.get(url);
  }
  function prefetch(patches) {
    const todo = patches.map((p) => p.source);
    const next = () => {
      const url = todo.shift();
      if (url !== undefined) Promise.resolve(load(url)).catch(() => null).then(() => later(next));
    };
    later(next);
  }

  window.LiveRecipes.frames = {
    hub: "view",

    compute(data, values) {  // the frame of the control's value (the nearest one)
      fetchIndex(data.index);  // from the first render on, on screen or not: the first move is quick
      const v = values[data.control];
      let best = 0;
      data.values.forEach((o, i) => {
        if (Math.abs(o - v) < Math.abs(data.values[best] - v)) best = i;
      });
      return {at: best};
    },

    view(ctx) {
      const index = loaded.get(ctx.data.index);
      if (!index) {  // the server's figure stays; after a move, say why it does not follow yet
        fetchIndex(ctx.data.index).then(() => ctx.redraw(), (e) => ctx.fail(e));
        const moved = Object.keys(ctx.values).some((k) => ctx.values[k] !== ctx.args.values[k]);
        return moved ? {notes: WAITING} : null;
      }
      const patch = index.patches[ctx.results.at];
      const uri = uris.get(patch.source);
      if (typeof uri !== "string") {  // not here yet: the view keeps its frame until it is
        load(patch.source).then(() => ctx.redraw(), (e) => ctx.fail(e));
        return null;
      }
      const layout = {};
      for (const [path, value] of Object.entries(patch.layout))
        if (value !== null && value !== undefined) layout[path] = value;
      return {traces: {0: {source: uri}}, layout, notes: ""};
    },
  };
})();
