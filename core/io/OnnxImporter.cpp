#include "io/OnnxImporter.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "io/DeclaredShape.h"
#include "io/OnnxConstants.h"
#include "io/PreprocessJson.h"
#include "util/Errors.h"

namespace fp::io {

using graph::Node;
using graph::Op;

namespace {

using Constant = OnnxConstant;

class Importer {
public:
    explicit Importer(std::filesystem::path path) : path_(std::move(path)), file_(path_.string()) {}

    graph::Graph run();

private:
    [[noreturn]] void fail(const std::string& what) const { throw ModelFileError(file_ + ": " + what); }
    std::string describe(const onnx::NodeProto& n) const {
        return "node '" + (n.name().empty() ? n.output(0) : n.name()) + "' (" + n.op_type() + ")";
    }

    void importNode(const onnx::NodeProto& n);
    // One handler per ONNX op (or family of ops); importNode looks them up by op_type.
    using Handler = void (Importer::*)(const onnx::NodeProto&);
    static const std::map<std::string, Handler>& handlers();
    void importConv(const onnx::NodeProto& n);
    void importBatchNorm(const onnx::NodeProto& n);
    void importRelu(const onnx::NodeProto& n);
    void importClip(const onnx::NodeProto& n);
    void importPRelu(const onnx::NodeProto& n);
    void importLeakyRelu(const onnx::NodeProto& n);
    void importPool(const onnx::NodeProto& n);
    void importGlobalAveragePool(const onnx::NodeProto& n);
    void importReduceL2(const onnx::NodeProto& n);
    void importReduceMean(const onnx::NodeProto& n);
    void importPad(const onnx::NodeProto& n);
    void importArithmetic(const onnx::NodeProto& n);
    void importConcat(const onnx::NodeProto& n);
    void importFlatten(const onnx::NodeProto& n);
    void importReshape(const onnx::NodeProto& n);
    void importLinear(const onnx::NodeProto& n);
    void importLpNormalization(const onnx::NodeProto& n);
    Node simple(const onnx::NodeProto& n, Op kind) const;  // one input, no parameters
    const Constant* constant(const std::string& tensor) const;
    const Constant& needConstant(const onnx::NodeProto& n, int input) const;
    float needScalar(const onnx::NodeProto& n, int input) const;
    const std::string& input(const onnx::NodeProto& n, int i) const;
    const std::string& producer(const onnx::NodeProto& n, int input) const;
    std::string nodeName(const onnx::NodeProto& n) const;
    void emit(const onnx::NodeProto& n, Node node);
    void alias(const std::string& tensor, const std::string& node) { tensorToNode_[tensor] = node; }
    graph::Window window(const onnx::NodeProto& n, const std::string& input, bool pooling) const;
    void emitScale(const onnx::NodeProto& n, const std::string& input, std::vector<float> mul, std::vector<float> add);
    std::vector<float> perChannel(const onnx::NodeProto& n, const Constant& c, int64_t channels) const;
    void charge(const onnx::NodeProto& n, size_t values);

