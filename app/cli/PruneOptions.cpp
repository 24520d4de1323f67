#include "app/cli/PruneOptions.h"

#include <cmath>
#include <cstdio>

#include "util/Errors.h"
#include "util/TextLines.h"

namespace fp::cli {

namespace {

// Older spellings that scripts may still use.
const std::map<std::string, std::string> kAliases = {{"cost-lambda", "--flops-lambda"}};

std::string optionName(const prune::Setting& s) {
    std::string name = "--" + s.key;
    if (auto it = kAliases.find(s.key); it != kAliases.end()) name += "," + it->second;
    return name;
}

std::string helpOf(const prune::Setting& s) {
    std::string help = s.help;
    if (s.kind == prune::SettingKind::Choice) {
        help += " (";
        for (size_t i = 0; i < s.choices.size(); ++i) help += (i ? " | " : "") + s.choices[i];
        help += ")";
    }
    return help;
}

std::string typeName(const prune::Setting& s) {
    using K = prune::SettingKind;
    switch (s.kind) {
    case K::Integer: return "INT";
    case K::Real: return "NUMBER";
    case K::Choice: return "NAME";
    case K::Dir:
    case K::File:
    case K::DirList: return "PATH";  // the existence check adds :DIR or :FILE
    case K::Measure: return "KIND:SHARE";
    case K::List: return s.key == "min-width-of" ? "LAYER=N ..." : "LAYER ...";
    case K::Text: return s.key == "per-iteration" ? "N|P%" : "TEXT";
    case K::Flag: break;
    }
    return "";
}

}  // namespace

std::string PruneOptions::value(const std::string& key) const {
    if (auto it = given.find(key); it != given.end()) return it->second;
    const auto* s = prune::findSetting(key);
    return s ? s->get(prune::defaultRunRequest()) : std::string();
}

void addRunOptions(CLI::App* cmd, PruneOptions& o, const std::set<std::string>& leaveOut) {
    using K = prune::SettingKind;
    const prune::RunRequest defaults = prune::defaultRunRequest();
    CLI::Option* pairs = nullptr;
    CLI::Option* images = nullptr;
    for (const auto& s : prune::runSettings()) {
        if (leaveOut.count(s.key)) continue;
        const std::string key = s.key;
        CLI::Option* opt = nullptr;
        if (s.kind == K::Flag) {
            opt = cmd->add_flag_function(optionName(s) + ",!--no-" + key,
                                         [&o, key](int64_t n) { o.given[key] = n > 0 ? "true" : "false"; },
                                         helpOf(s));
        } else if (s.kind == K::DirList || s.kind == K::List) {
            opt = cmd->add_option_function<std::vector<std::string>>(
                optionName(s), [&o, key](const std::vector<std::string>& v) { o.given[key] = joinLines(v); },
                helpOf(s) + (s.kind == K::DirList ? " (repeatable)" : ""));
        } else {
            opt = cmd->add_option_function<std::string>(
                optionName(s), [&o, key](const std::string& v) { o.given[key] = v; }, helpOf(s));
        }
        if (s.kind != K::Flag) opt->type_name(typeName(s));
        if (const std::string d = s.get(defaults); !d.empty() && s.kind != K::Flag) opt->default_str(d);
        if (s.kind == K::Dir || s.kind == K::DirList) opt->check(CLI::ExistingDirectory);
        if (s.kind == K::File) opt->check(CLI::ExistingFile);
        if (key == "pairs") pairs = opt;
        if (key == "images") images = opt;
    }
    if (pairs && images) {
        pairs->needs(images);
        images->needs(pairs);
    }
    cmd->add_option("--recovery-epochs", o.recoveryEpochs,
                    "Final recovery as passes over the recovery faces (training plus unlabelled) instead of steps")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--verbose", o.verbose, "Name every unlabelled image left out");
}

void addDistributedOptions(CLI::App* cmd, DistributedOptions& d) {
    const char* group = "Distributed (README: running across machines)";
    cmd->add_option("--world-size", d.worldSize, "Ranks of a distributed run (each runs this command)")
        ->check(CLI::Range(1, 1024))
        ->group(group);
    cmd->add_option("--rank", d.rank, "This process's rank, 0 .. world size - 1 (rank 0 writes the run folder)")
        ->check(CLI::NonNegativeNumber)
        ->group(group);
    cmd->add_option("--master", d.master, "HOST:PORT where rank 0 listens for the others")
        ->capture_default_str()
        ->group(group);
    cmd->add_option("--dist-timeout", d.timeoutSeconds, "Seconds a rank waits for the others before it gives up")
        ->capture_default_str()
        ->check(CLI::PositiveNumber)
        ->group(group);
}

prune::RunRequest toRequest(const PruneOptions& o) {
    prune::RunRequest r = prune::defaultRunRequest();
    prune::applySettings(r, o.given);
    if (r.config.target && !o.given.count("iterations")) r.config.maxIterations = 200;
    return r;
}

void describeRecoveryData(const prune::RunData& data, bool verbose) {
    if (data.unlabelledImages > 0 || !data.noFace.empty())
        std::printf("unlabelled recovery faces: %zu (%zu images left out: no face or unreadable%s)\n",
                    data.unlabelledImages, data.noFace.size(), verbose || data.noFace.empty() ? "" : "; --verbose names them");
    if (verbose)
        for (const auto& s : data.noFace) std::fprintf(stderr, "left out %s\n", s.c_str());
}

}  // namespace fp::cli
