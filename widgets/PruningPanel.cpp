#include "widgets/PruningPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QCheckBox>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

namespace fp::widgets {

namespace {

QSpinBox* spin(int lo, int hi, int value, const QString& special = {}, const QString& tip = {}) {
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    if (!special.isEmpty()) s->setSpecialValueText(special);
    s->setToolTip(tip);
    return s;
}

QDoubleSpinBox* dspin(double lo, double hi, double value, int decimals, const QString& suffix = {},
                      const QString& tip = {}) {
    auto* s = new QDoubleSpinBox;
    s->setRange(lo, hi);
    s->setDecimals(decimals);
    s->setValue(value);
    s->setSuffix(suffix);
    s->setToolTip(tip);
    return s;
}

// The "..." button beside a path field.
QToolButton* browseButton(const QString& tip) {
    auto* b = new QToolButton;
    b->setText(QStringLiteral("..."));
    b->setToolTip(tip);
    return b;
}

QWidget* row(std::initializer_list<QWidget*> widgets) {
    auto* w = new QWidget;
    auto* l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    for (auto* x : widgets) l->addWidget(x, x->sizePolicy().horizontalStretch());
    return w;
}

}  // namespace

PruningPanel::PruningPanel(QWidget* parent) : QWidget(parent) {
    auto* top = new QVBoxLayout(this);
    model_ = new QLabel(tr("No model open"));
    model_->setWordWrap(true);
    QFont bold = model_->font();
    bold.setBold(true);
    model_->setFont(bold);
    top->addWidget(model_);

    // Data
    auto* data = new QGroupBox(tr("Data"));
    auto* df = new QFormLayout(data);
    trainDir_ = new QLineEdit;
    trainDir_->setPlaceholderText(tr("folder with one sub-folder of face images per person"));
    auto* browse = browseButton(tr("Choose the training folder"));
    connect(browse, &QToolButton::clicked, this, &PruningPanel::browseTrain);
    df->addRow(tr("Training folder"), row({trainDir_, browse}));
    limitIdentities_ = spin(0, 100000, 0, tr("all"), tr("Use only the first N people (0 = all)"));
    df->addRow(tr("People"), limitIdentities_);
    verifyPercent_ = dspin(0, 90, 20, 0, QStringLiteral(" %"),
                           tr("People held out to make verification pairs (0 = no evaluation)"));
    df->addRow(tr("Held out for verification"), verifyPercent_);
    pairsFile_ = new QLineEdit;
    pairsFile_->setPlaceholderText(tr("optional: LFW-format pairs.txt"));
    pairsFile_->setToolTip(tr("Verify on these pairs instead of held-out people (all people then train)"));
    auto* browsePairs = browseButton(tr("Choose a pairs file"));
    connect(browsePairs, &QToolButton::clicked, this, &PruningPanel::browsePairs);
    df->addRow(tr("Verification pairs"), row({pairsFile_, browsePairs}));
    pairsImages_ = new QLineEdit;
    pairsImages_->setPlaceholderText(tr("folder the pairs file's names refer to"));
    auto* browseImages = browseButton(tr("Choose the pairs' image folder"));
    connect(browseImages, &QToolButton::clicked, this, &PruningPanel::browsePairsImages);
    df->addRow(tr("Pairs images"), row({pairsImages_, browseImages}));
    // A pairs file replaces the held-out people.
    connect(pairsFile_, &QLineEdit::textChanged, this, &PruningPanel::updateEnabled);
    unlabelledDir_ = new QLineEdit;
    unlabelledDir_->setPlaceholderText(tr("optional: more faces, no names needed"));
    unlabelledDir_->setToolTip(tr("Faces of other people (any folder layout) the pruned model learns from by\n"
                                  "matching the original model: more variety, better recovery"));
    auto* browseUnlabelled = browseButton(tr("Choose a folder of unlabelled faces"));
    connect(browseUnlabelled, &QToolButton::clicked, this, &PruningPanel::browseUnlabelled);
    df->addRow(tr("Unlabelled faces"), row({unlabelledDir_, browseUnlabelled}));
    batchSize_ = spin(1, 512, 32, {}, tr("Images per mini-batch (scoring, fine-tuning, evaluation)"));
    df->addRow(tr("Batch size"), batchSize_);
    top->addWidget(data);

    // Method
    auto* method = new QGroupBox(tr("Method"));
    auto* mf = new QFormLayout(method);
    criterion_ = new QComboBox;
    criterion_->setToolTip(tr("taylor: Molchanov 2017, |activation x gradient| per feature map\n"
                              "taylor-bn: Molchanov 2019, BatchNorm parameters x gradients\n"
                              "l1: filter weight norm; bn: |BatchNorm gamma|; random: baseline"));
    mf->addRow(tr("Criterion"), criterion_);
    perIteration_ = dspin(0.1, 100000, 5, 1, {}, tr("Filters removed in every iteration"));
    perIterationUnit_ = new QComboBox;
    perIterationUnit_->addItems({tr("% of prunable"), tr("filters")});
    connect(perIterationUnit_, &QComboBox::currentIndexChanged, this, [this](int i) {
        perIteration_->setDecimals(i == 0 ? 1 : 0);
        perIteration_->setMaximum(i == 0 ? 100 : 100000);
    });
    mf->addRow(tr("Per iteration"), row({perIteration_, perIterationUnit_}));
    scoringBatches_ = spin(0, 100000, 0, tr("one pass"), tr("Mini-batches scored per iteration (0 = one pass)"));
    mf->addRow(tr("Scoring batches"), scoringBatches_);
    recover_ = new QCheckBox(tr("Recover (distil from the original)"));
    recover_->setChecked(jobs::PruneSettings{}.recover);
    recover_->setToolTip(tr("After every cut the pruned model learns to reproduce the original's embeddings,\n"
                            "and a final recovery follows the last cut, keeping its best checkpoint.\n"
                            "Off: a quick look, fine-tuning only as the steps below say."));
    connect(recover_, &QCheckBox::toggled, this, [this] { updateEnabled(); });
    mf->addRow(tr("Recovery"), recover_);
    finetuneSteps_ = spin(0, 1000000, 0, tr("none"), tr("SGD steps after each removal"));
    learningRate_ = dspin(0.00001, 1.0, 0.005, 5, {}, tr("Fine-tuning learning rate"));
    learningRate_->setSingleStep(0.001);
    mf->addRow(tr("Fine-tune steps"), finetuneSteps_);
    mf->addRow(tr("Learning rate"), learningRate_);
    minWidth_ = dspin(0, 100, 10, 0, QStringLiteral(" %"), tr("No layer keeps fewer than this share of its filters"));
    mf->addRow(tr("Minimum layer width"), minWidth_);
    regulariserCost_ = new QComboBox;
    regulariserCost_->addItem(tr("none"), QString());
    regulariserCost_->addItem(tr("MACs"), QStringLiteral("macs"));
    regulariserCost_->addItem(tr("measured latency"), QStringLiteral("latency"));
    regulariserCost_->setToolTip(tr("Prefer removing filters that cost most: by MACs, or by each layer's inference\n"
                                    "time measured on this machine before every iteration (realises more speed-up)"));
    // A weight of 0 would be "none" under another name.
    regulariserWeight_ = dspin(0.01, 10.0, jobs::PruneSettings{}.regulariserWeight, 2, {}, tr("How much cost outweighs importance: each score loses\n"
                                                           "weight x the filter's saving / the largest saving"));
    regulariserWeight_->setSingleStep(0.05);
    connect(regulariserCost_, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); });
    mf->addRow(tr("Cost regulariser"), row({regulariserCost_, regulariserWeight_}));
    lockedLabel_ = new QLabel;
    lockedLabel_->setWordWrap(true);
    lockedLabel_->setToolTip(tr("Lock layers in the layer table or from the graph's context menu"));
    mf->addRow(tr("Locked layers"), lockedLabel_);
    top->addWidget(method);

    // Stop conditions
    auto* stopWhen = new QGroupBox(tr("Stop when"));
    auto* sf = new QFormLayout(stopWhen);
    maxIterations_ = spin(1, 10000, 10, {}, tr("Iterations at most"));
    sf->addRow(tr("Iterations reach"), maxIterations_);
    targetKind_ = new QComboBox;
    targetPercent_ = dspin(1, 99, 50, 0, QStringLiteral(" % left"), tr("Stop once this share of the original is left"));
    sf->addRow(tr("Target"), row({targetKind_, targetPercent_}));
    floorMetric_ = new QComboBox;
    floorMetric_->addItem(tr("no floor"), QString());
    floorMetric_->addItem(tr("accuracy"), QStringLiteral("accuracy"));
    floorMetric_->addItem(tr("AUC"), QStringLiteral("auc"));
    floorMetric_->addItem(tr("TAR at FAR 1%"), QStringLiteral("tar_far1e-2"));
    floorPercent_ = dspin(0, 100, 95, 1, QStringLiteral(" %"), tr("Stop when the metric falls below this"));
    sf->addRow(tr("Metric falls below"), row({floorMetric_, floorPercent_}));
    connect(targetKind_, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); });
    connect(floorMetric_, &QComboBox::currentIndexChanged, this, [this] { updateEnabled(); });
    top->addWidget(stopWhen);

    // Run
    auto* runBox = new QGroupBox(tr("Run"));
    auto* rl = new QVBoxLayout(runBox);
    runDir_ = new QLineEdit;
    runDir_->setPlaceholderText(tr("run folder: chosen automatically"));
    runDir_->setToolTip(tr("Checkpoints, history (run.json) and the final model go here; "
                           "open the folder later to continue or review the run"));
    auto* browseRun = browseButton(tr("Choose the run folder"));
    connect(browseRun, &QToolButton::clicked, this, &PruningPanel::browseRunDir);
    rl->addWidget(row({runDir_, browseRun}));
    start_ = new QPushButton(tr("Start"));
    pause_ = new QPushButton(tr("Pause"));
    resume_ = new QPushButton(tr("Resume"));
    stop_ = new QPushButton(tr("Stop"));
    start_->setToolTip(tr("Start a new pruning run (F5)"));
    pause_->setToolTip(tr("Pause after the current mini-batch; Resume goes on"));
    resume_->setToolTip(tr("Go on from the last completed iteration"));
    stop_->setToolTip(tr("Stop after the current mini-batch, keeping every completed iteration (Shift+F5)"));
    rl->addWidget(row({start_, pause_, resume_, stop_}));
    bar_ = new QProgressBar;
    bar_->setRange(0, 1000);
    bar_->setValue(0);
    bar_->setTextVisible(true);
    bar_->setFormat(tr("idle"));
    rl->addWidget(bar_);
    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rl->addWidget(status_);
    // Controls and progress first: visible for the whole run however tall the settings are.
    top->insertWidget(1, runBox);
    top->addStretch(1);

    connect(start_, &QPushButton::clicked, this, [this] { emit startRequested(settings()); });
    connect(pause_, &QPushButton::clicked, this, &PruningPanel::pauseRequested);
    connect(resume_, &QPushButton::clicked, this, &PruningPanel::resumeRequested);
    connect(stop_, &QPushButton::clicked, this, &PruningPanel::stopRequested);

    settingsWidgets_ = {trainDir_, browse, limitIdentities_, verifyPercent_, pairsFile_, browsePairs, pairsImages_,
                        browseImages, unlabelledDir_, browseUnlabelled, recover_, batchSize_, criterion_,
                        perIteration_, perIterationUnit_, scoringBatches_, finetuneSteps_, learningRate_,
                        minWidth_, regulariserCost_, regulariserWeight_, maxIterations_, targetKind_, targetPercent_,
                        floorMetric_, floorPercent_, runDir_, browseRun};
    setChoices({QStringLiteral("taylor")}, {});
    setLockedLayers({});
    updateEnabled();
}

