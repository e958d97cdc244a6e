// Generates tests/data/model/<case>/: whole-model fixtures for elman's model runtime (include/elman/model/).
//
// Engine: TensorFlow.js (tfjs-core + tfjs-layers + tfjs-backend-cpu 4.22.0, pure-JS CPU backend, no native
// add-on). Each case builds a Sequential or Functional tfjs model, gives every weight seeded random float32
// values, saves it with a custom IO handler as model.json + weights.bin (the files `tfjs.io` writes), runs
// `model.predict` on seeded inputs and writes case.json with the inputs and tfjs' outputs.
//
// Where tfjs lacks a layer (Subtract, ActivityRegularization) or differs from TF 2.4 (Bidirectional's
// zero_output_for_mask), the case's "note" says what was done; see README.md next to this file.
//
// Usage: cd tools/model_fixtures && npm ci && node generate.mjs [output-dir]
// Deterministic: every random number comes from mulberry32 seeded with FNV-1a(case name), so two runs give
// byte-identical files.

import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import path from 'path';
import fs from 'fs';
import { fnv1a, mulberry32, uniform } from '../common/prng.mjs';
import { tfjsCpu } from '../common/tfjs_cpu.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

const { tf, tfl } = await tfjsCpu(require);

const OUT = process.argv[2] ? path.resolve(process.argv[2]) : path.resolve(here, '../../tests/data/model');
const GLOBAL_SEED = 20261201;

// Recurrent layers are built with zeros initializers (tfjs' orthogonal initializer needs chained-op
// registration); every weight is then overwritten with seeded values, so the initializer never matters.
const RNN_INIT = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' };

function seededWeights(model, rng) {
  model.setWeights(model.weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    return tf.tensor(uniform(rng, n, -0.7, 0.7), w.shape, 'float32');
  }));
}

function tensorJson(t, dtype) {
  return { shape: t.shape, dtype: dtype || t.dtype, data: Array.from(t.dataSync()) };
}

async function saveArtifacts(model) {
  let saved = null;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  return saved;
}

function writeCase(name, artifacts, caseJson, patchTopology) {
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  const topology = patchTopology ? patchTopology(JSON.parse(JSON.stringify(artifacts.modelTopology)))
    : artifacts.modelTopology;
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson, null, 1) + '\n');
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(caseJson) + '\n');
}

function inputsFor(rng, shapes) {
  return shapes.map(([shape, lo, hi]) => tf.tensor(uniform(rng, shape.reduce((a, b) => a * b, 1), lo, hi), shape));
}

function asList(y) { return Array.isArray(y) ? y : [y]; }

// One predict call per entry of `calls` ({inputs, reset_before}); outputs from tfjs.
function runCalls(model, calls, adjust) {
  return calls.map((c) => {
    if (c.reset_before) model.resetStates();
    let outs = asList(model.predict(c.inputs.length === 1 ? c.inputs[0] : c.inputs));
    if (adjust) outs = adjust(outs, c.inputs);
    return {
      reset_before: !!c.reset_before,
      inputs: c.inputs.map((t, i) => tensorJson(t, c.dtypes ? c.dtypes[i] : 'float32')),
      outputs: outs.map((t) => tensorJson(t, 'float32')),
    };
  });
}

const cases = [];
function defineCase(name, note, build) { cases.push({ name, note, build }); }

// ---- Sequential -----------------------------------------------------------------------------------------
defineCase('seq_rnn_dense', 'Sequential SimpleRNN -> Dense(softmax).', (rng) => {
  const m = tfl.sequential();
  m.add(tfl.layers.simpleRNN({ units: 4, inputShape: [5, 3], ...RNN_INIT }));
  m.add(tfl.layers.dense({ units: 3, activation: 'softmax' }));
  return { model: m, calls: [{ inputs: inputsFor(rng, [[[2, 5, 3], -1, 1]]) }] };
});

