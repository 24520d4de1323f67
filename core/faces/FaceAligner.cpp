#include "faces/FaceAligner.h"

#include <string>

#include <opencv2/imgproc.hpp>

#include "util/Errors.h"

namespace fp::faces {

namespace {

using Points = std::array<cv::Point2f, 5>;

// InsightFace's ArcFace template for 112x112 crops (the one MobileFaceNet and most ArcFace-trained
// nets expect).
constexpr float kArcFaceSize = 112.f;
const Points kArcFace = {{{38.2946f, 51.6963f},
                          {73.5318f, 51.5014f},
                          {56.0252f, 71.7366f},
                          {41.5493f, 92.3655f},
                          {70.7299f, 92.2041f}}};

// dlib's face chip (get_face_chip_details(shape, 150, 0.25), the input of dlib's and face-api's
// ResNet-34 recogniser). dlib maps its mean 68-point shape m (unit square, points 17..67 in
// dlib/image_transforms/interpolation.h) into the chip at size * (padding + m) / (1 + 2 * padding).
// Reducing that mean shape with the same 68 -> 5 rule as LandmarkDetector::fivePoints gives
//   left eye  mean(37,38,40,41) = (0.224152, 0.211947)   right eye mean(43,44,46,47) = (0.756101, 0.211947)
//   nose      30                = (0.490127, 0.515625)
//   mouth     mean(48,60)       = (0.272264, 0.782513)   mean(54,64)                 = (0.707989, 0.782513)
// and with padding 0.25 and size 150 the points below. dlib fits its similarity to 33 of the 68
// points, we to these 5, so our chips approximate dlib's rather than match them exactly.
constexpr float kDlibSize = 150.f;
const Points kDlib150 = {{{47.4152f, 46.1947f},
                          {100.6101f, 46.1947f},
                          {74.0127f, 76.5625f},
                          {52.2264f, 103.2513f},
                          {95.7989f, 103.2513f}}};

// A template made for a base x base crop, scaled so its height fills `size` and centred across the
// width: 112x112 -> 128x128 scales by 8/7, and 96x112 shifts x by -8 (the usual SphereFace crop).
Points place(const Points& tpl, float base, cv::Size2f size) {
    const float s = size.height / base;
    Points out;
    for (size_t i = 0; i < tpl.size(); ++i)
        out[i] = {(tpl[i].x - base / 2.f) * s + size.width / 2.f, tpl[i].y * s};
    return out;
}

void checkSize(const graph::Preprocess& pre) {
    if (pre.width < 8 || pre.height < 8 || pre.width > 4096 || pre.height > 4096)
        throw InputError("face alignment: model input " + std::to_string(pre.width) + "x" +
                         std::to_string(pre.height) + " is not a usable crop size");
}

}  // namespace

Points FaceAligner::templatePoints(const graph::Preprocess& pre) {
    checkSize(pre);
    const cv::Size2f size(static_cast<float>(pre.width), static_cast<float>(pre.height));
    switch (pre.alignment) {
    case graph::Alignment::ArcFace112: return place(kArcFace, kArcFaceSize, size);
    case graph::Alignment::Dlib150: return place(kDlib150, kDlibSize, size);
    case graph::Alignment::CenterCrop: {
        // ArcFace geometry on a resizeShort square, then the centre width x height of it.
        const int r = pre.resizeShort;
        if (r < pre.width || r < pre.height)
            throw InputError("center-crop alignment: resizeShort " + std::to_string(r) +
                             " must be at least the crop size " + std::to_string(pre.width) + "x" +
                             std::to_string(pre.height));
        Points pts = place(kArcFace, kArcFaceSize, cv::Size2f(static_cast<float>(r), static_cast<float>(r)));
        const cv::Point2f offset(static_cast<float>((r - pre.width) / 2),
                                 static_cast<float>((r - pre.height) / 2));
        for (auto& p : pts) p -= offset;
        return pts;
    }
    case graph::Alignment::None: break;
    }
    throw InputError("face alignment 'none' has no point template");
}

cv::Matx23d FaceAligner::similarity(const Points& from, const Points& to) {
    // Closed-form least squares over all 5 points (Umeyama without reflection), as InsightFace's
    // SimilarityTransform fits it. cv::estimateAffinePartial2D defaults to RANSAC on 2-point
    // samples, which can drop the nose or a mouth corner of a turned face as an outlier.
    cv::Point2d mf(0, 0), mt(0, 0);
    for (size_t i = 0; i < from.size(); ++i) {
        mf += cv::Point2d(from[i]);
        mt += cv::Point2d(to[i]);
    }
    mf *= 1.0 / from.size();
    mt *= 1.0 / to.size();
    double dot = 0, cross = 0, norm = 0;
    for (size_t i = 0; i < from.size(); ++i) {
        const cv::Point2d a = cv::Point2d(from[i]) - mf, b = cv::Point2d(to[i]) - mt;
        dot += a.x * b.x + a.y * b.y;
        cross += a.x * b.y - a.y * b.x;
        norm += a.x * a.x + a.y * a.y;
    }
    if (norm < 1e-9) throw InputError("face alignment: the 5 face points coincide");
    const double c = dot / norm, s = cross / norm;  // scale * (cos, sin) of the rotation
    return {c, -s, mt.x - (c * mf.x - s * mf.y), s, c, mt.y - (s * mf.x + c * mf.y)};
}

cv::Matx23d FaceAligner::transform(const Face& face, const graph::Preprocess& pre) {
    checkSize(pre);
    if (pre.alignment == graph::Alignment::None) {
        // The box stretched onto the crop, pixel centres mapped as cv::resize maps them.
        if (face.box.width <= 0.f || face.box.height <= 0.f)
            throw InputError("face alignment: empty face box");
        const double sx = pre.width / static_cast<double>(face.box.width);
        const double sy = pre.height / static_cast<double>(face.box.height);
        return {sx, 0, (0.5 - face.box.x) * sx - 0.5, 0, sy, (0.5 - face.box.y) * sy - 0.5};
    }
    if (!face.hasLandmarks())
        throw InputError(std::string("face alignment '") + graph::alignmentName(pre.alignment) +
                         "' needs the face's landmarks; run LandmarkDetector::locate first");
    return similarity(face.points, templatePoints(pre));
}

cv::Mat FaceAligner::align(const cv::Mat& image, const Face& face, const graph::Preprocess& pre) const {
    const cv::Mat bgr = detail::toBgr(image, "face alignment");
    cv::Mat crop;
    // Black outside the image, as InsightFace's norm_crop and dlib's chips fill it.
    cv::warpAffine(bgr, crop, cv::Mat(transform(face, pre)), cv::Size(pre.width, pre.height),
                   cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return crop;
}

}  // namespace fp::faces
