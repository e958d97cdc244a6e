// Generates tests/data/golden_tfjs.json: reference cases for the elman SimpleRNN port.
//
// Engine: TensorFlow.js (tfjs-core + tfjs-layers + tfjs-backend-cpu, pure JS CPU
// backend, no native add-on). Expected values follow TF 2.4 tf.keras semantics;
// where tfjs-layers differs from TF 2.4 (see docs/keras-semantics.md#differences and README.md
// next to this file) the expected values are post-processed or produced by an
// explicit tfjs-ops recurrence, and every such case says so in its "note".
//
// Usage: cd tools/golden && npm ci && node generate.mjs [output-path]
// Deterministic: all random numbers come from a seeded mulberry32 PRNG (seed
// derived from the case name), so two runs produce byte-identical JSON.

import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import path from 'path';
import fs from 'fs';
import { fnv1a, mulberry32, uniform } from '../common/prng.mjs';
import { tfjsCpu } from '../common/tfjs_cpu.mjs';
import { tfActivations } from '../common/tfjs_activations.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

const { tf, tfl } = await tfjsCpu(require);

const OUT = process.argv[2] ? path.resolve(process.argv[2])
  : path.resolve(here, '../../tests/data/golden_tfjs.json');

function pkgVersion(name) {
  const p = path.join(here, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(p, 'utf8')).version;
}

// ---------------------------------------------------------------------------
// Deterministic PRNG (tools/common/prng.mjs): the seed of every case stream
// ---------------------------------------------------------------------------
const GLOBAL_SEED = 20240601;

// ---------------------------------------------------------------------------
// Exact (double precision) special functions for the ops-recurrence path
// ---------------------------------------------------------------------------
const SQRT_PI = Math.sqrt(Math.PI);
// erf by Maclaurin series (|x| < 2.5, ~1e-15 absolute)
function erfSeries(x) {
  let sum = 0, term = x, n = 0;
  const x2 = x * x;
  while (true) {
    const contrib = term / (2 * n + 1);
    sum += contrib;
    if (Math.abs(contrib) < 1e-17 * Math.abs(sum)) break;
    ++n;
    term *= -x2 / n;
    if (n > 200) throw new Error('erf series did not converge');
  }
  return 2 / SQRT_PI * sum;
}
// erfc for x >= 2.5 by the Laplace continued fraction, evaluated backwards.
function erfcCF(x) {
  let k = x;
  for (let n = 120; n >= 1; --n) k = x + (n / 2) / k;
  return Math.exp(-x * x) / (SQRT_PI * k);
}
function erfc(x) {
  if (x >= 2.5) return erfcCF(x);
  if (x <= -2.5) return 2 - erfcCF(-x);
  return 1 - erfSeries(x);
}
function erf(x) {
  if (Math.abs(x) < 2.5) return erfSeries(x);
  return x > 0 ? 1 - erfcCF(x) : erfcCF(-x) - 1;
}
// Self-check against high-precision reference values.
for (const [x, v] of [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
                      [-1.5, -0.9661051464753108]]) {
  if (Math.abs(erf(x) - v) > 1e-15) throw new Error(`erf(${x}) self-check failed: ${erf(x)}`);
}
for (const [x, v] of [[2.5, 4.069520174449590e-04], [3, 2.209049699858544e-05], [4, 1.541725790028002e-08],
                      [1, 0.15729920705028513]]) {
  if (Math.abs(erfc(x) - v) > 1e-14 * v) throw new Error(`erfc(${x}) self-check failed: ${erfc(x)}`);
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

// TF 2.4 activation definitions in double precision, on a [B,U] row-major array.
const JS_ACT = {
  linear: (z) => z,
  tanh: (z) => Math.tanh(z),
  relu: (z) => (z > 0 ? z : 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  hard_sigmoid: (z) => Math.min(1, Math.max(0, 0.2 * z + 0.5)),
  elu: (z) => (z > 0 ? z : Math.expm1(z)),
  selu: (z) => (z > 0 ? SELU_SCALE * z : SELU_SCALE * SELU_ALPHA * Math.expm1(z)),
  softplus: (z) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))),
  softsign: (z) => z / (1 + Math.abs(z)),
  swish: (z) => z / (1 + Math.exp(-z)),
  gelu: (z) => 0.5 * z * erfc(-z / Math.SQRT2),
  exponential: (z) => Math.exp(z),
};
function jsActivation(name, z, B, U) {
  const out = new Float32Array(B * U);
  if (name === 'softmax') {
    for (let b = 0; b < B; ++b) {
      let mx = -Infinity;
      for (let j = 0; j < U; ++j) mx = Math.max(mx, z[b * U + j]);
      let s = 0;
      const e = new Array(U);
      for (let j = 0; j < U; ++j) { e[j] = Math.exp(z[b * U + j] - mx); s += e[j]; }
      for (let j = 0; j < U; ++j) out[b * U + j] = Math.fround(e[j] / s);
    }
    return out;
  }
  const f = JS_ACT[name];
  if (!f) throw new Error(`no JS activation ${name}`);
  for (let i = 0; i < z.length; ++i) out[i] = Math.fround(f(z[i]));
  return out;
}

const TF_ACT = tfActivations(tf);