defineCase('seq_stacked', 'Stacked SimpleRNNs (return_sequences, relu + go_backwards, no bias) -> Dense.', (rng) => {
  const m = tfl.sequential();
  m.add(tfl.layers.simpleRNN({ units: 4, returnSequences: true, inputShape: [6, 2], ...RNN_INIT }));
  m.add(tfl.layers.simpleRNN({ units: 3, activation: 'relu', goBackwards: true, returnSequences: true, ...RNN_INIT }));
  m.add(tfl.layers.simpleRNN({ units: 3, activation: 'sigmoid', useBias: false, ...RNN_INIT }));
  m.add(tfl.layers.dense({ units: 2 }));
  return { model: m, calls: [{ inputs: inputsFor(rng, [[[3, 6, 2], -1, 1]]) }] };
});

function maskedInput(rng, B, T, F, zeroSteps) {
  const x = uniform(rng, B * T * F, -1, 1);
  for (const [b, t] of zeroSteps) for (let f = 0; f < F; ++f) x[(b * T + t) * F + f] = 0;
  return tf.tensor(x, [B, T, F]);
}

defineCase('seq_masking', 'Masking -> SimpleRNN(return_sequences) -> TimeDistributed(Dense) -> Dense(3-D, tanh) ' +
  '-> SimpleRNN: the mask flows through the Dense layers and is consumed by the last SimpleRNN. Zero initial ' +
  'states, so tfjs\' masked-step rule equals TF 2.4\'s.', (rng) => {
  const m = tfl.sequential();
  m.add(tfl.layers.masking({ maskValue: 0, inputShape: [6, 3] }));
  m.add(tfl.layers.simpleRNN({ units: 4, returnSequences: true, ...RNN_INIT }));
  m.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3 }) }));
  m.add(tfl.layers.dense({ units: 3, activation: 'tanh' }));
  m.add(tfl.layers.simpleRNN({ units: 2, ...RNN_INIT }));
  const x = maskedInput(rng, 3, 6, 3, [[0, 5], [0, 4], [1, 0], [1, 2], [2, 0], [2, 1], [2, 2], [2, 3], [2, 4], [2, 5]]);
  return { model: m, calls: [{ inputs: [x] }] };
});

defineCase('seq_embedding', 'Embedding(mask_zero) -> SimpleRNN -> Dropout -> Dense(sigmoid); integer inputs ' +
  '(stored as numbers, dtype int32) with trailing and leading padding.', (rng) => {
  const m = tfl.sequential();
  m.add(tfl.layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true, inputLength: 5 }));
  m.add(tfl.layers.simpleRNN({ units: 4, ...RNN_INIT }));
  m.add(tfl.layers.dropout({ rate: 0.5 }));
  m.add(tfl.layers.dense({ units: 2, activation: 'sigmoid' }));
  const ids = tf.tensor2d([[3, 1, 6, 0, 0], [0, 0, 2, 5, 4], [1, 2, 3, 4, 5]], [3, 5], 'int32');
  return { model: m, calls: [{ inputs: [ids], dtypes: ['int32'] }] };
});

defineCase('seq_reshape_family', 'Flatten -> Reshape -> Permute -> SimpleRNN -> RepeatVector -> SimpleRNN -> ' +
  'Activation(elu) -> Softmax layer -> ReLU(max_value) plus the inference-identity noise/dropout layers.', (rng) => {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [4, 3] }));
  m.add(tfl.layers.gaussianNoise({ stddev: 0.3 }));
  m.add(tfl.layers.reshape({ targetShape: [3, -1] }));
  m.add(tfl.layers.permute({ dims: [2, 1] }));
  m.add(tfl.layers.spatialDropout1d({ rate: 0.4 }));
  m.add(tfl.layers.simpleRNN({ units: 3, ...RNN_INIT }));
  m.add(tfl.layers.gaussianDropout({ rate: 0.3 }));
  m.add(tfl.layers.repeatVector({ n: 2 }));
  m.add(tfl.layers.simpleRNN({ units: 4, returnSequences: true, ...RNN_INIT }));
  m.add(tfl.layers.alphaDropout({ rate: 0.2 }));
  m.add(tfl.layers.activation({ activation: 'elu' }));
  m.add(tfl.layers.dense({ units: 5 }));
  m.add(tfl.layers.reLU({ maxValue: 0.25 }));
  m.add(tfl.layers.softmax({ axis: -1 }));
  return { model: m, calls: [{ inputs: inputsFor(rng, [[[2, 4, 3], -1, 1]]) }] };
});

