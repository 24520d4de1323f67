#include "io/OnnxExporter.h"

#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_map>

#include <onnx/onnx_pb.h>

#include "io/InferenceGraph.h"
#include "io/PreprocessJson.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::io {

using graph::Node;
using graph::Op;

namespace {

// Initializers are written as raw little-endian bytes straight from memory.
static_assert(std::endian::native == std::endian::little, "the ONNX writer assumes a little-endian host");

std::string where(const Node& n) { return "layer '" + n.name + "' (" + std::string(opName(n.op)) + ")"; }

// The IR version each opset first shipped with: runtimes refuse files whose IR is newer than they know.
int64_t irVersionFor(int opset) {
    if (opset <= 11) return 6;
    if (opset <= 14) return 7;
    return 8;
}

bool allEqual(const std::vector<float>& v, float value) {
    for (float x : v)
        if (x != value) return false;
    return true;
}

class Writer {
public:
    Writer(const graph::Graph& g, const OnnxExportOptions& opt) : g_(g), opt_(opt) {}
    onnx::ModelProto build();

private:
    std::string fresh(const std::string& base);
    std::string floats(const std::string& base, std::vector<int64_t> dims, const std::vector<float>& values);
    std::string int64s(const std::string& base, std::vector<int64_t> dims, const std::vector<int64_t>& values);
    onnx::NodeProto& node(const std::string& opType, const std::string& name, std::vector<std::string> inputs,
                          const std::string& output);
    void emit(const Node& n);
    void emitClip(const Node& n, const std::string& x, const std::string& out);
    void addWindow(onnx::NodeProto& p, const Node& n, bool pooling);
    void valueInfo(onnx::ValueInfoProto* vi, const std::string& name, const graph::Shape& shape);

    const graph::Graph& g_;
    const OnnxExportOptions& opt_;
    onnx::GraphProto* graph_ = nullptr;
    std::unordered_map<std::string, std::string> tensor_;  // graph node -> ONNX tensor it outputs
    std::set<std::string> used_;                          // every tensor name given out
    std::set<std::string> nodeNames_;
};

std::string Writer::fresh(const std::string& base) {
    std::string name = base;
    for (int i = 2; used_.count(name); ++i) name = base + "_" + std::to_string(i);
    used_.insert(name);
    return name;
}

std::string Writer::floats(const std::string& base, std::vector<int64_t> dims, const std::vector<float>& values) {
    // A tensor whose data disagree with its shape (a surgery bug) would write a corrupt file.
    if (static_cast<int64_t>(values.size()) != numelOf(dims)) {
        Tensor like;
        like.shape = dims;
        throw GraphError("weights '" + base + "': " + std::to_string(values.size()) + " values for shape " +
                         like.shapeString());
    }
    auto* t = graph_->add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(float));
    return t->name();
}

std::string Writer::int64s(const std::string& base, std::vector<int64_t> dims, const std::vector<int64_t>& values) {
    auto* t = graph_->add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(int64_t));
    return t->name();
}

onnx::NodeProto& Writer::node(const std::string& opType, const std::string& name, std::vector<std::string> inputs,
                              const std::string& output) {
    auto* p = graph_->add_node();
    p->set_op_type(opType);
    // Unique node names: ONNX Runtime and Netron key nodes by them.
    std::string unique = name;
    for (int i = 2; !nodeNames_.insert(unique).second; ++i) unique = name + "_" + std::to_string(i);
    p->set_name(unique);
    for (auto& in : inputs) p->add_input(std::move(in));
    p->add_output(output);
    return *p;
}

void setInt(onnx::NodeProto& p, const char* name, int64_t value) {
    auto* a = p.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
}

void setFloat(onnx::NodeProto& p, const char* name, float value) {
    auto* a = p.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
}

void setInts(onnx::NodeProto& p, const char* name, std::initializer_list<int64_t> values) {
    auto* a = p.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
}

