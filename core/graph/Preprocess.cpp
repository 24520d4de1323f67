#include "graph/Preprocess.h"

#include "util/Errors.h"

namespace fp::graph {

const char* alignmentName(Alignment a) {
    switch (a) {
    case Alignment::ArcFace112: return "arcface112";
    case Alignment::CenterCrop: return "center-crop";
    case Alignment::Dlib150: return "dlib150";
    case Alignment::None: return "none";
    }
    return "none";
}

Alignment alignmentFromName(const std::string& name) {
    for (Alignment a : {Alignment::ArcFace112, Alignment::CenterCrop, Alignment::Dlib150, Alignment::None})
        if (name == alignmentName(a)) return a;
    throw Error("unknown alignment '" + name + "' (expected arcface112, center-crop, dlib150 or none)");
}

}  // namespace fp::graph
