//! `duly-server serve | user … | grant | revoke`.

use std::io::Read;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use duly_protocol::{NewUser, Role};
use duly_server::{Config, routes};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "duly-server", version, about = "Duly's sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the API until interrupted.
    Serve(Config),
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[arg(long, env = "DULY_DATABASE", default_value = "sqlite://duly-server.db", global = true)]
        database: String,
    },
    /// Shares customers with a user (C6: many at once).
    Grant(Sharing),
    /// Takes customers back from a user.
    Revoke(Sharing),
}

#[derive(Debug, clap::Args)]
struct Sharing {
    /// The user's login name.
    #[arg(long)]
    user: String,
    /// Customer ids.
    #[arg(required = true)]
    customers: Vec<Uuid>,
    #[arg(long, env = "DULY_DATABASE", default_value = "sqlite://duly-server.db")]
    database: String,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Adds a user; the password is read from DULY_PASSWORD or standard input.
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
    Disable {
        login: String,
    },
    Enable {
        login: String,
    },
    /// Sets a new password (from DULY_PASSWORD or standard input); sessions end.
    ResetPassword {
        login: String,
    },
    List,
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("DULY_PASSWORD") {
        return Ok(password);
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

async fn open(database: &str) -> anyhow::Result<duly_server::AppState> {
    duly_server::state(Config::local(database.to_owned(), "duly-blobs".into())).await
}

async fn user_id(state: &duly_server::AppState, login: &str) -> anyhow::Result<Uuid> {
    let user = state.storage.user_by_login(&login.to_lowercase()).await?;
    Ok(user.with_context(|| format!("no user {login}"))?.id)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => {
            let server = duly_server::start(config).await?;
            tracing::info!("duly-server listening on {}", server.addr);
            tokio::signal::ctrl_c().await?;
            server.shutdown().await;
        }
        Command::User { command, database } => {
            let state = open(&database).await?;
            match command {
                UserCommand::Add { login, name, role } => {
                    let role = Role::parse(&role)
                        .with_context(|| format!("role is admin, manager, member or guest, not {role}"))?;
                    let new = NewUser { login, name, password: read_password()?, role };
                    let user = routes::create_user(&state, new)
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    println!("{}\t{}", user.id, user.login);
                }
                UserCommand::Disable { login } => {
                    state.storage.set_active(user_id(&state, &login).await?, false).await?;
                }
                UserCommand::Enable { login } => {
                    state.storage.set_active(user_id(&state, &login).await?, true).await?;
                }
                UserCommand::ResetPassword { login } => {
                    let password = read_password()?;
                    duly_server::auth::check_password_rules(&password, &[&login])
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    let hash = duly_server::auth::hash_password(password).await?;
                    state.storage.set_password(user_id(&state, &login).await?, &hash).await?;
                }
                UserCommand::List => {
                    for user in state.storage.users().await? {
                        let active = if user.active { "active" } else { "disabled" };
                        println!(
                            "{}\t{}\t{}\t{}\t{active}",
                            user.id,
                            user.login,
                            user.name,
                            user.role.as_str()
                        );
                    }
                }
            }
        }
        Command::Grant(sharing) | Command::Revoke(sharing) if sharing.customers.is_empty() => {
            bail!("name at least one customer")
        }
        Command::Grant(sharing) => {
            let state = open(&sharing.database).await?;
            for customer in &sharing.customers {
                if state.storage.entity_scope(*customer).await?
                    != Some(duly_protocol::Scope::Customer(*customer))
                {
                    bail!("no customer {customer} on this server");
                }
            }
            state.storage.grant(user_id(&state, &sharing.user).await?, &sharing.customers).await?;
        }
        Command::Revoke(sharing) => {
            let state = open(&sharing.database).await?;
            state.storage.revoke(user_id(&state, &sharing.user).await?, &sharing.customers).await?;
        }
    }
    Ok(())
}
