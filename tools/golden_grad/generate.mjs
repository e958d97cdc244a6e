// Generates tests/data/golden_tfjs_grad.json: BPTT gradient reference cases for the elman SimpleRNN port.
//
// Engine: TensorFlow.js 4.22 (tfjs-core + tfjs-layers + tfjs-backend-cpu, pure JS CPU backend). Gradients come
// from tf.grads (reverse-mode autodiff) through a tfjs-ops recurrence with TF 2.4 semantics (tf.where masking,
// output carry starting at zero, go_backwards processing order, dropout masks multiplying x before the kernel
// and h only inside the recurrent product; docs/keras-semantics.md #cell, #forward-loop, #gradients). Wherever
// the real tfjs SimpleRNN layer has the same semantics (no dropout, and no masked step before a row's first
// unmasked step when the initial state is differentiated, see README.md), the generator also differentiates the
// tfjs *layer* (tf.variableGrads over its weights, the inputs and the initial state) and asserts both agree.
//
// Usage: cd tools/golden_grad && npm ci && node generate.mjs [output-path]
// Deterministic: every random number comes from mulberry32 seeded with FNV-1a(case name) ^ a global seed.

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
  : path.resolve(here, '../../tests/data/golden_tfjs_grad.json');
const pkgVersion = (name) => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

// ---------------------------------------------------------------------------------------------------------------
// Deterministic data (tools/common/prng.mjs, shared with tools/golden)
// ---------------------------------------------------------------------------------------------------------------
const GLOBAL_SEED = 20240917;

// elman::Random (xoshiro256** seeded through splitmix64), so dropout masks equal the C++ layer's for a given
// seed_dropout(seed): the input mask [B,F] is drawn first, then the recurrent mask [B,U], row-major, an entry
// kept iff uniform() >= rate. The C++ test checks the trace's masks against the ones stored here.
const M64 = (1n << 64n) - 1n;
const rotl = (x, k) => ((x << k) | (x >> (64n - k))) & M64;
function elmanRandom(seed) {
  const s = [0n, 0n, 0n, 0n];
  let sd = BigInt(seed) & M64;
  for (let i = 0; i < 4; ++i) {
    sd = (sd + 0x9E3779B97F4A7C15n) & M64;
    let z = sd;
    z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M64;
    s[i] = z ^ (z >> 31n);
  }
  const next = () => {
    const result = (rotl((s[1] * 5n) & M64, 7n) * 9n) & M64;
    const t = (s[1] << 17n) & M64;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45n);
    return result;
  };
  return { uniform: () => Number(next() >> 11n) * 2 ** -53 };
}
function dropoutMask(rand, rows, cols, rate) {
  const kept = Math.fround(1 / (1 - rate));
  return Float32Array.from({ length: rows * cols }, () => (rand.uniform() >= rate ? kept : 0));
}

function makeMask(pattern, B, Tn, rng) {
  const m = new Float32Array(B * Tn).fill(1);
  const ks = [2, 0, Tn - 2, 1];
  for (let b = 0; b < B; ++b) {
    for (let t = 0; t < Tn; ++t) {
      const k = ks[b % ks.length];
      let keep = true;
      if (pattern === 'random') keep = rng() < 0.6;
      if (pattern === 'leading') keep = t >= k;
      if (pattern === 'trailing') keep = t < Tn - k;
      if (pattern === 'middle') keep = !(t >= 1 + (b % 2) && t < 3 + (b % 3));
      if (pattern === 'fully_masked_rows') keep = b === 1 ? false : (b === 0 ? true : rng() < 0.6);
      m[b * Tn + t] = keep ? 1 : 0;
    }
  }
  return m;
}

const TF_ACT = tfActivations(tf);
const TFJS_LAYER_ACTIVATION = {
  linear: 'linear', tanh: 'tanh', relu: 'relu', sigmoid: 'sigmoid', hard_sigmoid: 'hardSigmoid', elu: 'elu',
  selu: 'selu', softplus: 'softplus', softsign: 'softsign', swish: 'swish', softmax: 'softmax',
  gelu: null, exponential: null, // tfjs-layers lacks exponential; its gelu uses an approximate erf
};

