#include "widgets/LiveTab.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPainter>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>

#include "widgets/LiveFramePane.h"

namespace fp::widgets {

namespace {

QString compact(double v) {
    if (v >= 1e9) return QString::number(v / 1e9, 'f', 2) + QStringLiteral(" G");
    if (v >= 1e6) return QString::number(v / 1e6, 'f', v >= 1e8 ? 0 : 2) + QStringLiteral(" M");
    if (v >= 1e3) return QString::number(v / 1e3, 'f', 1) + QStringLiteral(" k");
    return QString::number(v, 'f', 0);
}

QString megabytes(qint64 bytes) {
    return QString::number(double(bytes) / 1e6, 'f', 2) + QStringLiteral(" MB");
}

QString percentChange(qint64 now, qint64 before) {
    if (before <= 0) return {};
    return QStringLiteral("%1%").arg(100.0 * double(now - before) / double(before), 0, 'f', 0);
}

}  // namespace

LiveTab::LiveTab(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("LiveTab"));

    // Top bar: source, resolution, pause | threshold, reset, snapshot.
    sourceButton_ = new QToolButton;
    sourceButton_->setObjectName(QStringLiteral("LiveSourceButton"));
    sourceButton_->setText(tr("Source"));
    sourceButton_->setPopupMode(QToolButton::InstantPopup);
    sourceButton_->setToolButtonStyle(Qt::ToolButtonTextOnly);
    sourceMenu_ = new QMenu(sourceButton_);
    sourceButton_->setMenu(sourceMenu_);
    resolution_ = new QComboBox;
    resolution_->setToolTip(tr("Capture resolution of the camera"));
    resolution_->setEnabled(false);
    connect(resolution_, &QComboBox::activated, this, &LiveTab::onResolutionChosen);
    pauseButton_ = new QToolButton;
    pauseButton_->setText(tr("Pause"));
    pauseButton_->setCheckable(true);
    pauseButton_->setEnabled(false);
    connect(pauseButton_, &QToolButton::toggled, this, [this](bool on) {
        pauseButton_->setText(on ? tr("Resume") : tr("Pause"));
        emit pauseRequested(on);
    });
    threshold_ = new QDoubleSpinBox;
    threshold_->setObjectName(QStringLiteral("LiveThreshold"));
    threshold_->setRange(-1.0, 1.0);
    threshold_->setSingleStep(0.01);
    threshold_->setDecimals(2);
    threshold_->setValue(0.35);  // MobileFaceNet cosine: well above impostor pairs, below most genuine ones
    threshold_->setToolTip(tr("Cosine similarity at or above which a face is named"));
    connect(threshold_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        userThreshold_ = true;
        emit thresholdChanged(v);
    });
    auto* reset = new QToolButton;
    reset->setText(tr("Reset figures"));
    reset->setToolTip(tr("Start the agreement rate and the mean similarity afresh"));
    connect(reset, &QToolButton::clicked, this, &LiveTab::resetStatsRequested);
    auto* snapshot = new QToolButton;
    snapshot->setText(tr("Snapshot…"));
    snapshot->setToolTip(tr("Save both panes side by side as PNG"));
    connect(snapshot, &QToolButton::clicked, this, &LiveTab::onSnapshotClicked);

    auto* top = new QHBoxLayout;
    top->addWidget(sourceButton_);
    top->addWidget(new QLabel(tr("Resolution")));
    top->addWidget(resolution_);
    top->addWidget(pauseButton_);
    top->addStretch(1);
    top->addWidget(new QLabel(tr("Threshold")));
    top->addWidget(threshold_);
    top->addWidget(reset);
    top->addWidget(snapshot);

    banner_ = new QLabel;
    banner_->setObjectName(QStringLiteral("LiveBanner"));
    banner_->setWordWrap(true);
    banner_->setStyleSheet(
        QStringLiteral("QLabel { background: #fff3cd; color: #664d03; padding: 6px; "
                       "border: 1px solid #ffe69c; border-radius: 4px; }"));
    banner_->hide();

    // The two panes, each with its title above and its figures below.
    auto* panes = new QWidget;
    auto* grid = new QGridLayout(panes);
    grid->setContentsMargins(0, 0, 0, 0);
    for (int s : {0, 1}) {
        titles_[size_t(s)] = new QLabel(s == 0 ? tr("<b>Original</b>") : tr("<b>Pruned</b>"));
        panes_[size_t(s)] = new LiveFramePane(s);
        panes_[size_t(s)]->setObjectName(s == 0 ? QStringLiteral("LiveOriginalPane")
                                                : QStringLiteral("LivePrunedPane"));
        infos_[size_t(s)] = new QLabel;
        infos_[size_t(s)]->setTextFormat(Qt::RichText);
        grid->addWidget(titles_[size_t(s)], 0, s);
        grid->addWidget(panes_[size_t(s)], 1, s);
        grid->addWidget(infos_[size_t(s)], 2, s);
        connect(panes_[size_t(s)], &LiveFramePane::faceClicked, this, &LiveTab::onFaceClicked);
    }
    grid->setRowStretch(1, 1);

    // The gallery.
    auto* side = new QWidget;
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(new QLabel(tr("<b>Gallery</b>")));
    auto* hint = new QLabel(tr("Click a face in a pane to enrol that person."));
    hint->setWordWrap(true);
    sideLayout->addWidget(hint);
    gallery_ = new QListWidget;
    gallery_->setObjectName(QStringLiteral("LiveGallery"));
    gallery_->setIconSize(QSize(40, 40));
    sideLayout->addWidget(gallery_, 1);
    auto* fromFolder = new QPushButton(tr("Enrol from folder…"));
    fromFolder->setToolTip(tr("Every photo in a folder, as one person"));
    connect(fromFolder, &QPushButton::clicked, this, &LiveTab::onEnrolFolderClicked);
    removeButton_ = new QPushButton(tr("Remove"));
    removeButton_->setObjectName(QStringLiteral("remove-person"));
    removeButton_->setEnabled(false);
    connect(removeButton_, &QPushButton::clicked, this, &LiveTab::onRemoveClicked);
    connect(gallery_, &QListWidget::currentRowChanged, this,
            [this](int row) { removeButton_->setEnabled(row >= 0); });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(fromFolder);
    buttons->addWidget(removeButton_);
    sideLayout->addLayout(buttons);

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(panes);
    split->addWidget(side);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 0);
    split->setSizes({900, 200});

    stats_ = new QLabel;
    stats_->setObjectName(QStringLiteral("LiveStats"));
    stats_->setTextFormat(Qt::RichText);
    status_ = new QLabel;
    status_->setWordWrap(true);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(banner_);
    layout->addWidget(split, 1);
    layout->addWidget(stats_);
    layout->addWidget(status_);

    namePrompt_ = [this](const QImage&) {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Enrol a person"), tr("Name of this person:"),
                                                   QLineEdit::Normal, {}, &ok);
        return ok ? name.trimmed() : QString();
    };
    rebuildSourceMenu();
    updateInfo();
    for (auto* pane : panes_)
        pane->setOverlay(tr("Choose a source: a camera, a video file or the demo video."));
}