// Keras name -> tfjs-layers activation identifier, or null when the case must come
// from the ops recurrence (tfjs lacks it, or tfjs' numerics are not TF 2.4's).
const TFJS_LAYER_ACTIVATION = {
  linear: 'linear', tanh: 'tanh', relu: 'relu', sigmoid: 'sigmoid',
  hard_sigmoid: 'hardSigmoid', // tfjs: clip(0.2x+0.5,0,1) == TF 2.4; only the name differs
  elu: 'elu', selu: 'selu', softplus: 'softplus', softsign: 'softsign',
  swish: 'swish',              // tfjs: sigmoid(x)*x == TF 2.4 silu
  softmax: 'softmax',          // tfjs: softmax over last axis (units) == TF 2.4
  gelu: null,                  // tfjs: erf form but tf.erf is the A&S 7.1.26 approximation (|err| <= 1.5e-7)
  exponential: null,           // tfjs-layers has no 'exponential' activation
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------
function T(shape, data) {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`tensor data length ${data.length} != ${n} for shape ${shape}`);
  const arr = Array.from(data, (v) => {
    if (!Number.isFinite(v)) throw new Error('non-finite value in tensor');
    return v === 0 ? 0 : v; // normalise -0
  });
  return { shape: shape.slice(), data: arr };
}
function allZero(a) { for (const v of a) if (v !== 0) return false; return true; }
function maxRelDiff(a, b) {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]), Math.abs(b[i])));
  return m;
}
function assertClose(a, b, tol, what) {
  const d = maxRelDiff(a, b);
  if (!(d <= tol)) throw new Error(`${what}: max rel diff ${d} > ${tol}`);
  return d;
}
function assertEqualArr(a, b, what) {
  if (a.length !== b.length) throw new Error(`${what}: length mismatch`);
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) throw new Error(`${what}: differs at ${i}: ${a[i]} vs ${b[i]}`);
}

// ---------------------------------------------------------------------------
// Ops recurrence with TF 2.4 semantics (docs/keras-semantics.md#forward-loop): tfjs matMul/add for the
// pre-activation, activation either as tfjs ops ('tf') or in double ('js').
// Masked steps: select; output carry starts at ZERO; state carry at h0.
// ---------------------------------------------------------------------------
function opsRecurrence({ W, Uk, bias, x, mask, h0, B, Tn, F, U, goBackwards, act, actMode }) {
  const Wt = tf.tensor2d(W, [F, U]);
  const Ut = tf.tensor2d(Uk, [U, U]);
  const bt = bias ? tf.tensor1d(bias) : null;
  let h = Float32Array.from(h0);
  let y = new Float32Array(B * U);
  const seq = new Float32Array(B * Tn * U);
  for (let p = 0; p < Tn; ++p) {
    const s = goBackwards ? Tn - 1 - p : p;
    const xt = new Float32Array(B * F);
    for (let b = 0; b < B; ++b) for (let f = 0; f < F; ++f) xt[b * F + f] = x[(b * Tn + s) * F + f];
    const c = tf.tidy(() => {
      let z = tf.fused.matMul({ a: tf.tensor2d(xt, [B, F]), b: Wt });
      if (bt) z = tf.add(z, tf.reshape(bt, [1, U]));
      z = tf.add(z, tf.fused.matMul({ a: tf.tensor2d(h, [B, U]), b: Ut }));
      if (actMode === 'tf') return TF_ACT[act](z);
      return z;
    });
    let cv = c.dataSync().slice();
    c.dispose();
    if (actMode === 'js') cv = jsActivation(act, cv, B, U);
    for (let b = 0; b < B; ++b) {
      const m = mask ? mask[b * Tn + s] !== 0 : true;
      if (m) for (let j = 0; j < U; ++j) { h[b * U + j] = cv[b * U + j]; y[b * U + j] = cv[b * U + j]; }
      for (let j = 0; j < U; ++j) seq[(b * Tn + p) * U + j] = y[b * U + j];
    }
  }
  Wt.dispose(); Ut.dispose(); if (bt) bt.dispose();
  return { seq, last: y, state: h };
}

// ---------------------------------------------------------------------------
// Mask patterns ([B,T], source order)
// ---------------------------------------------------------------------------
function makeMask(pattern, B, Tn, rng) {
  const m = new Float32Array(B * Tn).fill(1);
  const set0 = (b, t) => { m[b * Tn + t] = 0; };
  switch (pattern) {
    case 'all_ones': break;
    case 'random':
      for (let i = 0; i < B * Tn; ++i) m[i] = rng() < 0.6 ? 1 : 0;
      break;
    case 'leading': { // row b: first k_b steps masked
      const ks = [2, 0, Tn - 2, 1];
      for (let b = 0; b < B; ++b) for (let t = 0; t < ks[b % ks.length]; ++t) set0(b, t);
      break;
    }
    case 'trailing': {
      const ks = [2, 0, Tn - 2, 1];
      for (let b = 0; b < B; ++b) for (let t = Tn - ks[b % ks.length]; t < Tn; ++t) set0(b, t);
      break;
    }
    case 'middle': {
      const ranges = [[2, 4], [1, Tn - 1], [3, 4], [1, 2]];
      for (let b = 0; b < B; ++b) { const [lo, hi] = ranges[b % ranges.length]; for (let t = lo; t < hi; ++t) set0(b, t); }
      break;
    }
    case 'fully_masked_rows': { // row 1 fully masked, row 0 all ones, others random
      for (let b = 0; b < B; ++b) {
        for (let t = 0; t < Tn; ++t) {
          if (b === 1) set0(b, t);
          else if (b >= 2) m[b * Tn + t] = rng() < 0.6 ? 1 : 0;
        }
      }
      break;
    }
    case 'all_zeros': m.fill(0); break;
    default: throw new Error(`unknown mask pattern ${pattern}`);
  }
  return m;
}

