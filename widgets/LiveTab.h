#pragma once
// The live-faces tab: the same video through the original model (left) and the pruned one (right),
// every face boxed and named, with each model's size and speed underneath and how often the two
// agree. People are enrolled by clicking a face or from a folder of photos; the gallery is listed
// with remove. A pure view: it shows jobs::Live* values and asks for things through signals;
// attach() wires it to a jobs::LiveJob (or anything with the same signals and slots).
#include <QImage>
#include <QList>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>
#include <array>
#include <functional>

#include "jobs/LiveTypes.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QMenu;
class QPushButton;
class QToolButton;

namespace fp::widgets {

class LiveFramePane;

class LiveTab : public QWidget {
    Q_OBJECT
public:
    explicit LiveTab(QWidget* parent = nullptr);

    // Connects this tab and a live job both ways (a template so that widgets need not link the jobs).
    template <class Job>
    void attach(Job* job) {
        connect(job, &Job::frameReady, this, &LiveTab::showFrame);
        connect(job, &Job::modelsReady, this, &LiveTab::showModels);
        connect(job, &Job::sourceStarted, this, &LiveTab::showSourceStarted);
        connect(job, &Job::sourceEnded, this, &LiveTab::showSourceEnded);
        connect(job, &Job::galleryChanged, this, &LiveTab::setGallery);
        connect(job, &Job::enrolled, this, &LiveTab::showEnrolled);
        connect(job, &Job::camerasChanged, this, &LiveTab::setCameras);
        connect(job, &Job::message, this, &LiveTab::showMessage);
        connect(job, &Job::failed, this, &LiveTab::showError);
        connect(this, &LiveTab::sourceRequested, job, &Job::start);
        connect(this, &LiveTab::pauseRequested, job,
                [job](bool pause) { pause ? job->pause() : job->resume(); });
        connect(this, &LiveTab::thresholdChanged, job, &Job::setThreshold);
        connect(this, &LiveTab::enrolFaceRequested, job, &Job::enrolFace);
        connect(this, &LiveTab::enrolFolderRequested, job, &Job::enrolFolder);
        connect(this, &LiveTab::removeRequested, job, &Job::removePerson);
        connect(this, &LiveTab::resetStatsRequested, job, &Job::resetStats);
        setCameras(Job::cameras());
        job->setThreshold(threshold());
    }

    double threshold() const;
    // The threshold a verification run found (e.g. its best-accuracy threshold): used unless the user
    // has set one here.
    void setDefaultThreshold(double threshold);

    // The side-by-side picture the snapshot button saves: both panes, titles and figures.
    QImage sideBySide() const;
    bool saveSnapshot(const QString& path) const;

    // Starts the first camera (or the demo video) the first time the tab is shown (default on).
    void setAutoStart(bool on) { autoStart_ = on; }
    // Asks for a name when a face is clicked; the default is an input dialog. Empty = cancelled.
    void setNamePrompt(std::function<QString(const QImage& face)> prompt) { namePrompt_ = std::move(prompt); }

    LiveFramePane* pane(int side) const { return panes_[size_t(side)]; }
    QListWidget* galleryList() const { return gallery_; }
    QString bannerText() const;  // what the tab says about the source (ended, unplugged), or empty
    QString statsText() const;
    QString infoText(int side) const;

public slots:
    void showFrame(const fp::jobs::LiveFrame& frame);
    void showModels(const fp::jobs::LiveModelInfo& original, const fp::jobs::LiveModelInfo& pruned);
    void showSourceStarted(const fp::jobs::LiveSource& source);
    void showSourceEnded(const QString& why);
    void setGallery(const QVector<fp::jobs::LivePerson>& people);
    void showEnrolled(const QString& name, int faces);
    void setCameras(const QList<fp::jobs::LiveSource>& cameras);
    void showMessage(const QString& text);
    void showError(const QString& text);
    // What the source menu's entries do (also for scripts).
    void chooseDemo();
    void chooseFile(const QString& path);
    void chooseCamera(int index, QSize resolution = {});
    // Asks the job to enrol every photo of `folder` as `name`.
    void enrolFolder(const QString& name, const QString& folder);
    // Enrols every face of the frame shown that the original model does not name yet, as "Person 1",
    // "Person 2"... (numbering after the gallery's size): for demos and screenshot scripts. Returns how many.
    int enrolShownFaces(const QString& pattern = tr("Person %1"));

signals:
    void sourceRequested(const fp::jobs::LiveSource& source);
    void pauseRequested(bool pause);
    void thresholdChanged(double threshold);
    void enrolFaceRequested(const QString& name, qint64 frameIndex, QPointF framePos);
    void enrolFolderRequested(const QString& name, const QString& folder);
    void removeRequested(const QString& name);
    void resetStatsRequested();
    void snapshotSaved(const QString& path);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    void onFaceClicked(qint64 frameIndex, QPointF framePos);
    void onEnrolFolderClicked();
    void onRemoveClicked();
    void onSnapshotClicked();
    void onResolutionChosen(int index);
    void rebuildSourceMenu();
    void setBanner(const QString& text);
    void updateInfo();

    std::array<LiveFramePane*, 2> panes_{};
    std::array<QLabel*, 2> titles_{};
    std::array<QLabel*, 2> infos_{};
    QLabel* stats_ = nullptr;
    QLabel* banner_ = nullptr;
    QLabel* status_ = nullptr;
    QToolButton* sourceButton_ = nullptr;
    QMenu* sourceMenu_ = nullptr;
    QComboBox* resolution_ = nullptr;
    QToolButton* pauseButton_ = nullptr;
    QDoubleSpinBox* threshold_ = nullptr;
    QListWidget* gallery_ = nullptr;
    QPushButton* removeButton_ = nullptr;

    QList<jobs::LiveSource> cameras_;
    jobs::LiveSource source_;
    bool sourceActive_ = false;
    std::array<jobs::LiveModelInfo, 2> models_;
    bool haveModels_ = false;
    jobs::LiveFrame frame_;
    bool userThreshold_ = false;
    bool autoStart_ = true;
    bool started_ = false;
    bool pausedByHide_ = false;
    std::function<QString(const QImage&)> namePrompt_;
};

}  // namespace fp::widgets