function T(shape, data) {
  return { shape: shape.slice(), data: Array.from(data, (v) => { if (!Number.isFinite(v)) throw new Error('non-finite'); return v === 0 ? 0 : v; }) };
}
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

// ---------------------------------------------------------------------------------------------------------------
// The recurrence as tfjs ops (TF 2.4 semantics), differentiable in x, W, U, b and h0.
// ---------------------------------------------------------------------------------------------------------------
function opsForward({ x, W, Uk, b, h0, mask, dx, dh, B, Tn, U, cfg }) {
  const act = TF_ACT[cfg.activation];
  const xs = tf.unstack(x, 1);
  let h = h0;
  let y = tf.zeros([B, U]);
  const outs = [];
  for (let p = 0; p < Tn; ++p) {
    const s = cfg.go_backwards ? Tn - 1 - p : p;
    const xt = dx ? tf.mul(xs[s], dx) : xs[s];
    let z = tf.matMul(xt, W);
    if (b) z = tf.add(z, b);
    z = tf.add(z, tf.matMul(dh ? tf.mul(h, dh) : h, Uk));
    const c = act(z);
    if (mask) {
      const keep = new Array(B * U);
      for (let bb = 0; bb < B; ++bb) for (let j = 0; j < U; ++j) keep[bb * U + j] = mask[bb * Tn + s] !== 0;
      const m = tf.tensor2d(keep, [B, U], 'bool');
      h = tf.where(m, c, h);
      y = tf.where(m, c, cfg.zero_output_for_mask ? tf.zerosLike(y) : y);
    } else {
      h = c;
      y = c;
    }
    outs.push(y);
  }
  return { output: cfg.return_sequences ? tf.stack(outs, 1) : y, state: h };
}

function lossOf(output, state, gO, gS) {
  const l = tf.sum(tf.mul(output, gO));
  return gS ? tf.add(l, tf.sum(tf.mul(state, gS))) : l;
}

// Does the tfjs layer have TF 2.4's gradients for this case? tfjs outputs the carried *state* at masked steps
// (TF 2.4: the previous output, starting at zero), so the two differ only before a row's first unmasked step,
// where tfjs routes the output gradient into the initial state. Dropout cannot take fixed masks in tfjs.
function layerAgrees(cfg, mask, hasInit, dropout, B, Tn) {
  if (dropout || cfg.zero_output_for_mask) return false;
  if (!mask || !hasInit) return true;
  for (let b = 0; b < B; ++b) {
    const first = cfg.go_backwards ? Tn - 1 : 0;
    if (mask[b * Tn + first] === 0) return false;
  }
  return true;
}

const verification = { layerVsOpsForward: 0, layerVsOpsGrad: 0, layerChecked: 0, opsOnly: [] };

