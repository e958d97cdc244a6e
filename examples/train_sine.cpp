// Training a SimpleRNN end to end: one-step-ahead prediction of noisy sine waves.
//
// Model (Keras equivalent):
//   model = Sequential([SimpleRNN(16, input_shape=(24, 1)), Dense(1)])
//   model.compile(optimizer=Adam(0.01), loss="mse")
//   model.fit(x, y, batch_size=32, epochs=40)   # learning rate halved every 10 epochs
//
// Every sample is a window of 24 noisy observations of sin(w t + phase) with a random frequency w in
// [0.15, 0.45] rad/step and random phase; the target is the next noisy observation (noise sd 0.05, so the best
// possible MSE is 0.0025). Two trivial baselines are printed for comparison: predicting the mean (MSE = the
// targets' variance, ~0.5) and repeating the last input (persistence, ~0.05).
//
// Usage: example_train_sine [plot.svg] [--quick]
//   Writes an SVG with the loss curves and the predictions vs. targets on a held-out wave to plot.svg (default
//   training.svg in the working directory). --quick trains 8 epochs instead of 40 (used for smoke tests).
//   Exits with status 1 if the model did not learn (test MSE not below a quarter of the persistence baseline).
#include <elman/elman.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace {

using elman::Index;
constexpr Index kTimesteps = 24;
constexpr double kNoise = 0.05;

struct Dataset {
    elman::Tensor<float> x;  // [N, T, 1]
    elman::Tensor<float> y;  // [N, 1]
};

Dataset make_dataset(Index n, elman::Random& rng) {
    Dataset d{elman::Tensor<float>({n, kTimesteps, 1}), elman::Tensor<float>({n, 1})};
    for (Index i = 0; i < n; ++i) {
        const double w = rng.uniform(0.15, 0.45), phase = rng.uniform(0.0, 6.283185307179586);
        for (Index t = 0; t <= kTimesteps; ++t) {
            const double v = std::sin(w * static_cast<double>(t) + phase) + kNoise * rng.normal();
            if (t < kTimesteps) {
                d.x(i, t, 0) = static_cast<float>(v);
            } else {
                d.y(i, 0) = static_cast<float>(v);
            }
        }
    }
    return d;
}

// Rows [first, first + count) of a dataset as a mini-batch (copies; tiny).
Dataset slice(const Dataset& d, const std::vector<Index>& order, Index first, Index count) {
    Dataset b{elman::Tensor<float>({count, kTimesteps, 1}), elman::Tensor<float>({count, 1})};
    for (Index i = 0; i < count; ++i) {
        const Index src = order[static_cast<std::size_t>(first + i)];
        for (Index t = 0; t < kTimesteps; ++t) b.x(i, t, 0) = d.x(src, t, 0);
        b.y(i, 0) = d.y(src, 0);
    }
    return b;
}

struct Model {
    elman::SimpleRNN<float> rnn;
    elman::Dense<float> head;
    elman::Adam<float> adam{0.01};

    static elman::SimpleRNNOptions rnn_options() {
        elman::SimpleRNNOptions o;
        o.input_dim = 1;
        o.kernel_initializer = elman::Initializer::glorot_uniform(1);
        o.recurrent_initializer = elman::Initializer::orthogonal(1.0, 2);
        return o;
    }
    Model() : rnn(16, rnn_options()), head(16, 1, elman::Initializer::glorot_uniform(3)) {}

    elman::Tensor<float> predict(const elman::Tensor<float>& x) { return head(rnn(x).output); }

    // One Adam step on a mini-batch; returns its MSE before the step.
    float train_step(const Dataset& batch) {
        elman::ForwardTrace<float> trace;
        elman::CallArgs<float> args;
        args.trace = &trace;
        const auto r = rnn(batch.x, args);
        const auto pred = head(r.output);
        const auto n = static_cast<float>(pred.size());
        elman::Tensor<float> grad(pred.shape());
        grad.matrix() = (pred.matrix() - batch.y.matrix()) * (2.0f / n);  // d MSE / d pred
        const auto g_head = head.backward(r.output, grad);
        const auto g_rnn = elman::backward(rnn, trace, r, g_head.inputs.view());
        auto vars = elman::trainable_variables(rnn, g_rnn);
        for (auto& v : elman::trainable_variables(head, g_head)) vars.push_back(v);
        adam.apply_gradients(vars);
        return (pred.matrix() - batch.y.matrix()).squaredNorm() / n;
    }
};