double LiveTab::threshold() const { return threshold_->value(); }

void LiveTab::setDefaultThreshold(double t) {
    if (userThreshold_) return;
    const QSignalBlocker block(threshold_);
    threshold_->setValue(t);
    emit thresholdChanged(t);
}

void LiveTab::rebuildSourceMenu() {
    sourceMenu_->clear();
    if (cameras_.isEmpty()) {
        sourceMenu_->addAction(tr("No camera found"))->setEnabled(false);
    } else {
        for (int i = 0; i < cameras_.size(); ++i)
            sourceMenu_->addAction(tr("Camera: %1").arg(cameras_[i].label), this,
                                   [this, i] { chooseCamera(i); });
    }
    sourceMenu_->addSeparator();
    sourceMenu_->addAction(tr("Open video file…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open a video"), QStandardPaths::writableLocation(QStandardPaths::MoviesLocation),
            tr("Videos (*.avi *.mp4 *.mkv *.mov *.webm *.mpg *.mpeg);;All files (*)"));
        if (!path.isEmpty()) chooseFile(path);
    });
    sourceMenu_->addAction(tr("Demo video"), this, &LiveTab::chooseDemo);
}

void LiveTab::setCameras(const QList<jobs::LiveSource>& cameras) {
    cameras_ = cameras;
    rebuildSourceMenu();
}

