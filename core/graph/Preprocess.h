#pragma once
// How a model wants its input image: carried with the graph (native files and
// ONNX metadata) so that a user never has to remember it.
#include <array>
#include <string>

namespace fp::graph {

enum class Alignment {
    ArcFace112,   // 5-point similarity warp to the ArcFace 112x112 template
    CenterCrop,   // seed study: short side to resizeShort, centre crop width x height
    Dlib150,      // 5-point warp to the dlib/face-api 150x150 chip
    None,         // the image is fed as it is, resized to width x height
};

struct Preprocess {
    int width = 112;
    int height = 112;
    bool bgr = false;                         // channel order the network expects
    std::array<float, 3> mean{0.f, 0.f, 0.f};  // subtracted from 0..255 values (network order)
    std::array<float, 3> scale{1.f, 1.f, 1.f}; // multiplied after the subtraction
    Alignment alignment = Alignment::ArcFace112;
    int resizeShort = 0;                      // CenterCrop only

    bool operator==(const Preprocess&) const = default;
};

const char* alignmentName(Alignment a);
Alignment alignmentFromName(const std::string& name);  // throws fp::Error

}  // namespace fp::graph
