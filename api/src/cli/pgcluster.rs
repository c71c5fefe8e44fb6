// Over 800 lines: one cluster's lifecycle (init, start, adopt, stop), its host checks and tests.
//! A private PostgreSQL cluster owned by the `billing` binary.
//!
//! `billing` normally connects to the database named by `DATABASE_URL`. Without one it should still
//! work on any machine where the PostgreSQL server is installed (Debian's packages put it under
//! `/usr/lib/postgresql/<major>/bin`), so [`PrivateCluster::start`] initialises (on first use) and
//! starts a cluster that lives in the project's data folder, and hands back a URL for it:
//!
//! ```text
//! <root>/pg/            data directory (0700), with `billing.port` remembering the port
//! <root>/pg.log         server log
//! <root>/run/           the server's unix socket (clients here use TCP)
//! <root>/pg.lock        locked while one process initialises, starts or stops the cluster
//! <root>/pg.users       share-locked by every process using the cluster, for its whole life
//! ```
//!
//! The cluster listens on 127.0.0.1 only, at a port that is free when it starts and then kept, and
//! trusts every local connection as user `postgres`: it is meant for development and demos on one
//! machine, not for shared hosts. A system cluster (such as Debian's on port 5432) is never touched.
//!
//! The last process using the cluster stops it. Every process that uses it holds a shared lock on
//! `<root>/pg.users` for as long as it does; the kernel lets go of it when the process ends,
//! however it ends (SIGKILL included). So a cluster found running when nobody holds that lock was
//! left behind by a `billing` that was killed: the new process takes it over and stops it when it
//! stops. One found running while another `billing` holds the lock is shared, and
//! [`PrivateCluster::stop`] stops it only when no other process holds the lock any more. Both
//! decisions are taken under `<root>/pg.lock`, so a process starting never sees a cluster that
//! another one is about to stop.
//!
//! `initdb`, `pg_ctl` and `postgres` refuse to run as root, so when this process is root they run as
//! the `postgres` system user through `runuser`, and the folders they need are handed to that user.
//! The file-system work here is a handful of small calls at startup, done with `std::fs`.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::Command;
use tokio::time::Instant;

/// Where Debian installs one folder per PostgreSQL major version.
const INSTALL_ROOT: &str = "/usr/lib/postgresql";
/// The programs the cluster needs from `<INSTALL_ROOT>/<major>/bin`.
const REQUIRED_PROGRAMS: [&str; 5] = ["initdb", "pg_ctl", "postgres", "createdb", "pg_isready"];
/// The system user that runs the server when this process is root, and the cluster's superuser.
const SERVER_USER: &str = "postgres";
/// The only address the server listens on.
const LISTEN_ADDRESS: &str = "127.0.0.1";
/// The file in the data directory that remembers the port between starts.
const PORT_FILE: &str = "billing.port";
/// The file in the root folder locked while one process starts or stops the cluster.
const LOCK_FILE: &str = "pg.lock";
/// The file in the root folder every process using the cluster holds a shared lock on.
const USERS_FILE: &str = "pg.users";
/// How long to wait for another process that is initialising or starting the cluster.
const LOCK_WAIT: Duration = Duration::from_secs(300);
/// How long `pg_ctl` may wait for the server to start or stop, and how long an already running
/// cluster may take to accept connections.
const SERVER_WAIT_SECS: u64 = 60;
/// Upper bound for any one command, so that a stuck tool cannot hang startup forever.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);
/// How many ports to try when the chosen one is taken between choosing and starting.
const START_ATTEMPTS: u32 = 3;
/// Longest unix socket path (`sun_path` is 108 bytes with its terminating NUL).
const MAX_SOCKET_PATH: usize = 107;
/// How many lines of the server log to quote when the server fails to start.
const LOG_TAIL_LINES: usize = 20;