void Writer::addWindow(onnx::NodeProto& p, const Node& n, bool pooling) {
    graph::Window w = n.window;
    bool ceil = pooling && w.ceilMode;
    if (ceil) {
        // Runtimes disagree on ceil mode only when the last window would start in the right
        // padding (PyTorch, and so the graph, drops it; the plain ceil formula keeps it). Then
        // write the same windows in floor mode with extra bottom/right padding where that
        // is exact: max pooling, and average pooling that does not count the padding.
        const auto& in = g_.at(n.inputs[0]).shape;
        auto plainCeil = [](int64_t size, int k, int s, int p) { return (size + p - k + s - 1) / s + 1; };
        if (plainCeil(in.h, w.kh, w.sh, w.padTop + w.padBottom) != n.shape.h ||
            plainCeil(in.w, w.kw, w.sw, w.padLeft + w.padRight) != n.shape.w) {
            auto extra = [](int64_t out, int64_t size, int k, int s, int p) {
                return static_cast<int>(std::max<int64_t>(0, (out - 1) * s + k - (size + p)));
            };
            graph::Window f = w;
            f.padBottom += extra(n.shape.h, in.h, w.kh, w.sh, w.padTop + w.padBottom);
            f.padRight += extra(n.shape.w, in.w, w.kw, w.sw, w.padLeft + w.padRight);
            const bool same = (in.h + f.padTop + f.padBottom - f.kh) / f.sh + 1 == n.shape.h &&
                              (in.w + f.padLeft + f.padRight - f.kw) / f.sw + 1 == n.shape.w;
            // ONNX Runtime refuses padding as large as the kernel.
            const bool fits = f.padBottom < f.kh && f.padRight < f.kw;
            if (same && fits && (n.op == Op::MaxPool || !w.countIncludePad)) {
                w = f;
                ceil = false;
            }
        }
    }
    setInts(p, "kernel_shape", {w.kh, w.kw});
    setInts(p, "strides", {w.sh, w.sw});
    setInts(p, "pads", {w.padTop, w.padLeft, w.padBottom, w.padRight});
    if (!pooling) {
        setInts(p, "dilations", {w.dh, w.dw});
        setInt(p, "group", n.groups);
    } else {
        setInt(p, "ceil_mode", ceil ? 1 : 0);
        if (n.op == Op::AvgPool) setInt(p, "count_include_pad", w.countIncludePad ? 1 : 0);
    }
}

// OpenCV 4.6 (Debian 12) reads Clip only in its opset-6 form with attributes, which opset
// 11+ files cannot hold, and refuses Min / Max with a constant; HardSigmoid it runs but
// slowly. Clip(x, lo, hi) is therefore written with ops every runtime and our importer read:
//   hi - Relu((hi - lo) - Relu(x - lo))
// Exact outside [lo, hi]; inside, off by the rounding of the subtractions (< 2.5e-7 for
// ReLU6). Costs cv::dnn about a third more time on MobileNetV2 than a fused ReLU6 would.
void Writer::emitClip(const Node& n, const std::string& x, const std::string& out) {
    const std::string& base = out;
    const bool lo = std::isfinite(n.clipMin), hi = std::isfinite(n.clipMax);
    auto scalar = [&](const std::string& what, float v) { return floats(base + "." + what, {}, {v}); };
    int step = 0;
    // Each step's node is named after the layer; the last one writes the layer's tensor.
    auto apply = [&](const std::string& op, std::vector<std::string> inputs, bool last) {
        const std::string y = last ? out : fresh(base + ".clip" + std::to_string(step));
        node(op, step == 0 ? n.name : n.name + ".clip" + std::to_string(step), std::move(inputs), y);
        ++step;
        return y;
    };
    if (!lo && !hi) {
        apply("Mul", {x, scalar("one", 1.f)}, true);  // no bounds: identity, but the layer may be an output
        return;
    }
    if (!lo) {
        const std::string c = scalar("max", n.clipMax);
        apply("Sub", {c, apply("Relu", {apply("Sub", {c, x}, false)}, false)}, true);
        return;
    }
    std::string u = x;
    if (n.clipMin != 0.f) u = apply("Sub", {u, scalar("min", n.clipMin)}, false);
    if (!hi) {
        u = apply("Relu", {u}, n.clipMin == 0.f);
        if (n.clipMin != 0.f) apply("Add", {u, scalar("min", n.clipMin)}, true);
        return;
    }
    u = apply("Relu", {u}, false);
    const std::string v = apply("Relu", {apply("Sub", {scalar("range", n.clipMax - n.clipMin), u}, false)}, false);
    apply("Sub", {scalar("max", n.clipMax), v}, true);
}

