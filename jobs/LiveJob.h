#pragma once
// Runs the live-faces pipeline off the GUI thread: a source (camera through Qt Multimedia, a video
// file or the demo video) feeds a one-frame mailbox, a worker thread recognises the newest frame with
// the original and the pruned model and reports plain values. Frames the worker is too slow for are
// dropped, so the picture never lags. Enrolment and the gallery file are handled on the worker too.
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointF>
#include <QString>
#include <QVector>
#include <memory>

#include "jobs/LiveTypes.h"

class QMediaDevices;

namespace fp::graph {
class Graph;
}

namespace fp::jobs {

class CameraSource;

class LiveJob : public QObject {
    Q_OBJECT
public:
    explicit LiveJob(QObject* parent = nullptr);
    // Stops the source and the worker (waits for the frame being recognised).
    ~LiveJob() override;

    // The cameras Qt Multimedia lists now (empty on a machine without one).
    static QList<LiveSource> cameras();
    static LiveSource demoSource();
    static LiveSource fileSource(const QString& path);

    // The models to compare. A null original means MobileFaceNet; a null pruned model means the original
    // pruned in one shot (L1, to 65% of its MACs, which this model loses no accuracy for). Takes effect
    // on the worker (export to ONNX and backend measurement: a second or two), keeps the gallery.
    // Titles name the models in their panes (empty: the graph's own name).
    void setModels(std::shared_ptr<const graph::Graph> original, std::shared_ptr<const graph::Graph> pruned,
                   const QString& originalTitle = {}, const QString& prunedTitle = {});
    // The titles last given to setModels: what the panes will show.
    QPair<QString, QString> modelNames() const { return modelNames_; }
    // The pruned model last given to setModels (null: the quick L1 copy).
    std::shared_ptr<const graph::Graph> prunedModel() const { return prunedModel_; }
    // Where the gallery lives (default: the application data folder, live-gallery.fpg). Loaded right away.
    void setGalleryPath(const QString& path);
    QString galleryPath() const { return galleryPath_; }
    bool isRunning() const { return active_; }
    LiveSource source() const { return source_; }

public slots:
    void start(const fp::jobs::LiveSource& source);
    void stop();
    // Stops the source but remembers where it was (a hidden tab leaves the CPU to the pruning).
    void pause();
    void resume();
    void setThreshold(double threshold);
    // Enrols the face under `point` (frame pixels) in frame `frameIndex` (or the newest frame kept).
    void enrolFace(const QString& name, qint64 frameIndex, QPointF point);
    void enrolFolder(const QString& name, const QString& folder);
    void removePerson(const QString& name);
    void resetStats();

signals:
    void modelsReady(const fp::jobs::LiveModelInfo& original, const fp::jobs::LiveModelInfo& pruned);
    void frameReady(const fp::jobs::LiveFrame& frame);
    void sourceStarted(const fp::jobs::LiveSource& source);
    // The file ended, the camera was unplugged or failed: `why` says which, for the user.
    void sourceEnded(const QString& why);
    void galleryChanged(const QVector<fp::jobs::LivePerson>& people);
    void enrolled(const QString& name, int faces);
    void camerasChanged(const QList<fp::jobs::LiveSource>& cameras);
    void message(const QString& text);  // progress: "preparing models", "building the demo video"
    void failed(const QString& message);

private:
    struct Worker;

    void post(std::function<void()> fn);  // runs fn on this object's thread
    void startReader(const LiveSource& source, qint64 fromFrame);
    void stopSource();
    void setRunning(bool on);
    void publishFrame();

    std::unique_ptr<Worker> worker_;
    std::unique_ptr<CameraSource> camera_;
    QMediaDevices* devices_ = nullptr;
    QString galleryPath_;
    QPair<QString, QString> modelNames_;
    std::shared_ptr<const graph::Graph> prunedModel_;
    LiveSource source_;
    bool active_ = false;
    bool paused_ = false;
    qint64 generation_ = 0;  // bumps with every source, so a late "ended" of an old one is ignored
};

}  // namespace fp::jobs
