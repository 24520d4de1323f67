#pragma once
// One entry point to get a model: a short zoo name or a file.
//   squeezenet, mobilenetv2, resnet50   seed-study architectures (models/ModelZoo.h)
//   mobilefacenet                       pretrained, npm faceplugin fr_feature.onnx
//   faceapi-dlib                        pretrained, npm @vladmandic/face-api
//   *.onnx, *.fpm (native), *.json      (face-api weights manifest)
//   a pruning run folder                its final model (or its last iteration)
#include <filesystem>
#include <string>
#include <vector>

#include "graph/Graph.h"

namespace fp::models {

struct ModelChoice {
    std::string name;         // what the user types
    std::string description;  // one line for menus and --help
    bool pretrained = false;
};

// Every short name loadModel() accepts.
std::vector<ModelChoice> modelChoices();

// Zoo name or file path. Throws fp::Error (ModelFileError, AssetError,
// UnsupportedOpError ...) with a message naming the file and the problem.
graph::Graph loadModel(const std::string& nameOrPath);

// Saves natively (.fpm) — the only format that keeps everything FacePrune knows.
void saveModel(const graph::Graph& graph, const std::filesystem::path& path);

}  // namespace fp::models
