//! Starts tauri-driver for one app binary with a throw-away HOME and data folder, and hands
//! out a WebDriver session on it. Dropping the harness stops tauri-driver with SIGTERM: a
//! SIGKILL would leave WebKitWebDriver holding its port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Harness {
    driver: Child,
    pub client: Client,
    /// Kept for its lifetime: the app's HOME and data are removed when the harness goes.
    _home: tempfile::TempDir,
    pub shots: PathBuf,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

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
        let mut last_error = String::new();
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => {
                    let shots = workspace_root().join("target/e2e-screenshots");
                    std::fs::create_dir_all(&shots).expect("screenshot folder");
                    return Harness { driver, client, _home: home, shots };
                }
                Err(error) => last_error = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no WebDriver session: {last_error}");
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
                let body = self.client.find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default();
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
        for _ in 0..100 {
            let body = self.client.find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default();
            if body.contains(text) == present {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let body = self.client.find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default();
        panic!("text {text:?} present={present} never held; page: {body}");
    }

    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        // SIGTERM lets tauri-driver stop WebKitWebDriver and the app.
        let _ = Command::new("kill").arg("-TERM").arg(self.driver.id().to_string()).status();
        for _ in 0..50 {
            if self.driver.try_wait().ok().flatten().is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.driver.kill();
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
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}
