#include "io/FaceApiImporter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "graph/GraphBuilder.h"
#include "io/DeclaredShape.h"
#include "util/Errors.h"

namespace fp::io {

using graph::Node;
using graph::Op;
using graph::Shape;
using graph::Window;

namespace {

// How the .bin stores a weight's values: plain, or quantized per TF.js' manifest.
enum class Storage { Float32, Uint8, Uint16, Float16 };

// One entry of the manifest's "weights" list, with its place in the weight data.
struct WeightEntry {
    std::vector<int64_t> shape;
    Storage storage = Storage::Float32;
    double scale = 1.0, min = 0.0;  // value = q * scale + min (uint8, uint16)
    size_t offset = 0;
    size_t bytes = 0;
};

size_t bytesPerValue(Storage s) {
    switch (s) {
    case Storage::Uint8: return 1;
    case Storage::Uint16:
    case Storage::Float16: return 2;
    case Storage::Float32: break;
    }
    return 4;
}

float halfToFloat(uint16_t h) {
    const uint32_t sign = (h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf / nan
    if (exp == 0) {
        if (mant == 0) return std::bit_cast<float>(sign);
        // Subnormal half: exact in float as mant * 2^-24.
        const float v = std::ldexp(static_cast<float>(mant), -24);
        return sign ? -v : v;
    }
    return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

class Importer {
public:
    Importer(std::filesystem::path manifest, std::filesystem::path bin)
        : manifest_(std::move(manifest)), bin_(std::move(bin)) {}

    graph::Graph run();

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw ModelFileError(manifest_.string() + ": " + what);
    }

    void readManifest();
    void readWeights();
    Tensor weight(const std::string& name, const std::vector<int64_t>& expected) const;

    // face-api's building blocks (src/faceRecognitionNet/convLayer.ts, residualLayer.ts).
    std::string convLayer(const std::string& from, const std::string& prefix, const std::string& node,
                          int64_t out, int kernel, int stride, bool same);
    std::string residual(const std::string& from, const std::string& prefix);
    std::string residualDown(const std::string& from, const std::string& prefix, int64_t out);

    std::filesystem::path manifest_;
    std::filesystem::path bin_;
    std::vector<std::filesystem::path> shards_;  // weight files in manifest order
    std::map<std::string, WeightEntry> entries_;
    size_t totalBytes_ = 0;
    std::vector<unsigned char> data_;
    graph::GraphBuilder* builder_ = nullptr;
};

void Importer::readManifest() {
    std::ifstream in(manifest_, std::ios::binary);
    if (!in) fail("cannot open the weights manifest");
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        fail(std::string("not a TF.js weights manifest (invalid JSON: ") + e.what() + ")");
    }
    if (!doc.is_array() || doc.empty())
        fail("not a TF.js weights manifest (expected a JSON list of weight groups)");

    const auto dir = manifest_.parent_path();
    for (size_t g = 0; g < doc.size(); ++g) {
        const auto& group = doc[g];
        const std::string where = "weight group " + std::to_string(g + 1);
        if (!group.is_object() || !group.contains("weights") || !group["weights"].is_array())
            fail(where + " has no \"weights\" list");
        if (!group.contains("paths") || !group["paths"].is_array())
            fail(where + " has no \"paths\" list");
        for (const auto& p : group["paths"]) {
            if (!p.is_string()) fail(where + ": \"paths\" holds something that is not a file name");
            shards_.push_back(dir / p.get<std::string>());
        }
        for (const auto& w : group["weights"]) {
            if (!w.is_object() || !w.contains("name") || !w["name"].is_string())
                fail(where + " has a weight without a \"name\"");
            const auto name = w["name"].get<std::string>();
            if (!w.contains("shape") || !w["shape"].is_array()) fail("weight '" + name + "' has no \"shape\"");
            if (!w.contains("dtype") || !w["dtype"].is_string()) fail("weight '" + name + "' has no \"dtype\"");
            WeightEntry e;
            for (const auto& d : w["shape"]) {
                if (!d.is_number_integer() || d.get<int64_t>() < 0)
                    fail("weight '" + name + "' has an invalid shape " + w["shape"].dump());
                e.shape.push_back(d.get<int64_t>());
            }
            // Counted without overflow (also when a dimension is 0): a corrupt shape must not overflow
            // the size sums, nor numelOf below.
            if (boundedNumel(e.shape, 10'000'000'000) < 0)
                fail("weight '" + name + "' has an implausible shape " + w["shape"].dump());
            const auto dtype = w["dtype"].get<std::string>();
            if (dtype != "float32")
                fail("weight '" + name + "' has dtype '" + dtype +
                     "'; face-api's recognition net stores float32");
            if (w.contains("quantization")) {
                const auto& q = w["quantization"];
                if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string())
                    fail("weight '" + name + "' has a \"quantization\" without a \"dtype\"");
                const auto qtype = q["dtype"].get<std::string>();
                if (qtype == "uint8" || qtype == "uint16") {
                    if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") ||
                        !q["min"].is_number())
                        fail("weight '" + name + "' is quantized to " + qtype +
                             " without \"scale\" and \"min\"");
                    e.storage = qtype == "uint8" ? Storage::Uint8 : Storage::Uint16;
                    e.scale = q["scale"].get<double>();
                    e.min = q["min"].get<double>();
                } else if (qtype == "float16") {
                    e.storage = Storage::Float16;
                } else {
                    fail("weight '" + name + "' uses quantization dtype '" + qtype +
                         "', which is not supported (uint8, uint16 and float16 are)");
                }
            }
            e.offset = totalBytes_;
            e.bytes = static_cast<size_t>(numelOf(e.shape)) * bytesPerValue(e.storage);
            totalBytes_ += e.bytes;
            if (!entries_.emplace(name, std::move(e)).second) fail("weight '" + name + "' is listed twice");
        }
    }
    if (bin_.empty() && shards_.empty()) fail("lists no weight files in \"paths\"");
}

void Importer::readWeights() {
    // An explicit file replaces the manifest's list: it holds all groups' data in order.
    const auto files = bin_.empty() ? shards_ : std::vector<std::filesystem::path>{bin_};
    std::string names;
    uintmax_t available = 0;
    for (const auto& f : files) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(f, ec);
        if (ec)
            throw ModelFileError(f.string() + ": cannot read the weights file named by " + manifest_.string() +
                                 " (" + ec.message() + ")");
        available += size;
        names += (names.empty() ? "" : " + ") + f.string();
    }
    const std::string sizes = std::to_string(available) + " bytes, the manifest " +
                              manifest_.filename().string() + " describes " + std::to_string(totalBytes_) +
                              " bytes";
    if (available < totalBytes_) throw ModelFileError(names + ": truncated weights file (holds " + sizes + ")");
    if (available > totalBytes_)
        throw ModelFileError(names + ": weights file does not match its manifest (holds " + sizes + ")");

