//! Starts tauri-driver for one app binary with a throw-away HOME and data folder, and hands
//! out a WebDriver session on it. Dropping the harness stops tauri-driver with SIGTERM: a
//! SIGKILL would leave WebKitWebDriver holding its port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Harness {
    driver: Child,
    pub client: Client,
    /// Kept for its lifetime: the app's HOME and data are removed when the harness goes.
    _home: tempfile::TempDir,
    pub shots: PathBuf,
}

/// The app binary this test build made (Cargo builds a package's binaries for its tests).
pub fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_duly"))
}

/// Screenshots go beside the build, in whatever target folder Cargo uses.
fn screenshot_dir() -> PathBuf {
    let app = app_binary();
    let target = app.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
    target.join("e2e-screenshots")
}

/// Polls `check` until it gives a value or the deadline passes: the window answers when it is
/// ready, never after a fixed pause.
pub async fn within<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

const POLL: Duration = Duration::from_millis(50);

impl Harness {
    pub async fn start(app: &Path) -> Harness {
        let home = tempfile::tempdir().expect("temp home");
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("HOME", home.path())
            .env("DULY_DATA_DIR", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("share"))
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver starts (cargo install tauri-driver --version ^2 --locked)");
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app },
        });
        let capabilities = capabilities.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        // tauri-driver answers once it listens: connect until then, within a deadline.
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(error) if Instant::now() >= deadline => panic!("no WebDriver session: {error}"),
                Err(_) => tokio::time::sleep(POLL).await,
            }
        };
        let shots = screenshot_dir();
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        Harness { driver, client, _home: home, shots }
    }

    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn by_test_id(&self, id: &str) -> fantoccini::elements::Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&format!("[data-testid='{id}']")))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => {
                self.shot(&format!("failed-{id}")).await;
                let body = self
                    .client
                    .find(Locator::Css("body"))
                    .await
                    .expect("body")
                    .text()
                    .await
                    .unwrap_or_default();
                panic!("element {id}: {error}; page: {body}");
            }
        }
    }

    pub async fn click(&self, id: &str) {
        self.by_test_id(id).await.click().await.unwrap_or_else(|e| panic!("click {id}: {e}"));
    }

    pub async fn type_into(&self, id: &str, text: &str) {
        let element = self.by_test_id(id).await;
        element.clear().await.expect("clear");
        element.send_keys(text).await.unwrap_or_else(|e| panic!("type into {id}: {e}"));
    }

    /// Picks the option whose text contains `text` in the select with this test id.
    pub async fn choose(&self, id: &str, text: &str) {
        let select = self.by_test_id(id).await;
        let options = select.find_all(Locator::Css("option")).await.expect("options");
        for option in options {
            if option.text().await.unwrap_or_default().contains(text) {
                option.click().await.expect("choose option");
                return;
            }
        }
        panic!("no option {text:?} in {id}");
    }

    /// Waits until the page's text contains (or stops containing) a string.
    pub async fn wait_text(&self, text: &str, present: bool) {
        let held = within(Duration::from_secs(10), || async {
            let body = self.client.find(Locator::Css("body")).await.ok()?.text().await.unwrap_or_default();
            (body.contains(text) == present).then_some(())
        })
        .await;
        if held.is_some() {
            return;
        }
        let body =
            self.client.find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default();
        panic!("text {text:?} present={present} never held; page: {body}");
    }

    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        // SIGTERM lets tauri-driver stop WebKitWebDriver and the app.
        let _ = Command::new("kill").arg("-TERM").arg(self.driver.id().to_string()).status();
        let driver = &mut self.driver;
        let ended =
            within(Duration::from_secs(5), || std::future::ready(driver.try_wait().ok().flatten())).await;
        if ended.is_none() {
            let _ = self.driver.kill();
        }
    }
}

fn tauri_driver() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let installed = cargo_home.join("bin/tauri-driver");
    if installed.exists() { installed } else { PathBuf::from("tauri-driver") }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