defineCase('seq_stateful', 'Stateful SimpleRNN (batch 2) -> Dense: predict x1, predict x2 (state carried), ' +
  'reset_states, predict x1 again (equals the first call).', (rng) => {
  const m = tfl.sequential();
  m.add(tfl.layers.simpleRNN({ units: 3, stateful: true, batchInputShape: [2, 4, 2], ...RNN_INIT }));
  m.add(tfl.layers.dense({ units: 2 }));
  const [x1, x2] = inputsFor(rng, [[[2, 4, 2], -1, 1], [[2, 4, 2], -1, 1]]);
  return { model: m, calls: [{ inputs: [x1] }, { inputs: [x2] }, { inputs: [x1], reset_before: true }] };
});

// ---- Bidirectional --------------------------------------------------------------------------------------
for (const mode of ['concat', 'sum', 'mul', 'ave']) {
  defineCase(`bidi_${mode}`, `Bidirectional(SimpleRNN) merge_mode=${mode} -> Dense.`, (rng) => {
    const m = tfl.sequential();
    m.add(tfl.layers.bidirectional({ layer: tfl.layers.simpleRNN({ units: 3, ...RNN_INIT }), mergeMode: mode,
      inputShape: [5, 2] }));
    m.add(tfl.layers.dense({ units: 2 }));
    return { model: m, calls: [{ inputs: inputsFor(rng, [[[2, 5, 2], -1, 1]]) }] };
  });
}

// TF 2.4's Bidirectional sets zero_output_for_mask = return_sequences on both layers: masked steps output 0.
// tfjs-layers 4.22 has no such rule (a masked step repeats the previous state), so the expected output is
// tfjs' with every masked (batch, step) position set to 0 in both directions' parts.
function zeroMaskedSteps(outs, mask, B, T) {
  return outs.map((o) => {
    const d = o.dataSync().slice();
    const per = d.length / (B * T);
    for (let b = 0; b < B; ++b) for (let t = 0; t < T; ++t) {
      if (!mask[b * T + t]) for (let k = 0; k < per; ++k) d[(b * T + t) * per + k] = 0;
    }
    return tf.tensor(d, o.shape);
  });
}

for (const mode of ['concat', 'sum', 'mul', 'ave', null]) {
  const tag = mode === null ? 'none' : mode;
  defineCase(`bidi_masked_seq_${tag}`, `Masking -> Bidirectional(SimpleRNN(return_sequences), merge_mode=${mode}). ` +
    'TF 2.4 semantics: Bidirectional forces zero_output_for_mask=True when return_sequences, so masked steps ' +
    'are 0; tfjs lacks that rule and its raw outputs were set to 0 at the masked (batch, step) positions.',
  (rng) => {
    const B = 3, T = 5, F = 2;
    const inp = tfl.input({ shape: [T, F] });
    const masked = tfl.layers.masking({ maskValue: 0 }).apply(inp);
    const bidi = tfl.layers.bidirectional({
      layer: tfl.layers.simpleRNN({ units: 3, returnSequences: true, ...RNN_INIT }), mergeMode: mode,
    }).apply(masked);
    const m = tfl.model({ inputs: inp, outputs: bidi });
    const zeros = [[0, 4], [1, 0], [1, 2], [2, 1], [2, 2], [2, 3]];
    const x = maskedInput(rng, B, T, F, zeros);
    const mask = new Array(B * T).fill(1);
    for (const [b, t] of zeros) mask[b * T + t] = 0;
    return { model: m, calls: [{ inputs: [x] }], adjust: (outs) => zeroMaskedSteps(outs, mask, B, T) };
  });
}

