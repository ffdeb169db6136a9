//! Reminders (N1–N4, T9, T13, T14): the working calendar, recurrence, the scheduler that
//! decides notices from the local store, the texts they are shown with, and the tray's model.

pub mod calendar;
pub mod notice;
pub mod recurrence;
pub mod runner;
pub mod scheduler;
pub mod settings;
pub mod text;
pub mod tray;

pub use calendar::{DayOverride, Holiday, HolidayDate, WorkCalendar};
pub use notice::{Notice, NoticeKind, NoticeTarget, Notifier};
pub use runner::SchedulerLoop;
pub use scheduler::{Pass, Scheduler};
pub use settings::NotifySettings;
pub use text::Lang;
pub use tray::{TrayItem, TrayModel};
