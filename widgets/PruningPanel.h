#pragma once
// The pruning controls: run folder; Start, Pause, Resume, Stop; a progress bar with the iteration,
// the phase and the time left; then every run setting (data, method, recovery, stop conditions),
// each input named "setting-KEY". Edits PruneSettings (plain values); the window runs the job.
#include <functional>
#include <vector>

#include <QString>
#include <QStringList>
#include <QWidget>

#include "jobs/PruneSettings.h"

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace fp::widgets {

class PruningPanel : public QWidget {
    Q_OBJECT
public:
    // Idle: can start. Running / Pausing / Stopping: a run goes on. Resumable: a
    // paused or interrupted run can go on (Resume) or a new one start.
    enum class RunState { Idle, Running, Pausing, Stopping, Resumable };

    // One input per field (jobs::PruneSettings::fields(): the run settings' one definition), grouped
    // as the fields say; widgets do not see the engine.
    explicit PruningPanel(const QList<jobs::SettingField>& fields, QWidget* parent = nullptr);

    jobs::PruneSettings settings() const;
    void setSettings(const jobs::PruneSettings& settings);
    void setLockedLayers(const QStringList& layers);   // shown read-only; the layer table edits them
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
    // One setting's input: its row widget and how to read and write its text.
    struct FieldEditor {
        jobs::SettingField field;
        QWidget* row = nullptr;
        std::function<QString()> get;
        std::function<void(const QString&)> set;
    };
    QWidget* buildEditor(FieldEditor& e);
    FieldEditor* editor(const QString& key);
    void browseRunDir();
    void updateEnabled();

    RunState state_ = RunState::Idle;
    std::vector<FieldEditor> editors_;
    QLabel* model_;
    QLineEdit* runDir_;
    QPushButton* start_;
    QPushButton* pause_;
    QPushButton* resume_;
    QPushButton* stop_;
    QProgressBar* bar_;
    QLabel* status_;
    QList<QWidget*> runWidgets_;
};

}  // namespace fp::widgets
