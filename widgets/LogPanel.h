#pragma once
// The run's log: what was loaded, data found and skipped, each iteration's
// figures, warnings and errors, with the time. Kept short (last lines only).
#include <QPlainTextEdit>

namespace fp::widgets {

class LogPanel : public QPlainTextEdit {
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };
    explicit LogPanel(QWidget* parent = nullptr);

    void append(const QString& text, Level level = Level::Info);
    int lines() const;

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;
};

}  // namespace fp::widgets
