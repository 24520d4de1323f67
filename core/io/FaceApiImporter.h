#pragma once
// Imports face-api's face recognition net (@vladmandic/face-api, a port of dlib's
// ResNet-34-like face descriptor: 150x150 RGB in, 128-d out) from its TF.js weights
// manifest and .bin into the graph IR.
#include <filesystem>

#include "graph/Graph.h"

namespace fp::io {

// Reads the manifest (JSON list of weight groups: "paths" and "weights" with name,
// shape, dtype and optional uint8/uint16 "quantization" {scale, min}) and the
// weights, dequantises them, converts HWIO filters to OIHW and rebuilds face-api's
// faceRecognitionNet as a Graph named "faceapi-dlib" whose embedding is the "fc"
// Linear (no bias). The input normalisation lives in graph.preprocess.
//
// weightsBin: the concatenated weight data of all groups; by default the files the
// manifest lists, next to it. Throws fp::ModelFileError naming the file and the
// problem (not JSON, missing key or weight, wrong shape, unsupported dtype, a .bin
// whose size disagrees with the manifest).
graph::Graph importFaceApi(const std::filesystem::path& manifestJson, std::filesystem::path weightsBin = {});

}  // namespace fp::io
