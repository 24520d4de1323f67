#pragma once
// The model's preprocessing as JSON: shared by the native format and the ONNX
// metadata so that both carry it the same way.
#include <nlohmann/json.hpp>

#include "graph/Preprocess.h"

namespace fp::io {

nlohmann::json preprocessToJson(const graph::Preprocess& p);
graph::Preprocess preprocessFromJson(const nlohmann::json& j);  // throws nlohmann::json::exception, fp::Error

}  // namespace fp::io
