#include "graph/NormalisationFold.h"

#include <cmath>

namespace fp::graph {

ChannelAffine normalisationAffine(const Node& n) {
    const auto& weight = n.param("weight").data;
    const auto& bias = n.param("bias").data;
    ChannelAffine a;
    a.scale.resize(weight.size());
    a.shift.resize(weight.size());
    for (size_t k = 0; k < weight.size(); ++k) {
        if (n.op == Op::BatchNorm) {
            a.scale[k] = weight[k] / std::sqrt(double(n.param("running_var").data[k]) + n.eps);
            a.shift[k] = bias[k] - n.param("running_mean").data[k] * a.scale[k];
        } else {
            a.scale[k] = weight[k];
            a.shift[k] = bias[k];
        }
    }
    return a;
}

bool foldsIntoProducer(const Graph& g, const Node& n) {
    if ((n.op != Op::BatchNorm && n.op != Op::Scale) || n.inputs.size() != 1) return false;
    const Node& p = g.at(n.inputs[0]);
    if (p.op != Op::Conv2d && p.op != Op::Linear) return false;
    if (p.name == g.embeddingName() || p.name == g.logitsName()) return false;
    const auto users = g.consumers(p.name);
    return users.size() == 1 && users[0] == n.name;
}

namespace {

// y = (W x + b) * s + t  =  (W * s) x + (b * s + t), per output channel.
void foldInto(Node& p, const ChannelAffine& a) {
    Tensor& w = p.param("weight");
    const int64_t out = w.dim(0);
    const int64_t per = w.numel() / out;
    std::vector<float> oldBias = p.hasParam("bias") ? p.param("bias").data : std::vector<float>(size_t(out), 0.f);
    std::vector<float> bias(static_cast<size_t>(out));
    for (int64_t o = 0; o < out; ++o) {
        for (int64_t i = 0; i < per; ++i)
            w.data[size_t(o * per + i)] = static_cast<float>(w.data[size_t(o * per + i)] * a.scale[size_t(o)]);
        bias[size_t(o)] = static_cast<float>(oldBias[size_t(o)] * a.scale[size_t(o)] + a.shift[size_t(o)]);
    }
    p.params["bias"] = Tensor({out}, std::move(bias));
}

}  // namespace

int foldNormalisations(Graph& g) {
    int folded = 0;
    for (size_t i = 0; i < g.nodes().size();) {
        const Node& n = g.nodes()[i];
        if (!foldsIntoProducer(g, n)) {
            ++i;
            continue;
        }
        const std::string name = n.name, producer = n.inputs[0];
        foldInto(g.at(producer), normalisationAffine(n));
        g.rewire(name, producer);  // also moves an output role from the normalisation onto the producer
        g.erase(name);             // the next node now sits at index i
        ++folded;
    }
    return folded;
}

}  // namespace fp::graph