void Writer::emit(const Node& n) {
    const std::string& out = tensor_.at(n.name);
    std::vector<std::string> in;
    for (const auto& i : n.inputs) in.push_back(tensor_.at(i));
    const int64_t c = n.shape.c;
    // Per-channel constants broadcast against [N, C, H, W] or [N, C].
    // Not [1, C, 1, 1]: OpenCV 4.6 takes a constant shaped like a 1x1 activation for a
    // full tensor and then fails at batch sizes above one.
    const std::vector<int64_t> channelDims = n.shape.flat ? std::vector<int64_t>{c} : std::vector<int64_t>{c, 1, 1};

    switch (n.op) {
    case Op::Input: return;
    case Op::Conv2d: {
        in.push_back(floats(out + ".weight", n.param("weight").shape, n.param("weight").data));
        if (n.hasParam("bias")) in.push_back(floats(out + ".bias", {c}, n.param("bias").data));
        addWindow(node("Conv", n.name, in, out), n, false);
        return;
    }
    case Op::BatchNorm: {
        for (const char* key : {"weight", "bias", "running_mean", "running_var"})
            in.push_back(floats(out + "." + key, {c}, n.param(key).data));
        setFloat(node("BatchNormalization", n.name, in, out), "epsilon", n.eps);
        return;
    }
    case Op::Scale: {
        // Mul then Add; a side that does nothing is left out (never both).
        const auto& w = n.param("weight").data;
        const auto& b = n.param("bias").data;
        const bool mul = !allEqual(w, 1.f) || allEqual(b, 0.f);
        const bool add = !allEqual(b, 0.f);
        std::string x = in[0];
        if (mul) {
            const std::string y = add ? fresh(out + ".mul") : out;
            node("Mul", n.name, {x, floats(out + ".weight", channelDims, w)}, y);
            x = y;
        }
        if (add) node("Add", mul ? n.name + ".add" : n.name, {x, floats(out + ".bias", channelDims, b)}, out);
        return;
    }
    case Op::ReLU: node("Relu", n.name, in, out); return;
    case Op::Clip: emitClip(n, in[0], out); return;
    case Op::PReLU: {
        const Tensor& slope = n.param("slope");
        std::vector<int64_t> dims{slope.numel()};
        if (slope.numel() > 1 && !n.shape.flat) dims = {slope.numel(), 1, 1};
        in.push_back(floats(out + ".slope", dims, slope.data));
        node("PRelu", n.name, in, out);
        return;
    }
    case Op::MaxPool: addWindow(node("MaxPool", n.name, in, out), n, true); return;
    case Op::AvgPool: addWindow(node("AveragePool", n.name, in, out), n, true); return;
    case Op::GlobalAvgPool: node("GlobalAveragePool", n.name, in, out); return;
    case Op::Pad: {
        // Known runtime bug, not worked around: ONNX Runtime (1.30) fuses a zero Pad whose only
        // consumer is a MaxPool / AveragePool into the pool's pads, which pools -inf (or skips
        // the zeros) instead. None of the backbones has that pattern (face-api's Pads feed Adds).
        const auto& p = n.pads;
        in.push_back(int64s(out + ".pads", {8}, {0, p[0], p[2], p[4], 0, p[1], p[3], p[5]}));
        node("Pad", n.name, in, out);  // mode "constant", value 0: the defaults
        return;
    }
    case Op::Add: {
        // ONNX Add is binary: a chain for more inputs.
        std::string sum = in[0];
        for (size_t i = 1; i < in.size(); ++i) {
            const bool last = i + 1 == in.size();
            const std::string y = last ? out : fresh(out + ".sum" + std::to_string(i));
            node("Add", i == 1 ? n.name : n.name + ".add" + std::to_string(i), {sum, in[i]}, y);
            sum = y;
        }
        return;
    }
    case Op::Concat: setInt(node("Concat", n.name, in, out), "axis", 1); return;
    case Op::Flatten: setInt(node("Flatten", n.name, in, out), "axis", 1); return;
    case Op::Linear: {
        in.push_back(floats(out + ".weight", n.param("weight").shape, n.param("weight").data));
        if (n.hasParam("bias")) in.push_back(floats(out + ".bias", {c}, n.param("bias").data));
        setInt(node("Gemm", n.name, in, out), "transB", 1);
        return;
    }
    case Op::L2Norm: {
        // x / ||x||: OpenCV 4.6 cannot create LpNormalization, but reads (and fuses) ReduceL2 + Div.
        const std::string norm = fresh(out + ".norm");
        auto& r = node("ReduceL2", n.name + ".norm", in, norm);
        setInts(r, "axes", {1});
        setInt(r, "keepdims", 1);
        node("Div", n.name, {in[0], norm}, out);
        return;
    }
    case Op::Dropout: break;  // removed by inferenceGraph(); reaching here is a bug
    }
    throw UnsupportedOpError(where(n) + ": FacePrune cannot write this op to ONNX");
}

