#include "io/NativeFormat.h"

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/DeclaredShape.h"
#include "io/JsonNumbers.h"
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

// at(i), not [i], and jsonInt: a short list or a float like 1e300 is a corrupt header, not a crash.
graph::Window windowFromJson(const json& j) {
    graph::Window w;
    w.kh = jsonInt<int>(j.at("kernel").at(0));
    w.kw = jsonInt<int>(j.at("kernel").at(1));
    w.sh = jsonInt<int>(j.at("stride").at(0));
    w.sw = jsonInt<int>(j.at("stride").at(1));
    w.padTop = jsonInt<int>(j.at("pads").at(0));
    w.padLeft = jsonInt<int>(j.at("pads").at(1));
    w.padBottom = jsonInt<int>(j.at("pads").at(2));
    w.padRight = jsonInt<int>(j.at("pads").at(3));
    w.dh = jsonInt<int>(j.at("dilation").at(0));
    w.dw = jsonInt<int>(j.at("dilation").at(1));
    w.ceilMode = j.at("ceil_mode");
    w.countIncludePad = j.at("count_include_pad");
    return w;
}

json shapeToJson(const graph::Shape& s) { return {s.c, s.h, s.w, s.flat}; }
graph::Shape shapeFromJson(const json& j) {
    return {jsonInt<int64_t>(j.at(0)), jsonInt<int64_t>(j.at(1)), jsonInt<int64_t>(j.at(2)), j.at(3).get<bool>()};
}

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
    // The header's size is checked against the file before it is allocated.
    const auto headerStart = in.tellg();
    in.seekg(0, std::ios::end);
    const auto fileEnd = in.tellg();
    in.seekg(headerStart);
    if (headerStart < 0 || fileEnd < headerStart || size > static_cast<uint64_t>(fileEnd - headerStart))
        throw ModelFileError(file + ": truncated header (it declares " + std::to_string(size) + " bytes)");
    std::string text(size, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size))) throw ModelFileError(file + ": truncated header");
    const auto blobStart = in.tellg();
    in.seekg(0, std::ios::end);
    const uint64_t blobBytes = static_cast<uint64_t>(in.tellg() - blobStart);
    in.seekg(blobStart);

    graph::Graph g;
    try {
        const json header = json::parse(text);
        if (jsonInt<int>(header.at("format")) > kFormatVersion)
            throw ModelFileError(file + ": written by a newer FacePrune (format " +
                                 std::to_string(jsonInt<int>(header.at("format"))) + ")");
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
            n.outChannels = jsonInt<int64_t>(jn.at("out_channels"));
            n.groups = jsonInt<int64_t>(jn.at("groups"));
            n.window = windowFromJson(jn.at("window"));
            n.eps = jn.at("eps");
            n.clipMin = jn.at("clip").at(0);
            n.clipMax = jn.at("clip").at(1);
            const auto pads = jsonInts<int64_t>(jn.at("pads"));
            if (pads.size() != n.pads.size())
                throw ModelFileError(file + ": layer '" + n.name + "' has " + std::to_string(pads.size()) +
                                     " pads, expected 6");
            std::copy(pads.begin(), pads.end(), n.pads.begin());
            n.dropRate = jn.at("drop_rate");
            n.inputShape = shapeFromJson(jn.at("input_shape"));
            n.origin = jn.contains("origin") ? jsonInts<int64_t>(jn.at("origin")) : std::vector<int64_t>{};
            n.originalOut = jsonInt<int64_t>(jn, "original_out", 0);
            for (const auto& jp : jn.at("params")) {
                Tensor t;
                t.shape = jsonInts<int64_t>(jp.at("shape"));
                const uint64_t offset = jsonInt<uint64_t>(jp.at("offset"));
                // Checked against the weights the file holds before anything is allocated: a shape
                // such as [1000000, 1000000] is refused here, not by running out of memory.
                const uint64_t blobFloats = blobBytes / 4;
                const int64_t count = boundedNumel(t.shape, static_cast<int64_t>(blobFloats));
                if (count < 0)
                    throw ModelFileError(file + ": layer '" + n.name + "' declares a weight of shape " +
                                         shapeText(t.shape) + " (" + declaredNumel(t.shape) +
                                         "), the file holds " + std::to_string(blobBytes) +
                                         " bytes of weights; refusing to allocate");
                if (offset > blobFloats || static_cast<uint64_t>(count) > blobFloats - offset)
                    throw ModelFileError(file + ": truncated (weights of layer '" + n.name + "' end past the file)");
                t.data.resize(static_cast<size_t>(count));
                in.seekg(blobStart + static_cast<std::streamoff>(offset * 4));
                in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(count) * 4);
                n.params[jp.at("key")] = std::move(t);
            }
            g.add(std::move(n));
        }
        g.setOutputs(header.at("embedding"), header.at("logits"));
    } catch (const json::exception& e) {
        throw ModelFileError(file + ": corrupt header (" + e.what() + ")");
    } catch (const ModelFileError&) {
        throw;
    } catch (const Error& e) {  // GraphError, an unknown alignment name ...: named with the file
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
