//! The window shows Duly's own pages and nothing else (M7): a link in a comment, which a guest
//! may have written, never replaces the app with someone else's page, where a fake login
//! would have no address bar to give it away.

use tauri::Url;
use tauri::plugin::TauriPlugin;

pub fn guard() -> TauriPlugin<tauri::Wry> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            let allowed = is_app_page(url);
            if !allowed {
                tracing::warn!(%url, "navigation away from the app refused");
            }
            allowed
        })
        .build()
}

/// The app's own origin on each platform (`tauri://localhost`, `http://tauri.localhost` on
/// Windows), and Vite's dev server when built without the embedded UI.
fn is_app_page(url: &Url) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("http" | "https", Some("tauri.localhost")) => true,
        ("http", Some("localhost")) => !cfg!(feature = "custom-protocol"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_load() {
        let page = |text: &str| Url::parse(text).expect("url");
        assert!(is_app_page(&page("tauri://localhost/index.html")));
        assert!(is_app_page(&page("http://tauri.localhost/")));
        assert!(!is_app_page(&page("https://evil.example/duly-login")));
        assert!(!is_app_page(&page("http://tauri.localhost.evil.example/")));
        assert!(!is_app_page(&page("file:///etc/passwd")));
        assert!(!is_app_page(&page("javascript:alert(1)")));
    }
}
