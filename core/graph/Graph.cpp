#include "graph/Graph.h"

#include <algorithm>
#include <set>

#include "util/Errors.h"

namespace fp::graph {

namespace {

constexpr std::pair<Op, std::string_view> kOpNames[] = {
    {Op::Input, "Input"}, {Op::Conv2d, "Conv2d"}, {Op::BatchNorm, "BatchNorm"}, {Op::Scale, "Scale"},
    {Op::ReLU, "ReLU"}, {Op::Clip, "Clip"}, {Op::PReLU, "PReLU"}, {Op::MaxPool, "MaxPool"},
    {Op::AvgPool, "AvgPool"}, {Op::GlobalAvgPool, "GlobalAvgPool"}, {Op::Pad, "Pad"}, {Op::Add, "Add"},
    {Op::Concat, "Concat"}, {Op::Flatten, "Flatten"}, {Op::Linear, "Linear"}, {Op::Dropout, "Dropout"},
    {Op::L2Norm, "L2Norm"},
};

std::string where(const Node& n) { return "layer '" + n.name + "' (" + std::string(opName(n.op)) + ")"; }

// Values per sample beyond which a shape is refused: 2^26 floats (256 MiB) per sample is far beyond any
// face-recognition network, and the bound keeps every size, element and MAC count within int64_t
// (a file can declare any size; inferring from it must not overflow).
constexpr int64_t kMaxValues = int64_t{1} << 26;

bool tooLarge(const Shape& s) {
    return s.c > kMaxValues || s.h > kMaxValues || s.w > kMaxValues || s.c * s.h > kMaxValues ||
           s.c * s.h * s.w > kMaxValues;
}

// Kernel, stride and dilation at least 1 (a stride of 0 would divide by zero), padding not negative.
void checkWindow(const Node& n, bool dilated) {
    const Window& w = n.window;
    if (w.kh < 1 || w.kw < 1 || w.sh < 1 || w.sw < 1 || (dilated && (w.dh < 1 || w.dw < 1)))
        throw GraphError(where(n) + ": kernel " + std::to_string(w.kh) + "x" + std::to_string(w.kw) + ", stride " +
                         std::to_string(w.sh) + "x" + std::to_string(w.sw) + " and dilation " +
                         std::to_string(w.dh) + "x" + std::to_string(w.dw) + " must all be at least 1");
    if (w.padTop < 0 || w.padLeft < 0 || w.padBottom < 0 || w.padRight < 0)
        throw GraphError(where(n) + ": negative padding");
}

int64_t windowOut(int64_t in, int k, int s, int p0, int p1, int d, bool ceil) {
    const int64_t span = in + p0 + p1 - (static_cast<int64_t>(d) * (static_cast<int64_t>(k) - 1) + 1);
    if (span < 0) return 0;
    int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
    // PyTorch/ONNX rule: the last window must start inside the input or left padding.
    if (ceil && (out - 1) * s >= in + p0) --out;
    return out;
}

void expectParam(const Node& n, const std::string& key, const std::vector<int64_t>& shape) {
    auto it = n.params.find(key);
    if (it == n.params.end()) throw GraphError(where(n) + ": missing parameter '" + key + "'");
    if (it->second.shape != shape) {
        Tensor expected;
        expected.shape = shape;
        throw GraphError(where(n) + ": parameter '" + key + "' has shape " + it->second.shapeString() +
                         ", expected " + expected.shapeString());
    }
}

}  // namespace

std::string_view opName(Op op) {
    for (auto& [o, s] : kOpNames)
        if (o == op) return s;
    return "?";
}

std::optional<Op> opFromName(std::string_view name) {
    for (auto& [o, s] : kOpNames)
        if (s == name) return o;
    return std::nullopt;
}

std::string Shape::toString() const {
    if (flat) return std::to_string(c);
    return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

const Tensor& Node::param(const std::string& key) const {
    auto it = params.find(key);
    if (it == params.end()) throw GraphError(where(*this) + ": no parameter '" + key + "'");
    return it->second;
}

Tensor& Node::param(const std::string& key) {
    return const_cast<Tensor&>(static_cast<const Node*>(this)->param(key));
}

bool Node::isDepthwise() const { return op == Op::Conv2d && groups > 1 && groups == outChannels; }

Node& Graph::add(Node node) {
    if (node.name.empty()) throw GraphError("a layer has no name");
    if (find(node.name)) throw GraphError("two layers are named '" + node.name + "'");
    for (const auto& in : node.inputs)
        if (!find(in)) throw GraphError(where(node) + ": input '" + in + "' does not exist (yet)");
    nodes_.push_back(std::move(node));
    return nodes_.back();
}

void Graph::setOutputs(std::string embedding, std::string logits) {
    if (!find(embedding)) throw GraphError("embedding output '" + embedding + "' is not a layer");
    if (!logits.empty() && !find(logits)) throw GraphError("logits output '" + logits + "' is not a layer");
    embedding_ = std::move(embedding);
    logits_ = std::move(logits);
}

const Node* Graph::find(std::string_view n) const {
    for (const auto& node : nodes_)
        if (node.name == n) return &node;
    return nullptr;
}

Node* Graph::find(std::string_view n) { return const_cast<Node*>(static_cast<const Graph*>(this)->find(n)); }

const Node& Graph::at(std::string_view n) const {
    if (const Node* node = find(n)) return *node;
    throw GraphError("no layer named '" + std::string(n) + "'");
}

Node& Graph::at(std::string_view n) { return const_cast<Node&>(static_cast<const Graph*>(this)->at(n)); }

int Graph::indexOf(std::string_view n) const {
    for (size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].name == n) return static_cast<int>(i);
    return -1;
}

std::vector<std::string> Graph::consumers(std::string_view n) const {
    std::vector<std::string> out;
    for (const auto& node : nodes_)
        if (std::find(node.inputs.begin(), node.inputs.end(), n) != node.inputs.end()) out.push_back(node.name);
    return out;
}

const std::string& Graph::inputName() const {
    for (const auto& node : nodes_)
        if (node.op == Op::Input) return node.name;
    throw GraphError("the graph has no input layer");
}

void Graph::inferShapes() {
    for (auto& n : nodes_) {
        std::vector<Shape> in;
        for (const auto& name : n.inputs) {
            const Node* producer = find(name);
            if (!producer) throw GraphError(where(n) + ": input '" + name + "' is not a layer");
            in.push_back(producer->shape);
        }
        auto needInputs = [&](size_t count) {
            if (in.size() != count)
                throw GraphError(where(n) + ": expects " + std::to_string(count) + " input(s), has " +
                                 std::to_string(in.size()));
        };
        auto needSpatial = [&]() {
            if (in[0].flat) throw GraphError(where(n) + ": expects an image-shaped input, got a flat vector");
        };
        switch (n.op) {
        case Op::Input:
            needInputs(0);
            n.shape = n.inputShape;
            break;
        case Op::Conv2d: {
            needInputs(1);
            needSpatial();
            const auto& w = n.window;
            checkWindow(n, true);
            if (n.groups < 1 || in[0].c % n.groups || n.outChannels % n.groups)
                throw GraphError(where(n) + ": " + std::to_string(in[0].c) + " input and " +
                                 std::to_string(n.outChannels) + " output channels do not divide into " +
                                 std::to_string(n.groups) + " groups");
            expectParam(n, "weight", {n.outChannels, in[0].c / n.groups, w.kh, w.kw});
            if (n.hasParam("bias")) expectParam(n, "bias", {n.outChannels});
            n.shape = {n.outChannels, windowOut(in[0].h, w.kh, w.sh, w.padTop, w.padBottom, w.dh, false),
                       windowOut(in[0].w, w.kw, w.sw, w.padLeft, w.padRight, w.dw, false), false};
            break;
        }
        case Op::BatchNorm:
            needInputs(1);
            for (const char* key : {"weight", "bias", "running_mean", "running_var"}) expectParam(n, key, {in[0].c});
            n.shape = in[0];
            break;
        case Op::Scale:
            needInputs(1);
            expectParam(n, "weight", {in[0].c});
            expectParam(n, "bias", {in[0].c});
            n.shape = in[0];
            break;
        case Op::PReLU: {
            needInputs(1);
            const auto& slope = n.param("slope");
            if (slope.numel() != 1 && slope.numel() != in[0].c)
                throw GraphError(where(n) + ": has " + std::to_string(slope.numel()) + " slopes for " +
                                 std::to_string(in[0].c) + " channels");
            n.shape = in[0];
            break;
        }
        case Op::ReLU:
        case Op::Clip:
        case Op::Dropout:
        case Op::L2Norm:
            needInputs(1);
            n.shape = in[0];
            break;
        case Op::MaxPool:
        case Op::AvgPool: {
            needInputs(1);
            needSpatial();
            const auto& w = n.window;
            checkWindow(n, false);
            n.shape = {in[0].c, windowOut(in[0].h, w.kh, w.sh, w.padTop, w.padBottom, 1, w.ceilMode),
                       windowOut(in[0].w, w.kw, w.sw, w.padLeft, w.padRight, 1, w.ceilMode), false};
            break;
        }
        case Op::GlobalAvgPool:
            needInputs(1);
            needSpatial();
            n.shape = {in[0].c, 1, 1, false};
            break;
        case Op::Pad:
            needInputs(1);
            needSpatial();
            for (int64_t p : n.pads)
                if (p < 0 || p > kMaxValues) throw GraphError(where(n) + ": padding " + std::to_string(p) + " is out of range");
            n.shape = {in[0].c + n.pads[0] + n.pads[1], in[0].h + n.pads[2] + n.pads[3],
                       in[0].w + n.pads[4] + n.pads[5], false};
            break;
        case Op::Add:
            if (in.size() < 2) throw GraphError(where(n) + ": needs at least two inputs");
            for (size_t i = 1; i < in.size(); ++i)
                if (!(in[i] == in[0]))
                    throw GraphError(where(n) + ": adds '" + n.inputs[0] + "' (" + in[0].toString() + ") and '" +
                                     n.inputs[i] + "' (" + in[i].toString() + "), shapes differ");
            n.shape = in[0];
            break;
        case Op::Concat: {
            if (in.empty()) throw GraphError(where(n) + ": has no inputs");
            Shape s = in[0];
            for (size_t i = 1; i < in.size(); ++i) {
                if (in[i].h != s.h || in[i].w != s.w || in[i].flat != s.flat)
                    throw GraphError(where(n) + ": input '" + n.inputs[i] + "' is " + in[i].toString() +
                                     ", not concatenable with " + s.toString());
                s.c += in[i].c;
            }
            n.shape = s;
            break;
        }
        case Op::Flatten:
            needInputs(1);
            n.shape = {in[0].numel(), 1, 1, true};
            break;
        case Op::Linear: {
            needInputs(1);
            if (!in[0].flat) throw GraphError(where(n) + ": expects a flat input; add a Flatten before it");
            expectParam(n, "weight", {n.outChannels, in[0].c});
            if (n.hasParam("bias")) expectParam(n, "bias", {n.outChannels});
            n.shape = {n.outChannels, 1, 1, true};
            break;
        }
        }
        if (n.shape.c <= 0 || n.shape.h <= 0 || n.shape.w <= 0)
            throw GraphError(where(n) + ": output would be empty (" + n.shape.toString() + "); the input is too small");
        if (tooLarge(n.shape))
            throw GraphError(where(n) + ": output " + n.shape.toString() + " holds more than 2^26 values per sample; " +
                             "refusing a shape this large");
    }
}

NodeCost Graph::cost(const Node& n) const {
    NodeCost c;
    for (const auto& [key, t] : n.params)
        if (key != "running_mean" && key != "running_var") c.params += t.numel();
    if (n.op == Op::Conv2d) {
        const auto& w = n.param("weight");
        c.macs = n.shape.h * n.shape.w * n.outChannels * w.dim(1) * w.dim(2) * w.dim(3);
    } else if (n.op == Op::Linear) {
        c.macs = n.param("weight").numel();
    }
    return c;
}

std::set<std::string> Graph::ancestors(const std::string& name) const {
    std::set<std::string> seen;
    std::vector<std::string> stack{name};
    while (!stack.empty()) {
        auto n = stack.back();
        stack.pop_back();
        if (!seen.insert(n).second) continue;
        for (const auto& in : at(n).inputs) stack.push_back(in);
    }
    return seen;
}

NodeCost Graph::totalCost(bool includeHead) const {
    NodeCost total;
    // Without the head: only what the embedding depends on.
    const auto backbone = includeHead ? std::set<std::string>{} : ancestors(embedding_);
    for (const auto& n : nodes_) {
        if (!includeHead && !backbone.count(n.name)) continue;
        auto c = cost(n);
        total.params += c.params;
        total.macs += c.macs;
    }
    return total;
}

void Graph::removeUnused() {
    std::set<std::string> live = ancestors(embedding_);
    if (!logits_.empty()) live.merge(ancestors(logits_));
    std::erase_if(nodes_, [&](const Node& n) { return n.op != Op::Input && !live.count(n.name); });
}

void Graph::rewire(const std::string& from, const std::string& to) {
    for (auto& n : nodes_)
        for (auto& in : n.inputs)
            if (in == from) in = to;
    if (embedding_ == from) embedding_ = to;
    if (logits_ == from) logits_ = to;
}

void Graph::erase(const std::string& name) {
    if (!consumers(name).empty()) throw GraphError("cannot remove layer '" + name + "': it is still used");
    std::erase_if(nodes_, [&](const Node& n) { return n.name == name; });
}

}  // namespace fp::graph
