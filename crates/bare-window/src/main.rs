//! A bare Tauri window for the desktop benchmark's floor: no store, no framework.

/// Writes the page's paint time (epoch milliseconds) where the benchmark waits for it.
#[tauri::command]
fn painted(at: f64) {
    if let Some(path) = std::env::var_os("DULY_PAINT_FILE") {
        let _ = std::fs::write(path, format!("{at}"));
    }
}

fn main() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![painted])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("bare window failed: {error}");
        std::process::exit(1);
    }
}
