#pragma once
// A run's models as a timeline: the original, the checkpoint of every iteration and, once the run
// has finished, its final model (after the final recovery). Choosing one asks the window to show
// it everywhere (graph, table, live faces, export). "Follow the run" keeps the latest one chosen
// while iterations land; choosing an earlier one turns it off.
#include <QWidget>

#include "jobs/RunHistory.h"

class QCheckBox;
class QListWidget;

namespace fp::widgets {

class CheckpointList : public QWidget {
    Q_OBJECT
public:
    static constexpr int kFinal = -1;  // the iteration number of the final model (PruneRun::kFinalModel)

    explicit CheckpointList(QWidget* parent = nullptr);

    void setRun(const jobs::RunHistory& history);
    void clear();
    int count() const;
    // Iteration of row `row` (0 = the original, kFinal = the final model).
    int iterationAt(int row) const;
    int chosenIteration() const;       // of the selected row; -2 when none is
    bool following() const;
    void setFollowing(bool on);
    // Selects the row of `iteration` and emits checkpointChosen, as a click does.
    bool choose(int iteration);

    // "iteration 3 of RUN (61.2% MACs, 1.02M params)", "final model of RUN (...)", "original of RUN".
    static QString describe(const jobs::RunHistory& history, int iteration);

signals:
    void checkpointChosen(const QString& runDir, int iteration, const QString& title);
    void followToggled(bool following);

private:
    void onRowChosen(int row);

    QListWidget* list_;
    QCheckBox* follow_;
    jobs::RunHistory history_;
    bool filling_ = false;  // setRun's own selection changes are not the user's choice
};

}  // namespace fp::widgets
