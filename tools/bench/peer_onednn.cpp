// oneDNN peer: the vanilla_rnn_forward primitive (tanh, inference), weights reordered once into the layout the
// primitive prefers (outside the timing), src/dst in ntc = our [B, T, F] / [B, T, U]. Threads: OMP_NUM_THREADS.
#include "peer_common.hpp"

#include <oneapi/dnnl/dnnl.hpp>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

int main(int argc, char** argv) {
    const auto a = peer::parse(argc, argv);
    peer::Problem p(a);
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    const memory::dim B = a.B, T = a.T, F = a.F, U = a.U;
    const memory::desc src_md({T, B, F}, dt::f32, tag::ntc);
    const memory::desc dst_md({T, B, U}, dt::f32, tag::ntc);
    const memory::desc wl_user({1, 1, F, 1, U}, dt::f32, tag::ldigo);  // Keras kernel [F, U]
    const memory::desc wi_user({1, 1, U, 1, U}, dt::f32, tag::ldigo);  // Keras recurrent kernel [U, U]
    const memory::desc bias_md({1, 1, 1, U}, dt::f32, tag::ldgo);
    const memory::desc wl_any({1, 1, F, 1, U}, dt::f32, tag::any), wi_any({1, 1, U, 1, U}, dt::f32, tag::any);
    vanilla_rnn_forward::desc desc(prop_kind::forward_inference, algorithm::eltwise_tanh,
                                   rnn_direction::unidirectional_left2right, src_md, memory::desc(), wl_any, wi_any,
                                   bias_md, dst_md, memory::desc());
    vanilla_rnn_forward::primitive_desc pd(desc, eng);

    memory src(src_md, eng, p.x.data()), dst(dst_md, eng), bias(bias_md, eng, p.bias.data());
    memory wl_u(wl_user, eng, p.kernel.data()), wi_u(wi_user, eng, p.recurrent.data());
    memory wl(pd.weights_layer_desc(), eng), wi(pd.weights_iter_desc(), eng);
    reorder(wl_u, wl).execute(s, wl_u, wl);
    reorder(wi_u, wi).execute(s, wi_u, wi);
    memory scratch(pd.scratchpad_desc(), eng), workspace;
    vanilla_rnn_forward prim(pd);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, src},       {DNNL_ARG_WEIGHTS_LAYER, wl},
                                         {DNNL_ARG_WEIGHTS_ITER, wi},     {DNNL_ARG_BIAS, bias},
                                         {DNNL_ARG_DST_LAYER, dst},       {DNNL_ARG_SCRATCHPAD, scratch}};
    peer::time_calls(a, [&] {
        prim.execute(s, args);
        s.wait();
    });
    const float* out = static_cast<const float*>(dst.get_data_handle());
    peer::dump_last(a, [&](long b, long u) { return out[(b * a.T + a.T - 1) * a.U + u]; });
}
