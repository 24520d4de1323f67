#include "io/PreprocessJson.h"

#include "io/JsonNumbers.h"

namespace fp::io {

using nlohmann::json;

nlohmann::json preprocessToJson(const graph::Preprocess& p) {
    return {{"width", p.width}, {"height", p.height}, {"bgr", p.bgr}, {"mean", p.mean}, {"scale", p.scale},
            {"alignment", graph::alignmentName(p.alignment)}, {"resize_short", p.resizeShort}};
}

graph::Preprocess preprocessFromJson(const nlohmann::json& j) {
    graph::Preprocess p;
    p.width = jsonInt<int>(j.at("width"));
    p.height = jsonInt<int>(j.at("height"));
    p.bgr = j.at("bgr");
    p.mean = j.at("mean");
    p.scale = j.at("scale");
    p.alignment = graph::alignmentFromName(j.at("alignment"));
    p.resizeShort = jsonInt<int>(j.at("resize_short"));
    return p;
}

}  // namespace fp::io
