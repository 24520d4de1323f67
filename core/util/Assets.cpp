#include "util/Assets.h"

#include <cstdlib>

#include "util/Errors.h"

namespace fp::assets {

namespace {

struct Entry {
    const char* relative;
    uintmax_t bytes;  // exact size of the published file; sha256 is checked when fetching
};

Entry entry(Asset a) {
    switch (a) {
    case Asset::MobileFaceNet: return {"faceplugin/model/fr_feature.onnx", 4884269};
    case Asset::FaceDetector: return {"faceplugin/model/fr_detect.onnx", 1217758};
    case Asset::FaceLandmarks: return {"faceplugin/model/fr_landmark.onnx", 1163742};
    case Asset::FaceApiManifest: return {"face-api/model/face_recognition_model-weights_manifest.json", 19615};
    case Asset::FaceApiWeights: return {"face-api/model/face_recognition_model.bin", 6444032};
    }
    return {"", 0};
}

std::filesystem::path checked(const std::string& relative, uintmax_t bytes) {
    const auto path = cacheDir() / relative;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw AssetError("model asset " + path.string() +
                         " is missing; fetch it with scripts/fetch-assets.sh (or set FACEPRUNE_ASSETS to its folder)");
    if (bytes && std::filesystem::file_size(path, ec) != bytes)
        throw AssetError("model asset " + path.string() +
                         " has the wrong size (truncated or corrupt); re-fetch it with scripts/fetch-assets.sh --force");
    return path;
}

}  // namespace

std::filesystem::path cacheDir() {
    if (const char* dir = std::getenv("FACEPRUNE_ASSETS"); dir && *dir) return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return std::filesystem::path(xdg) / "faceprune" / "assets";
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : ".") / ".cache" / "faceprune" / "assets";
}

std::filesystem::path locate(Asset asset) {
    const Entry e = entry(asset);
    return checked(e.relative, e.bytes);
}

std::filesystem::path samplePhoto(int index) {
    if (index < 1 || index > 6) throw AssetError("face-api has sample photos 1 to 6, not " + std::to_string(index));
    return checked("face-api/demo/sample" + std::to_string(index) + ".jpg", 0);
}

std::filesystem::path faceDataDir() {
    const char* dir = std::getenv("FACEPRUNE_DATA");
    return dir ? std::filesystem::path(dir) : std::filesystem::path();
}

}  // namespace fp::assets
