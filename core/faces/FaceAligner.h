#pragma once
// Warps a located face to the crop a recognition model was trained on (graph::Preprocess):
// a least-squares similarity from the 5 face points to the model's template.
#include <array>

#include <opencv2/core.hpp>

#include "faces/Face.h"
#include "graph/Preprocess.h"

namespace fp::faces {

class FaceAligner {
public:
    // 8-bit BGR crop of pre.width x pre.height (colour order and normalisation are left to
    // image::toBatch). Template alignments need face.points (LandmarkDetector); None uses the box.
    // Throws fp::InputError for an empty image, a face without landmarks or a bad Preprocess.
    cv::Mat align(const cv::Mat& bgr, const Face& face, const graph::Preprocess& pre) const;

    // The image -> crop matrix align() warps with.
    static cv::Matx23d transform(const Face& face, const graph::Preprocess& pre);

    // Where the 5 points (FacePoint order) should land in the pre.width x pre.height crop.
    // Throws fp::InputError for Alignment::None, which has no template.
    static std::array<cv::Point2f, 5> templatePoints(const graph::Preprocess& pre);

    // Least-squares similarity (rotation, uniform scale, shift; no reflection) taking `from` onto `to`.
    static cv::Matx23d similarity(const std::array<cv::Point2f, 5>& from,
                                  const std::array<cv::Point2f, 5>& to);
};

// Applies a 2x3 affine matrix to a point.
inline cv::Point2f apply(const cv::Matx23d& m, cv::Point2f p) {
    return {static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
            static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}

}  // namespace fp::faces