// ---------------------------------------------------------------------------
// Case runner
// ---------------------------------------------------------------------------
const DEFAULT_SCALES = { kernel: 1.0, recurrent: 1.0, bias: 0.5, input: 1.5, state: 0.9 };

const verification = { layerVsOpsTf: 0, layerVsOpsJs: {}, tfjsGeluVsExact: 0, maskAdjusted: [], stateIgnored: [] };

// tfjs masked step output = previous STATE; TF 2.4 = previous OUTPUT with the
// output carry starting at zero. They differ only before a row's first unmasked
// processing step (and for an all-masked row's last output), where tfjs shows the
// initial state and TF 2.4 shows 0. Returns the TF 2.4 output and the positions changed.
function tf24MaskAdjust(out, mask, h0, B, Tn, U, cfg, what) {
  const res = Float32Array.from(out);
  const positions = [];
  if (!mask) return { out: res, positions };
  for (let b = 0; b < B; ++b) {
    let p0 = Tn; // first unmasked processing step
    for (let p = 0; p < Tn; ++p) {
      const s = cfg.go_backwards ? Tn - 1 - p : p;
      if (mask[b * Tn + s] !== 0) { p0 = p; break; }
    }
    const hrow = h0.subarray(b * U, (b + 1) * U);
    if (cfg.return_sequences) {
      for (let p = 0; p < p0; ++p) {
        const off = (b * Tn + p) * U;
        // verify the documented tfjs behaviour: output there == carried (initial) state
        assertEqualArr(out.subarray(off, off + U), hrow, `${what}: tfjs masked output != initial state`);
        if (!allZero(hrow)) { for (let j = 0; j < U; ++j) res[off + j] = 0; positions.push(`[${b},${p}]`); }
      }
    } else if (p0 === Tn) {
      assertEqualArr(out.subarray(b * U, (b + 1) * U), hrow, `${what}: tfjs all-masked last output != initial state`);
      if (!allZero(hrow)) { for (let j = 0; j < U; ++j) res[b * U + j] = 0; positions.push(`[${b}]`); }
    }
  }
  return { out: res, positions };
}

