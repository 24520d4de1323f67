#pragma once
// How the teacher gets its input during distillation. The batch source gives images for the
// student's Preprocess; the teacher may want another size, colour order, normalisation or crop.
//   SameInput  identical preprocessing (a pruned model and its original): the student's tensor
//   Converted  same crop (alignment and size): colour order and normalisation converted in torch
//   Resized    same alignment at another size (same aspect and, for centre crops, the same crop
//              share): converted and resized bilinearly in torch; random crops and flips carry over
//              exactly because both views are the same crop
//   OwnSource  another alignment or crop (SqueezeNet's 113 centre crop of a 129 square vs
//              MobileFaceNet's 112 ArcFace crop): the student's crop lacks pixels the teacher sees,
//              so the teacher reads a second BatchSource over the same samples, restarted with the
//              same seeds (same order), without augmentation. Its embedding is the flip test's
//              (image + mirror), so the target does not depend on whether the student's copy was
//              flipped: the student learns to map its augmented view onto the teacher's embedding
//              of the clean aligned face.
#include "graph/Preprocess.h"
#include "graph/Tensor.h"

namespace fp::train {

enum class TeacherFeed { SameInput, Converted, Resized, OwnSource };

const char* teacherFeedName(TeacherFeed f);
TeacherFeed teacherFeed(const graph::Preprocess& student, const graph::Preprocess& teacher);

// The torch conversion behind Converted and Resized, on plain tensors ([N, 3, H, W] preprocessed
// for `from`). Throws fp::InputError when the two need their own sources (OwnSource).
Tensor convertInput(const Tensor& batch, const graph::Preprocess& from, const graph::Preprocess& to);

}  // namespace fp::train
