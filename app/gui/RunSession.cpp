#include "app/gui/RunSession.h"

#include "prune/PruneRun.h"
#include "widgets/CheckpointList.h"

namespace fp::gui {

namespace {
bool isRunFolder(const QString& path) { return !path.isEmpty() && prune::PruneRun::isRunDir(path.toStdString()); }
}  // namespace

void RunSession::openRun(const jobs::RunHistory& history, bool finished) {
    dir_ = history.runDir;
    history_ = history;
    resumable_ = !finished;
    maxIterations_ = history.maxIterations;
    pending_ = kNone;
}

void RunSession::openModel() { *this = RunSession(); }

void RunSession::start(const QString& dir, int maxIterations) {
    dir_ = dir;
    maxIterations_ = maxIterations;
    history_ = {};
    resumable_ = false;
}

void RunSession::started(const jobs::RunHistory& history) {
    dir_ = history.runDir;
    maxIterations_ = history.maxIterations;
    history_ = history;
}

void RunSession::interrupted() { resumable_ = isRunFolder(dir_); }

void RunSession::failed() { resumable_ = isRunFolder(dir_) && !history_.isEmpty() && !history_.finished(); }

void RunSession::showIteration(int iteration) {
    shownTitle_ = hasIterations() ? widgets::CheckpointList::describe(history_, iteration) : QString();
}

}  // namespace fp::gui
