#include "train/TeacherFeed.h"

#include "exec/TorchGraph.h"
#include "train/TorchTraining.h"
#include "util/Errors.h"

namespace fp::train {

namespace {

bool sameNormalisation(const graph::Preprocess& a, const graph::Preprocess& b) {
    return a.bgr == b.bgr && a.mean == b.mean && a.scale == b.scale;
}

// The teacher's crop is the student's scaled: same alignment, same aspect, and (centre crops) the
// same share of the aligned square.
bool sameCropScaled(const graph::Preprocess& s, const graph::Preprocess& t) {
    if (s.alignment != t.alignment) return false;
    if (int64_t{s.width} * t.height != int64_t{s.height} * t.width) return false;
    if (s.alignment == graph::Alignment::CenterCrop && int64_t{s.resizeShort} * t.width != int64_t{t.resizeShort} * s.width)
        return false;
    return true;
}

}  // namespace

const char* teacherFeedName(TeacherFeed f) {
    switch (f) {
    case TeacherFeed::SameInput: return "same input";
    case TeacherFeed::Converted: return "converted input";
    case TeacherFeed::Resized: return "resized input";
    case TeacherFeed::OwnSource: return "own batch source";
    }
    return "?";
}

TeacherFeed teacherFeed(const graph::Preprocess& s, const graph::Preprocess& t) {
    if (!sameCropScaled(s, t)) return TeacherFeed::OwnSource;
    if (s.width != t.width || s.height != t.height) return TeacherFeed::Resized;
    return sameNormalisation(s, t) ? TeacherFeed::SameInput : TeacherFeed::Converted;
}

torch::Tensor convertInput(const torch::Tensor& x, const graph::Preprocess& from, const graph::Preprocess& to) {
    auto perChannel = [](const std::array<float, 3>& v) { return torch::tensor({v[0], v[1], v[2]}).view({1, 3, 1, 1}); };
    torch::Tensor pixels = x / perChannel(from.scale) + perChannel(from.mean);
    if (from.bgr != to.bgr) pixels = pixels.flip(1);
    if (from.width != to.width || from.height != to.height)
        pixels = torch::nn::functional::interpolate(pixels, torch::nn::functional::InterpolateFuncOptions()
                                                                .size(std::vector<int64_t>{to.height, to.width})
                                                                .mode(torch::kBilinear)
                                                                .align_corners(false));
    return (pixels - perChannel(to.mean)) * perChannel(to.scale);
}

Tensor convertInput(const Tensor& batch, const graph::Preprocess& from, const graph::Preprocess& to) {
    if (teacherFeed(from, to) == TeacherFeed::OwnSource)
        throw InputError(std::string("the two models crop faces differently (") + graph::alignmentName(from.alignment) +
                         " " + std::to_string(from.width) + "x" + std::to_string(from.height) + " vs " +
                         graph::alignmentName(to.alignment) + " " + std::to_string(to.width) + "x" +
                         std::to_string(to.height) + "); one input cannot be converted into the other");
    torch::NoGradGuard noGrad;
    return exec::fromTorch(convertInput(exec::toTorch(batch), from, to));
}

}  // namespace fp::train