defineCase('bidi_return_state', 'Functional: Embedding(mask_zero) -> Bidirectional(SimpleRNN(return_state), ' +
  'concat): outputs [merged, forward h, backward h]; a Dense on the merged output.', (rng) => {
  const inp = tfl.input({ shape: [4] });
  const e = tfl.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(inp);
  const outs = tfl.layers.bidirectional({
    layer: tfl.layers.simpleRNN({ units: 3, returnState: true, ...RNN_INIT }), mergeMode: 'concat',
  }).apply(e);
  const d = tfl.layers.dense({ units: 2 }).apply(outs[0]);
  const m = tfl.model({ inputs: inp, outputs: [d, outs[1], outs[2]] });
  const ids = tf.tensor2d([[1, 2, 0, 0], [4, 3, 2, 1]], [2, 4], 'float32');
  return { model: m, calls: [{ inputs: [ids] }] };
});

// ---- Functional graphs ----------------------------------------------------------------------------------
defineCase('func_multi_io', 'Functional, two inputs and two outputs: SimpleRNN on a sequence, Dense on a ' +
  'vector, Concatenate, two heads.', (rng) => {
  const seq = tfl.input({ shape: [5, 3], name: 'seq' });
  const vec = tfl.input({ shape: [4], name: 'vec' });
  const h = tfl.layers.simpleRNN({ units: 4, ...RNN_INIT }).apply(seq);
  const v = tfl.layers.dense({ units: 3, activation: 'relu' }).apply(vec);
  const c = tfl.layers.concatenate().apply([h, v]);
  const y1 = tfl.layers.dense({ units: 1, name: 'score' }).apply(c);
  const y2 = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(c);
  const m = tfl.model({ inputs: [seq, vec], outputs: [y1, y2] });
  return { model: m, calls: [{ inputs: inputsFor(rng, [[[2, 5, 3], -1, 1], [[2, 4], -1, 1]]) }] };
});

defineCase('func_shared_merge', 'Functional: one SimpleRNN(return_sequences) shared by two masked inputs; ' +
  'Add, Multiply, Average, Maximum and Minimum of its two outputs, and a Concatenate of them (masks combined) ' +
  'consumed by a SimpleRNN. (tfjs 4.22 gives merge layers a [1, B, T] mask, so no merge output feeds a ' +
  'mask consumer here; Keras\' merge mask is the [B, T] AND.)', (rng) => {
  const a = tfl.input({ shape: [4, 2] });
  const b = tfl.input({ shape: [4, 2] });
  const ma = tfl.layers.masking({ maskValue: 0 }).apply(a);
  const mb = tfl.layers.masking({ maskValue: 0 }).apply(b);
  const shared = tfl.layers.simpleRNN({ units: 3, returnSequences: true, ...RNN_INIT });
  const ha = shared.apply(ma);
  const hb = shared.apply(mb);
  const merged = [tfl.layers.add(), tfl.layers.multiply(), tfl.layers.average(), tfl.layers.maximum(),
    tfl.layers.minimum()].map((l) => l.apply([ha, hb]));
  const cat = tfl.layers.concatenate({ axis: -1 }).apply([ha, hb]);
  const out = tfl.layers.simpleRNN({ units: 2, ...RNN_INIT }).apply(cat);
  const m = tfl.model({ inputs: [a, b], outputs: [out, ...merged] });
  const xa = maskedInput(rng, 2, 4, 2, [[0, 3], [1, 1]]);
  const xb = maskedInput(rng, 2, 4, 2, [[0, 2], [1, 1]]);
  return { model: m, calls: [{ inputs: [xa, xb] }] };
});

defineCase('func_concat_time', 'Functional: Concatenate along the time axis (axis=1) of two masked sequences ' +
  '(the masks are concatenated too) -> SimpleRNN.', (rng) => {
  const a = tfl.input({ shape: [3, 2] });
  const b = tfl.input({ shape: [2, 2] });
  const ma = tfl.layers.masking({ maskValue: 0 }).apply(a);
  const mb = tfl.layers.masking({ maskValue: 0 }).apply(b);
  const cat = tfl.layers.concatenate({ axis: 1 }).apply([ma, mb]);
  const out = tfl.layers.simpleRNN({ units: 3, ...RNN_INIT }).apply(cat);
  const m = tfl.model({ inputs: [a, b], outputs: out });
  const xa = maskedInput(rng, 2, 3, 2, [[0, 1]]);
  const xb = maskedInput(rng, 2, 2, 2, [[1, 0], [1, 1]]);
  return { model: m, calls: [{ inputs: [xa, xb] }] };
});

