#pragma once
// FacePrune's own model file (.fpm): the graph, its weights, preprocessing and
// metadata. Weights are stored as raw float32, so a save/load round trip is
// bit-exact.
#include <filesystem>

#include "graph/Graph.h"

namespace fp::io {

inline constexpr const char* kNativeExtension = ".fpm";

// Writes to a temporary file next to `path`, then renames it over `path`, so a
// crash never leaves a half-written model. Throws fp::Error on I/O failure.
void saveNative(const graph::Graph& graph, const std::filesystem::path& path);

// Throws fp::ModelFileError naming the file for anything unreadable.
graph::Graph loadNative(const std::filesystem::path& path);

// True when the file starts with the native magic bytes.
bool looksNative(const std::filesystem::path& path);

}  // namespace fp::io