void PruningPanel::setChoices(const QStringList& criteria, const QStringList& targetKinds) {
    const QString current = criterion_->currentText();
    criterion_->clear();
    criterion_->addItems(criteria);
    if (criteria.contains(current)) criterion_->setCurrentText(current);
    const QString kind = targetKind_->currentData().toString();
    targetKind_->clear();
    targetKind_->addItem(tr("none"), QString());
    for (const auto& k : targetKinds) targetKind_->addItem(k, k);
    targetKind_->setCurrentIndex(std::max(0, targetKind_->findData(kind)));
}

jobs::PruneSettings PruningPanel::settings() const {
    jobs::PruneSettings s;
    s.trainDir = trainDir_->text().trimmed();
    s.limitIdentities = limitIdentities_->value();
    s.verifyFraction = verifyPercent_->value() / 100.0;
    s.pairsFile = pairsFile_->text().trimmed();
    s.pairsImages = pairsImages_->text().trimmed();
    s.unlabelledDir = unlabelledDir_->text().trimmed();
    s.recover = recover_->isChecked();
    s.batchSize = batchSize_->value();
    s.criterion = criterion_->currentText();
    s.perIterationPercent = perIterationUnit_->currentIndex() == 0;
    s.perIterationValue = perIteration_->value();
    s.scoringBatches = scoringBatches_->value();
    s.finetuneSteps = finetuneSteps_->value();
    s.learningRate = learningRate_->value();
    s.minWidthFraction = minWidth_->value() / 100.0;
    s.regulariserCost = regulariserCost_->currentData().toString();
    s.regulariserWeight = regulariserWeight_->value();
    s.maxIterations = maxIterations_->value();
    s.targetKind = targetKind_->currentData().toString();
    s.targetFractionLeft = targetPercent_->value() / 100.0;
    s.floorMetric = floorMetric_->currentData().toString();
    s.floorValue = floorPercent_->value() / 100.0;
    s.locked = locked_;
    s.runDir = runDir_->text().trimmed();
    return s;
}

