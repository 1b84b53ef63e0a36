// The demo page of a keras_wgan generator (written by `keras-wgan demo`): loads the ONNX
// file with onnxruntime-web and shows its samples. Hand-written, no build step: the page
// loads `ort` (onnxruntime-web's script) first, then this file.
//
// config.json (written by keras_wgan.demo) holds the model's record and the first grid's
// two latent batches, z and z_end, drawn in Python; the slider walks from one to the other
// by spherical interpolation, row by row. "New samples" draws both anew here.
//
// The URL's query may set the first state: ?t=0.5 (the slider), ?class=3 (the class
// picker), ?check=1 (#result then holds the values drawn, for scripted checks).

"use strict";

const query = new URLSearchParams(window.location.search);
const $ = (id) => document.getElementById(id);

function report(state) {
  $("result").textContent = JSON.stringify(state);
}

function fail(message) {
  $("status").textContent = message;
  $("status").className = "error";
  report({ state: "error", message: message });
}

// z at t on the great circle from a to b (Shoemake's slerp), for each row; rows that are
// (anti)parallel are interpolated linearly. Computed in float64, stored as float32.
function slerp(a, b, t, rows, dim) {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let dot = 0, na = 0, nb = 0;
    for (let k = 0; k < dim; k++) {
      dot += a[o + k] * b[o + k];
      na += a[o + k] * a[o + k];
      nb += b[o + k] * b[o + k];
    }
    const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
    const omega = Math.acos(cos);
    let wa = 1 - t, wb = t;
    if (Math.sin(omega) > 1e-6) {
      wa = Math.sin((1 - t) * omega) / Math.sin(omega);
      wb = Math.sin(t * omega) / Math.sin(omega);
    }
    for (let k = 0; k < dim; k++) {
      out[o + k] = t === 0 ? a[o + k] : t === 1 ? b[o + k] : wa * a[o + k] + wb * b[o + k];
    }
  }
  return out;
}

