//! The words of notifications and of the tray menu, in Hungarian and English. The window has
//! its own catalogues (ui/src/lib/i18n); these are the strings the shell shows outside it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::notice::{Notice, NoticeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Hu,
    En,
}

impl Lang {
    /// A preference value ("hu", "en", "en-GB"); Hungarian unless it is English.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("en") { Self::En } else { Self::Hu }
    }
}

/// A notification's title and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    pub summary: String,
    pub body: String,
}

pub fn render(notice: &Notice, lang: Lang, tz: Tz) -> NoticeText {
    let title = notice.task_title.clone().unwrap_or_default();
    let actor = notice.actor_name.clone().unwrap_or_else(|| match lang {
        Lang::Hu => "Egy kolléga".into(),
        Lang::En => "A colleague".into(),
    });
    let time = notice.at.map(|at| clock(at, tz)).unwrap_or_default();
    let (summary, body) = match (notice.kind, lang) {
        (NoticeKind::Reminder, Lang::Hu) => ("Emlékeztető".into(), format!("{title} ({time})")),
        (NoticeKind::Reminder, Lang::En) => ("Reminder".into(), format!("{title} ({time})")),
        (NoticeKind::DueSoon, Lang::Hu) => ("Hamarosan lejár".into(), format!("{title}: határidő {time}")),
        (NoticeKind::DueSoon, Lang::En) => ("Due soon".into(), format!("{title}: due at {time}")),
        (NoticeKind::MorningDigest, Lang::Hu) => (
            "Jó reggelt! Mai lista".into(),
            format!("{} mai feladat, {} lejárt", notice.count, notice.overdue),
        ),
        (NoticeKind::MorningDigest, Lang::En) => (
            "Good morning: today's list".into(),
            format!("{} today, {} overdue", tasks_en(notice.count), notice.overdue),
        ),
        (NoticeKind::EndOfDayReview, Lang::Hu) => {
            ("Napzárás".into(), format!("{} feladat még nyitott mára. Nézzük át!", notice.count))
        }
        (NoticeKind::EndOfDayReview, Lang::En) => (
            "End-of-day review".into(),
            format!("{} still open for today. Let's go through them.", tasks_en(notice.count)),
        ),
        (NoticeKind::Assigned, Lang::Hu) => {
            ("Új feladatod van".into(), format!("{actor} rád bízta: {title}"))
        }
        (NoticeKind::Assigned, Lang::En) => {
            ("A task for you".into(), format!("{actor} assigned you: {title}"))
        }
        (NoticeKind::Completed, Lang::Hu) => {
            ("Feladat elvégezve".into(), format!("{actor} elvégezte: {title}"))
        }
        (NoticeKind::Completed, Lang::En) => ("Task completed".into(), format!("{actor} completed: {title}")),
        (NoticeKind::Commented, Lang::Hu) => {
            ("Új megjegyzés".into(), format!("{actor} megjegyzést írt: {title}"))
        }
        (NoticeKind::Commented, Lang::En) => ("New comment".into(), format!("{actor} commented on: {title}")),
        (NoticeKind::NewsBurst, Lang::Hu) => (
            "Változások a feladataidban".into(),
            format!("{} új esemény a feladataidnál (kiosztás, elvégzés, megjegyzés)", notice.count),
        ),
        (NoticeKind::NewsBurst, Lang::En) => (
            "Changes to your tasks".into(),
            format!("{} new events on your tasks (assigned, completed, commented)", notice.count),
        ),
    };
    NoticeText { summary, body }
}

/// The label of a notification's click, where the desktop shows one.
pub fn open_action(lang: Lang) -> &'static str {
    match lang {
        Lang::Hu => "Megnyitás",
        Lang::En => "Open",
    }
}

fn tasks_en(count: u32) -> String {
    if count == 1 { "1 task".into() } else { format!("{count} tasks") }
}

/// Hours and minutes on the local clock, as both languages write them.
pub fn clock(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

/// The tray menu's fixed entries and tooltip.
#[derive(Debug)]
pub struct TrayWords {
    pub quick_add: &'static str,
    pub open: &'static str,
    pub pause: &'static str,
    pub resume: &'static str,
    pub quit: &'static str,
    pub nothing_today: &'static str,
    pub overdue_mark: &'static str,
}

pub fn tray_words(lang: Lang) -> TrayWords {
    match lang {
        Lang::Hu => TrayWords {
            quick_add: "Új feladat gyorsan…",
            open: "Duly megnyitása",
            pause: "Értesítések szüneteltetése 1 órára",
            resume: "Értesítések folytatása",
            quit: "Kilépés",
            nothing_today: "Nincs mai feladat",
            overdue_mark: "lejárt",
        },
        Lang::En => TrayWords {
            quick_add: "Quick add task…",
            open: "Open Duly",
            pause: "Pause notifications for 1 hour",
            resume: "Resume notifications",
            quit: "Quit",
            nothing_today: "Nothing due today",
            overdue_mark: "overdue",
        },
    }
}

pub fn tray_tooltip(lang: Lang, count: usize, overdue: usize) -> String {
    match lang {
        Lang::Hu => format!("Duly – {count} mai feladat ({overdue} lejárt)"),
        Lang::En => format!("Duly – {count} today ({overdue} overdue)"),
    }
}

/// Freedesktop notification bodies are markup (`<b>`, `<a href>`, `<img>`); titles and names
/// that others wrote go in as text, never as markup (L4).
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_in_a_title_is_shown_as_text() {
        let title = r#"<a href="https://evil.example">Open invoice</a> & co"#;
        assert_eq!(
            super::escape_markup(title),
            r#"&lt;a href="https://evil.example"&gt;Open invoice&lt;/a&gt; &amp; co"#
        );
    }
}