    std::filesystem::path path_;
    std::string file_;
    onnx::ModelProto model_;
    graph::Graph graph_;
    std::unordered_map<std::string, Constant> constants_;
    std::unordered_map<std::string, std::string> tensorToNode_;  // ONNX tensor -> graph node
    std::set<std::string> shapeValues_;                          // tensors computing shapes (flatten idiom)
    std::unordered_map<std::string, std::string> l2Norms_;       // ReduceL2 output -> the node it measures
    // Values constant folding (and Identity of a constant) may still build: 2^24 plus what the file's
    // initializers hold, so that a chain of tiny nodes copying one large constant cannot exhaust memory.
    int64_t foldBudget_ = int64_t{1} << 24;
};

template <typename T>
T attr(const onnx::NodeProto& n, const std::string& name, T fallback) {
    for (const auto& a : n.attribute()) {
        if (a.name() != name) continue;
        if constexpr (std::is_same_v<T, int64_t>) return a.i();
        else if constexpr (std::is_same_v<T, float>) return a.f();
        else if constexpr (std::is_same_v<T, std::string>) return a.s();
        else return T(a.ints().begin(), a.ints().end());
    }
    return fallback;
}

void Importer::charge(const onnx::NodeProto& n, size_t values) {
    if (static_cast<int64_t>(values) > foldBudget_)
        fail(describe(n) + " would build " + std::to_string(values) + " more constant values than the model's " +
             "weights and shape arithmetic can need; refusing to allocate");
    foldBudget_ -= static_cast<int64_t>(values);
}

const Constant* Importer::constant(const std::string& tensor) const {
    auto it = constants_.find(tensor);
    return it == constants_.end() ? nullptr : &it->second;
}

const Constant& Importer::needConstant(const onnx::NodeProto& n, int input) const {
    if (input >= n.input_size() || !constant(n.input(input)))
        throw UnsupportedOpError(file_ + ": " + describe(n) + " needs input " + std::to_string(input + 1) +
                                 " to be a constant (weights), it is computed");
    return *constant(n.input(input));
}

float Importer::needScalar(const onnx::NodeProto& n, int input) const {
    const Constant& c = needConstant(n, input);
    if (c.floats.empty()) fail(describe(n) + " has an empty constant as input " + std::to_string(input + 1));
    return c.floats[0];
}

// The name of input i; a node with fewer inputs than its op needs is a corrupt file.
const std::string& Importer::input(const onnx::NodeProto& n, int i) const {
    if (i >= n.input_size())
        fail(describe(n) + " has " + std::to_string(n.input_size()) + " input(s), it needs at least " +
             std::to_string(i + 1));
    return n.input(i);
}

const std::string& Importer::producer(const onnx::NodeProto& n, int input) const {
    auto it = tensorToNode_.find(this->input(n, input));
    if (it == tensorToNode_.end())
        fail(describe(n) + " reads tensor '" + n.input(input) + "', which nothing before it produces");
    return it->second;
}

std::string Importer::nodeName(const onnx::NodeProto& n) const {
    std::string name = n.name().empty() ? n.op_type() + "_" + n.output(0) : n.name();
    for (int i = 2; graph_.find(name); ++i) name = n.output(0) + "_" + std::to_string(i);
    return name;
}

void Importer::emit(const onnx::NodeProto& n, Node node) {
    node.name = nodeName(n);
    const std::string name = node.name;
    try {
        graph_.add(std::move(node));
        graph_.inferShapes();
    } catch (const GraphError& e) {
        fail(std::string(e.what()) + " (from " + describe(n) + ")");
    }
    alias(n.output(0), name);
}

graph::Window Importer::window(const onnx::NodeProto& n, const std::string& input, bool pooling) const {
    graph::Window w;
    const auto kernel = attr<std::vector<int64_t>>(n, "kernel_shape", {});
    if (kernel.size() != 2) {
        if (pooling) fail(describe(n) + " has no 2-D kernel_shape");
        const auto& weight = needConstant(n, 1);
        if (weight.shape.size() != 4 || weight.shape[2] < 1 || weight.shape[3] < 1 || weight.shape[2] > 65535 ||
            weight.shape[3] > 65535)
            fail(describe(n) + " has a weight of shape " + shapeText(weight.shape) + ", not a 2-D kernel");
        w.kh = static_cast<int>(weight.shape[2]);
        w.kw = static_cast<int>(weight.shape[3]);
    } else {
        w.kh = static_cast<int>(kernel[0]);
        w.kw = static_cast<int>(kernel[1]);
    }
    const auto strides = attr<std::vector<int64_t>>(n, "strides", {1, 1});
    const auto dil = attr<std::vector<int64_t>>(n, "dilations", {1, 1});
    const auto pads = attr<std::vector<int64_t>>(n, "pads", {0, 0, 0, 0});
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) fail(describe(n) + " is not a 2-D operation");
    // Checked before the int casts and the SAME arithmetic below (a stride of 0 would divide by zero).
    auto inRange = [](const std::vector<int64_t>& v, int64_t lo) {
        return std::all_of(v.begin(), v.end(), [lo](int64_t x) { return x >= lo && x <= 65535; });
    };
    if (!inRange(kernel, 1) || !inRange(strides, 1) || !inRange(dil, 1) || !inRange(pads, 0))
        fail(describe(n) + " has a kernel, stride, dilation or padding out of range (1..65535, padding 0..65535)");
    w.sh = static_cast<int>(strides[0]);
    w.sw = static_cast<int>(strides[1]);
    w.dh = static_cast<int>(dil[0]);
    w.dw = static_cast<int>(dil[1]);
    w.padTop = static_cast<int>(pads[0]);
    w.padLeft = static_cast<int>(pads[1]);
    w.padBottom = static_cast<int>(pads[2]);
    w.padRight = static_cast<int>(pads[3]);
    const auto autoPad = attr<std::string>(n, "auto_pad", "NOTSET");
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        const auto in = graph_.at(input).shape;
        auto same = [&](int64_t size, int k, int s, int d, int& lo, int& hi) {
            const int64_t out = (size + s - 1) / s;
            const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - size);
            lo = static_cast<int>(autoPad == "SAME_UPPER" ? total / 2 : total - total / 2);
            hi = static_cast<int>(total - lo);
        };
        same(in.h, w.kh, w.sh, w.dh, w.padTop, w.padBottom);
        same(in.w, w.kw, w.sw, w.dw, w.padLeft, w.padRight);
    }
    if (pooling) {
        w.ceilMode = attr<int64_t>(n, "ceil_mode", 0) != 0;
        w.countIncludePad = attr<int64_t>(n, "count_include_pad", 0) != 0;
    }
    return w;
}

