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

PruningPanel::PruningPanel(const QList<jobs::SettingField>& fields, QWidget* parent) : QWidget(parent) {
    auto* top = new QVBoxLayout(this);
    model_ = new QLabel(tr("No model open"));
    model_->setWordWrap(true);
    QFont bold = model_->font();
    bold.setBold(true);
    model_->setFont(bold);
    top->addWidget(model_);

    // Run: controls and progress first, visible for the whole run however tall the settings are.
    auto* runBox = new QGroupBox(tr("Run"));
    auto* rl = new QVBoxLayout(runBox);
    runDir_ = new QLineEdit;
    runDir_->setObjectName(QStringLiteral("run-dir"));
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
    top->addWidget(runBox);
    runWidgets_ = {runDir_, browseRun};

    // The settings, one group box per group in the order the fields come.
    QMap<QString, QFormLayout*> groups;
    editors_.reserve(size_t(fields.size()));
    for (const auto& f : fields) {
        if (!groups.contains(f.group)) {
            auto* box = new QGroupBox(f.group);
            groups.insert(f.group, new QFormLayout(box));
            top->addWidget(box);
        }
        editors_.push_back({f, nullptr, {}, {}});
        auto& e = editors_.back();
        e.row = buildEditor(e);
        e.row->setToolTip(f.help);
        groups[f.group]->addRow(f.kind == jobs::SettingField::Kind::Flag ? QString() : f.label, e.row);
        e.set(f.defaultValue);
    }
    top->addStretch(1);

    connect(start_, &QPushButton::clicked, this, [this] { emit startRequested(settings()); });
    connect(pause_, &QPushButton::clicked, this, &PruningPanel::pauseRequested);
    connect(resume_, &QPushButton::clicked, this, &PruningPanel::resumeRequested);
    connect(stop_, &QPushButton::clicked, this, &PruningPanel::stopRequested);
    updateEnabled();
}

QWidget* PruningPanel::buildEditor(FieldEditor& e) {
    using Kind = jobs::SettingField::Kind;
    const auto& f = e.field;
    const QString name = QStringLiteral("setting-") + f.key;
    const auto changed = [this] { updateEnabled(); };
    switch (f.kind) {
    case Kind::Integer: {
        auto* s = spin(int(f.min), int(std::min(f.max, 2147483647.0)), int(f.min), f.min == 0 ? f.noneText : QString());
        s->setObjectName(name);
        e.get = [s] { return QString::number(s->value()); };
        e.set = [s](const QString& v) { s->setValue(v.toInt()); };
        connect(s, &QSpinBox::valueChanged, this, changed);
        return s;
    }
    case Kind::Real: {
        const double scale = f.percent ? 100.0 : 1.0;
        auto* s = dspin(f.min * scale, f.max * scale, f.min * scale, f.decimals, f.percent ? QStringLiteral(" %") : QString());
        s->setSingleStep(f.percent ? 1.0 : f.decimals >= 4 ? 0.001 : f.decimals >= 2 ? 0.05 : 1.0);
        s->setObjectName(name);
        e.get = [s, scale] { return QString::number(s->value() / scale, 'g', 12); };
        e.set = [s, scale](const QString& v) { s->setValue(v.toDouble() * scale); };
        return s;
    }
    case Kind::Flag: {
        auto* c = new QCheckBox(f.label);
        c->setObjectName(name);
        e.get = [c] { return c->isChecked() ? QStringLiteral("true") : QStringLiteral("false"); };
        e.set = [c](const QString& v) { c->setChecked(v == QLatin1String("true")); };
        connect(c, &QCheckBox::toggled, this, changed);
        if (f.key == QLatin1String("quick")) connect(c, &QCheckBox::toggled, this, [this, group = f.group](bool quick) {
            // Leaving a quick run's settings: the recovery it had switched off comes back at its defaults.
            if (quick) return;
            for (auto& r : editors_) {
                const bool zeroed = r.get().toDouble() == 0.0 && r.field.defaultValue.toDouble() != 0.0;
                if (r.field.group == group && zeroed) r.set(r.field.defaultValue);
            }
        });
        return c;
    }
    case Kind::Choice: {
        auto* c = new QComboBox;
        c->setObjectName(name);
        if (!f.noneText.isEmpty()) c->addItem(f.noneText, QString());
        for (const auto& choice : f.choices) c->addItem(choice, choice);
        e.get = [c] { return c->currentData().toString(); };
        e.set = [c](const QString& v) {
            if (c->findData(v) < 0) c->addItem(v, v);
            c->setCurrentIndex(c->findData(v));
        };
        connect(c, &QComboBox::currentIndexChanged, this, changed);
        return c;
    }
    case Kind::Dir:
    case Kind::File:
    case Kind::DirList: {
        auto* line = new QLineEdit;
        line->setObjectName(name);
        line->setPlaceholderText(f.help.section(QLatin1Char(':'), 0, 0).section(QLatin1Char('('), 0, 0).trimmed());
        auto* browse = browseButton(tr("Choose: %1").arg(f.label));
        browse->setObjectName(QStringLiteral("browse-") + f.key);
        const bool many = f.kind == Kind::DirList;
        const bool file = f.kind == Kind::File;
        connect(browse, &QToolButton::clicked, this, [this, line, f, many, file] {
            const QString start = many ? QString() : line->text();
            const QString chosen = file ? QFileDialog::getOpenFileName(this, f.label, start)
                                        : QFileDialog::getExistingDirectory(this, f.label, start);
            if (chosen.isEmpty()) return;
            line->setText(many && !line->text().trimmed().isEmpty() ? line->text() + QStringLiteral("; ") + chosen : chosen);
        });
        connect(line, &QLineEdit::textChanged, this, changed);
        if (many) {
            e.get = [line] {
                QStringList items;
                for (const auto& i : line->text().split(QLatin1Char(';'), Qt::SkipEmptyParts))
                    if (!i.trimmed().isEmpty()) items << i.trimmed();
                return items.join(QLatin1Char('\n'));
            };
            e.set = [line](const QString& v) { line->setText(v.split(QLatin1Char('\n'), Qt::SkipEmptyParts).join(QStringLiteral("; "))); };
        } else {
            e.get = [line] { return line->text().trimmed(); };
            e.set = [line](const QString& v) { line->setText(v); };
        }
        return row({line, browse});
    }
    case Kind::Text: {
        auto* line = new QLineEdit;
        line->setObjectName(name);
        e.get = [line] { return line->text().trimmed(); };
        e.set = [line](const QString& v) { line->setText(v); };
        return line;
    }
    case Kind::Measure: {
        auto* kind = new QComboBox;
        kind->setObjectName(name);
        kind->addItem(f.noneText, QString());
        for (const auto& choice : f.choices) kind->addItem(choice, choice);
        auto* value = dspin(f.min * 100, f.max * 100, (f.min + f.max) * 50, 1, QStringLiteral(" %"));  // mid-range until chosen
        value->setObjectName(name + QStringLiteral("-value"));
        e.get = [kind, value] {
            const QString k = kind->currentData().toString();
            return k.isEmpty() ? k : k + QLatin1Char(':') + QString::number(value->value() / 100.0, 'g', 12);
        };
        e.set = [kind, value](const QString& v) {
            const QString k = v.section(QLatin1Char(':'), 0, 0);
            if (!k.isEmpty() && kind->findData(k) < 0) kind->addItem(k, k);
            kind->setCurrentIndex(std::max(0, kind->findData(k)));
            if (!k.isEmpty()) value->setValue(v.section(QLatin1Char(':'), 1).toDouble() * 100.0);
        };
        connect(kind, &QComboBox::currentIndexChanged, this, changed);
        return row({kind, value});
    }
    case Kind::List: {
        auto* label = new QLabel;
        label->setObjectName(name);
        label->setWordWrap(true);
        auto items = std::make_shared<QStringList>();
        e.get = [items] { return items->join(QLatin1Char('\n')); };
        e.set = [this, label, items](const QString& v) {
            *items = v.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            if (items->isEmpty()) label->setText(tr("none"));
            else if (items->size() <= 3) label->setText(items->join(QStringLiteral(", ")));
            else label->setText(tr("%1 layers (%2, ...)").arg(items->size()).arg(items->mid(0, 2).join(QStringLiteral(", "))));
        };
        return label;
    }
    }
    return new QWidget;
}