double mse(const elman::Tensor<float>& a, const elman::Tensor<float>& b) {
    return static_cast<double>((a.matrix() - b.matrix()).squaredNorm()) / static_cast<double>(a.size());
}

// ---- a minimal SVG line plot ------------------------------------------------------------------------------------
struct Series {
    std::vector<double> values;
    std::string colour, label;
};

void plot_panel(std::ostream& svg, double x0, double y0, double w, double h, const std::string& title,
                const std::string& x_label, const std::vector<Series>& series, bool log_y) {
    double lo = INFINITY, hi = -INFINITY;
    std::size_t n = 0;
    auto f = [&](double v) { return log_y ? std::log10(v) : v; };
    for (const auto& s : series) {
        n = std::max(n, s.values.size());
        for (double v : s.values) {
            lo = std::min(lo, f(v));
            hi = std::max(hi, f(v));
        }
    }
    if (log_y) {
        lo = std::floor(lo);
        hi = std::ceil(hi);
    } else {
        const double pad = 0.05 * (hi - lo);
        lo -= pad;
        hi += pad;
    }
    const double left = x0 + 60, right = x0 + w - 10, top = y0 + 30, bottom = y0 + h - 40;
    auto px = [&](std::size_t i) {
        return left + (right - left) * static_cast<double>(i) / static_cast<double>(std::max<std::size_t>(n - 1, 1));
    };
    auto py = [&](double v) { return bottom - (bottom - top) * (f(v) - lo) / (hi - lo); };
    svg << "<text x='" << x0 + w / 2 << "' y='" << y0 + 18 << "' text-anchor='middle' font-size='14'>" << title
        << "</text>\n";
    svg << "<rect x='" << left << "' y='" << top << "' width='" << right - left << "' height='" << bottom - top
        << "' fill='none' stroke='#888'/>\n";
    const int ticks = log_y ? static_cast<int>(hi - lo) : 4;
    for (int k = 0; k <= ticks; ++k) {
        const double v = lo + (hi - lo) * k / ticks;
        const double y = bottom - (bottom - top) * k / ticks;
        char text[32];
        if (log_y) {
            std::snprintf(text, sizeof text, "1e%d", static_cast<int>(std::lround(v)));
        } else {
            std::snprintf(text, sizeof text, "%.2f", v);
        }
        svg << "<line x1='" << left << "' x2='" << right << "' y1='" << y << "' y2='" << y << "' stroke='#ddd'/>"
            << "<text x='" << left - 5 << "' y='" << y + 4 << "' text-anchor='end' font-size='11'>" << text
            << "</text>\n";
    }
    svg << "<text x='" << (left + right) / 2 << "' y='" << bottom + 30 << "' text-anchor='middle' font-size='12'>"
        << x_label << "</text>\n";
    svg << "<text x='" << left << "' y='" << bottom + 15 << "' text-anchor='middle' font-size='11'>1</text>"
        << "<text x='" << right << "' y='" << bottom + 15 << "' text-anchor='middle' font-size='11'>" << n
        << "</text>\n";
    double legend_y = log_y ? bottom - 16.0 * static_cast<double>(series.size()) + 8 : top + 15;
    for (const auto& s : series) {
        svg << "<polyline fill='none' stroke='" << s.colour << "' stroke-width='1.8' points='";
        for (std::size_t i = 0; i < s.values.size(); ++i) svg << px(i) << ',' << py(s.values[i]) << ' ';
        svg << "'/>\n<text x='" << right - 10 << "' y='" << legend_y << "' text-anchor='end' font-size='12' fill='"
            << s.colour << "'>" << s.label << "</text>\n";
        legend_y += 16;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string svg_path = "training.svg";
    int epochs = 40;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick") {
            epochs = 8;
        } else {
            svg_path = arg;
        }
    }
    const auto start = std::chrono::steady_clock::now();
    elman::Random rng(2024);
    const Dataset train = make_dataset(1024, rng), test = make_dataset(256, rng);

    // Trivial baselines on the test set.
    const double mean_y = static_cast<double>(test.y.matrix().mean());
    double var = 0, persistence = 0;
    for (Index i = 0; i < test.y.dim(0); ++i) {
        var += std::pow(test.y(i, 0) - mean_y, 2);
        persistence += std::pow(static_cast<double>(test.y(i, 0) - test.x(i, kTimesteps - 1, 0)), 2);
    }
    var /= static_cast<double>(test.y.dim(0));
    persistence /= static_cast<double>(test.y.dim(0));
    std::printf("baselines on the test set: predict-the-mean MSE %.4f, repeat-last-value MSE %.4f, noise floor %.4f\n",
                var, persistence, kNoise * kNoise);

    Model model;
    std::vector<double> train_curve, test_curve;
    std::vector<Index> order(static_cast<std::size_t>(train.x.dim(0)));
    std::iota(order.begin(), order.end(), Index(0));
    const Index batch = 32;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        // Step decay: halve the learning rate every quarter of the run, so the last epochs settle.
        model.adam.set_learning_rate(0.01 * std::pow(0.5, std::floor(4.0 * (epoch - 1) / epochs)));
        for (std::size_t i = order.size() - 1; i > 0; --i)  // Fisher-Yates shuffle, as fit(shuffle=True)
            std::swap(order[i], order[static_cast<std::size_t>(rng.next_u64() % (i + 1))]);
        double sum = 0;
        Index batches = 0;
        for (Index first = 0; first + batch <= train.x.dim(0); first += batch, ++batches)
            sum += static_cast<double>(model.train_step(slice(train, order, first, batch)));
        const double train_mse = sum / static_cast<double>(batches);
        const double test_mse = mse(model.predict(test.x), test.y);
        train_curve.push_back(train_mse);
        test_curve.push_back(test_mse);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("epoch %2d/%d  train_mse %.5f  test_mse %.5f  (%.1f s)\n", epoch, epochs, train_mse, test_mse,
                    seconds);
    }

    // Predictions vs. targets on one held-out wave, one step ahead at every position.
    const Index length = 120;
    std::vector<double> wave(static_cast<std::size_t>(length + kTimesteps));
    for (std::size_t t = 0; t < wave.size(); ++t)
        wave[t] = std::sin(0.3 * static_cast<double>(t) + 1.0) + kNoise * rng.normal();
    elman::Tensor<float> windows({length, kTimesteps, 1});
    std::vector<double> targets, predictions;
    for (Index i = 0; i < length; ++i) {
        for (Index t = 0; t < kTimesteps; ++t)
            windows(i, t, 0) = static_cast<float>(wave[static_cast<std::size_t>(i + t)]);
        targets.push_back(wave[static_cast<std::size_t>(i + kTimesteps)]);
    }
    const auto pred = model.predict(windows);
    for (Index i = 0; i < length; ++i) predictions.push_back(static_cast<double>(pred(i, 0)));

    std::ofstream svg(svg_path);
    if (!svg) {
        std::cerr << "cannot write " << svg_path << "\n";
        return 2;
    }
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='360' font-family='sans-serif'>\n"
        << "<rect width='1000' height='360' fill='white'/>\n";
    std::vector<double> mean_line(train_curve.size(), var), persistence_line(train_curve.size(), persistence);
    plot_panel(svg, 0, 0, 480, 360, "SimpleRNN(16) + Dense(1), Adam: MSE per epoch", "epoch",
               {{train_curve, "#1f77b4", "train"},
                {test_curve, "#d62728", "test"},
                {mean_line, "#999999", "baseline: predict mean"},
                {persistence_line, "#2ca02c", "baseline: repeat last value"}},
               true);
    plot_panel(svg, 500, 0, 500, 360, "Held-out noisy sine: next-value prediction", "time step",
               {{targets, "#444444", "target"}, {predictions, "#d62728", "prediction"}}, false);
    svg << "</svg>\n";

    const double final_test = test_curve.back();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("final test MSE %.5f vs. baselines %.4f (mean) and %.4f (persistence); %.1f s; plot written to %s\n",
                final_test, var, persistence, seconds, svg_path.c_str());
    if (!(final_test < 0.25 * persistence)) {
        std::printf("the model did not learn\n");
        return 1;
    }
    return 0;
}
