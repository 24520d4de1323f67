#pragma once
// A pruning run's settings as Qt values, for the panel (widgets never see the engine's types).
// The settings themselves are defined once, in prune/RunSettings.h; fields() describes them and
// jobs/EngineSettings.h turns the values into the engine's request and back.
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace fp::jobs {

// One setting as the panel shows it (a copy of prune::Setting without its accessors).
struct SettingField {
    enum class Kind { Integer, Real, Flag, Choice, Dir, File, DirList, Text, Measure, List };
    QString key, group, label, help;
    Kind kind = Kind::Text;
    double min = 0, max = 0;
    int decimals = 0;
    bool percent = false;      // shown as a percentage of 1
    QStringList choices;
    QString noneText;          // Integer: what 0 means; Choice / Measure: what "" means
    QString defaultValue;
};

struct PruneSettings {
    QMap<QString, QString> values;  // setting key -> text as on the command line; missing = default
    QString runDir;                 // where checkpoints and history go

    QString value(const QString& key) const { return values.value(key); }
    void setValue(const QString& key, const QString& v) { values.insert(key, v); }
    // List settings hold one item per line.
    QStringList list(const QString& key) const { return value(key).split(QLatin1Char('\n'), Qt::SkipEmptyParts); }
    void setList(const QString& key, const QStringList& items) { setValue(key, items.join(QLatin1Char('\n'))); }
    // Per-layer minimum widths ("min-width-of": LAYER=FILTERS lines).
    QMap<QString, int> minWidths() const {
        QMap<QString, int> out;
        for (const auto& line : list(QStringLiteral("min-width-of"))) {
            const auto eq = line.lastIndexOf(QLatin1Char('='));
            if (eq > 0) out.insert(line.left(eq), line.mid(eq + 1).toInt());
        }
        return out;
    }
    void setMinWidths(const QMap<QString, int>& widths) {
        QStringList lines;
        for (auto it = widths.begin(); it != widths.end(); ++it) lines << it.key() + QLatin1Char('=') + QString::number(it.value());
        setList(QStringLiteral("min-width-of"), lines);
    }

    // Every setting, in the order the engine applies them (defined in jobs, not seen by widgets).
    static QList<SettingField> fields();
    // Every setting at its default: the recovery recipe, no target.
    static PruneSettings defaults();
};

}  // namespace fp::jobs

Q_DECLARE_METATYPE(fp::jobs::PruneSettings)
