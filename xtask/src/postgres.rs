//! A local PostgreSQL for the server's test suite: Debian's package, its default cluster
//! started with pg_ctlcluster, and a `duly` role that may create the tests' databases.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup;

const ROLE: &str = "duly";
const PASSWORD: &str = "duly-tests";

/// Installs and starts PostgreSQL if needed; returns the URL the tests create databases from.
pub fn ensure() -> Result<String> {
    if let Ok(url) = std::env::var("DULY_TEST_POSTGRES") {
        return Ok(url);
    }
    setup::debian_packages(&["postgresql", "postgresql-client"])?;
    let clusters =
        String::from_utf8(Command::new("pg_lsclusters").arg("-h").output().context("pg_lsclusters")?.stdout)?;
    let (version, name, port) = match clusters.lines().find_map(parse_cluster) {
        Some(found) => found,
        None => {
            let version = installed_version()?;
            run_as_root(&["pg_createcluster", &version, "main"])?;
            let clusters = String::from_utf8(Command::new("pg_lsclusters").arg("-h").output()?.stdout)?;
            clusters.lines().find_map(parse_cluster).context("no PostgreSQL cluster after creating one")?
        }
    };
    // Starting a running cluster fails harmlessly; what matters is that it answers afterwards.
    let _ = run_as_root(&["pg_ctlcluster", &version, &name, "start"]);
    psql(
        &port,
        &format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN \
         CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'; \
         ELSE ALTER ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'; END IF; END $$;"
        ),
    )?;
    // Databases left by earlier runs.
    psql(
        &port,
        "SELECT format('DROP DATABASE %I', datname) FROM pg_database WHERE datname LIKE 'duly\\_test\\_%' \\gexec",
    )?;
    Ok(format!("postgres://{ROLE}:{PASSWORD}@127.0.0.1:{port}/postgres"))
}

fn parse_cluster(line: &str) -> Option<(String, String, String)> {
    let mut fields = line.split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned(), fields.next()?.to_owned()))
}

fn installed_version() -> Result<String> {
    let entries = std::fs::read_dir("/usr/lib/postgresql").context("PostgreSQL is not installed")?;
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
        .context("no PostgreSQL version under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false)
}

fn run_as_root(args: &[&str]) -> Result<()> {
    let mut command = if is_root() {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        c
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").args(args);
        c
    };
    // Their chatter ("Cluster is already running.") is not ours to print on stdout.
    let status = command.stdout(std::process::Stdio::null()).status()?;
    if !status.success() {
        bail!("{} failed", args.join(" "));
    }
    Ok(())
}

fn psql(port: &str, sql: &str) -> Result<()> {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]);
        c
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", "-u", "postgres"]);
        c
    };
    let status = command
        .args(["psql", "-q", "-p", port, "-d", "postgres", "-v", "ON_ERROR_STOP=1"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().context("stdin").map_err(std::io::Error::other)?.write_all(sql.as_bytes())?;
            child.wait()
        })
        .context("psql")?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}
