#pragma once
// Identification losses over the training identities, and the distillation term.
//   softmax  cross-entropy of a plain Linear head (weights and bias)
//   CosFace  (Wang et al. 2018) s * (cos(theta_y) - m) for the target class, s * cos(theta_j) otherwise
//   ArcFace  (Deng et al. 2019) s * cos(theta_y + m) for the target class
// theta_j is the angle between the embedding and class j's weight (both L2-normalised). The margin
// heads keep their weight in the graph as a Linear without bias (so checkpoints and pruning carry
// it); the normalisation and the margin are applied in the loss, not in the graph.
//
// Defaults: s = 30 for both margin heads. 64 is the usual value for 10^4..10^5 identities
// (CASIA, MS1M); the sets pruned here have tens to thousands of identities, where the scale a
// softmax needs to separate them is far lower (AdaCos: about sqrt(2) * ln(C - 1), ~7 for 126
// classes), and s = 64 only makes the first steps' gradients spikier. m = 0.35 (CosFace) and
// 0.5 (ArcFace) as in the papers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/Tensor.h"

namespace fp::train {

enum class LossKind { Softmax, CosFace, ArcFace };

const char* lossKindName(LossKind k);                 // "softmax", "cosface", "arcface"
LossKind lossKindFromName(const std::string& name);   // throws fp::Error listing the names
double defaultMargin(LossKind k);                     // 0, 0.35, 0.5

struct LossOptions {
    LossKind kind = LossKind::Softmax;
    double scale = 30.0;               // s, margin heads only
    std::optional<double> margin{};    // m; empty = defaultMargin(kind)
    double marginValue() const { return margin ? *margin : defaultMargin(kind); }
};

// The identification loss of a batch, mean over its samples, computed exactly as training does.
// embeddings [N, D], weight [C, D], bias [C] or empty (softmax only), labels in [0, C).
// Throws fp::InputError for inconsistent shapes or a label out of range.
double identificationLoss(const Tensor& embeddings, const Tensor& weight, const Tensor& bias,
                          const std::vector<int64_t>& labels, const LossOptions& options);

// The distillation term: mean over the batch of 1 - cos(student_i, teacher_i). [N, D] both.
double distillationLoss(const Tensor& student, const Tensor& teacher);

// The relational term (RKD / CoupleFace style): how far the batch's pairwise cosine similarities
// under the student are from the teacher's, mean over the N*(N-1) off-diagonal pairs of
// (cos(s_i, s_j) - cos(t_i, t_j))^2. It only compares similarities within each model, so the two
// embeddings may differ in size. [N, Ds] and [N, Dt], N >= 2.
double relationalLoss(const Tensor& student, const Tensor& teacher);

}  // namespace fp::train