function runCase(spec) {
  const cfg = Object.assign({ units: 4, activation: 'tanh', use_bias: true, return_sequences: false,
    return_state: false, go_backwards: false, stateful: false }, spec.config);
  const B = spec.B ?? 2, F = spec.F ?? 3, U = cfg.units;
  const sc = Object.assign({}, DEFAULT_SCALES, spec.scales || {});
  const rng = mulberry32(fnv1a(spec.name) ^ GLOBAL_SEED);

  const W = uniform(rng, F * U, -sc.kernel, sc.kernel);
  const rlim = sc.recurrent / Math.sqrt(U);
  const Uk = uniform(rng, U * U, -rlim, rlim);
  const bias = cfg.use_bias ? uniform(rng, U, -sc.bias, sc.bias) : null;

  const tfjsAct = TFJS_LAYER_ACTIVATION[cfg.activation];
  if (tfjsAct === undefined) throw new Error(`unknown activation ${cfg.activation}`);
  const useLayer = tfjsAct !== null;
  if (!useLayer && cfg.stateful) throw new Error('stateful ops-path cases not supported');

  // --- tfjs layers (main + twin for the final state when return_state is false)
  let layer = null, twin = null;
  const mkLayer = (returnState) => {
    const args = {
      units: U, activation: tfjsAct, useBias: cfg.use_bias,
      returnSequences: cfg.return_sequences, returnState, goBackwards: cfg.go_backwards,
      stateful: cfg.stateful,
      // zeros: we overwrite the weights anyway (tfjs' orthogonal initializer needs chained ops)
      kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros',
    };
    if (cfg.stateful) args.batchInputShape = [B, null, F];
    const l = tfl.layers.simpleRNN(args);
    l.apply(cfg.stateful ? tfl.input({ batchShape: [B, null, F] }) : tfl.input({ shape: [null, F] }));
    const names = l.weights.map((w) => w.name.split('/').pop().replace(/_\d+$/, ''));
    const expectNames = cfg.use_bias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'];
    if (JSON.stringify(names) !== JSON.stringify(expectNames)) throw new Error(`unexpected tfjs weight order ${names}`);
    const ws = [tf.tensor2d(W, [F, U]), tf.tensor2d(Uk, [U, U])];
    if (bias) ws.push(tf.tensor1d(bias));
    l.weights.forEach((w, i) => { if (JSON.stringify(w.shape) !== JSON.stringify(ws[i].shape)) throw new Error('weight shape'); });
    l.setWeights(ws);
    ws.forEach((t) => t.dispose());
    return l;
  };
  if (useLayer) {
    layer = mkLayer(cfg.return_state);
    if (!cfg.return_state && !cfg.stateful) twin = mkLayer(true);
  }

  let buffer = cfg.stateful ? new Float32Array(B * U) : null; // TF 2.4 stored state (tracked)
  const steps = [];
  const notes = [];
  let adjustedAny = false;

  for (const [si, st] of spec.steps.entries()) {
    if (st.op === 'reset_states') {
      if (!cfg.stateful) throw new Error('reset_states on non-stateful');
      if (st.values) {
        const vals = st.values === 'zeros' ? new Float32Array(B * U) : uniform(rng, B * U, -sc.state, sc.state);
        const t = tf.tensor2d(vals, [B, U]);
        layer.resetStates(t);
        t.dispose();
        buffer = Float32Array.from(vals);
        steps.push({ op: 'reset_states', states: T([B, U], vals) });
      } else {
        layer.resetStates();
        buffer = new Float32Array(B * U);
        steps.push({ op: 'reset_states' });
      }
      assertEqualArr(layer.states[0].dataSync(), buffer, `${spec.name}: tfjs stored state after reset`);
      continue;
    }
    // --- call
    const Tn = st.T ?? 5;
    const x = uniform(rng, B * Tn * F, -sc.input, sc.input);
    const mask = st.mask ? makeMask(st.mask, B, Tn, rng) : null;
    const given = st.initial_state ? (st.initial_state === 'zeros' ? new Float32Array(B * U)
      : uniform(rng, B * U, -sc.state, sc.state)) : null;

    // TF 2.4 effective initial state
    let h0, passToTfjs = null, initUsed = null;
    if (cfg.stateful) {
      assertEqualArr(layer.states[0].dataSync(), buffer, `${spec.name}: tfjs stored state before call`);
      if (given && allZero(buffer)) { h0 = given; passToTfjs = given; initUsed = true; }
      else { h0 = buffer; if (given) initUsed = false; }
      if (initUsed === false) {
        notes.push(`steps[${si}]: stored state is non-zero, so TF 2.4 ignores the explicit initial_state (tfjs was called WITHOUT it)`);
        verification.stateIgnored.push(`${spec.name}#${si}`);
      }
      if (initUsed === true) notes.push(`steps[${si}]: stored state is all zero, so TF 2.4 uses the explicit initial_state`);
    } else {
      h0 = given ?? new Float32Array(B * U);
      passToTfjs = given;
    }

    // Reference recurrence (TF 2.4 semantics)
    const ops = opsRecurrence({ W, Uk, bias, x, mask, h0, B, Tn, F, U, goBackwards: cfg.go_backwards,
      act: cfg.activation, actMode: useLayer ? 'tf' : 'js' });

    let expOut, expState, rawOut = null;
    const outShape = cfg.return_sequences ? [B, Tn, U] : [B, U];
    if (useLayer) {
      const xt = tf.tensor3d(x, [B, Tn, F]);
      const kw = {};
      if (mask) kw.mask = tf.tensor2d(mask, [B, Tn]);
      if (passToTfjs) kw.initialState = tf.tensor2d(passToTfjs, [B, U]);
      const res = layer.apply(xt, kw);
      let outT, stateT;
      if (cfg.return_state) { [outT, stateT] = res; } else { outT = res; }
      const out = outT.dataSync().slice();
      if (JSON.stringify(outT.shape) !== JSON.stringify(outShape)) throw new Error(`${spec.name}: output shape ${outT.shape}`);
      let state;
      if (cfg.return_state) state = stateT.dataSync().slice();
      else if (cfg.stateful) state = layer.states[0].dataSync().slice();
      else {
        const r2 = twin.apply(xt, kw);
        assertEqualArr(r2[0].dataSync(), out, `${spec.name}: twin output`);
        state = r2[1].dataSync().slice();
        tf.dispose(r2);
      }
      tf.dispose([xt, kw.mask, kw.initialState, res].filter(Boolean));

      // --- TF 2.4 masking adjustment: before a row's first unmasked step (in
      // processing order) TF 2.4 outputs 0, tfjs outputs the carried state.
      const adj = tf24MaskAdjust(out, mask, h0, B, Tn, U, cfg, spec.name);
      expOut = adj.out;
      const adjustedPos = adj.positions;
      if (adjustedPos.length) {
        rawOut = out;
        adjustedAny = true;
        notes.push(`steps[${si}]: TF 2.4 masking adjustment: expected_output positions ${adjustedPos.join(' ')} ` +
          `(batch,processing-step) set to 0 (TF 2.4 output carry starts at zero; tfjs outputs the carried initial/stored state there); ` +
          `raw tfjs values kept in tfjs_raw_output`);
        verification.maskAdjusted.push(`${spec.name}#${si}`);
      }
      expState = state;
      // cross-check against the independent ops recurrence (TF 2.4 semantics, tfjs activation ops)
      const d1 = assertClose(expOut, cfg.return_sequences ? ops.seq : ops.last, 1e-6, `${spec.name}: layer vs ops output`);
      const d2 = assertClose(expState, ops.state, 1e-6, `${spec.name}: layer vs ops state`);
      verification.layerVsOpsTf = Math.max(verification.layerVsOpsTf, d1, d2);
      // cross-check the double-precision JS activation recurrence (the path used for gelu/exponential)
      if (Tn <= 20) {
        const opsJs = opsRecurrence({ W, Uk, bias, x, mask, h0, B, Tn, F, U, goBackwards: cfg.go_backwards,
          act: cfg.activation, actMode: 'js' });
        const d3 = assertClose(expOut, cfg.return_sequences ? opsJs.seq : opsJs.last, 2e-6, `${spec.name}: layer vs js-ops output`);
        const d4 = assertClose(expState, opsJs.state, 2e-6, `${spec.name}: layer vs js-ops state`);
        const k = cfg.activation;
        verification.layerVsOpsJs[k] = Math.max(verification.layerVsOpsJs[k] ?? 0, d3, d4);
      }
    } else {
      expOut = cfg.return_sequences ? ops.seq : ops.last;
      expState = ops.state;
      if (cfg.activation === 'gelu') {
        // how far the real tfjs layer (gelu via tf.erf approximation) is from the exact result
        const l = tfl.layers.simpleRNN({ units: U, activation: 'gelu', useBias: cfg.use_bias,
          returnSequences: cfg.return_sequences, returnState: true, goBackwards: cfg.go_backwards,
          kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' });
        l.apply(tfl.input({ shape: [null, F] }));
        const ws = [tf.tensor2d(W, [F, U]), tf.tensor2d(Uk, [U, U])];
        if (bias) ws.push(tf.tensor1d(bias));
        l.setWeights(ws);
        const xt = tf.tensor3d(x, [B, Tn, F]);
        const kw = {};
        if (mask) kw.mask = tf.tensor2d(mask, [B, Tn]);
        if (given) kw.initialState = tf.tensor2d(given, [B, U]);
        const [o, s] = l.apply(xt, kw);
        const oAdj = tf24MaskAdjust(o.dataSync(), mask, h0, B, Tn, U, cfg, spec.name).out;
        const dg = Math.max(maxRelDiff(oAdj, cfg.return_sequences ? ops.seq : ops.last),
          maxRelDiff(s.dataSync(), ops.state));
        verification.tfjsGeluVsExact = Math.max(verification.tfjsGeluVsExact, dg);
        if (!(dg < 2e-6)) throw new Error(`tfjs gelu layer too far from exact gelu: ${dg}`);
        tf.dispose([xt, o, s, kw.mask, kw.initialState, ...ws].filter(Boolean));
        l.dispose();
      }
    }

    if (cfg.stateful) buffer = Float32Array.from(expState);

    const step = {
      op: 'call',
      inputs: T([B, Tn, F], x),
      mask: mask ? T([B, Tn], mask) : null,
      initial_state: given ? T([B, U], given) : null,
      expected_output: T(outShape, expOut),
      expected_state: T([B, U], expState),
    };
    if (initUsed !== null) step.tf24_initial_state_used = initUsed;
    if (rawOut) step.tfjs_raw_output = T(outShape, rawOut);
    steps.push(step);
  }

  if (layer) layer.dispose();
  if (twin) twin.dispose();

  let note = spec.note || '';
  if (!useLayer) {
    note += (note ? ' ' : '') + (cfg.activation === 'gelu'
      ? 'Expected values come from the tfjs OPS RECURRENCE (tf.fused.matMul/tf.add for xW+b+hU, activation in double precision, ' +
        'rounded to float32): TF 2.4 gelu is the exact 0.5*z*(1+erf(z/sqrt(2))); tfjs-layers 4.22 gelu uses the same formula but ' +
        'tf.erf is the Abramowitz-Stegun 7.1.26 approximation (abs error <= 1.5e-7), so the exact erf is computed in double instead (the real tfjs gelu layer was run on the same inputs and agrees to < 2e-6, asserted).'
      : 'Expected values come from the tfjs OPS RECURRENCE (tf.fused.matMul/tf.add for xW+b+hU, exp in double precision, ' +
        'rounded to float32): tfjs-layers 4.22 has no \'exponential\' activation.');
  } else if (cfg.activation === 'hard_sigmoid') {
    note += (note ? ' ' : '') + 'tfjs layer activation \'hardSigmoid\' = clip(0.2*z+0.5,0,1), identical to TF 2.4 hard_sigmoid.';
  }
  if (notes.length) note += (note ? ' ' : '') + notes.join('; ') + '.';
  if (!adjustedAny && useLayer && spec.steps.some((s) => s.mask)) {
    note += ' No TF-2.4-vs-tfjs masking adjustment was needed (tfjs output equals TF 2.4 here).';
  }
  return {
    name: spec.name,
    category: spec.category,
    note: note.trim(),
    config: cfg,
    weights: { kernel: T([F, U], W), recurrent_kernel: T([U, U], Uk), bias: bias ? T([U], bias) : null },
    steps,
  };
}

// ---------------------------------------------------------------------------
// Case list
// ---------------------------------------------------------------------------
const specs = [];
const add = (s) => specs.push(s);

// 1. every activation, defaults B=2,T=5,F=3,U=4, return_sequences
const ACTS = ['tanh', 'linear', 'relu', 'sigmoid', 'hard_sigmoid', 'elu', 'selu', 'softplus', 'softsign',
  'swish', 'gelu', 'exponential', 'softmax'];
for (const a of ACTS) {
  const scales = a === 'exponential' ? { kernel: 0.4, recurrent: 0.3, bias: 0.3, input: 1.0 }
    : (a === 'hard_sigmoid' ? { kernel: 1.5, bias: 0.5, input: 2.0 } : {});
  add({ name: `act_${a}`, category: 'activation', note: `activation ${a}, B=2 T=5 F=3 U=4, full sequence checked.`,
    config: { activation: a, return_sequences: true }, scales, steps: [{ op: 'call', T: 5 }] });
  add({ name: `act_${a}_initial_state_last`, category: 'activation',
    note: `activation ${a} with a non-zero initial_state, return_sequences=false, return_state=true.`,
    config: { activation: a, return_state: true }, scales, steps: [{ op: 'call', T: 5, initial_state: true }] });
}
// masked variants through the ops path (gelu / exponential) for mask coverage there too
add({ name: 'act_gelu_masked_backwards_initial_state', category: 'activation',
  note: 'gelu, go_backwards, leading/trailing masks and non-zero initial_state; TF 2.4 masking semantics (zero output carry) built into the ops recurrence.',
  config: { activation: 'gelu', return_sequences: true, go_backwards: true }, B: 3,
  steps: [{ op: 'call', T: 6, mask: 'trailing', initial_state: true }] });
add({ name: 'act_exponential_masked_initial_state', category: 'activation',
  note: 'exponential, leading masks and non-zero initial_state; TF 2.4 masking semantics (zero output carry) built into the ops recurrence.',
  config: { activation: 'exponential', return_sequences: true }, B: 3,
  scales: { kernel: 0.4, recurrent: 0.3, bias: 0.3, input: 1.0 },
  steps: [{ op: 'call', T: 6, mask: 'leading', initial_state: true }] });

// 2. return_sequences x return_state x go_backwards x use_bias, with/without initial_state
for (const rs of [false, true]) for (const rst of [false, true]) for (const gb of [false, true]) for (const ub of [false, true]) {
  for (const init of [false, true]) {
    const name = `cfg_${rs ? 'seq' : 'last'}_${rst ? 'state' : 'nostate'}_${gb ? 'bwd' : 'fwd'}_${ub ? 'bias' : 'nobias'}_${init ? 'init' : 'noinit'}`;
    add({ name, category: 'config_matrix',
      note: `tanh, return_sequences=${rs}, return_state=${rst}, go_backwards=${gb}, use_bias=${ub}, ${init ? 'non-zero initial_state' : 'no initial_state'}` +
        (gb && rs ? '; sequence is in processing order (not reversed back).' : '.'),
      config: { return_sequences: rs, return_state: rst, go_backwards: gb, use_bias: ub },
      steps: [{ op: 'call', T: 5, initial_state: init }] });
  }
}

// 3. masks
const PATTERNS = ['random', 'leading', 'trailing', 'middle', 'fully_masked_rows', 'all_ones'];
let mi = 0;
for (const pat of PATTERNS) for (const gb of [false, true]) for (const init of [false, true]) for (const rs of [true, false]) {
  const rst = (mi++ % 2) === 1;
  const name = `mask_${pat}_${gb ? 'bwd' : 'fwd'}_${init ? 'init' : 'noinit'}_${rs ? 'seq' : 'last'}`;
  add({ name, category: 'mask',
    note: `tanh, B=3 T=6, mask pattern '${pat}' (source order; reversed with the inputs when go_backwards), ` +
      `go_backwards=${gb}, ${init ? 'non-zero initial_state' : 'no initial_state'}, return_sequences=${rs}, return_state=${rst}.`,
    config: { return_sequences: rs, return_state: rst, go_backwards: gb }, B: 3,
    steps: [{ op: 'call', T: 6, mask: pat, initial_state: init }] });
}
add({ name: 'mask_b3_one_row_fully_masked_nonzero_initial_state', category: 'mask',
  note: 'B=3, row 1 fully masked, non-zero initial_state: TF 2.4 gives that row output 0 everywhere and final state = its initial_state.',
  config: { return_sequences: true, return_state: true }, B: 3,
  steps: [{ op: 'call', T: 5, mask: 'fully_masked_rows', initial_state: true }] });
add({ name: 'mask_b3_one_row_fully_masked_nonzero_initial_state_last', category: 'mask',
  note: 'B=3, row 1 fully masked, non-zero initial_state, last output only: TF 2.4 last_output of that row is 0, state = initial_state.',
  config: { return_sequences: false, return_state: true }, B: 3,
  steps: [{ op: 'call', T: 5, mask: 'fully_masked_rows', initial_state: true }] });
add({ name: 'mask_all_zeros_initial_state', category: 'mask',
  note: 'every step of every row masked with a non-zero initial_state: outputs all 0 (TF 2.4), state = initial_state.',
  config: { return_sequences: true, return_state: true }, B: 2,
  steps: [{ op: 'call', T: 4, mask: 'all_zeros', initial_state: true }] });
add({ name: 'mask_relu_leading_init_bwd', category: 'mask',
  note: 'relu with trailing-masked source steps processed backwards (so leading in processing order) and non-zero initial_state.',
  config: { activation: 'relu', return_sequences: true, go_backwards: true }, B: 3,
  steps: [{ op: 'call', T: 6, mask: 'trailing', initial_state: true }] });

// 4. stateful
add({ name: 'stateful_seq_resets', category: 'stateful',
  note: 'stateful, return_sequences: call, call, reset_states(), call, reset_states(values), call.',
  config: { stateful: true, return_sequences: true },
  steps: [{ op: 'call', T: 4 }, { op: 'call', T: 4 }, { op: 'reset_states' }, { op: 'call', T: 4 },
    { op: 'reset_states', values: true }, { op: 'call', T: 4 }] });
add({ name: 'stateful_last_state_resets', category: 'stateful',
  note: 'stateful, return_sequences=false, return_state=true, varying T between calls: call, call, reset_states(), call, reset_states(values), call.',
  config: { stateful: true, return_state: true },
  steps: [{ op: 'call', T: 3 }, { op: 'call', T: 5 }, { op: 'reset_states' }, { op: 'call', T: 2 },
    { op: 'reset_states', values: true }, { op: 'call', T: 4 }] });
add({ name: 'stateful_last_nostate', category: 'stateful',
  note: 'stateful, return_sequences=false, return_state=false (expected_state = stored state after the call).',
  config: { stateful: true, activation: 'relu' },
  steps: [{ op: 'call', T: 4 }, { op: 'call', T: 4 }, { op: 'reset_states', values: true }, { op: 'call', T: 4 }] });
add({ name: 'stateful_masked', category: 'stateful',
  note: 'stateful with masks: the stored state after a call is the final masked-carry state; leading masked steps of a later call ' +
    'output 0 in TF 2.4 although the carried state is non-zero.',
  config: { stateful: true, return_sequences: true, return_state: true }, B: 3,
  steps: [{ op: 'call', T: 6, mask: 'trailing' }, { op: 'call', T: 6, mask: 'leading' }, { op: 'call', T: 6, mask: 'fully_masked_rows' },
    { op: 'reset_states' }, { op: 'call', T: 6, mask: 'middle' }] });
add({ name: 'stateful_masked_last', category: 'stateful',
  note: 'stateful with masks, last output only (all-masked row in a later call: TF 2.4 last_output 0, state kept).',
  config: { stateful: true }, B: 3,
  steps: [{ op: 'call', T: 5, mask: 'random' }, { op: 'call', T: 5, mask: 'fully_masked_rows' },
    { op: 'reset_states', values: true }, { op: 'call', T: 5, mask: 'leading' }] });
add({ name: 'stateful_go_backwards', category: 'stateful',
  note: 'stateful + go_backwards, with a trailing mask in the second call (leading in processing order).',
  config: { stateful: true, return_sequences: true, go_backwards: true }, B: 3,
  steps: [{ op: 'call', T: 5 }, { op: 'call', T: 5, mask: 'trailing' }, { op: 'reset_states' }, { op: 'call', T: 5 }] });
add({ name: 'stateful_initial_state_branches', category: 'stateful',
  note: 'stateful + explicit initial_state on every call, both TF 2.4 branches (stored state all zero -> initial_state used; ' +
    'any non-zero stored entry -> initial_state ignored; tfjs would always use it).',
  config: { stateful: true, return_sequences: true, return_state: true },
  steps: [{ op: 'call', T: 4, initial_state: true }, { op: 'call', T: 4, initial_state: true }, { op: 'reset_states' },
    { op: 'call', T: 4, initial_state: true }, { op: 'reset_states', values: true }, { op: 'call', T: 4, initial_state: true },
    { op: 'reset_states', values: 'zeros' }, { op: 'call', T: 4, initial_state: true }] });
add({ name: 'stateful_initial_state_branches_last', category: 'stateful',
  note: 'as stateful_initial_state_branches with return_sequences=false, return_state=false, no bias.',
  config: { stateful: true, use_bias: false },
  steps: [{ op: 'call', T: 3, initial_state: true }, { op: 'call', T: 3, initial_state: true }, { op: 'reset_states' },
    { op: 'call', T: 3 }, { op: 'reset_states' }, { op: 'call', T: 3, initial_state: true }] });
add({ name: 'stateful_initial_state_masked', category: 'stateful',
  note: 'stateful + initial_state + leading masks: first call uses initial_state (stored zero), leading masked outputs 0 in TF 2.4; ' +
    'second call ignores initial_state (stored non-zero).',
  config: { stateful: true, return_sequences: true }, B: 3,
  steps: [{ op: 'call', T: 5, mask: 'leading', initial_state: true }, { op: 'call', T: 5, mask: 'leading', initial_state: true }] });
add({ name: 'stateful_batch1', category: 'stateful',
  note: 'stateful with batch size 1.',
  config: { stateful: true, return_sequences: true, units: 3 }, B: 1, F: 2,
  steps: [{ op: 'call', T: 3 }, { op: 'call', T: 3 }, { op: 'reset_states', values: true }, { op: 'call', T: 3 }] });

// 5. shape edges
add({ name: 'edge_units1', category: 'shape_edge', note: 'units=1.', config: { units: 1, return_sequences: true },
  steps: [{ op: 'call', T: 5, initial_state: true }] });
add({ name: 'edge_features1', category: 'shape_edge', note: 'features=1.', config: { return_sequences: true }, F: 1,
  steps: [{ op: 'call', T: 5 }] });
add({ name: 'edge_batch1', category: 'shape_edge', note: 'batch=1.', config: { return_sequences: true }, B: 1,
  steps: [{ op: 'call', T: 5, initial_state: true }] });
add({ name: 'edge_timesteps1', category: 'shape_edge', note: 'timesteps=1.', config: { return_sequences: true, return_state: true },
  steps: [{ op: 'call', T: 1 }] });
add({ name: 'edge_timesteps1_last_bwd', category: 'shape_edge', note: 'timesteps=1, go_backwards, last output.',
  config: { go_backwards: true }, steps: [{ op: 'call', T: 1, initial_state: true }] });
add({ name: 'edge_timesteps1_masked_init', category: 'shape_edge',
  note: 'timesteps=1 with mask [1,0] and non-zero initial_state: the masked row outputs 0 (TF 2.4), state = initial_state.',
  config: { return_sequences: true }, steps: [{ op: 'call', T: 1, mask: 'fully_masked_rows', initial_state: true }] });
add({ name: 'edge_all_ones_1x1x1', category: 'shape_edge', note: 'B=1, T=1, F=1, U=1.', config: { units: 1, return_sequences: true },
  B: 1, F: 1, steps: [{ op: 'call', T: 1, initial_state: true }] });
add({ name: 'long_tanh_t300', category: 'shape_edge', note: 'long sequence T=300, B=2 F=2 U=3, tanh.',
  config: { units: 3, return_sequences: true, return_state: true }, F: 2, steps: [{ op: 'call', T: 300, initial_state: true }] });
add({ name: 'long_relu_t300', category: 'shape_edge', note: 'long sequence T=300, B=2 F=2 U=3, relu.',
  config: { units: 3, activation: 'relu', return_sequences: true }, F: 2, steps: [{ op: 'call', T: 300 }] });
add({ name: 'long_tanh_t300_masked_bwd_last', category: 'shape_edge', note: 'long sequence T=300, random mask, go_backwards, last output.',
  config: { units: 3, go_backwards: true }, F: 2, steps: [{ op: 'call', T: 300, mask: 'random', initial_state: true }] });
add({ name: 'large_b4_t20_f16_u32', category: 'shape_edge', note: 'larger case B=4 T=20 F=16 U=32, tanh.',
  config: { units: 32, return_sequences: true }, B: 4, F: 16, scales: { kernel: 0.5 },
  steps: [{ op: 'call', T: 20, initial_state: true }] });
add({ name: 'large_b4_t20_f16_u32_relu_masked', category: 'shape_edge', note: 'larger case B=4 T=20 F=16 U=32, relu, random mask.',
  config: { units: 32, activation: 'relu', return_sequences: true }, B: 4, F: 16, scales: { kernel: 0.5 },
  steps: [{ op: 'call', T: 20, mask: 'random' }] });

// 6. growth (relu/linear with larger weights)
add({ name: 'growth_relu_large_weights', category: 'growth', note: 'relu with large kernel/recurrent weights so values grow (finite).',
  config: { activation: 'relu', return_sequences: true, return_state: true },
  scales: { kernel: 2.0, recurrent: 3.0, bias: 1.0, input: 2.0 }, steps: [{ op: 'call', T: 10 }] });
add({ name: 'growth_linear_large_weights', category: 'growth', note: 'linear with large weights so values grow (finite).',
  config: { activation: 'linear', return_sequences: true },
  scales: { kernel: 2.0, recurrent: 3.0, bias: 1.0, input: 2.0 }, steps: [{ op: 'call', T: 10, initial_state: true }] });
add({ name: 'growth_linear_large_weights_bwd_last', category: 'growth', note: 'linear, large weights, go_backwards, last output.',
  config: { activation: 'linear', go_backwards: true, return_state: true, units: 6 }, F: 4,
  scales: { kernel: 2.0, recurrent: 3.5, bias: 1.0, input: 2.0 }, steps: [{ op: 'call', T: 12 }] });
add({ name: 'growth_relu_large_weights_masked', category: 'growth', note: 'relu, large weights, middle mask, initial state.',
  config: { activation: 'relu', return_sequences: true }, B: 3,
  scales: { kernel: 2.0, recurrent: 3.0, bias: 1.0, input: 2.0 }, steps: [{ op: 'call', T: 8, mask: 'middle', initial_state: true }] });

// ---------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------
const cases = [];
const seen = new Set();
for (const s of specs) {
  if (seen.has(s.name)) throw new Error(`duplicate case name ${s.name}`);
  seen.add(s.name);
  cases.push(runCase(s));
}

const doc = {
  generator: {
    script: 'tools/golden/generate.mjs',
    node: process.version,
    packages: {
      '@tensorflow/tfjs-core': pkgVersion('@tensorflow/tfjs-core'),
      '@tensorflow/tfjs-layers': pkgVersion('@tensorflow/tfjs-layers'),
      '@tensorflow/tfjs-backend-cpu': pkgVersion('@tensorflow/tfjs-backend-cpu'),
    },
    backend: tf.getBackend(),
    seed: GLOBAL_SEED,
    semantics: 'TF 2.4 tf.keras SimpleRNN; see tests/data/README.md section golden_tfjs.json',
  },
  dtype: 'float32',
  cases: [],
};
// one case per line keeps diffs readable
const head = JSON.stringify(doc).replace(/"cases":\[\]\}$/, '"cases":[\n');
const body = cases.map((c) => JSON.stringify(c)).join(',\n');
const text = head + body + '\n]}\n';
JSON.parse(text); // must be valid
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, text);

// summary
const perCat = {};
for (const c of cases) perCat[c.category] = (perCat[c.category] || 0) + 1;
console.log(`wrote ${OUT}: ${cases.length} cases, ${text.length} bytes`);
console.log('cases per category:', JSON.stringify(perCat));
console.log('max rel diff tfjs layer (TF-2.4-adjusted) vs ops recurrence (tfjs activation ops):', verification.layerVsOpsTf);
console.log('max rel diff tfjs layer vs ops recurrence with double-precision activations:', JSON.stringify(verification.layerVsOpsJs));
console.log('max rel diff tfjs layer gelu (tf.erf approximation) vs exact-erf recurrence:', verification.tfjsGeluVsExact);
console.log(`masking adjustments (${verification.maskAdjusted.length} steps):`, verification.maskAdjusted.join(', '));
console.log(`stateful initial_state ignored (${verification.stateIgnored.length} steps):`, verification.stateIgnored.join(', '));
