#pragma once
// Photometric and geometric variety for recovery training on few faces: the pruned student and
// its teacher see the same augmented view (the teacher's input is the student's tensor), so the
// student learns the teacher's mapping on images it would otherwise never meet.
// Geometry stays close to the alignment (a few pixels, degrees and percent) so that the face
// remains where the template puts it; borders are filled by replicating the edge.
#include <opencv2/core.hpp>

#include "data/SeededRandom.h"

namespace fp::data {

struct FaceAugmentOptions {
    double maxShift = 0.04;       // share of the crop's side, each axis
    double maxRotation = 8.0;     // degrees
    double maxScale = 0.08;       // 1 +- this
    double brightness = 0.25;     // pixel values shifted by up to this share of 255
    double contrast = 0.25;       // multiplied by 1 +- this around the mean
    double colour = 0.10;         // each channel multiplied by 1 +- this
    double grayscale = 0.10;      // probability
    double blur = 0.15;           // probability of a Gaussian blur (sigma 0.5-1.5 px)
    double jpeg = 0.25;           // probability of JPEG re-compression (quality 30-90)
};

// A new augmented copy of an 8-bit BGR crop; every choice comes from rng.
cv::Mat augmentFace(const cv::Mat& crop, SeededRandom& rng, const FaceAugmentOptions& options = {});

}  // namespace fp::data
