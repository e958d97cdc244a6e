// Keras activations exactly as tfjs-layers 4.x implements them, as (differentiable) tfjs ops, for the data
// generators that run a tfjs-ops recurrence. `tf` is the caller's @tensorflow/tfjs-core (each generator has its
// own node_modules).
export function tfActivations(tf) {
  return {
    linear: (x) => x,
    tanh: (x) => tf.tanh(x),
    relu: (x) => tf.relu(x),
    sigmoid: (x) => tf.sigmoid(x),
    hard_sigmoid: (x) => tf.clipByValue(tf.add(0.5, tf.mul(0.2, x)), 0, 1),
    elu: (x) => tf.elu(x),
    selu: (x) => tf.selu(x),
    softplus: (x) => tf.softplus(x),
    softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
    swish: (x) => tf.mul(tf.sigmoid(tf.mul(x, 1)), x),
    softmax: (x) => tf.softmax(x, -1),
    gelu: (x) => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.sqrt(2)))))),
    exponential: (x) => tf.exp(x),
  };
}
