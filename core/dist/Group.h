#pragma once
// The processes of one distributed pruning run, joined through PyTorch's own distributed layer
// (c10d, as Debian's LibTorch ships it): a TCPStore on the master for the rendezvous, and Gloo for
// the collectives. Every rank runs the same run on its own shard of the data; scores and gradients
// are summed across ranks so that all of them take the same decisions. Torch stays behind this
// header (pimpl).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/Cancel.h"

namespace fp::dist {

struct GroupOptions {
    int rank = 0;
    int worldSize = 1;
    std::string host = "127.0.0.1";  // the master: rank 0 listens there
    int port = 29500;
    // How long a rank waits for the others, at the rendezvous and in each collective.
    std::chrono::milliseconds timeout{60000};
};

// "HOST:PORT" into host and port; throws fp::InputError naming the text when it is malformed.
void parseMaster(const std::string& text, GroupOptions& options);

class Group {
public:
    // Joins the group: rank 0 hosts the store, every rank announces itself, and the Gloo group forms
    // once all have arrived. Throws fp::Error naming the ranks that did not arrive in time, or the
    // address that cannot be reached.
    static std::unique_ptr<Group> join(const GroupOptions& options);
    ~Group();

    int rank() const { return rank_; }
    int worldSize() const { return worldSize_; }
    bool leads() const { return rank_ == 0; }  // rank 0 evaluates and writes the run folder

    // A cancel every rank takes at the same point: each sum carries whether this rank's `asked` token
    // is set; when any rank's is, `agreed` is set on every rank and the sum throws fp::Cancelled on
    // all of them alike (so every rank stops at the same step, and the run stays resumable).
    void setCancel(const CancelToken* asked, CancelToken* agreed);

    // In place, on every rank: the element-wise sum over all ranks. Throws fp::Error when another
    // rank has gone (its process ended or the network failed) or does not answer within the timeout.
    void allReduceSum(std::vector<double>& values);
    void allReduceSum(std::vector<float>& values);
    // The same sum inside a forward or backward pass (synchronised BatchNorm): it takes no part in the
    // cancel agreement, since no rank may stop halfway through a pass.
    void sumInPass(std::vector<double>& values);
    // Rank `root`'s values on every rank (sizes must agree).
    void broadcast(std::vector<double>& values, int root = 0);
    void broadcast(std::vector<float>& values, int root = 0);
    // Rank `root`'s text on every rank (any length).
    std::string broadcastText(const std::string& text, int root = 0);
    void barrier();
    // All ranks must hold the same digest of `what` (for example the filters a step removes); throws
    // fp::Error naming the first rank that differs.
    void checkSame(const std::string& what, uint64_t digest);
    // Wall seconds this rank spent in collectives so far (waiting for slower ranks included).
    double collectiveSeconds() const;

private:
    struct Impl;
    Group(int rank, int worldSize, std::unique_ptr<Impl> impl);
    // Appends this rank's cancel request to a sum, then takes the agreed one off again.
    template <class T>
    void sumWithCancel(std::vector<T>& values);
    template <class T>
    void broadcastFrom(std::vector<T>& values, int root);

    int rank_, worldSize_;
    const CancelToken* asked_ = nullptr;
    CancelToken* agreed_ = nullptr;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fp::dist
