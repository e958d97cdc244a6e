// The Keras documentation example of SimpleRNN, in C++.
//
//   inputs = np.random.random([32, 10, 8]).astype(np.float32)
//   simple_rnn = tf.keras.layers.SimpleRNN(4)
//   output = simple_rnn(inputs)  # The output has shape `[32, 4]`.
//   simple_rnn = tf.keras.layers.SimpleRNN(4, return_sequences=True, return_state=True)
//   whole_sequence_output, final_state = simple_rnn(inputs)  # [32, 10, 4] and [32, 4]
#include <elman/elman.hpp>

#include <iostream>

int main() {
    elman::Tensor<float> inputs({32, 10, 8});
    elman::Random rng(42);
    for (float& v : inputs.values()) v = static_cast<float>(rng.uniform());

    elman::SimpleRNN<float> simple_rnn(4);
    auto output = simple_rnn(inputs).output;
    std::cout << "output: " << output.shape().to_string() << "\n";  // (32, 4)

    elman::SimpleRNNOptions options;
    options.return_sequences = true;
    options.return_state = true;
    elman::SimpleRNN<float> simple_rnn_seq(4, options);
    auto [whole_sequence_output, final_state] = simple_rnn_seq(inputs);
    std::cout << "whole_sequence_output: " << whole_sequence_output.shape().to_string() << "\n";  // (32, 10, 4)
    std::cout << "final_state: " << final_state->shape().to_string() << "\n";                     // (32, 4)
    return 0;
}