std::vector<float> Importer::perChannel(const onnx::NodeProto& n, const Constant& c, int64_t channels) const {
    if (c.floats.size() == 1) return std::vector<float>(static_cast<size_t>(channels), c.floats[0]);
    if (static_cast<int64_t>(c.floats.size()) == channels) {
        // Accept [C], [1,C], [C,1,1], [1,C,1,1]: every other dimension is 1.
        int64_t nonUnit = 0;
        for (int64_t d : c.shape) nonUnit += d != 1;
        if (nonUnit <= 1) return c.floats;
    }
    throw UnsupportedOpError(file_ + ": " + describe(n) + " combines with a constant of " +
                             std::to_string(c.floats.size()) + " values; only scalars or one value per channel (" +
                             std::to_string(channels) + ") are supported");
}

void Importer::emitScale(const onnx::NodeProto& n, const std::string& input, std::vector<float> mul,
                         std::vector<float> add) {
    Node node;
    node.op = Op::Scale;
    node.inputs = {input};
    const int64_t c = static_cast<int64_t>(mul.size());
    node.params["weight"] = Tensor({c}, std::move(mul));
    node.params["bias"] = Tensor({c}, std::move(add));
    emit(n, std::move(node));
}

// Every op FacePrune imports, and the handler that turns it into graph nodes.
const std::map<std::string, Importer::Handler>& Importer::handlers() {
    static const std::map<std::string, Handler> table{
        {"Conv", &Importer::importConv},
        {"BatchNormalization", &Importer::importBatchNorm},
        {"Relu", &Importer::importRelu},
        {"Clip", &Importer::importClip},
        {"PRelu", &Importer::importPRelu},
        {"LeakyRelu", &Importer::importLeakyRelu},
        {"MaxPool", &Importer::importPool},
        {"AveragePool", &Importer::importPool},
        {"GlobalAveragePool", &Importer::importGlobalAveragePool},
        {"ReduceL2", &Importer::importReduceL2},
        {"ReduceMean", &Importer::importReduceMean},
        {"Pad", &Importer::importPad},
        {"Add", &Importer::importArithmetic},
        {"Sub", &Importer::importArithmetic},
        {"Mul", &Importer::importArithmetic},
        {"Div", &Importer::importArithmetic},
        {"Concat", &Importer::importConcat},
        {"Flatten", &Importer::importFlatten},
        {"Reshape", &Importer::importReshape},
        {"Squeeze", &Importer::importReshape},
        {"Gemm", &Importer::importLinear},
        {"MatMul", &Importer::importLinear},
        {"LpNormalization", &Importer::importLpNormalization},
    };
    return table;
}

Node Importer::simple(const onnx::NodeProto& n, Op kind) const {
    Node node;
    node.op = kind;
    node.inputs = {producer(n, 0)};
    return node;
}