/// Why the private cluster could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `/usr/lib/postgresql/<major>/bin` holds the server programs.
    #[error(
        "no postgresql server binaries (initdb, pg_ctl, postgres, createdb, pg_isready) \
         found under {INSTALL_ROOT}/<major>/bin; install the postgresql package or set DATABASE_URL"
    )]
    NoServerBinaries,
    /// The existing cluster was made by a major version whose binaries are gone.
    #[error(
        "the cluster at {data_dir} was initialised by postgresql {version}, \
         which is not installed under {INSTALL_ROOT}"
    )]
    VersionNotInstalled { data_dir: PathBuf, version: String },
    /// The folder's name cannot be passed through `pg_ctl`'s shell command line.
    #[error(
        "cannot run a cluster under {0}: the path must be utf-8 without quotes, \
         backslashes, dollars, backticks or newlines"
    )]
    UnsupportedPath(PathBuf),
    /// When running as root: user `postgres` cannot reach the cluster's folders.
    #[error("user postgres cannot reach {0}; make the folders above it traversable (chmod o+x)")]
    NotTraversable(PathBuf),
    /// A file-system operation on a known path failed.
    #[error("cannot {action} {path}: {source}")]
    Path {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Any other input/output error.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// A command could not be started at all.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },
    /// A command ran and failed.
    #[error("command `{command}` failed ({status}): {output}")]
    CommandFailed {
        command: String,
        status: String,
        output: String,
    },
    /// A command did not finish in time (and was killed).
    #[error("command `{command}` did not finish within {seconds}s")]
    CommandTimedOut { command: String, seconds: u64 },
    /// Another process kept the start lock too long.
    #[error("another process has held {path} for {seconds}s while starting the cluster")]
    LockTimeout { path: PathBuf, seconds: u64 },
    /// A running cluster never started accepting connections.
    #[error(
        "the running cluster at {data_dir} did not accept connections on port {port} within {seconds}s"
    )]
    NotReady {
        data_dir: PathBuf,
        port: u16,
        seconds: u64,
    },
}

/// A PostgreSQL cluster under the project's data folder, started (or found running) by
/// [`PrivateCluster::start`].
///
/// Dropping it leaves the server running (and lets a later process take it over); call
/// [`PrivateCluster::stop`] to stop it when no other process uses it.
#[derive(Debug)]
pub struct PrivateCluster {
    /// The project's data folder, absolute: where the lock files are.
    root: PathBuf,
    /// This process's shared lock on `<root>/pg.users`, held while it uses the cluster.
    users: UsersLock,
    /// `<root>/pg`, absolute.
    data_dir: PathBuf,
    /// `<root>/pg.log`, absolute.
    log_file: PathBuf,
    /// `<root>/run`, absolute.
    socket_dir: PathBuf,
    /// The port the server listens on at 127.0.0.1.
    port: u16,
    /// `/usr/lib/postgresql/<major>/bin`.
    bin_dir: PathBuf,
    /// Whether the server programs run as user `postgres` (this process is root).
    as_postgres: bool,
    /// Whether this process started the server (so a failed start stops it again).
    started_here: bool,
    /// The database the URL names.
    database: String,
}

