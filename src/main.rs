//! The `listbridge` command: serve the API, migrate the database, manage accounts, and
//! (with the default `demo` feature) run the demo.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use listbridge::{
    accounts::AccountAdmin,
    app::{self, Services},
    clock::{OsRandom, SystemClock},
    config::{CONFIG_FILE_ENV, Config},
    domain::redact::redact_url,
    people::People,
    store::{Role, Store},
    telemetry,
};
use secrecy::{ExposeSecret, SecretString};

/// Keeps marketing lists and CRMs in step.
#[derive(Debug, Parser)]
#[command(name = "listbridge", version, about)]
struct Cli {
    /// A TOML (or `.json`) settings file; environment variables override it.
    #[arg(long, global = true, env = CONFIG_FILE_ENV, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (migrates the database first).
    Serve,
    /// Start a fake Infor CRM and the service with demo data; print how to try it.
    #[cfg(feature = "demo")]
    Demo(listbridge::demo::DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage API keys.
    Apikey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage people who sign in to the web console.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a console user. A generated password is printed alone on the last line,
    /// unless `--password-stdin` reads one (at least 12 characters) from standard input.
    Create {
        /// The account's name.
        #[arg(long)]
        account: String,
        /// The email the person signs in with.
        #[arg(long)]
        email: String,
        /// `admin` (everything) or `marketer` (everything but connectors, people and
        /// API keys).
        #[arg(long, default_value = "marketer")]
        role: Role,
        /// Read the password from the first line of standard input instead of
        /// generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account; its API key is printed once, alone on the last line.
    Create {
        /// Unique account name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create another API key for an account; printed once, alone on the last line.
    Create {
        /// The account's name.
        #[arg(long)]
        account: String,
        /// What the key is for.
        #[arg(long, default_value = "created from the command line")]
        label: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    #[cfg(feature = "demo")]
    let config = quiet_logs_for_demo(&cli.command, config);
    telemetry::init(&config)?;
    match cli.command {
        Command::Serve => serve(config).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => {
            listbridge::demo::run(args, config, shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(&config.database_url).await?;
            store.migrate().await?;
            println!(
                "database {} is up to date",
                redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::Account {
            command: AccountCommand::Create { name },
        } => {
            let store = open_store(&config).await?;
            let (account, key) = account_admin(&store).create_account(&name).await?;
            println!("created account '{}' ({})", account.name, account.id);
            println!("API key (shown once, store it now):");
            println!("{}", key.expose());
            Ok(())
        }
        Command::Apikey {
            command: ApiKeyCommand::Create { account, label },
        } => {
            let store = open_store(&config).await?;
            let key = account_admin(&store)
                .create_api_key(&account, &label)
                .await?;
            println!("API key for account '{account}' (shown once, store it now):");
            println!("{}", key.expose());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    account,
                    email,
                    role,
                    password_stdin,
                },
        } => create_user(&config, &account, &email, role, password_stdin).await,
    }
}

/// Logs only warnings during `listbridge demo` unless the log level is set: the demo's
/// own output is the point.
#[cfg(feature = "demo")]
fn quiet_logs_for_demo(command: &Command, mut config: Config) -> Config {
    let log_level_set = std::env::var_os(listbridge::config::LOG_ENV).is_some();
    if matches!(command, Command::Demo(_)) && !log_level_set {
        config.log = "warn".to_string();
    }
    config
}

/// `listbridge user create`.
async fn create_user(
    config: &Config,
    account: &str,
    email: &str,
    role: Role,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Some(SecretString::from(
            line.trim_end_matches(['\r', '\n']).to_string(),
        ))
    } else {
        None
    };
    let store = open_store(config).await?;
    let people = People {
        store: &store,
        clock: &SystemClock,
        random: &OsRandom,
    };
    let created = people.create_user(account, email, role, password).await?;
    println!(
        "created {} user {} in account '{}' ({})",
        created.user.role, created.user.email, account, created.user.id
    );
    if let Some(password) = created.generated_password {
        println!("password (shown once, store it now):");
        println!("{}", password.expose_secret());
    }
    Ok(())
}

/// Accounts and API keys on `store`, with the real clock and randomness.
fn account_admin(store: &Store) -> AccountAdmin<'_> {
    AccountAdmin {
        store,
        clock: &SystemClock,
        random: &OsRandom,
    }
}

/// Opens and migrates the database, so CLI commands work on a fresh one.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let mut services = Services::default();
    services.workers.workers = config.workers;
    services.workers.max_running_per_account = config.work.max_running_jobs_per_account;
    services.workers.lease = chrono::Duration::seconds(i64::from(config.job_lease_seconds));
    services.registry = std::sync::Arc::new(app::connector_registry(&config.salesforce));
    let state = app::build_state(&config, services).await?;
    let listener = app::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        database = %redact_url(&config.database_url),
        "listbridge is listening"
    );
    app::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("listbridge stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