function runCase(spec) {
  const cfg = Object.assign({ units: 4, activation: 'tanh', use_bias: true, return_sequences: false, return_state: false,
    go_backwards: false, zero_output_for_mask: false, dropout: 0, recurrent_dropout: 0 }, spec.config);
  const B = spec.B ?? 3, Tn = spec.T ?? 6, F = spec.F ?? 3, U = cfg.units;
  const rng = mulberry32(fnv1a(spec.name) ^ GLOBAL_SEED);
  const inScale = spec.input_scale ?? 1.0;
  const ws = spec.weight_scale ?? 1.0;
  const Wd = uniform(rng, F * U, -ws, ws);
  const Ud = uniform(rng, U * U, -ws / Math.sqrt(U), ws / Math.sqrt(U));
  const bd = cfg.use_bias ? uniform(rng, U, -0.5, 0.5) : null;
  const xd = uniform(rng, B * Tn * F, -inScale, inScale);
  const mask = spec.mask ? makeMask(spec.mask, B, Tn, rng) : null;
  const h0d = spec.initial_state ? uniform(rng, B * U, -0.9, 0.9) : new Float32Array(B * U);
  const gOd = uniform(rng, cfg.return_sequences ? B * Tn * U : B * U, -1, 1);
  const gSd = cfg.return_state ? uniform(rng, B * U, -1, 1) : null;
  let dxd = null, dhd = null, dropoutSeed = null;
  if (cfg.dropout > 0 || cfg.recurrent_dropout > 0) {
    dropoutSeed = spec.dropout_seed;
    const rand = elmanRandom(dropoutSeed);
    if (cfg.dropout > 0) dxd = dropoutMask(rand, B, F, cfg.dropout);
    if (cfg.recurrent_dropout > 0) dhd = dropoutMask(rand, B, U, cfg.recurrent_dropout);
  }

  const outShape = cfg.return_sequences ? [B, Tn, U] : [B, U];
  const c = (d, s) => tf.tensor(d, s);
  const x = c(xd, [B, Tn, F]), W = c(Wd, [F, U]), Uk = c(Ud, [U, U]), h0 = c(h0d, [B, U]);
  const b = bd ? c(bd, [U]) : null;
  const gO = c(gOd, outShape), gS = gSd ? c(gSd, [B, U]) : null;
  const dx = dxd ? c(dxd, [B, F]) : null, dh = dhd ? c(dhd, [B, U]) : null;

  const f = (...args) => {
    const [xa, Wa, Ua, h0a, ba] = args;
    const r = opsForward({ x: xa, W: Wa, Uk: Ua, b: ba ?? null, h0: h0a, mask, dx, dh, B, Tn, U, cfg });
    return lossOf(r.output, r.state, gO, gS);
  };
  const params = b ? [x, W, Uk, h0, b] : [x, W, Uk, h0];
  const grads = tf.grads(f)(params).map((g) => g.dataSync().slice());
  const fwd = opsForward({ x, W, Uk, b, h0, mask, dx, dh, B, Tn, U, cfg });
  const output = fwd.output.dataSync().slice(), state = fwd.state.dataSync().slice();

  const notes = [];
  if (layerAgrees(cfg, mask, spec.initial_state, dxd || dhd, B, Tn)) {
    const act = TFJS_LAYER_ACTIVATION[cfg.activation];
    if (act !== null) {
      checkAgainstLayer({ cfg, act, B, Tn, F, U, xd, Wd, Ud, bd, h0d, mask, gO, gS, hasInit: spec.initial_state,
        output, state, grads, name: spec.name });
      notes.push('gradients also computed through the tfjs SimpleRNN layer (tf.variableGrads) and asserted equal');
    } else {
      notes.push(`ops recurrence only: tfjs-layers has no TF 2.4 '${cfg.activation}'`);
      verification.opsOnly.push(spec.name);
    }
  } else {
    notes.push(dxd || dhd ? 'ops recurrence only: fixed dropout masks (from elman::Random with dropout_seed) cannot be given to the tfjs layer'
      : cfg.zero_output_for_mask ? 'ops recurrence only: tfjs-layers has no zero_output_for_mask'
        : 'ops recurrence only: leading masked steps with an initial state, where tfjs masking differs from TF 2.4');
    verification.opsOnly.push(spec.name);
  }
  tf.dispose([x, W, Uk, h0, b, gO, gS, dx, dh, fwd.output, fwd.state].filter(Boolean));

  const [gx, gW, gU, gh0, gb] = grads;
  return {
    name: spec.name, category: spec.category, note: notes.join('; '),
    config: cfg,
    weights: { kernel: T([F, U], Wd), recurrent_kernel: T([U, U], Ud), bias: bd ? T([U], bd) : null },
    inputs: T([B, Tn, F], xd),
    mask: mask ? T([B, Tn], mask) : null,
    initial_state: spec.initial_state ? T([B, U], h0d) : null,
    dropout_seed: dropoutSeed,
    dropout_mask: dxd ? T([B, F], dxd) : null,
    recurrent_dropout_mask: dhd ? T([B, U], dhd) : null,
    grad_output: T(outShape, gOd),
    grad_state: gSd ? T([B, U], gSd) : null,
    expected: {
      output: T(outShape, output), state: T([B, U], state),
      grad_kernel: T([F, U], gW), grad_recurrent_kernel: T([U, U], gU), grad_bias: gb ? T([U], gb) : null,
      grad_inputs: T([B, Tn, F], gx), grad_initial_state: T([B, U], gh0),
    },
  };
}