void Importer::importNode(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (n.output_size() == 0 || n.output(0).empty())
        fail("node '" + n.name() + "' (" + op + ") has no output");
    if (op == "Constant") {
        for (const auto& a : n.attribute())
            if (a.name() == "value") constants_[n.output(0)] = readOnnxTensor(a.t(), file_);
        if (!constant(n.output(0))) throw UnsupportedOpError(file_ + ": " + describe(n) + " has no tensor value");
        return;
    }
    {
        std::vector<const Constant*> inputs;
        for (const auto& t : n.input())
            if (!t.empty()) inputs.push_back(constant(t));
        if (auto folded = foldOnnxConstant(n, inputs, file_)) {
            charge(n, folded->floats.size());
            constants_[n.output(0)] = std::move(*folded);
            return;
        }
    }
    // Shape arithmetic of the flatten idiom (x.view(x.size(0), -1)): no layers.
    if (op == "Shape" || ((op == "Gather" || op == "Unsqueeze" || op == "Concat" || op == "Cast" ||
                           op == "Squeeze" || op == "Slice") &&
                          std::any_of(n.input().begin(), n.input().end(),
                                      [&](const std::string& t) { return shapeValues_.count(t) != 0; }))) {
        shapeValues_.insert(n.output(0));
        return;
    }
    if (op == "Identity" || op == "Dropout") {
        if (const Constant* c = constant(input(n, 0))) {
            charge(n, c->floats.size());
            constants_[n.output(0)] = *c;  // Identity of an initializer: keep it a constant
            return;
        }
        alias(n.output(0), producer(n, 0));
        return;
    }
    const auto& table = handlers();
    if (const auto it = table.find(op); it != table.end()) return (this->*it->second)(n);
    std::string supported;
    for (const auto& [name, handler] : table) supported += (supported.empty() ? "" : ", ") + name;
    throw UnsupportedOpError(file_ + ": " + describe(n) + " uses op '" + op + "', which FacePrune cannot import (supported: " +
                             supported + ", and Identity, Dropout, Constant and shape arithmetic)");
}

void Importer::importConv(const onnx::NodeProto& n) {
    Node node = simple(n, Op::Conv2d);
    const auto& weight = needConstant(n, 1);
    if (weight.shape.size() != 4) fail(describe(n) + " has a weight of rank " + std::to_string(weight.shape.size()));
    node.outChannels = weight.shape[0];
    node.groups = attr<int64_t>(n, "group", 1);
    node.window = window(n, node.inputs[0], false);
    node.params["weight"] = weight.tensor();
    if (n.input_size() > 2 && !n.input(2).empty()) node.params["bias"] = needConstant(n, 2).tensor();
    emit(n, std::move(node));
}

void Importer::importBatchNorm(const onnx::NodeProto& n) {
    Node node = simple(n, Op::BatchNorm);
    node.eps = attr<float>(n, "epsilon", 1e-5f);
    node.params["weight"] = needConstant(n, 1).tensor();
    node.params["bias"] = needConstant(n, 2).tensor();
    node.params["running_mean"] = needConstant(n, 3).tensor();
    node.params["running_var"] = needConstant(n, 4).tensor();
    emit(n, std::move(node));
}

void Importer::importRelu(const onnx::NodeProto& n) {
    emit(n, simple(n, Op::ReLU));
}

void Importer::importClip(const onnx::NodeProto& n) {
    Node node = simple(n, Op::Clip);
    node.clipMin = attr<float>(n, "min", -INFINITY);
    node.clipMax = attr<float>(n, "max", INFINITY);
    if (n.input_size() > 1 && !n.input(1).empty()) node.clipMin = needScalar(n, 1);
    if (n.input_size() > 2 && !n.input(2).empty()) node.clipMax = needScalar(n, 2);
    emit(n, std::move(node));
}

void Importer::importPRelu(const onnx::NodeProto& n) {
    Node node = simple(n, Op::PReLU);
    const auto& slope = needConstant(n, 1);
    node.params["slope"] = Tensor({static_cast<int64_t>(slope.floats.size())}, slope.floats);
    emit(n, std::move(node));
}

void Importer::importLeakyRelu(const onnx::NodeProto& n) {
    Node node = simple(n, Op::PReLU);
    node.params["slope"] = Tensor({1}, {attr<float>(n, "alpha", 0.01f)});
    emit(n, std::move(node));
}

void Importer::importPool(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    Node node = simple(n, op == "MaxPool" ? Op::MaxPool : Op::AvgPool);
    if (n.output_size() > 1 && !n.output(1).empty()) fail(describe(n) + " also outputs indices (unsupported)");
    node.window = window(n, node.inputs[0], true);
    emit(n, std::move(node));
}

