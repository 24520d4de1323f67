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
// The embeddings of [N, D] L2-normalised row by row, as the relational term compares them.
torch::Tensor normaliseRows(const torch::Tensor& embeddings);
// A distributed rank's share of relationalLoss over a batch split across ranks: its own rows
// `first`..first+n of the whole batch against every row. student [n, Ds] and teacher [n, Dt] are its
// own embeddings; studentAll [N, Ds] and teacherAll [N, Dt] every rank's, normalised (normaliseRows)
// and without gradient. The shares' values add up to relationalLoss of the whole batch, and so do
// their gradients: each pair (i, j) appears in two ranks' shares with one side live in each, so each
// share's gradient counts twice while its value counts once.
torch::Tensor relationalLossShare(const torch::Tensor& student, const torch::Tensor& teacher,
                                  const torch::Tensor& studentAll, const torch::Tensor& teacherAll, int64_t first);

// A batch preprocessed for `from` as `to` wants it (TeacherFeed Converted or Resized): back to
// 0..255 pixel values, channel order swapped when it differs, bilinear resize when the size
// differs, then `to`'s mean and scale.
torch::Tensor convertInput(const torch::Tensor& batch, const graph::Preprocess& from, const graph::Preprocess& to);

}  // namespace fp::train