const DENSE_ACTIVATIONS = ['tanh', 'linear', 'relu', 'sigmoid', 'hardSigmoid', 'elu', 'selu', 'softplus',
  'softsign', 'swish', 'softmax', 'gelu'];
defineCase('func_dense_activations', 'Functional: one Dense per activation on a 3-D input (last axis) and one on ' +
  'a 2-D input, concatenated. gelu: tfjs\' CPU erf is an approximation (|error| <= 1.5e-7).', (rng) => {
  const seq = tfl.input({ shape: [3, 4] });
  const outs = DENSE_ACTIVATIONS.map((a) => tfl.layers.dense({ units: 2, activation: a }).apply(seq));
  const cat = tfl.layers.concatenate().apply(outs);
  const flat = tfl.layers.flatten().apply(cat);
  const last = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(flat);
  const m = tfl.model({ inputs: seq, outputs: [cat, last] });
  return { model: m, calls: [{ inputs: inputsFor(rng, [[[2, 3, 4], -2, 2]]) }] };
});

// tfjs has no Subtract and no ActivityRegularization layer. The model is built with Add and Dropout in their
// places; the saved config is then rewritten to Subtract / ActivityRegularization, and the expected outputs
// are computed from the same tfjs layers with tf.sub (ActivityRegularization is the identity at inference).
defineCase('func_subtract_activity_reg', 'Functional: Subtract of two Dense branches, then ActivityRegularization. ' +
  'tfjs lacks both layers: the model was built with Add and Dropout, its config rewritten to Subtract and ' +
  'ActivityRegularization(l1=0.01, l2=0.02), and the expected output is tf.sub of the two tfjs Dense branches.',
(rng) => {
  const a = tfl.input({ shape: [3] });
  const b = tfl.input({ shape: [3] });
  const da = tfl.layers.dense({ units: 2, name: 'left' });
  const db = tfl.layers.dense({ units: 2, name: 'right' });
  const ya = da.apply(a);
  const yb = db.apply(b);
  const s = tfl.layers.add({ name: 'difference' }).apply([ya, yb]);
  const r = tfl.layers.dropout({ rate: 0.1, name: 'act_reg' }).apply(s);
  const m = tfl.model({ inputs: [a, b], outputs: r });
  const patch = (topo) => {
    for (const layer of topo.config.layers) {
      if (layer.name === 'difference') layer.class_name = 'Subtract';
      if (layer.name === 'act_reg') {
        layer.class_name = 'ActivityRegularization';
        layer.config = { name: 'act_reg', trainable: true, dtype: 'float32', l1: 0.01, l2: 0.02 };
      }
    }
    return topo;
  };
  const adjust = (outs, inputs) => [tf.sub(da.apply(inputs[0]), db.apply(inputs[1]))];
  return { model: m, calls: [{ inputs: inputsFor(rng, [[[2, 3], -1, 1], [[2, 3], -1, 1]]) }], adjust, patch };
});

// ---- run --------------------------------------------------------------------------------------------------
fs.mkdirSync(OUT, { recursive: true });
const index = [];
for (const c of cases) {
  const rng = mulberry32((fnv1a(c.name) ^ GLOBAL_SEED) >>> 0);
  const built = c.build(rng);
  seededWeights(built.model, rng);
  const artifacts = await saveArtifacts(built.model);
  const calls = runCalls(built.model, built.calls, built.adjust);
  writeCase(c.name, artifacts, { name: c.name, note: c.note, calls }, built.patch);
  index.push(c.name);
  console.log(`${c.name}: ${calls.length} call(s), ${built.model.layers.length} layers`);
}
fs.writeFileSync(path.join(OUT, 'cases.txt'), index.join('\n') + '\n');
fs.writeFileSync(path.join(OUT, 'versions.json'), JSON.stringify({
  node: process.version,
  '@tensorflow/tfjs-core': tf.version_core,
  '@tensorflow/tfjs-layers': tfl.version_layers,
}, null, 1) + '\n');