let layerVarCounter = 0;
function checkAgainstLayer({ cfg, act, B, Tn, F, U, xd, Wd, Ud, bd, h0d, mask, gO, gS, hasInit, output, state, grads, name }) {
  const layer = tfl.layers.simpleRNN({ units: U, activation: act, useBias: cfg.use_bias, returnSequences: cfg.return_sequences,
    returnState: true, goBackwards: cfg.go_backwards, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' });
  layer.apply(tfl.input({ shape: [null, F] }));
  const ws = [tf.tensor2d(Wd, [F, U]), tf.tensor2d(Ud, [U, U])];
  if (bd) ws.push(tf.tensor1d(bd));
  layer.setWeights(ws);
  const tag = ++layerVarCounter;
  const xv = tf.variable(tf.tensor3d(xd, [B, Tn, F]), true, `golden_grad_x_${tag}`);
  const hv = tf.variable(tf.tensor2d(h0d, [B, U]), true, `golden_grad_h0_${tag}`);
  const maskT = mask ? tf.tensor2d(mask, [B, Tn]) : null;
  const weightVars = layer.trainableWeights.map((w) => w.read());
  let outData, stateData;
  const { grads: g } = tf.variableGrads(() => {
    const kw = {};
    if (maskT) kw.mask = maskT;
    if (hasInit) kw.initialState = hv;
    const [o, s] = layer.apply(xv, kw);
    outData = o.dataSync().slice();
    stateData = s.dataSync().slice();
    return lossOf(o, s, gO, cfg.return_state ? gS : null);
  }, [xv, hv, ...weightVars]);
  const d1 = Math.max(assertClose(outData, output, 1e-6, `${name}: layer vs ops output`),
    assertClose(stateData, state, 1e-6, `${name}: layer vs ops state`));
  const [gx, gW, gU, gh0, gb] = grads;
  const pairs = [[g[xv.name], gx, 'inputs'], [g[weightVars[0].name], gW, 'kernel'], [g[weightVars[1].name], gU, 'recurrent_kernel']];
  if (bd) pairs.push([g[weightVars[2].name], gb, 'bias']);
  if (hasInit) pairs.push([g[hv.name], gh0, 'initial_state']);
  let d2 = 0;
  for (const [lt, ops, what] of pairs) {
    if (!lt) throw new Error(`${name}: no layer gradient for ${what}`);
    d2 = Math.max(d2, assertClose(lt.dataSync(), ops, 2e-6, `${name}: layer vs ops gradient of ${what}`));
  }
  verification.layerVsOpsForward = Math.max(verification.layerVsOpsForward, d1);
  verification.layerVsOpsGrad = Math.max(verification.layerVsOpsGrad, d2);
  verification.layerChecked += 1;
  tf.dispose([xv, hv, maskT, ...ws, ...Object.values(g)].filter(Boolean));
  layer.dispose();
}

// ---------------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------------
const specs = [];
for (let bits = 0; bits < 32; ++bits) {
  const cfg = { return_sequences: !!(bits & 1), return_state: !!(bits & 2), go_backwards: !!(bits & 4), use_bias: !(bits & 8) };
  const init = !!(bits & 16);
  specs.push({ name: `config_seq${+cfg.return_sequences}_state${+cfg.return_state}_bwd${+cfg.go_backwards}_bias${+cfg.use_bias}_init${+init}`,
    category: 'config_matrix', config: cfg, initial_state: init });
}
const ACTS = ['tanh', 'linear', 'relu', 'sigmoid', 'hard_sigmoid', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'gelu',
  'exponential', 'softmax'];
for (const a of ACTS) {
  const small = a === 'exponential' ? { weight_scale: 0.3 } : {};  // exp(exp(...)) overflows float32 otherwise
  specs.push({ name: `activation_${a}`, category: 'activation', input_scale: 0.7, ...small,
    config: { activation: a, return_sequences: true, return_state: true }, initial_state: true });
  specs.push({ name: `activation_${a}_masked_last`, category: 'activation', input_scale: 0.7, mask: 'random', ...small,
    config: { activation: a, return_state: true } });
}
for (const pattern of ['random', 'leading', 'trailing', 'middle', 'fully_masked_rows']) {
  for (const bwd of [false, true]) {
    for (const init of [false, true]) {
      specs.push({ name: `mask_${pattern}_${bwd ? 'bwd' : 'fwd'}${init ? '_init' : ''}_seq`, category: 'mask', mask: pattern,
        config: { return_sequences: true, return_state: true, go_backwards: bwd }, initial_state: init });
    }
    specs.push({ name: `mask_${pattern}_${bwd ? 'bwd' : 'fwd'}_last`, category: 'mask', mask: pattern,
      config: { return_state: true, go_backwards: bwd } });
  }
}
specs.push({ name: 'mask_zero_output_for_mask_seq', category: 'mask', mask: 'random', initial_state: true,
  config: { return_sequences: true, return_state: true, zero_output_for_mask: true } });
specs.push({ name: 'mask_zero_output_for_mask_last', category: 'mask', mask: 'trailing', initial_state: true,
  config: { return_state: true, zero_output_for_mask: true } });
const DROP = [[0.3, 0, false], [0, 0.4, false], [0.3, 0.4, false], [0.3, 0.4, true]];
for (const [i, [d, rd, bwd]] of DROP.entries()) {
  specs.push({ name: `dropout_${d}_recurrent_${rd}${bwd ? '_bwd' : ''}`, category: 'dropout', dropout_seed: 1000 + i,
    mask: i === 3 ? 'random' : null, initial_state: true,
    config: { dropout: d, recurrent_dropout: rd, return_sequences: true, return_state: true, go_backwards: bwd } });
}

const cases = [];
const seen = new Set();
for (const s of specs) {
  if (seen.has(s.name)) throw new Error(`duplicate case ${s.name}`);
  seen.add(s.name);
  try { cases.push(runCase(s)); } catch (e) { e.message = `${s.name}: ${e.message}`; throw e; }
}
const doc = {
  generator: { script: 'tools/golden_grad/generate.mjs', node: process.version, backend: 'cpu', seed: GLOBAL_SEED,
    packages: Object.fromEntries(['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'].map((n) => [n, pkgVersion(n)])),
    method: 'tf.grads through a tfjs-ops SimpleRNN recurrence with TF 2.4 semantics; cross-checked against tf.variableGrads through the tfjs SimpleRNN layer where semantics agree',
    loss: 'sum(grad_output * output) + sum(grad_state * final_state) (grad_state only with return_state)' },
  dtype: 'float32',
  cases: [],
};
const head = JSON.stringify(doc).replace(/"cases":\[\]\}$/, '"cases":[\n');
fs.writeFileSync(OUT, head + cases.map((cs) => JSON.stringify(cs)).join(',\n') + '\n]}\n');
console.log(`wrote ${cases.length} cases to ${path.relative(process.cwd(), OUT)}`);
console.log(`layer cross-checks: ${verification.layerChecked} cases; max layer-vs-ops difference: forward ${verification.layerVsOpsForward.toExponential(2)}, gradients ${verification.layerVsOpsGrad.toExponential(2)}`);
console.log(`ops-only cases (${verification.opsOnly.length}): ${verification.opsOnly.join(', ')}`);
