#include "dist/Group.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "util/Errors.h"

namespace fp::dist {

namespace {

std::string seconds(std::chrono::milliseconds t) { return std::to_string(t.count() / 1000) + " s"; }

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

std::string rankKey(int rank) { return "faceprune/rank/" + std::to_string(rank); }

}  // namespace

void parseMaster(const std::string& text, GroupOptions& options) {
    const auto colon = text.rfind(':');
    int port = 0;
    try {
        if (colon != std::string::npos) port = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
        port = 0;
    }
    if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535)
        throw InputError("--master '" + text + "': expected HOST:PORT, for example 127.0.0.1:29500");
    options.host = text.substr(0, colon);
    options.port = port;
}

struct Group::Impl {
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
    std::chrono::milliseconds timeout;
    std::string where;  // "rank R of N (master HOST:PORT)" for messages
    int worldSize = 1;

    // Every rank counts up a key of its own every second (on a connection of its own), so that when a
    // collective fails the others can tell which rank has gone.
    static constexpr std::chrono::milliseconds kBeat{1000};
    c10::intrusive_ptr<c10d::TCPStore> beatStore;
    std::thread beat;
    std::atomic<bool> stopBeat{false};

    ~Impl() {
        stopBeat = true;
        if (beat.joinable()) beat.join();
    }

    void startBeat(const std::string& host, int port, int rank) {
        c10d::TCPStoreOptions so;
        so.port = static_cast<std::uint16_t>(port);
        so.isServer = false;
        so.waitWorkers = false;
        so.timeout = timeout;
        beatStore = c10::make_intrusive<c10d::TCPStore>(host, so);
        beat = std::thread([this, rank] {
            while (!stopBeat) {
                try {
                    beatStore->add(beatKey(rank), 1);
                } catch (const std::exception&) {
                    return;  // the master has gone; the collectives will say so
                }
                for (int i = 0; i < 10 && !stopBeat; ++i) std::this_thread::sleep_for(kBeat / 10);
            }
        });
    }
    static std::string beatKey(int rank) { return "faceprune/beat/" + std::to_string(rank); }

    // The ranks whose heartbeat stood still over a few beats ("0" too when the master's store is gone).
    std::string silentRanks() const {
        try {
            std::vector<int64_t> before;
            for (int r = 0; r < worldSize; ++r) before.push_back(store->add(beatKey(r), 0));
            std::this_thread::sleep_for(kBeat * 3);
            std::string list;
            for (int r = 0; r < worldSize; ++r)
                if (store->add(beatKey(r), 0) == before[size_t(r)]) list += (list.empty() ? "" : ", ") + std::to_string(r);
            return list;
        } catch (const std::exception&) {
            return "0 (the master)";
        }
    }

    // A collective's failure: the other side went away or stalled.
    [[noreturn]] void failed(const std::string& what, const std::exception& e) const {
        const std::string silent = silentRanks();
        if (!silent.empty())
            throw Error(where + ": rank " + silent + " stopped answering while " + what +
                        " (its process ended or its machine cannot be reached); this rank stops too");
        throw Error(where + ": " + what + " failed (" + e.what() +
                    "); another rank of the run has stopped or cannot be reached");
    }
    double seconds = 0;  // in collectives
    void run(const std::string& what, const c10::intrusive_ptr<c10d::Work>& work) {
        const auto t0 = std::chrono::steady_clock::now();
        try {
            work->wait(timeout);
        } catch (const std::exception& e) {
            failed(what, e);
        }
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
};

Group::Group(int rank, int worldSize, std::unique_ptr<Impl> impl)
    : rank_(rank), worldSize_(worldSize), impl_(std::move(impl)) {}

Group::~Group() = default;

std::unique_ptr<Group> Group::join(const GroupOptions& o) {
    if (o.worldSize < 1) throw InputError("the world size must be at least 1");
    if (o.rank < 0 || o.rank >= o.worldSize)
        throw InputError("rank " + std::to_string(o.rank) + " is outside a world of " + std::to_string(o.worldSize));
    auto impl = std::make_unique<Impl>();
    impl->timeout = o.timeout;
    const std::string master = o.host + ":" + std::to_string(o.port);
    impl->where = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.worldSize) + " (master " + master + ")";

    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<std::size_t>(o.worldSize);
    so.waitWorkers = false;  // the ranks are counted below, by name, so that a message can say which is missing
    so.timeout = o.timeout;
    try {
        impl->store = c10::make_intrusive<c10d::TCPStore>(o.host, so);
    } catch (const std::exception& e) {
        throw Error(impl->where + ": " + (o.rank == 0 ? "cannot listen on " : "cannot reach the master at ") + master +
                    " within " + seconds(o.timeout) + " (" + e.what() + ")");
    }
    impl->store->set(rankKey(o.rank), std::vector<uint8_t>{1});

