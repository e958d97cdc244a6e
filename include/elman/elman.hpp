// SPDX-License-Identifier: MIT
// Umbrella header: everything elman offers. `#include <elman/elman.hpp>` and use `elman::SimpleRNN`.
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/activations.hpp>
#include <elman/config.hpp>
#include <elman/constraints.hpp>
#include <elman/dense.hpp>
#include <elman/exceptions.hpp>
#include <elman/initializers.hpp>
#include <elman/isa.hpp>
#include <elman/mask.hpp>
#include <elman/parameter.hpp>
#include <elman/random.hpp>
#include <elman/regularizers.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_options.hpp>
#include <elman/simple_rnn_weights.hpp>
#include <elman/stream.hpp>
#include <elman/tensor.hpp>
#include <elman/train/backward.hpp>
#include <elman/train/optimizers.hpp>
#include <elman/train/variable.hpp>
#include <elman/version.hpp>