void PruningPanel::setSettings(const jobs::PruneSettings& s) {
    trainDir_->setText(s.trainDir);
    limitIdentities_->setValue(s.limitIdentities);
    verifyPercent_->setValue(s.verifyFraction * 100.0);
    pairsFile_->setText(s.pairsFile);
    pairsImages_->setText(s.pairsImages);
    unlabelledDir_->setText(s.unlabelledDir);
    recover_->setChecked(s.recover);
    batchSize_->setValue(s.batchSize);
    if (criterion_->findText(s.criterion) < 0) criterion_->addItem(s.criterion);
    criterion_->setCurrentText(s.criterion);
    perIterationUnit_->setCurrentIndex(s.perIterationPercent ? 0 : 1);
    perIteration_->setValue(s.perIterationValue);
    scoringBatches_->setValue(s.scoringBatches);
    finetuneSteps_->setValue(s.finetuneSteps);
    learningRate_->setValue(s.learningRate);
    minWidth_->setValue(s.minWidthFraction * 100.0);
    regulariserCost_->setCurrentIndex(std::max(0, regulariserCost_->findData(s.regulariserCost)));
    regulariserWeight_->setValue(s.regulariserWeight);
    maxIterations_->setValue(s.maxIterations);
    if (!s.targetKind.isEmpty() && targetKind_->findData(s.targetKind) < 0) targetKind_->addItem(s.targetKind, s.targetKind);
    targetKind_->setCurrentIndex(std::max(0, targetKind_->findData(s.targetKind)));
    targetPercent_->setValue(s.targetFractionLeft * 100.0);
    if (!s.floorMetric.isEmpty() && floorMetric_->findData(s.floorMetric) < 0)
        floorMetric_->addItem(s.floorMetric, s.floorMetric);
    floorMetric_->setCurrentIndex(std::max(0, floorMetric_->findData(s.floorMetric)));
    floorPercent_->setValue(s.floorValue * 100.0);
    runDir_->setText(s.runDir);
    setLockedLayers(s.locked);
}