    data_.resize(totalBytes_);
    size_t at = 0;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        in.read(reinterpret_cast<char*>(data_.data() + at), static_cast<std::streamsize>(data_.size() - at));
        at += static_cast<size_t>(in.gcount());
        if (in.bad()) throw ModelFileError(f.string() + ": read error");
    }
    if (at != totalBytes_)
        throw ModelFileError(names + ": truncated weights file (read " + std::to_string(at) + " of " +
                             std::to_string(totalBytes_) + " bytes)");
}

// Dequantised values of one weight, checked against the shape the net needs.
Tensor Importer::weight(const std::string& name, const std::vector<int64_t>& expected) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) fail("weight '" + name + "' is missing");
    const WeightEntry& e = it->second;
    if (e.shape != expected)
        fail("weight '" + name + "' has shape " + shapeText(e.shape) + ", face-api's recognition net needs " +
             shapeText(expected));
    Tensor t = Tensor::zeros(e.shape);
    const unsigned char* src = data_.data() + e.offset;
    auto le16 = [&](size_t i) { return static_cast<uint16_t>(src[2 * i] | (src[2 * i + 1] << 8)); };
    auto le32 = [&](size_t i) {
        return static_cast<uint32_t>(src[4 * i]) | (static_cast<uint32_t>(src[4 * i + 1]) << 8) |
               (static_cast<uint32_t>(src[4 * i + 2]) << 16) | (static_cast<uint32_t>(src[4 * i + 3]) << 24);
    };
    // Like TF.js: dequantise in double, then round once to float.
    const size_t n = t.data.size();
    switch (e.storage) {
    case Storage::Uint8:
        for (size_t i = 0; i < n; ++i) t.data[i] = static_cast<float>(src[i] * e.scale + e.min);
        break;
    case Storage::Uint16:
        for (size_t i = 0; i < n; ++i) t.data[i] = static_cast<float>(le16(i) * e.scale + e.min);
        break;
    case Storage::Float16:
        for (size_t i = 0; i < n; ++i) t.data[i] = halfToFloat(le16(i));
        break;
    case Storage::Float32:
        for (size_t i = 0; i < n; ++i) t.data[i] = std::bit_cast<float>(le32(i));
        break;
    }
    return t;
}