void Importer::importGlobalAveragePool(const onnx::NodeProto& n) {
    emit(n, simple(n, Op::GlobalAvgPool));
}

void Importer::importReduceL2(const onnx::NodeProto& n) {
    // Only as the norm of an L2 normalisation (ReduceL2 + Div, as FacePrune and
    // PyTorch's F.normalize export it): remembered here, turned into L2Norm by the Div.
    const auto axes = attr<std::vector<int64_t>>(n, "axes", {});
    if (axes != std::vector<int64_t>{1} || attr<int64_t>(n, "keepdims", 1) == 0)
        throw UnsupportedOpError(file_ + ": " + describe(n) + " computes a norm other than over channels");
    l2Norms_[n.output(0)] = producer(n, 0);
}

void Importer::importReduceMean(const onnx::NodeProto& n) {
    const auto axes = attr<std::vector<int64_t>>(n, "axes", {});
    if (!(axes == std::vector<int64_t>{2, 3} || axes == std::vector<int64_t>{-2, -1}))
        throw UnsupportedOpError(file_ + ": " + describe(n) + " averages over axes other than H and W");
    const bool keep = attr<int64_t>(n, "keepdims", 1) != 0;
    Node node = simple(n, Op::GlobalAvgPool);
    if (!keep) {
        onnx::NodeProto pooled = n;
        pooled.set_output(0, n.output(0) + "_pooled");
        emit(pooled, std::move(node));
        Node flat;
        flat.op = Op::Flatten;
        flat.inputs = {tensorToNode_.at(pooled.output(0))};
        emit(n, std::move(flat));
    } else {
        emit(n, std::move(node));
    }
}

void Importer::importPad(const onnx::NodeProto& n) {
    Node node = simple(n, Op::Pad);
    const auto mode = attr<std::string>(n, "mode", "constant");
    if (mode != "constant") throw UnsupportedOpError(file_ + ": " + describe(n) + " pads in mode '" + mode + "'");
    std::vector<int64_t> pads = attr<std::vector<int64_t>>(n, "pads", {});
    if (n.input_size() > 1 && !n.input(1).empty()) pads = needConstant(n, 1).ints;
    float value = attr<float>(n, "value", 0.f);
    if (n.input_size() > 2 && !n.input(2).empty()) value = needScalar(n, 2);
    if (pads.size() != 8 || pads[0] || pads[4])
        throw UnsupportedOpError(file_ + ": " + describe(n) + " pads something other than C, H and W of an image");
    if (value != 0.f) throw UnsupportedOpError(file_ + ": " + describe(n) + " pads with a non-zero value");
    if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
        throw UnsupportedOpError(file_ + ": " + describe(n) + " crops (negative padding)");
    node.pads = {pads[1], pads[5], pads[2], pads[6], pads[3], pads[7]};
    emit(n, std::move(node));
}

void Importer::importArithmetic(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    // x / ReduceL2(x): the L2 normalisation remembered by importReduceL2.
    if (op == "Div" && l2Norms_.count(input(n, 1)) && tensorToNode_.count(n.input(0)) &&
        l2Norms_.at(n.input(1)) == producer(n, 0)) {
        Node node = simple(n, Op::L2Norm);
        node.eps = 1e-12f;
        emit(n, std::move(node));
        return;
    }
    const Constant* c0 = constant(input(n, 0));
    const Constant* c1 = constant(input(n, 1));
    if (!c0 && !c1) {
        if (op != "Add")
            throw UnsupportedOpError(file_ + ": " + describe(n) + " combines two computed tensors; only Add can");
        Node node;
        node.op = Op::Add;
        node.inputs = {producer(n, 0), producer(n, 1)};
        emit(n, std::move(node));
        return;
    }
    if (c0 && c1) {
        throw UnsupportedOpError(file_ + ": " + describe(n) + " combines two constants (fold them first)");
    }
    const int tensorInput = c0 ? 1 : 0;
    const std::string in = producer(n, tensorInput);
    const Constant& k = c0 ? *c0 : *c1;
    Node* linear = graph_.find(in);
    // MatMul + Add(bias) is how older exporters write a Linear layer: fold the bias in.
    if (op == "Add" && linear && linear->op == Op::Linear && !linear->hasParam("bias") &&
        graph_.consumers(in).empty() && static_cast<int64_t>(k.floats.size()) == linear->outChannels) {
        linear->params["bias"] = Tensor({linear->outChannels}, k.floats);
        alias(n.output(0), in);
        return;
    }
    const int64_t channels = graph_.at(in).shape.c;
    const auto values = perChannel(n, k, channels);
    std::vector<float> mul(values.size(), 1.f), add(values.size(), 0.f);
    for (size_t i = 0; i < values.size(); ++i) {
        if (op == "Add") add[i] = values[i];
        else if (op == "Sub" && tensorInput == 0) add[i] = -values[i];
        else if (op == "Sub") { mul[i] = -1.f; add[i] = values[i]; }
        else if (op == "Mul") mul[i] = values[i];
        else if (tensorInput == 0) mul[i] = 1.f / values[i];
        else throw UnsupportedOpError(file_ + ": " + describe(n) + " divides a constant by a tensor");
    }
    emitScale(n, in, std::move(mul), std::move(add));
}

