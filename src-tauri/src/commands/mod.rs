//! The IPC contract: one file per domain, each command a few lines calling the core. Argument
//! names are snake_case on both sides; request and response types are exported to TypeScript
//! (see `bindings.rs`).

pub mod app;
pub mod customers;
pub mod links;
pub mod reminders;
pub mod search;
pub mod server;
pub mod settings;
pub mod tasks;

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app::bootstrap,
        app::startup,
        app::create_profile,
        app::load_demo,
        app::set_preferences,
        app::mark_painted,
        tasks::list_tasks,
        tasks::task_detail,
        tasks::create_task,
        tasks::update_task,
        tasks::set_task_status,
        tasks::delete_task,
        tasks::add_comment,
        customers::list_customers,
        customers::customer_page,
        customers::create_customer,
        customers::update_customer,
        customers::set_customer_status,
        customers::delete_customer,
        customers::create_project,
        search::search,
        links::open_external,
        settings::create_customer_status,
        settings::update_customer_status,
        settings::create_keyword,
        settings::rename_keyword,
        settings::set_task_status_label,
        settings::create_colleague,
        settings::update_colleague,
        settings::trash,
        settings::restore,
        server::sync_view,
        server::log_in,
        server::log_out,
        server::sync_now,
        server::rejected_ops,
        server::export_rejected_ops,
        server::rejected_about,
        server::dismiss_rejected,
        server::task_conflicts,
        server::server_users,
        server::add_server_user,
        server::set_server_user_active,
        server::customer_shares,
        server::share_customers,
        reminders::notify_settings,
        reminders::set_notify_settings,
        reminders::pause_notifications,
        reminders::work_calendar,
        reminders::set_calendar_overrides,
        reminders::next_working_day,
        reminders::set_availability,
        reminders::absence_warning,
        reminders::hand_over,
        reminders::reschedule_task,
        reminders::tray_model,
        crate::desktop::desktop_options,
        crate::desktop::set_desktop_options,
    ]
}