void PruningPanel::setLockedLayers(const QStringList& layers) {
    locked_ = layers;
    if (layers.isEmpty()) lockedLabel_->setText(tr("none"));
    else if (layers.size() <= 3) lockedLabel_->setText(layers.join(QStringLiteral(", ")));
    else lockedLabel_->setText(tr("%1 layers (%2, ...)").arg(layers.size()).arg(layers.mid(0, 2).join(QStringLiteral(", "))));
}

void PruningPanel::setModelName(const QString& name) {
    model_->setText(name.isEmpty() ? tr("No model open") : tr("Model: %1").arg(name));
}

void PruningPanel::setRunState(RunState state) {
    state_ = state;
    if (state == RunState::Idle || state == RunState::Resumable) {
        if (state == RunState::Resumable) bar_->setFormat(tr("interrupted: Resume goes on"));
        else bar_->setFormat(bar_->value() >= bar_->maximum() ? tr("done") : tr("idle"));
    } else if (state == RunState::Pausing) {
        bar_->setFormat(tr("pausing after this mini-batch ..."));
    } else if (state == RunState::Stopping) {
        bar_->setFormat(tr("stopping after this mini-batch ..."));
    } else {
        bar_->setFormat(tr("starting ..."));
        bar_->setValue(0);
    }
    updateEnabled();
}

