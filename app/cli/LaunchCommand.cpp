// faceprune-cli launch -n N -- prune ...: N ranks of a distributed run on this machine, for trying
// one out (and the tests); across machines each runs `prune --world-size N --rank R --master HOST:PORT`.
// The launcher starts the ranks, hands Ctrl-C on to all of them (the run stays resumable), and when
// one rank ends abnormally says which and stops the others.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/cli/Commands.h"
#include "util/Errors.h"

namespace fp::cli {

namespace {

struct LaunchOptions {
    int ranks = 2;
    int port = 0;     // 0: a free one
    int threads = 0;  // per rank; 0: the cores shared out
    std::vector<std::string> command;
};

std::vector<pid_t> children;

extern "C" void forwardSignal(int signal) {
    for (pid_t pid : children)
        if (pid > 0) ::kill(pid, signal);
}

// A port nobody listens on now (the kernel's choice for port 0).
int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error("launch: cannot open a socket to find a free port");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), size) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    if (port == 0) throw Error("launch: no free port on 127.0.0.1; give one with --port");
    return port;
}

std::string self() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) throw Error("launch: cannot find this program's own file (/proc/self/exe)");
    return std::string(path, static_cast<size_t>(n));
}

std::string describe(int status) {
    if (WIFSIGNALED(status)) return std::string("was killed by signal ") + std::to_string(WTERMSIG(status));
    return "ended with exit code " + std::to_string(WEXITSTATUS(status));
}

int runLaunch(const LaunchOptions& o) {
    if (o.command.empty() || o.command[0] != "prune")
        throw InputError("launch runs `prune` on several ranks: faceprune-cli launch -n 2 -- prune --model ...");
    for (const auto& a : o.command)
        if (a == "--world-size" || a == "--rank" || a == "--master")
            throw InputError("launch sets " + a + " for each rank itself; leave it out");
    const int port = o.port > 0 ? o.port : freePort();
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(cores) / o.ranks);
    const std::string exe = self();
    std::printf("launch: %d ranks on 127.0.0.1:%d, %d thread%s each\n", o.ranks, port, threads, threads > 1 ? "s" : "");
    std::fflush(stdout);

    children.assign(static_cast<size_t>(o.ranks), 0);
    std::signal(SIGINT, forwardSignal);
    std::signal(SIGTERM, forwardSignal);
    for (int r = 0; r < o.ranks; ++r) {
        std::vector<std::string> args{exe};
        args.insert(args.end(), o.command.begin(), o.command.end());
        for (const std::string& a : std::vector<std::string>{"--world-size", std::to_string(o.ranks), "--rank",
                                                             std::to_string(r), "--master",
                                                             "127.0.0.1:" + std::to_string(port)})
            args.push_back(a);
        const pid_t pid = ::fork();
        if (pid < 0) {
            forwardSignal(SIGTERM);
            throw Error(std::string("launch: cannot start rank ") + std::to_string(r) + ": " + std::strerror(errno));
        }
        if (pid == 0) {
            ::setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(exe.c_str(), argv.data());
            std::fprintf(stderr, "launch: cannot run %s: %s\n", exe.c_str(), std::strerror(errno));
            ::_exit(127);
        }
        children[static_cast<size_t>(r)] = pid;
    }

    int running = o.ranks, failed = -1, stopped = 0;
    while (running > 0) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        const auto it = std::find(children.begin(), children.end(), pid);
        if (it == children.end()) continue;
        const int rank = static_cast<int>(it - children.begin());
        *it = 0;
        --running;
        const bool clean = WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 130);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 130) ++stopped;
        if (!clean && failed < 0) {
            failed = rank;
            std::fprintf(stderr, "launch: rank %d %s; stopping the other ranks\n", rank, describe(status).c_str());
            forwardSignal(SIGTERM);
        }
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (failed >= 0) return 1;
    return stopped > 0 ? 130 : 0;
}

}  // namespace

void addLaunchCommand(CLI::App& app) {
    auto o = std::make_shared<LaunchOptions>();
    auto* cmd = app.add_subcommand("launch", "Run a distributed prune on N local ranks: launch -n 2 -- prune ...");
    cmd->add_option("-n,--ranks", o->ranks, "Ranks to start")->check(CLI::Range(1, 64))->capture_default_str();
    cmd->add_option("--port", o->port, "Port rank 0 listens on (default: a free one)")->check(CLI::Range(1, 65535));
    cmd->add_option("--threads", o->threads, "Threads per rank (default: the cores shared out)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("COMMAND", o->command, "prune and its options, after --")->required();
    cmd->callback([o] {
        if (int code = runLaunch(*o)) throw CLI::RuntimeError(code);
    });
}

}  // namespace fp::cli
