// faceprune-cli: the headless front end of the FacePrune engine.
#include <iostream>

#include "app/cli/Commands.h"
#include "models/ModelLoader.h"
#include "util/Errors.h"
#include "util/Runtime.h"

int main(int argc, char** argv) {
    fp::util::configureRuntime();
    CLI::App app{"FacePrune: Taylor filter pruning for face-recognition CNNs (headless)"};
    app.require_subcommand(1);
    std::string names;
    for (const auto& c : fp::models::modelChoices()) names += "\n  " + c.name + "  " + c.description;
    app.footer("MODEL is a file (.onnx, .fpm, face-api .json manifest) or one of:" + names);
    fp::cli::addInspectCommand(app);
    fp::cli::addEmbedCommand(app);
    fp::cli::addEvalCommand(app);
    fp::cli::addExportCommand(app);
    fp::cli::addPruneCommand(app);
    fp::cli::addTrainCommand(app);
    fp::cli::addStudyCommand(app);
    fp::cli::addLaunchCommand(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const fp::Cancelled& e) {
        // A stop (Ctrl-C), not a failure: what was saved before it stays.
        std::cerr << "stopped: " << e.what() << '\n';
        return 130;
    } catch (const fp::Error& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 2;
    }
    return 0;
}
