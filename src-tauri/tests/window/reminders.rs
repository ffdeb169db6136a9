//! Issue 5 in the real window: a reminder due in a few seconds reaches the desktop as a real
//! notification (observed on the session bus with dbus-monitor; dunst shows it), the tray's
//! menu model lists the task, and the end-of-day review takes it through "tomorrow". On the
//! way: the recurrence editor, the absence settings and the tray preview are photographed.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::driver::{Harness, app_binary, within};

const TITLE: &str = "Visszahívás: Szabó Pékség";

/// Calls a Duly command from inside the window, as the UI's backend module does.
async fn invoke(h: &Harness, command: &str, args: Value) -> Value {
    let script = r"
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
            .then((value) => done({ ok: value ?? null }), (error) => done({ error }));";
    let answer = h.client.execute_async(script, vec![json!(command), args]).await.expect("script runs");
    assert!(answer.get("error").is_none(), "{command} failed: {answer}");
    answer["ok"].clone()
}

/// Sets an input's value the way typing does (date and time inputs take no keys over WebDriver).
async fn set_value(h: &Harness, test_id: &str, value: &str) {
    let script = r"
        const [id, value] = arguments;
        const input = document.querySelector(`[data-testid='${id}']`);
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new Event('change', { bubbles: true }));";
    h.client.execute(script, vec![json!(test_id), json!(value)]).await.expect("set value");
}

async fn scroll_to(h: &Harness, test_id: &str) {
    let script =
        "document.querySelector(`[data-testid='${arguments[0]}']`).scrollIntoView({ block: 'start' });";
    h.client.execute(script, vec![json!(test_id)]).await.expect("scroll");
}