void LiveTab::chooseDemo() {
    jobs::LiveSource s;
    s.kind = jobs::LiveSource::Demo;
    s.label = tr("Demo video");
    started_ = true;
    emit sourceRequested(s);
}

void LiveTab::chooseFile(const QString& path) {
    jobs::LiveSource s;
    s.kind = jobs::LiveSource::File;
    s.id = path;
    s.label = QFileInfo(path).fileName();
    started_ = true;
    emit sourceRequested(s);
}

void LiveTab::chooseCamera(int index, QSize resolution) {
    if (index < 0 || index >= cameras_.size()) return;
    jobs::LiveSource s = cameras_[index];
    // 640x480 when offered: what the recogniser is tuned for, and what most webcams do at full rate.
    if (!resolution.isValid())
        resolution = s.resolutions.contains(QSize(640, 480)) ? QSize(640, 480)
                     : s.resolutions.isEmpty()               ? QSize()
                                                             : s.resolutions.last();
    s.resolution = resolution;
    started_ = true;
    emit sourceRequested(s);
}

void LiveTab::onResolutionChosen(int index) {
    if (source_.kind != jobs::LiveSource::Camera || index < 0) return;
    const QSize res = resolution_->itemData(index).toSize();
    for (int i = 0; i < cameras_.size(); ++i)
        if (cameras_[i].id == source_.id) chooseCamera(i, res);
}

void LiveTab::showSourceStarted(const jobs::LiveSource& source) {
    source_ = source;
    sourceActive_ = true;
    setBanner({});
    sourceButton_->setText(tr("Source: %1").arg(source.label));
    {
        const QSignalBlocker block(pauseButton_);
        pauseButton_->setChecked(false);
        pauseButton_->setText(tr("Pause"));
    }
    pauseButton_->setEnabled(true);
    resolution_->clear();
    const bool camera = source.kind == jobs::LiveSource::Camera;
    for (const QSize& r : source.resolutions)
        resolution_->addItem(QStringLiteral("%1 x %2").arg(r.width()).arg(r.height()), r);
    if (camera) resolution_->setCurrentIndex(resolution_->findData(source.resolution));
    resolution_->setEnabled(camera && resolution_->count() > 1);
    for (auto* pane : panes_)
        if (!haveModels_ || pane->frame().image.isNull())
            pane->setOverlay(tr("Starting %1…").arg(source.label));
}

void LiveTab::showSourceEnded(const QString& why) {
    sourceActive_ = false;
    pauseButton_->setEnabled(false);
    setBanner(tr("%1 Choose another source from the Source menu; the last frame stays on screen.").arg(why));
}

void LiveTab::setBanner(const QString& text) {
    banner_->setText(text);
    banner_->setVisible(!text.isEmpty());
}

QString LiveTab::bannerText() const { return banner_->isHidden() ? QString() : banner_->text(); }

void LiveTab::showFrame(const jobs::LiveFrame& frame) {
    frame_ = frame;
    for (auto* pane : panes_) {
        pane->setFrame(frame);
        if (haveModels_) pane->setOverlay({});
    }
    const auto& st = frame.stats;
    QStringList parts;
    if (st.compared > 0)
        parts << tr("Agreement <b>%1%</b> of %2 faces")
                     .arg(100.0 * st.agreementRate, 0, 'f', 1)
                     .arg(st.compared);
    else
        parts << tr("Agreement: enrol someone to compare the names");
    if (st.meanSimilarity >= -1)
        parts << tr("mean similarity original \u2194 pruned <b>%1</b>").arg(st.meanSimilarity, 0, 'f', 3);
    parts << tr("%1 fps").arg(st.fps, 0, 'f', 1);
    if (st.dropped > 0) parts << tr("%1 frames skipped to stay live").arg(st.dropped);
    parts << tr("per frame: detect %1 ms, landmarks %2 ms, align %3 ms")
                 .arg(st.detectMs, 0, 'f', 1)
                 .arg(st.landmarksMs, 0, 'f', 1)
                 .arg(st.alignMs, 0, 'f', 1);
    stats_->setText(parts.join(QStringLiteral(" \u00b7 ")));
    updateInfo();
}