void Writer::valueInfo(onnx::ValueInfoProto* vi, const std::string& name, const graph::Shape& shape) {
    vi->set_name(name);
    auto* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = t->mutable_shape();
    s->add_dim()->set_dim_param("N");  // dynamic batch
    s->add_dim()->set_dim_value(shape.c);
    if (!shape.flat) {
        s->add_dim()->set_dim_value(shape.h);
        s->add_dim()->set_dim_value(shape.w);
    }
}

onnx::ModelProto Writer::build() {
    onnx::ModelProto model;
    model.set_ir_version(irVersionFor(opt_.opset));
    model.set_producer_name("FacePrune");
    model.set_producer_version(FACEPRUNE_VERSION);
    model.set_doc_string("Exported by FacePrune from '" + g_.name + "'");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(opt_.opset);
    graph_ = model.mutable_graph();
    graph_->set_name(g_.name.empty() ? "faceprune" : g_.name);

    const std::string& input = g_.inputName();
    const std::string& embedding = g_.embeddingName();
    const std::string& logits = g_.logitsName();
    if (embedding == input) throw GraphError("the embedding output is the input layer itself: nothing to export");
    // Fixed names first so that no layer can take them.
    for (const char* reserved : {"input", "embedding", "logits"}) used_.insert(reserved);
    for (const auto& n : g_.nodes()) {
        if (n.name == input) tensor_[n.name] = "input";
        else if (n.name == embedding) tensor_[n.name] = "embedding";
        else if (n.name == logits) tensor_[n.name] = "logits";
        else tensor_[n.name] = fresh(n.name);
    }

    valueInfo(graph_->add_input(), "input", g_.at(input).shape);
    for (const auto& n : g_.nodes()) emit(n);
    valueInfo(graph_->add_output(), "embedding", g_.at(embedding).shape);
    if (!logits.empty()) {
        // The head's output might be the embedding layer itself (a degenerate head).
        if (logits == embedding) node("Identity", "logits", {"embedding"}, "logits");
        valueInfo(graph_->add_output(), "logits", g_.at(logits).shape);
    }
    return model;
}

void addMetadata(onnx::ModelProto& model, const graph::Graph& g, const OnnxExportOptions& opt) {
    std::map<std::string, std::string> props;
    for (const auto& [key, value] : g.metadata) props["faceprune." + key] = value;
    for (const auto& [key, value] : opt.extraMetadata) props[key] = value;
    // Ours last: a re-imported file carries old copies of these in its metadata.
    props["faceprune.producer"] = std::string("FacePrune ") + FACEPRUNE_VERSION;
    props["faceprune.preprocess"] = preprocessToJson(g.preprocess).dump();
    for (const auto& [key, value] : props) {
        auto* p = model.add_metadata_props();
        p->set_key(key);
        p->set_value(value);
    }
}

}  // namespace

OnnxExportReport exportOnnx(const graph::Graph& graph, const std::filesystem::path& path,
                            const OnnxExportOptions& options) {
    if (options.opset < 11 || options.opset > 17)
        throw Error("ONNX opset " + std::to_string(options.opset) + " is not supported; FacePrune writes opsets 11 to 17");
    OnnxExportReport report;
    const graph::Graph g = inferenceGraph(graph, options, &report.denormalsFlushed);

    onnx::ModelProto model = Writer(g, options).build();
    addMetadata(model, graph, options);

    // Everything is built before the file is opened: a failure above leaves no file.
    const size_t size = model.ByteSizeLong();
    if (size > static_cast<size_t>(INT_MAX))
        throw Error(path.string() + ": the model (" + std::to_string(size >> 20) +
                    " MB) exceeds protobuf's 2 GB limit for one ONNX file");
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw Error(path.string() + ": could not serialise the ONNX model");

    util::AtomicFile file(path);
    file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.commit();
    return report;
}

}  // namespace fp::io