PruningPanel::FieldEditor* PruningPanel::editor(const QString& key) {
    for (auto& e : editors_)
        if (e.field.key == key) return &e;
    return nullptr;
}

jobs::PruneSettings PruningPanel::settings() const {
    jobs::PruneSettings s;
    for (const auto& e : editors_) s.setValue(e.field.key, e.get());
    s.runDir = runDir_->text().trimmed();
    return s;
}

void PruningPanel::setSettings(const jobs::PruneSettings& s) {
    // Fields the settings leave out keep what they show.
    for (auto& e : editors_)
        if (s.values.contains(e.field.key)) e.set(s.value(e.field.key));
    runDir_->setText(s.runDir);
    updateEnabled();
}

void PruningPanel::setLockedLayers(const QStringList& layers) {
    if (auto* e = editor(QStringLiteral("lock"))) e->set(layers.join(QLatin1Char('\n')));
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
    for (auto* w : runWidgets_) w->setEnabled(!running);
    const auto text = [this](const char* key) {
        auto* e = editor(QLatin1String(key));
        return e ? e->get() : QString();
    };
    const bool quick = text("quick") == QLatin1String("true");
    const QString recoveryGroup = editor(QStringLiteral("quick")) ? editor(QStringLiteral("quick"))->field.group : QString();
    for (auto& e : editors_) {
        bool on = !running;
        // A pairs file replaces the held-out people; the weight only weighs a chosen cost; a quick
        // look switches recovery off.
        if (e.field.key == QLatin1String("verify-fraction")) on = on && text("pairs").isEmpty();
        if (e.field.key == QLatin1String("cost-lambda")) on = on && !text("cost").isEmpty();
        if (e.field.group == recoveryGroup && e.field.key != QLatin1String("quick")) on = on && !quick;
        e.row->setEnabled(on);
        if (e.field.kind == jobs::SettingField::Kind::Measure)
            if (auto* value = e.row->findChild<QWidget*>(QStringLiteral("setting-") + e.field.key + QStringLiteral("-value")))
                value->setEnabled(on && !e.get().isEmpty());
    }
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

void PruningPanel::browseRunDir() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run folder"), runDir_->text());
    if (!dir.isEmpty()) runDir_->setText(dir);
}

}  // namespace fp::widgets