// TF.js filters are [kh, kw, in, out]; the graph wants [out, in, kh, kw].
Tensor hwioToOihw(const Tensor& t) {
    const int64_t kh = t.dim(0), kw = t.dim(1), ci = t.dim(2), co = t.dim(3);
    Tensor out = Tensor::zeros({co, ci, kh, kw});
    for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
            for (int64_t i = 0; i < ci; ++i)
                for (int64_t o = 0; o < co; ++o)
                    out.data[((o * ci + i) * kh + y) * kw + x] = t.data[((y * kw + x) * ci + i) * co + o];
    return out;
}

// TF 'same' padding: output ceil(in / stride); an odd excess goes to the bottom/right.
void samePadding(int64_t in, int kernel, int stride, int& before, int& after) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
    before = static_cast<int>(total / 2);
    after = static_cast<int>(total - total / 2);
}

std::string Importer::convLayer(const std::string& from, const std::string& prefix, const std::string& node,
                                int64_t out, int kernel, int stride, bool same) {
    const Shape in = builder_->shapeOf(from);
    Node conv;
    conv.name = node;
    conv.op = Op::Conv2d;
    conv.inputs = {from};
    conv.outChannels = out;
    Window& w = conv.window;
    w.kh = w.kw = kernel;
    w.sh = w.sw = stride;
    if (same) {
        samePadding(in.h, kernel, stride, w.padTop, w.padBottom);
        samePadding(in.w, kernel, stride, w.padLeft, w.padRight);
    }
    conv.params["weight"] = hwioToOihw(weight(prefix + "/conv/filters", {kernel, kernel, in.c, out}));
    conv.params["bias"] = weight(prefix + "/conv/bias", {out});
    builder_->append(std::move(conv));

    Node scale;
    scale.name = node + ".scale";
    scale.op = Op::Scale;
    scale.inputs = {node};
    scale.params["weight"] = weight(prefix + "/scale/weights", {out});
    scale.params["bias"] = weight(prefix + "/scale/biases", {out});
    return builder_->append(std::move(scale));
}

// out = relu(convNoRelu(conv(x)) + x)
std::string Importer::residual(const std::string& from, const std::string& prefix) {
    const int64_t c = builder_->shapeOf(from).c;
    auto x = convLayer(from, prefix + "/conv1", prefix + ".conv1", c, 3, 1, true);
    x = builder_->relu(x, prefix + ".relu1");
    x = convLayer(x, prefix + "/conv2", prefix + ".conv2", c, 3, 1, true);
    x = builder_->add({x, from}, prefix + ".add");
    return builder_->relu(x, prefix + ".relu");
}