void PruningPanel::updateEnabled() {
    const bool running = state_ == RunState::Running || state_ == RunState::Pausing || state_ == RunState::Stopping;
    for (auto* w : settingsWidgets_) w->setEnabled(!running);
    targetPercent_->setEnabled(!running && targetKind_->currentIndex() > 0);
    verifyPercent_->setEnabled(!running && pairsFile_->text().trimmed().isEmpty());
    floorPercent_->setEnabled(!running && floorMetric_->currentIndex() > 0);
    regulariserWeight_->setEnabled(!running && regulariserCost_->currentIndex() > 0);
    // The recipe sets fine-tuning itself.
    finetuneSteps_->setEnabled(!running && !recover_->isChecked());
    learningRate_->setEnabled(!running && !recover_->isChecked());
    start_->setEnabled(!running);
    pause_->setEnabled(state_ == RunState::Running);
    resume_->setEnabled(state_ == RunState::Resumable);
    stop_->setEnabled(state_ == RunState::Running || state_ == RunState::Pausing);
}

QString PruningPanel::formatEta(double s) {
    if (s < 0) return {};
    if (s < 60) return tr("%1 s left").arg(int(std::ceil(s)));
    if (s < 3600) return tr("%1 min %2 s left").arg(int(s) / 60).arg(int(s) % 60);
    return tr("%1 h %2 min left").arg(int(s) / 3600).arg((int(s) % 3600) / 60);
}

void PruningPanel::setProgress(int iteration, int maxIterations, const QString& phase, int step, int steps,
                               double eta) {
    if (state_ != RunState::Running) return;
    const double within = steps > 0 ? double(step) / double(steps) : 0.0;
    if (phase == QLatin1String("recovering")) {  // after the last cut: the bar restarts for the recovery
        bar_->setValue(int(std::round(1000 * within)));
        QString text = tr("final recovery after iteration %1: step %2/%3").arg(iteration).arg(step).arg(steps);
        if (const QString left = formatEta(eta); !left.isEmpty()) text += QStringLiteral(" · ") + left;
        bar_->setFormat(text);
        return;
    }
    // Iteration 0 is the preparation (head fitting, evaluating the original).
    const double done = iteration <= 0 ? 0.0 : (iteration - 1 + within) / std::max(1, maxIterations);
    bar_->setValue(int(std::round(1000 * std::clamp(done, 0.0, 1.0))));
    QString text = iteration <= 0 ? tr("preparing: %1").arg(phase)
                                  : tr("iteration %1/%2: %3").arg(iteration).arg(maxIterations).arg(phase);
    if (steps > 1) text += QStringLiteral(" %1/%2").arg(step).arg(steps);
    if (const QString left = formatEta(eta); !left.isEmpty()) text += QStringLiteral(" · ") + left;
    bar_->setFormat(text);
}

void PruningPanel::setStatus(const QString& text) { status_->setText(text); }
QString PruningPanel::statusText() const { return status_->text(); }
QString PruningPanel::progressText() const { return bar_->text(); }
double PruningPanel::progressShare() const {
    return double(bar_->value() - bar_->minimum()) / double(std::max(1, bar_->maximum() - bar_->minimum()));
}

void PruningPanel::browseTrain() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Training folder (one sub-folder per person)"),
                                                          trainDir_->text());
    if (!dir.isEmpty()) trainDir_->setText(dir);
}

void PruningPanel::browseUnlabelled() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Unlabelled faces (any folder layout)"),
                                                          unlabelledDir_->text());
    if (!dir.isEmpty()) unlabelledDir_->setText(dir);
}

void PruningPanel::browsePairs() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Verification pairs (LFW pairs.txt format)"),
                                                      pairsFile_->text(), tr("Pairs files (*.txt);;All files (*)"));
    if (!file.isEmpty()) pairsFile_->setText(file);
}

void PruningPanel::browsePairsImages() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Images the pairs file names"), pairsImages_->text());
    if (!dir.isEmpty()) pairsImages_->setText(dir);
}

void PruningPanel::browseRunDir() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run folder"), runDir_->text());
    if (!dir.isEmpty()) runDir_->setText(dir);
}

}  // namespace fp::widgets