void LiveTab::showModels(const jobs::LiveModelInfo& original, const jobs::LiveModelInfo& pruned) {
    models_ = {original, pruned};
    haveModels_ = true;
    titles_[0]->setText(tr("<b>Original</b> \u2014 %1").arg(original.name.toHtmlEscaped()));
    QString change;
    if (original.macs > 0)
        change = tr(" (%1 MACs, %2 parameters)")
                     .arg(percentChange(pruned.macs, original.macs),
                          percentChange(pruned.params, original.params));
    titles_[1]->setText(tr("<b>Pruned</b> \u2014 %1%2").arg(pruned.name.toHtmlEscaped(), change));
    for (int s : {0, 1}) infos_[size_t(s)]->setToolTip(models_[size_t(s)].backendNote);
    for (auto* pane : panes_) pane->setOverlay({});
    updateInfo();
}

QString LiveTab::infoText(int side) const { return infos_[size_t(side)]->text(); }
QString LiveTab::statsText() const { return stats_->text(); }

void LiveTab::updateInfo() {
    for (int s : {0, 1}) {
        const auto& m = models_[size_t(s)];
        if (!haveModels_) {
            infos_[size_t(s)]->setText(tr("model being prepared"));
            continue;
        }
        const auto& st = frame_.stats;
        QString speed = st.perFaceMs[size_t(s)] > 0
                            ? tr("<b>%1 ms</b> per face \u00b7 <b>%2 fps</b> with this model alone")
                                  .arg(st.perFaceMs[size_t(s)], 0, 'f', 1)
                                  .arg(st.modelFps[size_t(s)], 0, 'f', 1)
                            : tr("no face timed yet");
        infos_[size_t(s)]->setText(tr("%1 params \u00b7 %2 MACs \u00b7 %3 ONNX \u00b7 %4<br>%5")
                                       .arg(compact(double(m.params)), compact(double(m.macs)),
                                            megabytes(m.fileBytes), m.backend, speed));
    }
}

void LiveTab::setGallery(const QVector<jobs::LivePerson>& people) {
    const QString current =
        gallery_->currentItem() ? gallery_->currentItem()->data(Qt::UserRole).toString() : QString();
    gallery_->clear();
    for (const auto& p : people) {
        const QString faces = p.samples == 1 ? tr("1 face") : tr("%1 faces").arg(p.samples);
        auto* item = new QListWidgetItem(QPixmap::fromImage(p.thumbnail),
                                         QStringLiteral("%1 (%2)").arg(p.name, faces));
        item->setData(Qt::UserRole, p.name);
        gallery_->addItem(item);
        if (p.name == current) gallery_->setCurrentItem(item);
    }
    removeButton_->setEnabled(gallery_->currentRow() >= 0);
}

void LiveTab::showEnrolled(const QString& name, int faces) {
    showMessage(faces == 1 ? tr("Enrolled %1 (1 face in the gallery).").arg(name)
                           : tr("Enrolled %1 (%2 faces in the gallery).").arg(name).arg(faces));
}

void LiveTab::showMessage(const QString& text) {
    status_->setStyleSheet({});
    status_->setText(text);
    if (!haveModels_ && !text.isEmpty())
        for (auto* pane : panes_) pane->setOverlay(text);
}

void LiveTab::showError(const QString& text) {
    status_->setStyleSheet(QStringLiteral("QLabel { color: #b02a37; }"));
    status_->setText(text);
}

void LiveTab::onFaceClicked(qint64 frameIndex, QPointF pos) {
    QImage face;
    for (const auto& f : frame_.faces)
        if (f.box.contains(pos)) face = frame_.image.copy(f.box.toAlignedRect());
    const QString name = namePrompt_ ? namePrompt_(face) : QString();
    if (name.isEmpty()) return;
    emit enrolFaceRequested(name, frameIndex, pos);
}

void LiveTab::enrolFolder(const QString& name, const QString& folder) {
    if (name.trimmed().isEmpty() || folder.isEmpty()) return;
    showMessage(tr("Enrolling %1 from %2…").arg(name, folder));
    emit enrolFolderRequested(name.trimmed(), folder);
}

