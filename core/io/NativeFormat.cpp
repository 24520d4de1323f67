#include "io/NativeFormat.h"

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/PreprocessJson.h"
#include "util/AtomicFile.h"
#include "util/Errors.h"

namespace fp::io {

using nlohmann::json;

namespace {

constexpr char kMagic[8] = {'F', 'P', 'R', 'U', 'N', 'E', '\0', '\1'};
constexpr int kFormatVersion = 1;

json windowToJson(const graph::Window& w) {
    return {{"kernel", {w.kh, w.kw}},       {"stride", {w.sh, w.sw}},
            {"pads", {w.padTop, w.padLeft, w.padBottom, w.padRight}},
            {"dilation", {w.dh, w.dw}},     {"ceil_mode", w.ceilMode},
            {"count_include_pad", w.countIncludePad}};
}

graph::Window windowFromJson(const json& j) {
    graph::Window w;
    w.kh = j.at("kernel")[0];
    w.kw = j.at("kernel")[1];
    w.sh = j.at("stride")[0];
    w.sw = j.at("stride")[1];
    w.padTop = j.at("pads")[0];
    w.padLeft = j.at("pads")[1];
    w.padBottom = j.at("pads")[2];
    w.padRight = j.at("pads")[3];
    w.dh = j.at("dilation")[0];
    w.dw = j.at("dilation")[1];
    w.ceilMode = j.at("ceil_mode");
    w.countIncludePad = j.at("count_include_pad");
    return w;
}

json shapeToJson(const graph::Shape& s) { return {s.c, s.h, s.w, s.flat}; }
graph::Shape shapeFromJson(const json& j) { return {j[0], j[1], j[2], j[3]}; }

}  // namespace

void saveNative(const graph::Graph& g, const std::filesystem::path& path) {
    json header;
    header["format"] = kFormatVersion;
    header["producer"] = std::string("FacePrune ") + FACEPRUNE_VERSION;
    header["name"] = g.name;
    header["preprocess"] = preprocessToJson(g.preprocess);
    header["metadata"] = g.metadata;
    header["embedding"] = g.embeddingName();
    header["logits"] = g.logitsName();
    json nodes = json::array();
    uint64_t offset = 0;
    std::vector<const Tensor*> blobs;
    for (const auto& n : g.nodes()) {
        json params = json::array();
        for (const auto& [key, t] : n.params) {
            params.push_back({{"key", key}, {"shape", t.shape}, {"offset", offset}});
            offset += t.data.size();
            blobs.push_back(&t);
        }
        nodes.push_back({{"name", n.name},
                         {"op", std::string(graph::opName(n.op))},
                         {"inputs", n.inputs},
                         {"out_channels", n.outChannels},
                         {"groups", n.groups},
                         {"window", windowToJson(n.window)},
                         {"eps", n.eps},
                         {"clip", {n.clipMin, n.clipMax}},
                         {"pads", n.pads},
                         {"drop_rate", n.dropRate},
                         {"input_shape", shapeToJson(n.inputShape)},
                         {"origin", n.origin},
                         {"original_out", n.originalOut},
                         {"params", params}});
    }
    header["nodes"] = nodes;
    const std::string text = header.dump();

    util::AtomicFile file(path);
    auto& out = file.stream();
    const uint64_t size = text.size();
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&size), sizeof size);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const Tensor* t : blobs)
        out.write(reinterpret_cast<const char*>(t->data.data()), static_cast<std::streamsize>(t->data.size() * 4));
    file.commit();
}

bool looksNative(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[sizeof kMagic] = {};
    return in.read(magic, sizeof magic) && std::memcmp(magic, kMagic, sizeof magic) == 0;
}

graph::Graph loadNative(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelFileError(file + ": cannot open the file");
    char magic[sizeof kMagic] = {};
    if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
        throw ModelFileError(file + ": not a FacePrune model file (wrong magic bytes)");
    uint64_t size = 0;
    if (!in.read(reinterpret_cast<char*>(&size), sizeof size) || size > (1u << 30))
        throw ModelFileError(file + ": truncated or corrupt header");
    std::string text(size, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size))) throw ModelFileError(file + ": truncated header");
    const auto blobStart = in.tellg();
    in.seekg(0, std::ios::end);
    const uint64_t blobBytes = static_cast<uint64_t>(in.tellg() - blobStart);
    in.seekg(blobStart);

    graph::Graph g;
    try {
        const json header = json::parse(text);
        if (header.at("format").get<int>() > kFormatVersion)
            throw ModelFileError(file + ": written by a newer FacePrune (format " +
                                 std::to_string(header.at("format").get<int>()) + ")");
        g.name = header.at("name");
        g.preprocess = preprocessFromJson(header.at("preprocess"));
        g.metadata = header.at("metadata").get<std::map<std::string, std::string>>();
        for (const auto& jn : header.at("nodes")) {
            graph::Node n;
            n.name = jn.at("name");
            const auto op = graph::opFromName(jn.at("op").get<std::string>());
            if (!op) throw ModelFileError(file + ": layer '" + n.name + "' has unknown op " + jn.at("op").dump());
            n.op = *op;
            n.inputs = jn.at("inputs").get<std::vector<std::string>>();
            n.outChannels = jn.at("out_channels");
            n.groups = jn.at("groups");
            n.window = windowFromJson(jn.at("window"));
            n.eps = jn.at("eps");
            n.clipMin = jn.at("clip")[0];
            n.clipMax = jn.at("clip")[1];
            n.pads = jn.at("pads");
            n.dropRate = jn.at("drop_rate");
            n.inputShape = shapeFromJson(jn.at("input_shape"));
            n.origin = jn.value("origin", std::vector<int64_t>{});
            n.originalOut = jn.value("original_out", int64_t{0});
            for (const auto& jp : jn.at("params")) {
                Tensor t;
                t.shape = jp.at("shape").get<std::vector<int64_t>>();
                const uint64_t offset = jp.at("offset");
                const uint64_t count = static_cast<uint64_t>(numelOf(t.shape));
                if ((offset + count) * 4 > blobBytes)
                    throw ModelFileError(file + ": truncated (weights of layer '" + n.name + "' end past the file)");
                t.data.resize(count);
                in.seekg(blobStart + static_cast<std::streamoff>(offset * 4));
                in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(count * 4));
                n.params[jp.at("key")] = std::move(t);
            }
            g.add(std::move(n));
        }
        g.setOutputs(header.at("embedding"), header.at("logits"));
    } catch (const json::exception& e) {
        throw ModelFileError(file + ": corrupt header (" + e.what() + ")");
    } catch (const GraphError& e) {
        throw ModelFileError(file + ": " + e.what());
    }
    try {
        g.inferShapes();
    } catch (const GraphError& e) {
        throw ModelFileError(file + ": " + e.what());
    }
    return g;
}

}  // namespace fp::io
