#pragma once
// Locates the pretrained models and sample photos that scripts/fetch-assets.sh
// fetched from npm into a cache outside the source tree.
#include <cstdint>
#include <filesystem>
#include <string>

namespace fp::assets {

enum class Asset {
    MobileFaceNet,     // faceplugin/model/fr_feature.onnx
    FaceDetector,      // faceplugin/model/fr_detect.onnx (Ultra-Light 320x240)
    FaceLandmarks,     // faceplugin/model/fr_landmark.onnx (68 points, 64x64 gray)
    FaceApiManifest,   // face-api/model/face_recognition_model-weights_manifest.json
    FaceApiWeights,    // face-api/model/face_recognition_model.bin
};

// $FACEPRUNE_ASSETS, else $XDG_CACHE_HOME/faceprune/assets, else ~/.cache/faceprune/assets.
std::filesystem::path cacheDir();

// Path of an asset; throws fp::AssetError naming the file and how to fetch it
// when it is missing or has the wrong size (a truncated download).
std::filesystem::path locate(Asset asset);
// face-api demo photo 1..6 (group photos used for tests and the demo video).
std::filesystem::path samplePhoto(int index);

// Directory of labelled face folders used by tests and demos: $FACEPRUNE_DATA.
// Empty when the variable is unset.
std::filesystem::path faceDataDir();

}  // namespace fp::assets
