// Built without Gloo (libgloo-dev) or without LibTorch's c10d headers: one rank only.
#include "dist/Group.h"

#include "util/Errors.h"

namespace fp::dist {

struct Group::Impl {};

void parseMaster(const std::string& text, GroupOptions&) {
    throw Error("--master " + text +
                ": this FacePrune was built without distributed runs (install libgloo-dev and rebuild)");
}

Group::Group(int rank, int worldSize, std::unique_ptr<Impl> impl)
    : rank_(rank), worldSize_(worldSize), impl_(std::move(impl)) {}
Group::~Group() = default;

std::unique_ptr<Group> Group::join(const GroupOptions&) {
    throw Error("this FacePrune was built without distributed runs (install libgloo-dev and rebuild)");
}

void Group::setCancel(const CancelToken* asked, CancelToken* agreed) {
    asked_ = asked;
    agreed_ = agreed;
}
void Group::allReduceSum(std::vector<double>&) {}
void Group::allReduceSum(std::vector<float>&) {}
void Group::sumInPass(std::vector<double>&) {}
void Group::broadcast(std::vector<double>&, int) {}
void Group::broadcast(std::vector<float>&, int) {}
std::string Group::broadcastText(const std::string& text, int) { return text; }
void Group::barrier() {}
double Group::collectiveSeconds() const { return 0; }
void Group::checkSame(const std::string&, uint64_t) {}

}  // namespace fp::dist