#[ignore = "needs Xvfb, D-Bus, dunst and tauri-driver: run by `cargo xtask test`"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_reaches_the_desktop_and_the_review_moves_the_task_to_tomorrow() {
    let log = tempfile::NamedTempFile::new().expect("monitor log");
    let mut monitor = Command::new("dbus-monitor")
        .args(["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"])
        .stdout(log.reopen().expect("log file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-monitor (Debian's dbus-bin)");

    let h = Harness::start(&app_binary()).await;
    h.type_into("profile-name", "Kiss Anna").await;
    h.type_into("profile-email", "anna@example.hu").await;
    h.click("profile-create").await;
    h.click("demo-no").await;
    h.by_test_id("view-today").await;

    // A task for me, due today in my zone, with its reminder 6 seconds from now.
    let boot = invoke(&h, "bootstrap", json!({})).await;
    let me = boot["profile"]["id"].clone();
    let zone = boot["preferences"]["time_zone"].clone();
    let today: String = h
        .client
        .execute(
            "const parts = new Intl.DateTimeFormat('en-US', { timeZone: arguments[0], year: 'numeric', month: '2-digit', day: '2-digit' })
                 .formatToParts(new Date());
             const part = (type) => parts.find((p) => p.type === type).value;
             return `${part('year')}-${part('month')}-${part('day')}`;",
            vec![zone],
        )
        .await
        .expect("today")
        .as_str()
        .expect("a date")
        .to_owned();
    let reminder: String = h
        .client
        .execute("return new Date(Date.now() + 6000).toISOString();", vec![])
        .await
        .expect("instant")
        .as_str()
        .expect("text")
        .to_owned();
    let input = json!({
        "title": TITLE, "description": "", "customer_id": null, "project_id": null, "responsible_id": me,
        "watchers": [], "priority": "normal", "start_date": null, "due": { "day": today }, "reminder_at": reminder,
        "checklist": [], "attachments": [], "recurrence": null,
    });
    let task = invoke(&h, "create_task", json!({ "input": input })).await;
    let task_id = task["id"].as_str().expect("task id").to_owned();

    // The scheduler decides it and notify-rust sends it over D-Bus.
    let arrived = within(Duration::from_secs(30), || async {
        let seen = std::fs::read_to_string(log.path()).unwrap_or_default();
        seen.contains(TITLE).then_some(seen)
    })
    .await;
    let seen = arrived.unwrap_or_else(|| std::fs::read_to_string(log.path()).unwrap_or_default());
    let _ = monitor.kill();
    let _ = monitor.wait();
    assert!(seen.contains("member=Notify"), "no Notify call on the session bus:\n{seen}");
    assert!(seen.contains("Emlékeztető") && seen.contains(TITLE), "the reminder's words:\n{seen}");
    assert!(seen.contains("string \"Duly\""), "sent as Duly:\n{seen}");
    let daemon = Command::new("pgrep").arg("-x").arg("dunst").output().expect("pgrep");
    assert!(daemon.status.success(), "dunst was started by D-Bus activation to show it");

    // The tray's menu model lists it; the settings show the same menu.
    let tray = invoke(&h, "tray_model", json!({})).await;
    assert_eq!(tray["count"], json!(1), "{tray}");
    assert_eq!(tray["items"][0]["label"], json!(TITLE), "{tray}");
    assert_eq!(tray["items"][0]["task_id"], json!(task_id));
    h.click("nav-settings").await;
    h.click("settings-tab-notifications").await;
    let item = h.by_test_id("tray-item").await;
    assert_eq!(item.text().await.expect("label"), TITLE);
    h.shot("notification-settings").await;
    scroll_to(&h, "tray-preview").await;
    h.shot("tray-menu-model").await;

    // The recurrence editor on the task page (opened from the tray preview).
    item.click().await.expect("open from the tray list");
    h.by_test_id("task-page").await;
    h.click("recurrence-toggle").await;
    h.choose("recurrence-kind", "Havonta adott napon").await;
    set_value(&h, "recurrence-day", "31").await;
    h.by_test_id("recurrence-preview").await;
    scroll_to(&h, "recurrence-editor").await;
    h.shot("recurrence-editor").await;

    // The working calendar: this year's public holidays.
    h.click("nav-settings").await;
    h.click("settings-tab-calendar").await;
    let holidays = h
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='calendar-holiday']"))
        .await
        .expect("holidays");
    assert_eq!(holidays.len(), 12, "Hungary has 12 public holidays a year (24 December since 2025)");
    h.shot("working-days").await;

    // The absence settings: a week of leave, saved.
    h.click("nav-settings").await;
    h.click("settings-tab-absences").await;
    h.choose("absence-colleague", "Kiss Anna").await;
    h.click("absence-add").await;
    set_value(&h, "absence-from", "2026-12-21").await;
    set_value(&h, "absence-to", "2026-12-31").await;
    set_value(&h, "absence-note", "Téli szabadság").await;
    h.click("absence-save").await;
    h.by_test_id("absence-saved").await;
    h.shot("absence-settings").await;
    let colleagues = invoke(&h, "bootstrap", json!({})).await["colleagues"].clone();
    let absences = &colleagues[0]["availability"]["absences"];
    assert_eq!(absences[0]["from"], json!("2026-12-21"), "{colleagues}");

    // The end-of-day review: the task, then «Holnapra»; the walk ends.
    h.click("nav-review").await;
    h.by_test_id("review-view").await;
    let shown = h.by_test_id("review-task-title").await.text().await.expect("title");
    assert_eq!(shown, TITLE);
    h.shot("review").await;
    h.click("review-tomorrow").await;
    h.by_test_id("review-finished").await;
    h.shot("review-finished").await;
    let detail = invoke(&h, "task_detail", json!({ "id": task_id })).await;
    let due = detail["task"]["due"]["day"].as_str().expect("a due day").to_owned();
    let tomorrow = today.parse::<chrono::NaiveDate>().expect("a day") + chrono::Duration::days(1);
    assert_eq!(due, tomorrow.to_string(), "«Holnapra» moved it from {today} to the next day");
    let tray = invoke(&h, "tray_model", json!({})).await;
    assert_eq!(tray["count"], json!(0), "nothing left for today: {tray}");

    h.stop().await;
}
