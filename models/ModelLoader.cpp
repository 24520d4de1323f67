#include "models/ModelLoader.h"

#include <algorithm>

#include "io/FaceApiImporter.h"
#include "io/NativeFormat.h"
#include "io/OnnxImporter.h"
#include "models/ModelZoo.h"
#include "prune/PruneRun.h"
#include "util/Assets.h"
#include "util/Errors.h"

namespace fp::models {

namespace {

graph::Graph loadMobileFaceNet() {
    graph::Graph g = io::importOnnx(assets::locate(assets::Asset::MobileFaceNet));
    g.name = "mobilefacenet";
    // The npm package feeds BGR crops aligned to the ArcFace template, (x - 127) / 128.
    g.preprocess.width = g.preprocess.height = 112;
    g.preprocess.bgr = true;
    g.preprocess.mean = {127.f, 127.f, 127.f};
    g.preprocess.scale = {1 / 128.f, 1 / 128.f, 1 / 128.f};
    g.preprocess.alignment = graph::Alignment::ArcFace112;
    return g;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

std::vector<ModelChoice> modelChoices() {
    std::vector<ModelChoice> out{
        {"mobilefacenet", "MobileFaceNet, pretrained (npm faceplugin), 112x112, 512-d", true},
        {"faceapi-dlib", "dlib ResNet-34, pretrained (npm face-api), 150x150, 128-d", true},
    };
    for (const auto& name : zooNames()) out.push_back({name, zooDescription(name), false});
    return out;
}

graph::Graph loadModel(const std::string& spec) {
    if (spec == "mobilefacenet") return loadMobileFaceNet();
    if (spec == "faceapi-dlib") return io::importFaceApi(assets::locate(assets::Asset::FaceApiManifest));
    if (isZooName(spec)) return buildZooModel(spec);

    const std::filesystem::path path(spec);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        std::string names;
        for (const auto& c : modelChoices()) names += (names.empty() ? "" : ", ") + c.name;
        throw ModelFileError(spec + ": no such file, and not a model name (" + names + ")");
    }
    if (prune::PruneRun::isRunDir(path)) {
        // A pruning run: its final model, or the last completed iteration of an unfinished one.
        if (std::filesystem::exists(path / "final.fpm")) return io::loadNative(path / "final.fpm");
        return prune::PruneRun::open(path).model();
    }
    const std::string ext = lower(path.extension().string());
    if (io::looksNative(path)) return io::loadNative(path);
    if (ext == ".onnx") return io::importOnnx(path);
    if (ext == ".json") return io::importFaceApi(path);
    if (ext == io::kNativeExtension) return io::loadNative(path);  // reports the bad magic
    throw ModelFileError(spec + ": unknown model format '" + ext + "' (expected .onnx, .fpm or a face-api .json manifest)");
}

void saveModel(const graph::Graph& graph, const std::filesystem::path& path) { io::saveNative(graph, path); }

}  // namespace fp::models
