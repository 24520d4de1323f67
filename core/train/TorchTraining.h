#pragma once
// The LibTorch side of the training code: the losses of Losses.h and the teacher's input conversion
// of TeacherFeed.h on torch tensors. Internal to core: include it only from .cpp files that already
// include LibTorch (like exec/TorchGraph.h).
#include "exec/TorchInclude.h"
#include "graph/Preprocess.h"
#include "train/Losses.h"

namespace fp::train {

// Logits the cross-entropy sees for a margin head: s * cos(theta_j), with the margin on the target
// class. embeddings [N, D], weight [C, D], labels [N] (int64).
torch::Tensor marginLogits(const torch::Tensor& embeddings, const torch::Tensor& weight,
                           const torch::Tensor& labels, const LossOptions& options);

// Mean identification loss; bias may be undefined. For softmax this is the cross-entropy of
// embeddings * weight^T + bias.
torch::Tensor identificationLoss(const torch::Tensor& embeddings, const torch::Tensor& weight,
                                 const torch::Tensor& bias, const torch::Tensor& labels,
                                 const LossOptions& options);

// Mean over the batch of 1 - cos(student_i, teacher_i).
torch::Tensor distillationLoss(const torch::Tensor& student, const torch::Tensor& teacher);
torch::Tensor relationalLoss(const torch::Tensor& student, const torch::Tensor& teacher);

// A batch preprocessed for `from` as `to` wants it (TeacherFeed Converted or Resized): back to
// 0..255 pixel values, channel order swapped when it differs, bilinear resize when the size
// differs, then `to`'s mean and scale.
torch::Tensor convertInput(const torch::Tensor& batch, const graph::Preprocess& from, const graph::Preprocess& to);

}  // namespace fp::train
