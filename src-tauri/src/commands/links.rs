//! Links from comments (M7): the window asks first, showing the full address, then the system
//! browser opens it. The webview has no opener permission; this command is the only way out,
//! and it takes web and mail addresses only.

use duly_core::ErrorCode;
use tauri::Url;
use tauri_plugin_opener::OpenerExt;

use crate::error::{IpcError, IpcResult};

/// The opener's Rust side only: no script that opens links on a click without asking.
pub fn opener() -> impl tauri::plugin::Plugin<tauri::Wry> {
    tauri_plugin_opener::Builder::new().open_js_links_on_click(false).build()
}

/// A web or mail address; anything else (`javascript:`, `file:`, `tauri:`, `data:`, …) is refused.
fn external_url(text: &str) -> IpcResult<Url> {
    let refused = |message: &str| IpcError {
        code: ErrorCode::InvalidInput,
        message: message.to_owned(),
        field: Some("url".to_owned()),
    };
    let url = Url::parse(text).map_err(|_| refused("not an address"))?;
    match url.scheme() {
        "https" | "http" if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(url),
        "mailto" if !url.path().is_empty() => Ok(url),
        _ => Err(refused("only web and mail addresses open outside the app")),
    }
}

/// Opens a link from a comment in the system browser (or mail program), after the window asked.
#[tauri::command(rename_all = "snake_case")]
pub fn open_external(app: tauri::AppHandle, url: String) -> IpcResult<()> {
    let url = external_url(&url)?;
    app.opener().open_url(url.as_str(), None::<&str>).map_err(|error| {
        tracing::warn!(%error, "opening a link");
        IpcError { code: ErrorCode::Internal, message: "the link could not be opened".into(), field: None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_addresses_open() {
        for good in ["https://evil.example/duly-login", "http://example.hu/a?b=c#d", "mailto:anna@example.hu"]
        {
            assert_eq!(external_url(good).map(|u| u.to_string()).ok().as_deref(), Some(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "file:///etc/passwd",
            "tauri://localhost/index.html",
            "data:text/html,<script>alert(1)</script>",
            "ftp://example.hu/",
            "mailto:",
            "//evil.example/",
            "evil.example",
            "",
        ] {
            let error = external_url(bad).expect_err(bad);
            assert_eq!(error.code, ErrorCode::InvalidInput, "{bad}");
            assert_eq!(error.field.as_deref(), Some("url"));
        }
    }
}
