// exec/DnnlConv in a build without the direct oneDNN path (FACEPRUNE_FAST_PATHS off, or no oneDNN 2.x
// headers): enabled() is false, so the executor never builds one and runs LibTorch's own convolutions.
#include "exec/DnnlConv.h"

#include "util/Errors.h"

namespace fp::exec {

namespace {
[[noreturn]] void unavailable() {
    throw Error("this FacePrune was built without the direct oneDNN path (FACEPRUNE_FAST_PATHS)");
}
}  // namespace

struct DnnlConv::Impl {};

DnnlConv::DnnlConv(const torch::Tensor&, const torch::Tensor&, const ConvGeometry&, FusedActivation) { unavailable(); }
DnnlConv::~DnnlConv() = default;
bool DnnlConv::matches(const torch::Tensor&, const torch::Tensor&, const FusedActivation&) const { return false; }
bool DnnlConv::enabled() { return false; }
void DnnlConv::setEnabled(bool) {}
torch::Tensor DnnlConv::run(const torch::Tensor&, torch::Tensor) { unavailable(); }
std::vector<int64_t> DnnlConv::outputSizes(at::IntArrayRef) const { unavailable(); }
bool DnnlConv::hasFastInputGradient(at::IntArrayRef) { return false; }
torch::Tensor DnnlConv::inputGradient(const torch::Tensor&, at::IntArrayRef, torch::Tensor) { unavailable(); }
torch::Tensor convWithInputGradient(const std::shared_ptr<DnnlConv>&, const torch::Tensor&) { unavailable(); }

}  // namespace fp::exec
