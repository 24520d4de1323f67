#include "jobs/PruneSettings.h"

#include "prune/RunSettings.h"

namespace fp::jobs {

QList<SettingField> PruneSettings::fields() {
    const auto defaults = prune::defaultRunRequest();
    QList<SettingField> out;
    for (const auto& s : prune::runSettings()) {
        SettingField f;
        f.key = QString::fromStdString(s.key);
        f.group = QString::fromStdString(s.group);
        f.label = QString::fromStdString(s.label);
        f.help = QString::fromStdString(s.help);
        f.kind = static_cast<SettingField::Kind>(s.kind);
        f.min = s.min;
        f.max = s.max;
        f.decimals = s.decimals;
        f.percent = s.percent;
        for (const auto& c : s.choices) f.choices << QString::fromStdString(c);
        f.noneText = QString::fromStdString(s.noneText);
        f.defaultValue = QString::fromStdString(s.get(defaults));
        out << f;
    }
    return out;
}

PruneSettings PruneSettings::defaults() {
    PruneSettings s;
    for (const auto& f : fields()) s.values.insert(f.key, f.defaultValue);
    return s;
}

}  // namespace fp::jobs