// Standard normal values (Box-Muller on the browser's random numbers).
function normal(count) {
  const out = new Float32Array(count);
  const u = new Uint32Array(2);
  for (let i = 0; i < count; i++) {
    crypto.getRandomValues(u);
    const u1 = (u[0] + 1) / 4294967297, u2 = u[1] / 4294967296;
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}

function drawImages(canvas, pixels, config) {
  const [h, w, c] = config.record.sample_shape;
  const cols = config.columns, rows = Math.ceil(config.num / cols);
  const width = cols * (w + 1) + 1, height = rows * (h + 1) + 1;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  image.data.fill(255);  // the gaps: white
  for (let i = 0; i < config.num; i++) {
    const x0 = 1 + (i % cols) * (w + 1), y0 = 1 + Math.floor(i / cols) * (h + 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((i * h + y) * w + x) * c, dst = ((y0 + y) * width + x0 + x) * 4;
        for (let k = 0; k < 3; k++) image.data[dst + k] = pixels[src + (c === 1 ? 0 : k)];
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  // Scaled up by an integer factor, without smoothing (the canvas keeps the true pixels).
  const room = Math.min(900, Math.max(240, document.documentElement.clientWidth - 60));
  const scale = Math.max(1, Math.floor(Math.min(room / width, 560 / height)));
  canvas.style.width = width * scale + "px";
  canvas.style.height = height * scale + "px";
  return { width: width, height: height, rgba: Array.from(ctx.getImageData(0, 0, width, height).data) };
}

// The q-quantile of finite values (sorted copy).
function quantile(values, q) {
  const sorted = values.filter(Number.isFinite).sort((u, v) => u - v);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

function drawPoints(canvas, samples, config, view) {
  const size = 480, dim = config.record.sample_shape[0];
  canvas.width = canvas.height = size;
  canvas.style.width = canvas.style.height = size + "px";
  const ctx = canvas.getContext("2d");
  const xs = [], ys = [];
  for (let i = 0; i < config.num; i++) {
    xs.push(samples[i * dim]);
    ys.push(dim > 1 ? samples[i * dim + 1] : 0);
  }
  if (view.half === undefined) {
    // A square around the first grid's 1st to 99th percentiles, fixed from then on so that
    // the slider's walk shows (a few far points may fall outside).
    const bounds = [xs, ys].map((v) => [quantile(v, 0.01), quantile(v, 0.99)]);
    view.cx = (bounds[0][0] + bounds[0][1]) / 2;
    view.cy = (bounds[1][0] + bounds[1][1]) / 2;
    view.half = 0.6 * Math.max(1e-6, bounds[0][1] - bounds[0][0], bounds[1][1] - bounds[1][0]);
  }
  const px = (v, c) => size / 2 + ((v - c) / view.half) * (size / 2);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#ccc";  // the axes x = 0 and y = 0
  ctx.beginPath();
  ctx.moveTo(0, size - px(0, view.cy)); ctx.lineTo(size, size - px(0, view.cy));
  ctx.moveTo(px(0, view.cx), 0); ctx.lineTo(px(0, view.cx), size);
  ctx.stroke();
  ctx.fillStyle = "#1f5fa8";
  for (let i = 0; i < xs.length; i++) {
    ctx.beginPath();
    ctx.arc(px(xs[i], view.cx), size - px(ys[i], view.cy), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  return { samples: Array.from(samples) };
}

function drawText(pre, tokens, dims, config) {
  const [n, length] = dims, vocabulary = config.record.vocabulary;
  const lines = [];
  for (let i = 0; i < n; i++) {
    let line = "";
    for (let j = 0; j < length; j++) line += vocabulary[tokens[i * length + j]];
    lines.push(line);
  }
  pre.textContent = lines.join("\n");
  return { lines: lines };
}

async function main() {
  if (typeof ort === "undefined") {
    fail("onnxruntime-web did not load from " + $("runtime").src +
         " (offline? Serve a local copy: see the Deploying guide, --runtime-url).");
    return;
  }
  const config = await (await fetch("config.json")).json();
  const record = config.record, num = config.num, dim = record.latent_dim;
  if (!self.crossOriginIsolated) ort.env.wasm.numThreads = 1;  // no SharedArrayBuffer
  const session = await ort.InferenceSession.create(config.model, { executionProviders: ["wasm"] });

  const state = {
    a: Float32Array.from(config.z.flat()),
    b: Float32Array.from(config.z_end.flat()),
    t: Math.min(1, Math.max(0, Number(query.get("t") || 0))),
    renders: 0,
    view: {},
  };
  const slider = $("slider"), picker = $("class");
  slider.value = state.t;
  if (record.num_classes) {
    for (let k = 0; k < record.num_classes; k++) picker.add(new Option("class " + k, String(k)));
    picker.value = query.get("class") || "all";
    if (picker.value === "") picker.value = "all";
    $("class-label").hidden = false;
  }

  function labels() {
    const out = new Int32Array(num);
    for (let i = 0; i < num; i++) {
      out[i] = picker.value === "all" ? config.labels[i] : Number(picker.value);
    }
    return out;
  }

  let busy = false, again = false;
  async function render() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const t = state.t;
        $("t").textContent = t.toFixed(2);
        const feeds = { z: new ort.Tensor("float32", slerp(state.a, state.b, t, num, dim), [num, dim]) };
        const chosen = record.num_classes ? labels() : null;
        if (chosen) feeds.labels = new ort.Tensor("int32", chosen, [num]);
        const out = await session.run(feeds);
        let drawn;
        if (record.kind === "images") {
          drawn = drawImages($("canvas"), out.images_uint8.data, config);
        } else if (record.kind === "text") {
          drawn = drawText($("text"), out.tokens.data, out.tokens.dims, config);
        } else {
          drawn = drawPoints($("canvas"), out.samples.data, config, state.view);
        }
        state.renders += 1;
        const result = { state: "ready", renders: state.renders, kind: record.kind, t: t,
                         labels: chosen ? Array.from(chosen) : null };
        report(query.get("check") ? Object.assign(result, drawn) : result);
      } while (again);
      $("status").textContent = "";
    } catch (error) {
      fail("The model did not run: " + error);
    } finally {
      busy = false;
    }
  }

  $("new").onclick = () => {
    state.a = normal(num * dim);
    state.b = normal(num * dim);
    state.t = 0;
    slider.value = 0;
    render();
  };
  slider.oninput = () => { state.t = Number(slider.value); render(); };
  picker.onchange = render;
  $("new").disabled = false;
  slider.disabled = false;
  await render();
}

main().catch((error) => fail("The demo did not start: " + error));
