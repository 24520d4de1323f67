#include "widgets/LogPanel.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QScrollBar>
#include <QTime>

namespace fp::widgets {

LogPanel::LogPanel(QWidget* parent) : QPlainTextEdit(parent) {
    setReadOnly(true);
    setMaximumBlockCount(5000);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setPlaceholderText(tr("Messages of loading, pruning and exporting appear here."));
}

void LogPanel::append(const QString& text, Level level) {
    const QString color = level == Level::Error ? QStringLiteral("#b00020")
                          : level == Level::Warning ? QStringLiteral("#a05a00")
                                                    : palette().color(QPalette::Text).name();
    const bool atEnd = verticalScrollBar()->value() == verticalScrollBar()->maximum();
    appendHtml(QStringLiteral("<span style=\"color:#808080\">%1</span> <span style=\"color:%2\">%3</span>")
                   .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), color, text.toHtmlEscaped()));
    if (atEnd) verticalScrollBar()->setValue(verticalScrollBar()->maximum());
}

int LogPanel::lines() const { return document()->blockCount() - (document()->isEmpty() ? 1 : 0); }

void LogPanel::contextMenuEvent(QContextMenuEvent* event) {
    QMenu* menu = createStandardContextMenu();
    menu->addSeparator();
    menu->addAction(tr("Clear"), this, &QPlainTextEdit::clear);
    menu->exec(event->globalPos());
    delete menu;
}

}  // namespace fp::widgets