impl PrivateCluster {
    /// Starts (initialising on first use) the cluster at `<root>/pg`, logging to `<root>/pg.log`,
    /// listening only on 127.0.0.1 at a free port (remembered in `<root>/pg/billing.port` and
    /// reused on the next start if still free), with its unix socket in `<root>/run` (mode so that
    /// user postgres can write), and makes sure the database `database` exists (createdb, ignoring
    /// "already exists"). If the cluster is already running (postmaster.pid present, pg_isready
    /// answers on the remembered port) it is reused, not started twice; `stop` stops it once no
    /// other process uses it, whoever started it (module documentation). Picks the newest major version in /usr/lib/postgresql.
    ///
    /// `root` is created if missing. An existing cluster is run by the major version that made it
    /// (its `PG_VERSION`). Concurrent calls for the same `root`, in this process or others, take
    /// turns on `<root>/pg.lock`: one starts the cluster and the others reuse it.
    pub async fn start(root: &Path, database: &str) -> Result<PrivateCluster, ClusterError> {
        let as_postgres = running_as_root().await?;
        let root = prepare_root(root, as_postgres)?;
        // One process at a time looks at, initialises and starts the cluster; the others wait
        // and then find it running.
        let lock = StartLock::acquire(&root.join(LOCK_FILE)).await?;
        // Nobody else holding the users' lock means a running cluster has no other user.
        let users = UsersLock::open(&root.join(USERS_FILE))?;
        let alone = users.alone()?;
        users.share()?;
        let data_dir = root.join("pg");
        let bin_dir = choose_bin_dir(&data_dir)?;
        let mut cluster = PrivateCluster {
            root: root.clone(),
            users,
            log_file: root.join("pg.log"),
            socket_dir: root.join("run"),
            data_dir,
            port: 0,
            bin_dir,
            as_postgres,
            started_here: false,
            database: database.to_owned(),
        };

        if let Some(port) = cluster.running_port().await? {
            drop(lock);
            cluster.port = port;
            if alone {
                tracing::info!(
                    data_dir = %cluster.data_dir.display(),
                    port,
                    "taking over the private PostgreSQL cluster at {} on port {port}: the process \
                     that used it is gone; it stops when this one stops",
                    cluster.data_dir.display()
                );
            } else {
                tracing::info!(
                    data_dir = %cluster.data_dir.display(),
                    port,
                    "sharing the running private PostgreSQL cluster at {} on port {port} with \
                     another process; the last one to stop stops it",
                    cluster.data_dir.display()
                );
            }
            cluster.ensure_database().await?;
            return Ok(cluster);
        }

        cluster.prepare_folders(&root).await?;
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb().await?;
        }
        cluster.start_server().await?;
        drop(lock);
        if let Err(error) = cluster.ensure_database().await {
            if cluster.started_here
                && let Err(stop_error) = cluster.pg_ctl_stop().await
            {
                tracing::warn!(error = %stop_error, "could not stop the private PostgreSQL cluster");
            }
            return Err(error);
        }
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>` (the name percent-encoded).
    pub fn database_url(&self) -> String {
        format!(
            "postgres://{SERVER_USER}@{LISTEN_ADDRESS}:{}/{}",
            self.port,
            percent_encode(&self.database)
        )
    }

    /// The port the server listens on at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory, `<root>/pg` (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the cluster with `pg_ctl stop -m fast` unless another process still uses it.
    pub async fn stop(self) -> Result<(), ClusterError> {
        let _lock = StartLock::acquire(&self.root.join(LOCK_FILE)).await?;
        if !self.users.alone()? {
            tracing::info!(
                data_dir = %self.data_dir.display(),
                port = self.port,
                "leaving the private PostgreSQL cluster at {} running: another process uses it",
                self.data_dir.display()
            );
            return Ok(());
        }
        self.pg_ctl_stop().await
    }

    async fn pg_ctl_stop(&self) -> Result<(), ClusterError> {
        if !self.data_dir.join("postmaster.pid").exists() {
            tracing::info!(
                data_dir = %self.data_dir.display(),
                "private PostgreSQL cluster at {} was already stopped",
                self.data_dir.display()
            );
            return Ok(());
        }
        let wait = SERVER_WAIT_SECS.to_string();
        self.server("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", &wait, "stop"])
            .run()
            .await?
            .check()?;
        tracing::info!(
            data_dir = %self.data_dir.display(),
            port = self.port,
            "stopped private PostgreSQL cluster at {} on port {}",
            self.data_dir.display(),
            self.port
        );
        Ok(())
    }

    /// The port of a server running on this data directory, waiting while it starts up; `None`
    /// when none is (no `postmaster.pid`, or a stale one).
    async fn running_port(&self) -> Result<Option<u16>, ClusterError> {
        let deadline = Instant::now() + Duration::from_secs(SERVER_WAIT_SECS);
        loop {
            let pid_path = self.data_dir.join("postmaster.pid");
            let text = match std::fs::read_to_string(&pid_path) {
                Ok(text) => text,
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(source) => return Err(path_error("read", &pid_path, source)),
            };
            // A file being written or removed just now reads as garbage: look again shortly.
            if let Some(pid_file) = parse_postmaster_pid(&text) {
                let process = server_process(pid_file.pid, &self.data_dir);
                if process == ServerProcess::Gone {
                    return Ok(None);
                }
                let port = match pid_file.port {
                    Some(port) => Some(port),
                    None => self.remembered_port()?,
                };
                if process == ServerProcess::Running
                    && let Some(port) = port
                {
                    if self.is_ready(port).await? {
                        return Ok(Some(port));
                    }
                    if Instant::now() >= deadline {
                        return Err(ClusterError::NotReady {
                            data_dir: self.data_dir.clone(),
                            port,
                            seconds: SERVER_WAIT_SECS,
                        });
                    }
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Whether `pg_isready` gets an answer on `port`.
    async fn is_ready(&self, port: u16) -> Result<bool, ClusterError> {
        let ran = self
            .client("pg_isready")
            .args([
                "-q",
                "-h",
                LISTEN_ADDRESS,
                "-U",
                SERVER_USER,
                "-d",
                "postgres",
            ])
            .args(["-t", "3", "-p"])
            .arg(port.to_string())
            .run()
            .await?;
        Ok(ran.status.success())
    }

    /// Creates the data, socket and log locations, handing them to `postgres` when root.
    async fn prepare_folders(&self, root: &Path) -> Result<(), ClusterError> {
        create_private_dir(&self.data_dir)?;
        create_private_dir(&self.socket_dir)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.log_file)
            .map_err(|source| path_error("create", &self.log_file, source))?;
        if self.as_postgres {
            let owner = format!("{SERVER_USER}:{SERVER_USER}");
            Cmd::new("chown")
                .args(["-R", &owner])
                .arg(&self.data_dir)
                .arg(&self.socket_dir)
                .arg(&self.log_file)
                .run()
                .await?
                .check()?;
            let reachable = self
                .server_cmd("test")
                .arg("-w")
                .arg(&self.data_dir)
                .run()
                .await?;
            if !reachable.status.success() {
                return Err(ClusterError::NotTraversable(root.to_path_buf()));
            }
        }
        Ok(())
    }

    /// Runs `initdb`, falling back to `--no-locale` when C.UTF-8 is not available.
    async fn initdb(&self) -> Result<(), ClusterError> {
        let initdb = |locale: &str| {
            self.server("initdb").arg("-D").arg(&self.data_dir).args([
                "-A",
                "trust",
                "-U",
                SERVER_USER,
                "-E",
                "UTF8",
                locale,
            ])
        };
        if let Err(error) = initdb("--locale=C.UTF-8").run().await?.check() {
            tracing::warn!(%error, "initdb with --locale=C.UTF-8 failed; retrying with --no-locale");
            initdb("--no-locale").run().await?.check()?;
        }
        tracing::info!(
            data_dir = %self.data_dir.display(),
            bin_dir = %self.bin_dir.display(),
            "initialised private PostgreSQL cluster at {}",
            self.data_dir.display()
        );
        Ok(())
    }

    /// Starts the server with `pg_ctl`, on the remembered port when it is free.
    async fn start_server(&mut self) -> Result<(), ClusterError> {
        let mut port = self.choose_port()?;
        let mut attempt = 1;
        loop {
            self.remember_port(port).await?;
            let ran = self.pg_ctl_start(port).run().await?;
            if ran.status.success() {
                self.port = port;
                self.started_here = true;
                tracing::info!(
                    data_dir = %self.data_dir.display(),
                    port,
                    log = %self.log_file.display(),
                    "started private PostgreSQL cluster at {} on port {port}",
                    self.data_dir.display()
                );
                return Ok(());
            }
            // Another process may have started this cluster meanwhile: then use that server.
            if let Some(running) = self.running_port().await? {
                self.port = running;
                tracing::info!(
                    data_dir = %self.data_dir.display(),
                    port = running,
                    "reusing private PostgreSQL cluster at {} on port {running}, started concurrently",
                    self.data_dir.display()
                );
                return Ok(());
            }
            if attempt < START_ATTEMPTS && !port_is_free(port) {
                tracing::warn!(
                    port,
                    "port {port} was taken while the server started; trying another"
                );
                port = free_port()?;
                attempt += 1;
                continue;
            }
            return Err(self.with_log_tail(ran.into_error()));
        }
    }

    /// `pg_ctl -D <dir> -l <log> -w -t 60 -o "-p <port> -k <socketdir> -c listen_addresses=127.0.0.1" start`
    fn pg_ctl_start(&self, port: u16) -> Cmd {
        // pg_ctl hands `-o` to /bin/sh; the socket folder is also a comma-separated list for the
        // server, so it is double-quoted for the server inside single quotes for the shell.
        let socket_dir = self.socket_dir.to_string_lossy();
        let socket_path_len = socket_dir.len() + "/.s.PGSQL.".len() + port.to_string().len();
        let socket_option = if socket_path_len > MAX_SOCKET_PATH {
            tracing::warn!(
                socket_dir = %socket_dir,
                "the unix socket path would be too long; the server listens on TCP only"
            );
            shell_quote("")
        } else {
            shell_quote(&format!("\"{socket_dir}\""))
        };
        let options = format!("-p {port} -k {socket_option} -c listen_addresses={LISTEN_ADDRESS}");
        let wait = SERVER_WAIT_SECS.to_string();
        self.server("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args(["-w", "-t", &wait, "-o", &options, "start"])
    }

    /// The remembered port when it is free, else a fresh free one.
    fn choose_port(&self) -> Result<u16, ClusterError> {
        if let Some(port) = self.remembered_port()? {
            if port_is_free(port) {
                return Ok(port);
            }
            tracing::info!(port, "remembered port {port} is in use; choosing another");
        }
        Ok(free_port()?)
    }

    /// The port in `<data_dir>/billing.port`, if there is a valid one.
    fn remembered_port(&self) -> Result<Option<u16>, ClusterError> {
        let path = self.data_dir.join(PORT_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match text.trim().parse::<u16>() {
                Ok(port) if port != 0 => Ok(Some(port)),
                _ => {
                    tracing::warn!(path = %path.display(), "ignoring an invalid port file");
                    Ok(None)
                }
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(path_error("read", &path, source)),
        }
    }

    /// Writes `port` to `<data_dir>/billing.port` (owned by `postgres` when root).
    async fn remember_port(&self, port: u16) -> Result<(), ClusterError> {
        if self.remembered_port()? == Some(port) {
            return Ok(());
        }
        let path = self.data_dir.join(PORT_FILE);
        std::fs::write(&path, format!("{port}\n"))
            .map_err(|source| path_error("write", &path, source))?;
        if self.as_postgres {
            Cmd::new("chown")
                .arg(format!("{SERVER_USER}:{SERVER_USER}"))
                .arg(&path)
                .run()
                .await?
                .check()?;
        }
        Ok(())
    }

    /// `createdb`, where "already exists" is fine.
    async fn ensure_database(&self) -> Result<(), ClusterError> {
        let ran = self
            .client("createdb")
            .args(["-w", "-h", LISTEN_ADDRESS, "-U", SERVER_USER, "-p"])
            .arg(self.port.to_string())
            .arg("--")
            .arg(&self.database)
            .run()
            .await?;
        if ran.status.success() {
            tracing::info!(database = %self.database, "created database {}", self.database);
            Ok(())
        } else if ran.output.contains("already exists") {
            tracing::debug!(database = %self.database, "database {} already exists", self.database);
            Ok(())
        } else {
            Err(ran.into_error())
        }
    }

    /// Adds the end of the server log to a failed command's output.
    fn with_log_tail(&self, error: ClusterError) -> ClusterError {
        match error {
            ClusterError::CommandFailed {
                command,
                status,
                mut output,
            } => {
                if let Ok(log) = std::fs::read_to_string(&self.log_file) {
                    let lines: Vec<&str> = log.lines().collect();
                    let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
                    let _ = write!(
                        output,
                        "\n--- end of {} ---\n{}",
                        self.log_file.display(),
                        tail.join("\n")
                    );
                }
                ClusterError::CommandFailed {
                    command,
                    status,
                    output,
                }
            }
            other => other,
        }
    }

    /// A server program (`initdb`, `pg_ctl`), run as `postgres` when this process is root.
    fn server(&self, program: &str) -> Cmd {
        self.server_cmd(self.bin_dir.join(program))
    }

    /// Any program, run as `postgres` when this process is root.
    fn server_cmd(&self, program: impl Into<PathBuf>) -> Cmd {
        let mut cmd = Cmd::new(program);
        cmd.as_postgres = self.as_postgres;
        cmd
    }

    /// A client program (`createdb`, `pg_isready`), run as this process's user.
    fn client(&self, program: &str) -> Cmd {
        Cmd::new(self.bin_dir.join(program))
    }
}

/// A command line, run as `postgres` through `runuser` when `as_postgres`.
struct Cmd {
    program: PathBuf,
    args: Vec<OsString>,
    as_postgres: bool,
}

/// What a finished command returned.
struct Ran {
    command: String,
    status: ExitStatus,
    /// Standard output then standard error, trimmed.
    output: String,
}

impl Cmd {
    fn new(program: impl Into<PathBuf>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            as_postgres: false,
        }
    }

    fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_os_string()));
        self
    }

    /// The command line as shown in errors.
    fn display(&self) -> String {
        let mut shown = String::new();
        if self.as_postgres {
            shown.push_str("runuser -u postgres -- ");
        }
        shown.push_str(&self.program.to_string_lossy());
        for arg in &self.args {
            shown.push(' ');
            shown.push_str(&arg.to_string_lossy());
        }
        shown
    }

    /// Runs the command to its end (killing it after [`COMMAND_TIMEOUT`]).
    async fn run(&self) -> Result<Ran, ClusterError> {
        let command = self.display();
        let mut process = if self.as_postgres {
            let mut process = Command::new(runuser_program());
            process.args(["-u", SERVER_USER, "--"]).arg(&self.program);
            process
        } else {
            Command::new(&self.program)
        };
        process
            .args(&self.args)
            // Every path given is absolute, and `/` is a folder that `postgres` can enter.
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // English messages, so that "already exists" can be recognised.
            .env_remove("LC_ALL")
            .env("LC_MESSAGES", "C");
        // PGHOST, PGPORT, PGSSLMODE and the like would steer the tools elsewhere.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                process.env_remove(&name);
            }
        }
        let output = match tokio::time::timeout(COMMAND_TIMEOUT, process.output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(source)) => return Err(ClusterError::Spawn { command, source }),
            Err(_elapsed) => {
                return Err(ClusterError::CommandTimedOut {
                    command,
                    seconds: COMMAND_TIMEOUT.as_secs(),
                });
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let output_text = [stdout.trim(), stderr.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        tracing::debug!(%command, status = %output.status, output = %output_text, "ran command");
        Ok(Ran {
            command,
            status: output.status,
            output: output_text,
        })
    }
}

impl Ran {
    /// The output when the command succeeded, else [`ClusterError::CommandFailed`].
    fn check(self) -> Result<String, ClusterError> {
        if self.status.success() {
            Ok(self.output)
        } else {
            Err(self.into_error())
        }
    }

    fn into_error(self) -> ClusterError {
        ClusterError::CommandFailed {
            command: self.command,
            status: self.status.to_string(),
            output: self.output,
        }
    }
}

/// `runuser` by its full path where it usually is, so that a bare `PATH` does not matter.
fn runuser_program() -> &'static str {
    ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .into_iter()
        .find(|path| Path::new(path).is_file())
        .unwrap_or("runuser")
}

/// Whether the effective user is root, from `/proc/self/status` or else `id -u`.
async fn running_as_root() -> Result<bool, ClusterError> {
    if let Some(uid) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .as_deref()
        .and_then(parse_effective_uid)
    {
        return Ok(uid == 0);
    }
    let uid = Cmd::new("id").arg("-u").run().await?.check()?;
    Ok(uid.trim() == "0")
}

/// The effective uid from the `Uid:` line of `/proc/<pid>/status` (real, effective, saved, fs).
fn parse_effective_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
}

/// Creates `root` and its missing parents and returns it absolute and canonical; when root, makes
/// the created folders and `root` itself 0755 so that `postgres` can pass through.
fn prepare_root(root: &Path, as_postgres: bool) -> Result<PathBuf, ClusterError> {
    let absolute =
        std::path::absolute(root).map_err(|source| path_error("resolve", root, source))?;
    check_usable_path(&absolute)?;
    let missing: Vec<PathBuf> = absolute
        .ancestors()
        .take_while(|dir| !dir.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(&absolute).map_err(|source| path_error("create", &absolute, source))?;
    let root = std::fs::canonicalize(&absolute)
        .map_err(|source| path_error("resolve", &absolute, source))?;
    check_usable_path(&root)?;
    if as_postgres {
        for dir in missing.iter().chain(std::iter::once(&root)) {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                .map_err(|source| path_error("set permissions on", dir, source))?;
        }
    }
    Ok(root)
}

/// An exclusive lock on a file, held by this process until dropped (and released by the kernel
/// if the process dies, so it never goes stale). The file itself stays.
struct StartLock {
    _file: std::fs::File,
}

impl StartLock {
    async fn acquire(path: &Path) -> Result<StartLock, ClusterError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| path_error("open", path, source))?;
        let deadline = Instant::now() + LOCK_WAIT;
        let mut waiting = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StartLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(path_error("lock", path, source));
                }
            }
            if !waiting {
                tracing::info!(lock = %path.display(), "waiting for another process starting the cluster");
                waiting = true;
            }
            if Instant::now() >= deadline {
                return Err(ClusterError::LockTimeout {
                    path: path.to_path_buf(),
                    seconds: LOCK_WAIT.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A lock on `<root>/pg.users`: shared while this process uses the cluster; exclusive, for a
/// moment, to learn whether any other process does. The kernel releases it when the process ends.
#[derive(Debug)]
struct UsersLock {
    file: std::fs::File,
    path: PathBuf,
}

impl UsersLock {
    fn open(path: &Path) -> Result<UsersLock, ClusterError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| path_error("open", path, source))?;
        Ok(UsersLock {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Whether no other process holds the lock. Takes it exclusively when so; otherwise this
    /// process holds it shared again (a failed conversion lets go of the shared lock first).
    /// Called under the start lock only, so no other process holds it exclusively meanwhile.
    fn alone(&self) -> Result<bool, ClusterError> {
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => {
                self.share()?;
                Ok(false)
            }
            Err(std::fs::TryLockError::Error(source)) => {
                Err(path_error("lock", &self.path, source))
            }
        }
    }

    /// Holds the lock shared (converting an exclusive one).
    fn share(&self) -> Result<(), ClusterError> {
        self.file
            .lock_shared()
            .map_err(|source| path_error("lock", &self.path, source))
    }
}

/// Rejects folders whose names `pg_ctl`'s shell command line would garble.
fn check_usable_path(root: &Path) -> Result<(), ClusterError> {
    match root.to_str() {
        Some(text) if !text.contains(['"', '\\', '$', '`', '\n', '\r']) => Ok(()),
        _ => Err(ClusterError::UnsupportedPath(root.to_path_buf())),
    }
}

