#pragma once
// The one definition of a pruning run's settings. Every setting a user can choose is a row here:
// its key (the CLI option --key), kind, group, label, help, range and how it reads and writes the
// engine's PruneConfig and DataSettings. The CLI's options, the window's pruning panel and a
// reopened run's settings are all derived from this table, so a setting exists everywhere or
// nowhere; run.json records the PruneConfig and DataSettings it fills (tests/prune/tst_run_settings
// walks every row through CLI -> run.json -> panel -> run.json).
// Values travel as text, the way a user types them on the command line: "5%", "macs:0.5", "true".
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "prune/PruneConfig.h"
#include "prune/RunData.h"

namespace fp::prune {

// What a run is started with.
struct RunRequest {
    PruneConfig config;
    DataSettings data;
};

// jobs/PruneSettings.h mirrors this order (SettingField::Kind).
enum class SettingKind {
    Integer,   // whole number within [min, max]
    Real,      // number within [min, max]
    Flag,      // "true" / "false"
    Choice,    // one of choices ("" = none, where noneText says what that means)
    Dir,       // a folder
    File,      // a file
    DirList,   // folders, one per line
    Text,      // free text the setter validates (per-iteration: "5%" or "12")
    Measure,   // "CHOICE:VALUE" with VALUE a share in [min, max], or "" for none (target, floor)
    List,      // names, one per line, set by the window's other views (locked layers, per-layer widths)
};

struct Setting {
    std::string key;       // --key on the command line
    SettingKind kind;
    std::string group;     // "Data", "Method", "Recovery", "Stop when"
    std::string label;     // the panel's label
    std::string help;
    double min = 0, max = 0;
    int decimals = 0;      // Real: digits shown
    bool percent = false;  // Real / Measure: shown as a percentage of 1
    std::vector<std::string> choices{};
    std::string noneText{};  // Integer: what 0 means; Choice / Measure: what "" means
    std::function<std::string(const RunRequest&)> get{};
    // applySetting checks the kind and range first; a setter refuses only what those cannot say
    // (a malformed per-iteration or LAYER=FILTERS line), with fp::InputError naming the setting.
    std::function<void(RunRequest&, const std::string&)> set{};
};

// Every setting, in the order they are applied and shown.
const std::vector<Setting>& runSettings();
const Setting* findSetting(const std::string& key);  // nullptr for an unknown key

// The request `prune` and the window start with: the recovery recipe, one pass of scoring, no target.
RunRequest defaultRunRequest();

// Checks `text` against the setting's kind and range, then sets it. Throws fp::InputError naming the
// setting, the value and what was expected.
void applySetting(RunRequest& r, const Setting& s, const std::string& text);
// Applies the given settings in the table's order (unknown keys are an error).
void applySettings(RunRequest& r, const std::map<std::string, std::string>& values);
// Every setting's value in `r`.
std::map<std::string, std::string> settingValues(const RunRequest& r);

// The shortest text that reads back as the same double ("0.005", "1e-05").
std::string formatNumber(double v);

}  // namespace fp::prune