int LiveTab::enrolShownFaces(const QString& pattern) {
    int n = 0;
    for (const auto& f : frame_.faces) {
        if (f.accepted[0]) continue;
        emit enrolFaceRequested(pattern.arg(gallery_->count() + n + 1), frame_.index, f.box.center());
        ++n;
    }
    return n;
}

void LiveTab::onEnrolFolderClicked() {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder of one person's photos"));
    if (folder.isEmpty()) return;
    // Face data sets name the folder after the person (LFW: Ada_Lovelace).
    const QString guess = QDir(folder).dirName().replace(QLatin1Char('_'), QLatin1Char(' '));
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Enrol from folder"), tr("Name of this person:"),
                                               QLineEdit::Normal, guess, &ok);
    if (ok) enrolFolder(name, folder);
}

void LiveTab::onRemoveClicked() {
    if (auto* item = gallery_->currentItem()) emit removeRequested(item->data(Qt::UserRole).toString());
}

QImage LiveTab::sideBySide() const {
    if (frame_.image.isNull()) return {};
    const int w = frame_.image.width(), h = frame_.image.height(), pad = 12;
    const QFont base = font();
    QFont bold = base;
    bold.setBold(true);
    const int line = QFontMetrics(base).height() + 2;
    // Title line, the frames, two lines of figures per pane, two lines of shared figures.
    const int header = line + pad;
    QImage out(2 * w + 3 * pad, header + pad / 2 + h + pad + 4 * line + pad, QImage::Format_RGB32);
    out.fill(QColor(32, 32, 32));
    QPainter p(&out);
    p.setPen(Qt::white);
    for (int s : {0, 1}) {
        const int x = pad + s * (w + pad);
        p.setFont(bold);
        p.drawText(
            QRect(x, pad, w, line), Qt::AlignLeft | Qt::AlignVCenter,
            (s == 0 ? tr("Original") : tr("Pruned")) + QStringLiteral(" \u2014 ") + models_[size_t(s)].name);
        LiveFramePane::paintFrame(p, QRectF(x, header + pad / 2, w, h), frame_, s);
        p.setFont(base);
        // The figures under each pane, as plain text.
        QString info = infos_[size_t(s)]->text();
        info.replace(QStringLiteral("<br>"), QStringLiteral("\n"));
        info.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
        p.drawText(QRect(x, header + h + pad, w, 2 * line), Qt::AlignLeft | Qt::TextWordWrap, info);
    }
    QString stats = stats_->text();
    stats.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
    p.drawText(QRect(pad, header + h + pad + 2 * line, 2 * w + pad, 2 * line),
               Qt::AlignLeft | Qt::TextWordWrap, stats);
    return out;
}

bool LiveTab::saveSnapshot(const QString& path) const {
    const QImage img = sideBySide();
    return !img.isNull() && img.save(path, "PNG");
}

void LiveTab::onSnapshotClicked() {
    if (frame_.image.isNull()) {
        showError(tr("Nothing to save yet: no frame has been shown."));
        return;
    }
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    const QString name = QStringLiteral("faceprune-live-%1.png")
                             .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    const QString path = QFileDialog::getSaveFileName(this, tr("Save snapshot"), QDir(dir).filePath(name),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    if (saveSnapshot(path)) {
        showMessage(tr("Saved %1").arg(path));
        emit snapshotSaved(path);
    } else {
        showError(tr("Could not write %1").arg(path));
    }
}

void LiveTab::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!started_ && autoStart_) {
        if (cameras_.isEmpty())
            chooseDemo();
        else
            chooseCamera(0);
    } else if (pausedByHide_) {
        pausedByHide_ = false;
        emit pauseRequested(false);
    }
}

void LiveTab::hideEvent(QHideEvent* event) {
    QWidget::hideEvent(event);
    // A hidden tab leaves both cores to the pruning; it goes on when shown again.
    if (sourceActive_ && !pauseButton_->isChecked() && !pausedByHide_) {
        pausedByHide_ = true;
        emit pauseRequested(true);
    }
}

}  // namespace fp::widgets
