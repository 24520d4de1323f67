#pragma once
// The pruning controls: data, method, stop conditions, run folder; Start,
// Pause, Resume, Stop; and a progress bar with the iteration, the phase and
// the time left. Edits PruneSettings (plain values); the window runs the job.
#include <QString>
#include <QStringList>
#include <QWidget>

#include "jobs/PruneSettings.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace fp::widgets {

class PruningPanel : public QWidget {
    Q_OBJECT
public:
    // Idle: can start. Running / Pausing / Stopping: a run goes on. Resumable: a
    // paused or interrupted run can go on (Resume) or a new one start.
    enum class RunState { Idle, Running, Pausing, Stopping, Resumable };

    explicit PruningPanel(QWidget* parent = nullptr);

    // The engine's names (criteria, target kinds) come from the window: widgets do not see the engine.
    void setChoices(const QStringList& criteria, const QStringList& targetKinds);
    jobs::PruneSettings settings() const;
    void setSettings(const jobs::PruneSettings& settings);
    void setLockedLayers(const QStringList& layers);
    void setModelName(const QString& name);  // what Start will prune
    void setRunState(RunState state);
    RunState runState() const { return state_; }

    void setProgress(int iteration, int maxIterations, const QString& phase, int step, int steps, double etaSeconds);
    void setStatus(const QString& text);    // below the bar: "finished: reached 10 iterations"
    QString statusText() const;
    // What the progress bar says ("iteration 3/40: scoring 5/10 · 2 min left") and its share done (0..1).
    QString progressText() const;
    double progressShare() const;
    static QString formatEta(double seconds);

signals:
    void startRequested(const fp::jobs::PruneSettings& settings);
    void pauseRequested();
    void resumeRequested();
    void stopRequested();

private:
    void browseTrain();
    void browsePairs();
    void browsePairsImages();
    void browseUnlabelled();
    void browseRunDir();
    void updateEnabled();

    RunState state_ = RunState::Idle;
    QStringList locked_;
    QLabel* model_;
    QLineEdit* trainDir_;
    QSpinBox* limitIdentities_;
    QDoubleSpinBox* verifyPercent_;
    QLineEdit* pairsFile_;
    QLineEdit* pairsImages_;
    QLineEdit* unlabelledDir_;
    QCheckBox* recover_;
    QSpinBox* batchSize_;
    QComboBox* criterion_;
    QDoubleSpinBox* perIteration_;
    QComboBox* perIterationUnit_;
    QSpinBox* scoringBatches_;
    QSpinBox* finetuneSteps_;
    QDoubleSpinBox* learningRate_;
    QDoubleSpinBox* minWidth_;
    QComboBox* regulariserCost_;
    QDoubleSpinBox* regulariserWeight_;
    QSpinBox* maxIterations_;
    QComboBox* targetKind_;
    QDoubleSpinBox* targetPercent_;
    QComboBox* floorMetric_;
    QDoubleSpinBox* floorPercent_;
    QLabel* lockedLabel_;
    QLineEdit* runDir_;
    QPushButton* start_;
    QPushButton* pause_;
    QPushButton* resume_;
    QPushButton* stop_;
    QProgressBar* bar_;
    QLabel* status_;
    QList<QWidget*> settingsWidgets_;
};

}  // namespace fp::widgets
