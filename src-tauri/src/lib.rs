//! The Duly desktop shell: Tauri builder, plugins, state and the command table. Everything a
//! command does is in duly-core; this crate only connects the window to it.

mod background;
mod bindings;
mod commands;
mod desktop;
mod error;
mod events;
mod navigation;
mod notifier;
mod state;
mod sync_service;
mod tray;
mod vault;

use tauri::Manager;

pub use bindings::export as export_bindings;
pub use error::IpcError;

pub fn run() {
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second launch focuses the first window instead of opening another store.
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(desktop::plugin())
        .plugin(navigation::guard())
        .plugin(commands::links::opener())
        .on_window_event(desktop::on_window_event)
        .setup(|app| {
            // Nothing here may wait: until the hook returns, the window cannot load its page.
            let handle = app.handle().clone();
            app.manage(state::AppState::new(&handle)?);
            desktop::hide_if_launched_minimized(&handle);
            background::open_store(&handle);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("Duly could not start: {error}");
        std::process::exit(1);
    }
}