void Importer::importConcat(const onnx::NodeProto& n) {
    const auto axis = attr<int64_t>(n, "axis", 1);
    if (axis != 1 && axis != -3)
        throw UnsupportedOpError(file_ + ": " + describe(n) + " concatenates along axis " + std::to_string(axis) +
                                 "; only channels (axis 1) are supported");
    Node node;
    node.op = Op::Concat;
    for (int i = 0; i < n.input_size(); ++i) node.inputs.push_back(producer(n, i));
    emit(n, std::move(node));
}

void Importer::importFlatten(const onnx::NodeProto& n) {
    if (attr<int64_t>(n, "axis", 1) != 1) throw UnsupportedOpError(file_ + ": " + describe(n) + " flattens from an axis other than 1");
    emit(n, simple(n, Op::Flatten));
}

void Importer::importReshape(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    // Only the flatten-to-[N, features] case is a layer a CNN backbone needs.
    const std::string in = producer(n, 0);
    const auto shape = graph_.at(in).shape;
    bool flatten = op == "Squeeze" || (n.input_size() > 1 && shapeValues_.count(n.input(1)));
    if (!flatten && n.input_size() > 1) {
        const auto& target = needConstant(n, 1).ints;
        flatten = target.size() == 2 && (target[1] == -1 || target[1] == shape.numel());
    }
    if (!flatten)
        throw UnsupportedOpError(file_ + ": " + describe(n) + " reshapes to something other than [N, features]");
    emit(n, simple(n, Op::Flatten));
}

void Importer::importLinear(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    Node node = simple(n, Op::Linear);
    const auto& b = needConstant(n, 1);
    if (b.shape.size() != 2) fail(describe(n) + " has a weight of rank " + std::to_string(b.shape.size()));
    const bool transB = op == "Gemm" && attr<int64_t>(n, "transB", 0) != 0;
    if (op == "Gemm" && attr<int64_t>(n, "transA", 0) != 0)
        throw UnsupportedOpError(file_ + ": " + describe(n) + " transposes its input (transA)");
    const float alpha = op == "Gemm" ? attr<float>(n, "alpha", 1.f) : 1.f;
    const float beta = op == "Gemm" ? attr<float>(n, "beta", 1.f) : 1.f;
    const int64_t out = transB ? b.shape[0] : b.shape[1];
    const int64_t inF = transB ? b.shape[1] : b.shape[0];
    Tensor w = Tensor::zeros({out, inF});
    for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < inF; ++i)
            w.data[o * inF + i] = alpha * (transB ? b.floats[o * inF + i] : b.floats[i * out + o]);
    node.outChannels = out;
    node.params["weight"] = std::move(w);
    if (op == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) {
        const auto& c = needConstant(n, 2);
        if (c.floats.size() != 1 && static_cast<int64_t>(c.floats.size()) != out)
            fail(describe(n) + " has a bias of " + std::to_string(c.floats.size()) + " values for " +
                 std::to_string(out) + " outputs");
        std::vector<float> bias(static_cast<size_t>(out));
        for (int64_t o = 0; o < out; ++o) bias[o] = beta * (c.floats.size() == 1 ? c.floats[0] : c.floats[o]);
        node.params["bias"] = Tensor({out}, std::move(bias));
    }
    emit(n, std::move(node));
}

