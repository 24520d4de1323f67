#pragma once
// Sub-commands of faceprune-cli. Each registers its options on the parser and
// runs when chosen; they print user-facing errors and return an exit code.
#include <CLI/CLI.hpp>

namespace fp::cli {

void addInspectCommand(CLI::App& app);
void addEmbedCommand(CLI::App& app);
void addEvalCommand(CLI::App& app);
void addExportCommand(CLI::App& app);
void addPruneCommand(CLI::App& app);  // prune and replay
void addTrainCommand(CLI::App& app);
void addStudyCommand(CLI::App& app);  // criteria compared under one recipe
void addLaunchCommand(CLI::App& app);  // a distributed prune on local ranks

}  // namespace fp::cli
