#include "train/Losses.h"

#include <cmath>

#include "exec/TorchGraph.h"
#include "train/TorchTraining.h"
#include "util/Errors.h"

namespace fp::train {

namespace {

// Keeps sqrt(1 - cos^2) and its gradient finite at cos = +-1.
constexpr double kCosLimit = 1.0 - 1e-7;

}  // namespace

// lossKindName, lossKindFromName and defaultMargin: train/LossKind.cpp (no LibTorch there).

torch::Tensor marginLogits(const torch::Tensor& embeddings, const torch::Tensor& weight,
                           const torch::Tensor& labels, const LossOptions& o) {
    namespace F = torch::nn::functional;
    const auto normalise = F::NormalizeFuncOptions().p(2).dim(1).eps(1e-12);
    const torch::Tensor cosine =
        torch::linear(F::normalize(embeddings, normalise), F::normalize(weight, normalise));
    const torch::Tensor target = F::one_hot(labels, weight.size(0)).to(cosine.dtype());
    const double m = o.marginValue();
    torch::Tensor adjusted;
    if (o.kind == LossKind::CosFace) {
        adjusted = cosine - target * m;
    } else if (o.kind == LossKind::ArcFace) {
        const torch::Tensor c = cosine.clamp(-kCosLimit, kCosLimit);
        const torch::Tensor sine = torch::sqrt(1.0 - c * c);
        torch::Tensor phi = c * std::cos(m) - sine * std::sin(m);  // cos(theta + m)
        // Past theta = pi - m, cos(theta + m) would rise again and reward a worse angle; there the
        // target logit continues as cos(theta) - m * sin(m), as InsightFace's ArcFace does.
        phi = torch::where(c > std::cos(M_PI - m), phi, c - m * std::sin(m));
        adjusted = cosine + target * (phi - cosine);
    } else {
        throw Error("marginLogits: softmax has no margin");
    }
    return adjusted * o.scale;
}

torch::Tensor identificationLoss(const torch::Tensor& embeddings, const torch::Tensor& weight,
                                 const torch::Tensor& bias, const torch::Tensor& labels, const LossOptions& o) {
    const torch::Tensor logits = o.kind == LossKind::Softmax ? torch::linear(embeddings, weight, bias)
                                                             : marginLogits(embeddings, weight, labels, o);
    return torch::cross_entropy_loss(logits, labels);
}

torch::Tensor distillationLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    return (1.0 - torch::cosine_similarity(student, teacher, 1, 1e-8)).mean();
}

torch::Tensor normaliseRows(const torch::Tensor& embeddings) {
    namespace F = torch::nn::functional;
    return F::normalize(embeddings, F::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
}

torch::Tensor relationalLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    const torch::Tensor s = normaliseRows(student), t = normaliseRows(teacher);
    const int64_t n = s.size(0);
    const torch::Tensor offDiagonal = 1.0 - torch::eye(n, s.options());
    const torch::Tensor diff = (s.matmul(s.t()) - t.matmul(t.t())) * offDiagonal;
    return diff.pow(2).sum() / static_cast<double>(n * (n - 1));
}

torch::Tensor relationalLossShare(const torch::Tensor& student, const torch::Tensor& teacher,
                                  const torch::Tensor& studentAll, const torch::Tensor& teacherAll, int64_t first) {
    const int64_t n = student.size(0), all = studentAll.size(0);
    const torch::Tensor s = normaliseRows(student), t = normaliseRows(teacher);
    // Each row's pair with itself is not a pair.
    const torch::Tensor offDiagonal = 1.0 - torch::eye(n, all, s.options()).roll(first, 1);
    const torch::Tensor diff = (s.matmul(studentAll.t()) - t.matmul(teacherAll.t())) * offDiagonal;
    const torch::Tensor rows = diff.pow(2).sum();
    // Value once, gradient twice (the pair's other half is live on the rank that holds row j).
    return (2.0 * rows - rows.detach()) / static_cast<double>(all * (all - 1));
}

double identificationLoss(const Tensor& embeddings, const Tensor& weight, const Tensor& bias,
                          const std::vector<int64_t>& labels, const LossOptions& o) {
    if (embeddings.shape.size() != 2 || weight.shape.size() != 2 || embeddings.shape[1] != weight.shape[1])
        throw InputError("identification loss: embeddings " + embeddings.shapeString() + " and weights " +
                         weight.shapeString() + " do not fit ([N, D] and [C, D])");
    if (static_cast<int64_t>(labels.size()) != embeddings.shape[0])
        throw InputError("identification loss: " + std::to_string(labels.size()) + " labels for " +
                         std::to_string(embeddings.shape[0]) + " embeddings");
    for (int64_t l : labels)
        if (l < 0 || l >= weight.shape[0])
            throw InputError("identification loss: label " + std::to_string(l) + " is not one of the " +
                             std::to_string(weight.shape[0]) + " classes");
    torch::NoGradGuard noGrad;
    const torch::Tensor b = bias.empty() ? torch::Tensor() : exec::toTorch(bias);
    return identificationLoss(exec::toTorch(embeddings), exec::toTorch(weight), b,
                              torch::tensor(labels, torch::kLong), o)
        .item<double>();
}

double distillationLoss(const Tensor& student, const Tensor& teacher) {
    if (student.shape != teacher.shape || student.shape.size() != 2)
        throw InputError("distillation loss: student " + student.shapeString() + " and teacher " +
                         teacher.shapeString() + " embeddings must both be [N, D]");
    torch::NoGradGuard noGrad;
    return distillationLoss(exec::toTorch(student), exec::toTorch(teacher)).item<double>();
}

double relationalLoss(const Tensor& student, const Tensor& teacher) {
    if (student.shape.size() != 2 || teacher.shape.size() != 2 || student.shape[0] != teacher.shape[0] ||
        student.shape[0] < 2)
        throw InputError("relational loss: student " + student.shapeString() + " and teacher " +
                         teacher.shapeString() + " must be [N, D] with the same N >= 2");
    torch::NoGradGuard noGrad;
    return relationalLoss(exec::toTorch(student), exec::toTorch(teacher)).item<double>();
}

}  // namespace fp::train