void Importer::importLpNormalization(const onnx::NodeProto& n) {
    const auto axis = attr<int64_t>(n, "axis", -1);
    if (attr<int64_t>(n, "p", 2) != 2 || (axis != 1 && axis != -1))
        throw UnsupportedOpError(file_ + ": " + describe(n) + " is not an L2 normalisation over features");
    Node node = simple(n, Op::L2Norm);
    node.eps = 1e-12f;
    emit(n, std::move(node));
}

graph::Graph Importer::run() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) fail("cannot open the file");
    if (!model_.ParseFromIstream(&in)) fail("not an ONNX model (the file is truncated or not ONNX protobuf)");
    const auto& g = model_.graph();
    if (g.node_size() == 0) fail("the ONNX graph has no nodes (truncated or not a model)");

    for (const auto& init : g.initializer()) {
        constants_[init.name()] = readOnnxTensor(init, file_);
        foldBudget_ += static_cast<int64_t>(constants_[init.name()].floats.size());
    }

    // The network input: the first graph input that is not an initializer.
    const onnx::ValueInfoProto* input = nullptr;
    for (const auto& vi : g.input())
        if (!constant(vi.name())) {
            if (input) fail("the model has more than one input ('" + input->name() + "', '" + vi.name() + "')");
            input = &vi;
        }
    if (!input) fail("the model has no input");
    const auto& dims = input->type().tensor_type().shape().dim();
    if (dims.size() != 4) fail("input '" + input->name() + "' is not an image batch [N, C, H, W]");
    for (int i = 1; i < 4; ++i)
        if (!dims[i].has_dim_value() || dims[i].dim_value() <= 0)
            fail("input '" + input->name() + "' has no fixed size for dimension " + std::to_string(i));
    Node inNode;
    inNode.name = input->name();
    inNode.op = Op::Input;
    inNode.inputShape = {dims[1].dim_value(), dims[2].dim_value(), dims[3].dim_value(), false};
    inNode.outChannels = inNode.inputShape.c;
    graph_.add(inNode);
    graph_.inferShapes();
    alias(input->name(), inNode.name);

    for (const auto& n : g.node()) importNode(n);

    if (g.output_size() == 0) fail("the model has no outputs");
    auto outputNode = [&](int i) {
        auto it = tensorToNode_.find(g.output(i).name());
        if (it == tensorToNode_.end()) fail("output '" + g.output(i).name() + "' is not produced by any layer");
        return it->second;
    };
    graph_.setOutputs(outputNode(0), g.output_size() > 1 ? outputNode(1) : std::string());
    graph_.removeUnused();

    graph_.name = path_.stem().string();
    graph_.metadata["source"] = file_;
    graph_.metadata["onnx.producer"] = model_.producer_name() + " " + model_.producer_version();
    bool known = false;
    for (const auto& kv : model_.metadata_props()) {
        if (kv.key() == "faceprune.preprocess") {
            try {
                graph_.preprocess = preprocessFromJson(nlohmann::json::parse(kv.value()));
                known = true;
            } catch (const std::exception& e) {
                fail(std::string("unreadable FacePrune preprocessing metadata (") + e.what() + ")");
            }
        } else if (kv.key().rfind("faceprune.", 0) == 0) {
            graph_.metadata[kv.key().substr(10)] = kv.value();
        }
    }
    if (!known) {
        // No FacePrune metadata: assume an ArcFace-style RGB model in [-1, 1].
        graph_.preprocess.width = static_cast<int>(inNode.inputShape.w);
        graph_.preprocess.height = static_cast<int>(inNode.inputShape.h);
        graph_.preprocess.mean = {127.5f, 127.5f, 127.5f};
        graph_.preprocess.scale = {1 / 127.5f, 1 / 127.5f, 1 / 127.5f};
        graph_.preprocess.alignment = graph::Alignment::ArcFace112;
    }
    graph_.inferShapes();
    return std::move(graph_);
}

}  // namespace

graph::Graph importOnnx(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw ModelFileError(path.string() + ": no such file");
    try {
        return Importer(path).run();
    } catch (const GraphError& e) {  // an inconsistent graph (input without a name, outputs ...): name the file
        throw ModelFileError(path.string() + ": " + e.what());
    }
}

}  // namespace fp::io
