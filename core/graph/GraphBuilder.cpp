#include "graph/GraphBuilder.h"

#include <cmath>

namespace fp::graph {

GraphBuilder::GraphBuilder(std::string graphName, Shape input, uint32_t seed) : rng_(seed) {
    graph_.name = std::move(graphName);
    Node in;
    in.name = inputName_ = "input";
    in.op = Op::Input;
    in.outChannels = input.c;
    in.inputShape = input;
    append(std::move(in));
}

Shape GraphBuilder::shapeOf(const std::string& node) const { return graph_.at(node).shape; }

std::string GraphBuilder::append(Node node) {
    graph_.add(std::move(node));
    graph_.inferShapes();
    return graph_.nodes().back().name;
}

Tensor GraphBuilder::randomNormal(std::vector<int64_t> shape, float stddev) {
    Tensor t = Tensor::zeros(std::move(shape));
    std::normal_distribution<float> dist(0.f, stddev);
    for (auto& v : t.data) v = dist(rng_);
    return t;
}

Tensor GraphBuilder::randomUniform(std::vector<int64_t> shape, float bound) {
    Tensor t = Tensor::zeros(std::move(shape));
    std::uniform_real_distribution<float> dist(-bound, bound);
    for (auto& v : t.data) v = dist(rng_);
    return t;
}

std::string GraphBuilder::conv(const std::string& from, const std::string& name, const ConvSpec& s) {
    Window w;
    w.kh = w.kw = s.kernel;
    w.sh = w.sw = s.stride;
    w.padTop = w.padLeft = w.padBottom = w.padRight = s.pad;
    w.dh = w.dw = s.dilation;
    return conv(from, name, s.out, w, s.groups, s.bias);
}

std::string GraphBuilder::conv(const std::string& from, const std::string& name, int64_t out, const Window& window,
                               int groups, bool bias) {
    const int64_t in = shapeOf(from).c;
    Node n;
    n.name = name;
    n.op = Op::Conv2d;
    n.inputs = {from};
    n.outChannels = out;
    n.groups = groups;
    n.window = window;
    // Kaiming normal, fan-out mode (as torchvision initialises its CNNs; torch's
    // fan-out counts all output channels, grouped or not).
    const float fanOut = static_cast<float>(out * window.kh * window.kw);
    n.params["weight"] = randomNormal({out, in / groups, window.kh, window.kw}, std::sqrt(2.f / fanOut));
    if (bias) n.params["bias"] = Tensor::zeros({out});
    return append(std::move(n));
}

std::string GraphBuilder::batchNorm(const std::string& from, const std::string& name, float eps) {
    const int64_t c = shapeOf(from).c;
    Node n;
    n.name = name;
    n.op = Op::BatchNorm;
    n.inputs = {from};
    n.eps = eps;
    n.params["weight"] = Tensor::filled({c}, 1.f);
    n.params["bias"] = Tensor::zeros({c});
    n.params["running_mean"] = Tensor::zeros({c});
    n.params["running_var"] = Tensor::filled({c}, 1.f);
    return append(std::move(n));
}

std::string GraphBuilder::scale(const std::string& from, const std::string& name) {
    const int64_t c = shapeOf(from).c;
    Node n;
    n.name = name;
    n.op = Op::Scale;
    n.inputs = {from};
    n.params["weight"] = Tensor::filled({c}, 1.f);
    n.params["bias"] = Tensor::zeros({c});
    return append(std::move(n));
}

namespace {
Node simple(const std::string& from, const std::string& name, Op op) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = {from};
    return n;
}
}  // namespace

std::string GraphBuilder::relu(const std::string& from, const std::string& name) {
    return append(simple(from, name, Op::ReLU));
}

std::string GraphBuilder::clip(const std::string& from, const std::string& name, float lo, float hi) {
    Node n = simple(from, name, Op::Clip);
    n.clipMin = lo;
    n.clipMax = hi;
    return append(std::move(n));
}

std::string GraphBuilder::prelu(const std::string& from, const std::string& name, float init) {
    Node n = simple(from, name, Op::PReLU);
    n.params["slope"] = Tensor::filled({shapeOf(from).c}, init);
    return append(std::move(n));
}

namespace {
Window poolWindow(int kernel, int stride, int pad, bool ceilMode) {
    Window w;
    w.kh = w.kw = kernel;
    w.sh = w.sw = stride;
    w.padTop = w.padLeft = w.padBottom = w.padRight = pad;
    w.ceilMode = ceilMode;
    return w;
}
}  // namespace

std::string GraphBuilder::maxPool(const std::string& from, const std::string& name, int kernel, int stride, int pad,
                                  bool ceilMode) {
    Node n = simple(from, name, Op::MaxPool);
    n.window = poolWindow(kernel, stride, pad, ceilMode);
    return append(std::move(n));
}

std::string GraphBuilder::avgPool(const std::string& from, const std::string& name, int kernel, int stride, int pad,
                                  bool ceilMode) {
    Node n = simple(from, name, Op::AvgPool);
    n.window = poolWindow(kernel, stride, pad, ceilMode);
    return append(std::move(n));
}

std::string GraphBuilder::globalAvgPool(const std::string& from, const std::string& name) {
    return append(simple(from, name, Op::GlobalAvgPool));
}

std::string GraphBuilder::pad(const std::string& from, const std::string& name, std::array<int64_t, 6> pads) {
    Node n = simple(from, name, Op::Pad);
    n.pads = pads;
    return append(std::move(n));
}

std::string GraphBuilder::add(const std::vector<std::string>& from, const std::string& name) {
    Node n;
    n.name = name;
    n.op = Op::Add;
    n.inputs = from;
    return append(std::move(n));
}

std::string GraphBuilder::concat(const std::vector<std::string>& from, const std::string& name) {
    Node n;
    n.name = name;
    n.op = Op::Concat;
    n.inputs = from;
    return append(std::move(n));
}

std::string GraphBuilder::flatten(const std::string& from, const std::string& name) {
    return append(simple(from, name, Op::Flatten));
}

std::string GraphBuilder::linear(const std::string& from, const std::string& name, int64_t out, bool bias) {
    const int64_t in = shapeOf(from).c;
    Node n = simple(from, name, Op::Linear);
    n.outChannels = out;
    // PyTorch's default Linear initialisation bound, 1/sqrt(fan_in).
    const float bound = 1.f / std::sqrt(static_cast<float>(in));
    n.params["weight"] = randomUniform({out, in}, bound);
    if (bias) n.params["bias"] = randomUniform({out}, bound);
    return append(std::move(n));
}

std::string GraphBuilder::dropout(const std::string& from, const std::string& name, float rate) {
    Node n = simple(from, name, Op::Dropout);
    n.dropRate = rate;
    return append(std::move(n));
}

std::string GraphBuilder::l2norm(const std::string& from, const std::string& name) {
    Node n = simple(from, name, Op::L2Norm);
    n.eps = 1e-12f;
    return append(std::move(n));
}

Graph GraphBuilder::finish(const std::string& embedding, const std::string& logits) {
    graph_.setOutputs(embedding, logits);
    graph_.inferShapes();
    return std::move(graph_);
}

}  // namespace fp::graph
