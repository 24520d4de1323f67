// The loss names and margins of train/Losses.h, apart from the LibTorch code in Losses.cpp: run.json
// readers (prune/History) need them, and the fuzz build (fuzz/) compiles no LibTorch.
#include "train/Losses.h"

#include <utility>

#include "util/Errors.h"

namespace fp::train {

namespace {

constexpr std::pair<LossKind, const char*> kLosses[] = {
    {LossKind::Softmax, "softmax"}, {LossKind::CosFace, "cosface"}, {LossKind::ArcFace, "arcface"}};

}  // namespace

const char* lossKindName(LossKind k) {
    for (auto& [kind, name] : kLosses)
        if (kind == k) return name;
    return "?";
}

LossKind lossKindFromName(const std::string& name) {
    for (auto& [kind, n] : kLosses)
        if (name == n) return kind;
    throw Error("unknown loss '" + name + "' (expected softmax, cosface or arcface)");
}

double defaultMargin(LossKind k) {
    switch (k) {
    case LossKind::Softmax: return 0.0;
    case LossKind::CosFace: return 0.35;
    case LossKind::ArcFace: return 0.5;
    }
    return 0.0;
}

}  // namespace fp::train