    // Everyone arrives, or the message names who did not.
    const auto deadline = std::chrono::steady_clock::now() + o.timeout;
    for (;;) {
        std::vector<int> missing;
        for (int r = 0; r < o.worldSize; ++r)
            if (!impl->store->check({rankKey(r)})) missing.push_back(r);
        if (missing.empty()) break;
        if (std::chrono::steady_clock::now() > deadline) {
            std::string list;
            for (int r : missing) list += (list.empty() ? "" : ", ") + std::to_string(r);
            throw Error(impl->where + ": rank" + (missing.size() > 1 ? "s " : " ") + list + " did not join within " +
                        seconds(o.timeout));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    impl->worldSize = o.worldSize;
    impl->startBeat(o.host, o.port, o.rank);
    auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
    options->devices.push_back(loopback(o.host) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                : c10d::ProcessGroupGloo::createDefaultDevice());
    try {
        impl->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>("gloo", impl->store), o.rank, o.worldSize, options);
    } catch (const std::exception& e) {
        throw Error(impl->where + ": the ranks could not connect to each other (" + e.what() + ")");
    }
    return std::unique_ptr<Group>(new Group(o.rank, o.worldSize, std::move(impl)));
}

namespace {

template <class T>
at::ScalarType scalarType();
template <>
at::ScalarType scalarType<double>() { return at::kDouble; }
template <>
at::ScalarType scalarType<float>() { return at::kFloat; }
template <>
at::ScalarType scalarType<uint8_t>() { return at::kByte; }

template <class T>
std::vector<at::Tensor> wrap(std::vector<T>& values) {
    return {at::from_blob(values.data(), {static_cast<int64_t>(values.size())}, scalarType<T>())};
}

}  // namespace

void Group::setCancel(const CancelToken* asked, CancelToken* agreed) {
    asked_ = asked;
    agreed_ = agreed;
}

template <class T>
void Group::sumWithCancel(std::vector<T>& values) {
    values.push_back(cancelled(asked_) ? T(1) : T(0));
    auto t = wrap(values);
    impl_->run("summing across ranks", impl_->gloo->allreduce(t));
    const bool stop = values.back() > T(0);
    values.pop_back();
    if (!stop) return;
    if (agreed_) *agreed_ = true;
    throw Cancelled("stopped on every rank");
}

void Group::allReduceSum(std::vector<double>& values) { sumWithCancel(values); }

void Group::allReduceSum(std::vector<float>& values) { sumWithCancel(values); }

void Group::sumInPass(std::vector<double>& values) {
    if (values.empty()) return;
    auto t = wrap(values);
    impl_->run("summing across ranks", impl_->gloo->allreduce(t));
}

template <class T>
void Group::broadcastFrom(std::vector<T>& values, int root) {
    if (values.empty()) return;
    auto t = wrap(values);
    c10d::BroadcastOptions options;
    options.rootRank = root;
    impl_->run("sharing rank " + std::to_string(root) + "'s values", impl_->gloo->broadcast(t, options));
}

void Group::broadcast(std::vector<double>& values, int root) { broadcastFrom(values, root); }

void Group::broadcast(std::vector<float>& values, int root) { broadcastFrom(values, root); }

std::string Group::broadcastText(const std::string& text, int root) {
    std::vector<double> size{static_cast<double>(text.size())};
    broadcastFrom(size, root);
    std::vector<uint8_t> bytes(text.begin(), text.end());
    bytes.resize(static_cast<size_t>(size[0]));
    broadcastFrom(bytes, root);
    return std::string(bytes.begin(), bytes.end());
}

double Group::collectiveSeconds() const { return impl_->seconds; }

void Group::barrier() { impl_->run("waiting for every rank", impl_->gloo->barrier()); }

void Group::checkSame(const std::string& what, uint64_t digest) {
    std::vector<at::Tensor> mine{at::tensor({static_cast<int64_t>(digest)}, at::kLong)};
    std::vector<std::vector<at::Tensor>> all(1);
    for (int r = 0; r < worldSize_; ++r) all[0].push_back(at::zeros({1}, at::kLong));
    impl_->run("comparing " + what, impl_->gloo->allgather(all, mine));
    for (int r = 0; r < worldSize_; ++r)
        if (all[0][size_t(r)].item<int64_t>() != static_cast<int64_t>(digest))
            throw Error(impl_->where + ": rank " + std::to_string(r) + " has another " + what +
                        " than this rank; the ranks must run the same model, settings and data");
}

}  // namespace fp::dist