/// `<INSTALL_ROOT>/<version>/bin` for an existing cluster, else the newest installed one.
fn choose_bin_dir(data_dir: &Path) -> Result<PathBuf, ClusterError> {
    let version_path = data_dir.join("PG_VERSION");
    match std::fs::read_to_string(&version_path) {
        Ok(version) => {
            let version = version.trim();
            let bin_dir = Path::new(INSTALL_ROOT).join(version).join("bin");
            if has_programs(&bin_dir) {
                Ok(bin_dir)
            } else {
                Err(ClusterError::VersionNotInstalled {
                    data_dir: data_dir.to_path_buf(),
                    version: version.to_owned(),
                })
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => newest_bin_dir(),
        Err(source) => Err(path_error("read", &version_path, source)),
    }
}

/// The `bin` folder of the newest major version under [`INSTALL_ROOT`] that has every program.
fn newest_bin_dir() -> Result<PathBuf, ClusterError> {
    let entries = match std::fs::read_dir(INSTALL_ROOT) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(ClusterError::NoServerBinaries);
        }
        Err(source) => return Err(path_error("read", Path::new(INSTALL_ROOT), source)),
    };
    let mut newest: Option<(Vec<u32>, PathBuf)> = None;
    for entry in entries {
        let entry = entry.map_err(|source| path_error("read", Path::new(INSTALL_ROOT), source))?;
        let Some(version) = entry.file_name().to_str().and_then(parse_version) else {
            continue;
        };
        let bin_dir = entry.path().join("bin");
        if has_programs(&bin_dir) && newest.as_ref().is_none_or(|(best, _)| version > *best) {
            newest = Some((version, bin_dir));
        }
    }
    newest
        .map(|(_, bin_dir)| bin_dir)
        .ok_or(ClusterError::NoServerBinaries)
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`; anything else is not a version folder.
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

fn has_programs(bin_dir: &Path) -> bool {
    REQUIRED_PROGRAMS
        .iter()
        .all(|program| bin_dir.join(program).is_file())
}

/// Creates a folder only its owner may use (0700), or fixes the mode of an existing one.
fn create_private_dir(dir: &Path) -> Result<(), ClusterError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|source| path_error("set permissions on", dir, source))
        }
        Err(source) => Err(path_error("create", dir, source)),
    }
}

/// The first lines of `postmaster.pid`: the server's pid, and (4th line) its port.
struct PostmasterPid {
    pid: u32,
    port: Option<u16>,
}

fn parse_postmaster_pid(text: &str) -> Option<PostmasterPid> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let port = lines.nth(2).and_then(|line| line.trim().parse().ok());
    Some(PostmasterPid { pid, port })
}

/// What the pid in a `postmaster.pid` is now.
#[derive(Debug, PartialEq, Eq)]
enum ServerProcess {
    /// The server of the data directory.
    Running,
    /// Still there but without a command line: exiting, or a zombie not yet reaped (the server
    /// would still see it as alive and refuse to start).
    Exiting,
    /// Gone, or since given to another program (even another cluster's server).
    Gone,
}

/// Classifies `pid` from `/proc`: `pg_ctl` starts the server as `postgres -D <data_dir> ...`, and
/// the server keeps that command line.
fn server_process(pid: u32, data_dir: &Path) -> ServerProcess {
    let proc_dir = Path::new("/proc").join(pid.to_string());
    match std::fs::read(proc_dir.join("cmdline")) {
        Ok(cmdline) if cmdline.is_empty() => ServerProcess::Exiting,
        Ok(cmdline) => {
            let cmdline = String::from_utf8_lossy(&cmdline);
            if cmdline.contains("postgres") && cmdline.contains(&*data_dir.to_string_lossy()) {
                ServerProcess::Running
            } else {
                ServerProcess::Gone
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => ServerProcess::Gone,
        // Hidden from us (hidepid): trust that it is alive.
        Err(_) if proc_dir.exists() => ServerProcess::Running,
        Err(_) => ServerProcess::Gone,
    }
}

/// Whether nothing listens on 127.0.0.1:`port`.
fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// A port that was free a moment ago, chosen by the kernel.
fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Quotes `text` as one word for /bin/sh.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for the URL's database name).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

fn path_error(action: &'static str, path: &Path, source: io::Error) -> ClusterError {
    ClusterError::Path {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_uid_is_the_second_field() {
        let status = "Name:\tbilling\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(parse_effective_uid(status), Some(0));
        assert_eq!(parse_effective_uid("Name:\tx\n"), None);
    }

    #[test]
    fn versions_order_numerically() {
        assert_eq!(parse_version("15"), Some(vec![15]));
        assert!(parse_version("9.6") < parse_version("10"));
        assert!(parse_version("16") > parse_version("15"));
        assert_eq!(parse_version("common"), None);
    }

    #[test]
    fn postmaster_pid_gives_pid_and_port() {
        let text = "4242\n/tmp/x/pg\n1700000000\n54321\n/tmp/x/run\n127.0.0.1\n  1 2\nready   \n";
        let parsed = parse_postmaster_pid(text);
        assert_eq!(parsed.as_ref().map(|p| p.pid), Some(4242));
        assert_eq!(parsed.and_then(|p| p.port), Some(54321));
        assert!(parse_postmaster_pid("").is_none());
    }

    #[test]
    fn database_names_are_encoded_in_urls() {
        assert_eq!(percent_encode("billing_test-1"), "billing_test-1");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn shell_sensitive_paths_are_refused() {
        assert!(check_usable_path(Path::new("/tmp/a b,c")).is_ok());
        assert!(check_usable_path(Path::new("/tmp/$HOME")).is_err());
        assert!(check_usable_path(Path::new("/tmp/a\"b")).is_err());
    }
}