// The conv path halves the size with a 'valid' stride-2 conv; the shortcut is a
// 2x2 average pool with zero channels appended. face-api pads the conv path with
// one zero row and column when the two sizes differ (odd inputs).
std::string Importer::residualDown(const std::string& from, const std::string& prefix, int64_t out) {
    auto x = convLayer(from, prefix + "/conv1", prefix + ".conv1", out, 3, 2, false);
    x = builder_->relu(x, prefix + ".relu1");
    x = convLayer(x, prefix + "/conv2", prefix + ".conv2", out, 3, 1, true);

    auto shortcut = builder_->avgPool(from, prefix + ".shortcut", 2, 2);
    const Shape pooled = builder_->shapeOf(shortcut);
    const Shape conv = builder_->shapeOf(x);
    if (pooled.h != conv.h || pooled.w != conv.w) x = builder_->pad(x, prefix + ".pad", {0, 0, 0, 1, 0, 1});
    // face-api concatenates zeros shaped like the pooled tensor: channels double.
    if (pooled.c != conv.c)
        shortcut = builder_->pad(shortcut, prefix + ".shortcut.pad", {0, pooled.c, 0, 0, 0, 0});

    const Shape a = builder_->shapeOf(x), b = builder_->shapeOf(shortcut);
    if (!(a == b))
        fail("block '" + prefix + "': conv path " + a.toString() + " and shortcut " + b.toString() +
             " cannot be added");
    x = builder_->add({x, shortcut}, prefix + ".add");
    return builder_->relu(x, prefix + ".relu");
}

graph::Graph Importer::run() {
    readManifest();
    readWeights();

    graph::GraphBuilder builder("faceapi-dlib", Shape{3, 150, 150, false});
    builder_ = &builder;
    try {
        auto x = convLayer(builder.input(), "conv32_down", "conv32_down", 32, 7, 2, false);
        x = builder.relu(x, "conv32_down.relu");
        x = builder.maxPool(x, "maxpool", 3, 2);

        for (const char* b : {"conv32_1", "conv32_2", "conv32_3"}) x = residual(x, b);
        x = residualDown(x, "conv64_down", 64);
        for (const char* b : {"conv64_1", "conv64_2", "conv64_3"}) x = residual(x, b);
        x = residualDown(x, "conv128_down", 128);
        for (const char* b : {"conv128_1", "conv128_2"}) x = residual(x, b);
        x = residualDown(x, "conv256_down", 256);
        for (const char* b : {"conv256_1", "conv256_2"}) x = residual(x, b);
        x = residualDown(x, "conv256_down_out", 256);

        x = builder.globalAvgPool(x, "avgpool");
        x = builder.flatten(x, "flatten");

        // tf.matMul(features [N,256], fc [256,128]): a Linear without bias, weight transposed.
        const Tensor fc = weight("fc", {256, 128});
        Node linear;
        linear.name = "fc";
        linear.op = Op::Linear;
        linear.inputs = {x};
        linear.outChannels = 128;
        Tensor w = Tensor::zeros({128, 256});
        for (int64_t i = 0; i < 256; ++i)
            for (int64_t o = 0; o < 128; ++o) w.data[o * 256 + i] = fc.data[i * 128 + o];
        linear.params["weight"] = std::move(w);
        builder.append(std::move(linear));
    } catch (const GraphError& e) {
        fail(std::string("does not describe face-api's recognition net: ") + e.what());
    }

    graph::Graph g = builder.finish("fc");
    builder_ = nullptr;
    // face-api: (rgb - mean) / 255 on the 150x150 chip.
    g.preprocess.width = g.preprocess.height = 150;
    g.preprocess.bgr = false;
    g.preprocess.mean = {122.782f, 117.001f, 104.298f};
    g.preprocess.scale = {1.f / 255.f, 1.f / 255.f, 1.f / 255.f};
    g.preprocess.alignment = graph::Alignment::Dlib150;
    g.metadata["source"] = manifest_.string();
    g.metadata["format"] = "face-api TF.js weights (faceRecognitionNet, dlib ResNet-34-like)";
    return g;
}

}  // namespace

graph::Graph importFaceApi(const std::filesystem::path& manifestJson, std::filesystem::path weightsBin) {
    return Importer(manifestJson, std::move(weightsBin)).run();
}

}  // namespace fp::io
