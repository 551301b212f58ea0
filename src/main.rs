//! The `vrrpd` binary: parses keepalived's command line and dispatches.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing::{error, info, warn};

use vrrpd::check_config;
use vrrpd::cli::{self, Cli};
use vrrpd::compat::Names;
use vrrpd::config::diag::{Diagnostic, Severity};
use vrrpd::config::Loaded;
use vrrpd::daemon::linux::{self as shell, Options};
use vrrpd::daemon::DaemonError;
use vrrpd::logging::{self, LogOptions};
use vrrpd::sys::pidfile::{self, PidFile};

/// Exit statuses at run time, as keepalived's (docs/keepalived-compat.md#exit-statuses-at-run-time).
const EXIT_OK: u8 = 0;
/// An OS failure: privileges, sockets, netlink, pid file, a daemon already running.
const EXIT_FATAL: u8 = 1;
/// The configuration cannot run (keepalived: `exited with permanent error CONFIG`).
const EXIT_CONFIG: u8 = 2;
/// The main configuration file cannot be read (`KEEPALIVED_EXIT_NO_CONFIG`).
const EXIT_NO_CONFIG: u8 = 6;

fn main() -> ExitCode {
    vrrpd::sys::memory::arenas_for_the_loop_and_the_rest();
    // Last resort: one line, never a backtrace. A panic in any task
    // ends the process (exit 70) rather than leaving a daemon that half works. First the VIPs
    // it added are deleted (blocking netlink, nothing of the runtime: daemon/held.rs), so the
    // peer is not kept from taking over by addresses a dead node still holds; systemd
    // restarts it (Restart=on-failure) and the new start removes anything left
    // (docs/keepalived-compat.md#start-up-cleanup).
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        logging::emergency(&format!("internal error: {what}{at}"));
        let released = vrrpd::daemon::held::release_all();
        if released > 0 {
            logging::emergency(&format!("released {released} VIP(s) before exiting"));
        }
        std::process::exit(70);
    }));
    // Started under keepalived's name: answer to it (compat.rs). Named first, so that
    // everything forked later (the runtime's threads) carries the name too.
    let names = Names::from_argv0(std::env::args_os().next().as_deref());
    if let Some(name) = names.process_name() {
        let name = std::ffi::CString::new(name).unwrap_or_default();
        if let Err(e) = nix::sys::prctl::set_name(&name) {
            eprintln!("vrrpd: cannot set the process name: {e}");
        }
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // keepalived exits 1 on a bad option; help goes to stdout with status 0.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run(&cli, names))
}

fn run(cli: &Cli, names: Names) -> u8 {
    if cli.version {
        eprint!("{}", names.version_text());
        return 0;
    }
    if let Some(name) = &cli.signum {
        // keepalived prints the number on stdout, or nothing and status 1 for an unknown name.
        return match cli::signum(name) {
            Some(n) => {
                println!("{n}");
                0
            }
            None => 1,
        };
    }
    if let Some(cmd) = &cli.command {
        let socket = vrrpd::control::socket_path(cli.control_socket.as_deref());
        return vrrpd::control::client::run(cmd, &socket);
    }
    if !cli.unexpected.is_empty() {
        // keepalived prints stray words on stdout and carries on.
        println!("Unexpected argument(s): {}", cli.unexpected.join(" "));
    }
    for opt in cli.ignored_options() {
        eprintln!("vrrpd: option {opt} ignored: vrrpd manages VRRP only");
    }
    if cli.is_config_check() {
        // A one-shot run: one heap, grown in large steps (sys/memory.rs).
        vrrpd::sys::memory::one_heap_for_a_short_run();
        return check_config::run(cli);
    }
    if cli.dump_conf {
        return check_config::dump(cli);
    }
    run_daemon(cli, names)
}

/// Prints one error line on the terminal (before forking, or when not logging to it).
fn fail(code: u8, text: &str) -> u8 {
    eprintln!("vrrpd: {text}");
    code
}

/// The daemon: everything that can be checked is checked before forking, so a broken
/// configuration or a daemon already running is reported on the terminal with a non-zero
/// exit status. Each step returns the exit status to end with as its error.
fn run_daemon(cli: &Cli, names: Names) -> u8 {
    match daemon_steps(cli, &names) {
        Ok(code) | Err(code) => code,
    }
}

/// The daemon's options, taken from [`Cli`] exhaustively: a new flag does not compile until
/// this function decides about it.
struct DaemonArgs<'a> {
    use_file: &'a PathBuf,
    dont_fork: bool,
    log_console: bool,
    log_detail: bool,
    log_facility: Option<&'a str>,
    no_syslog: bool,
    pid: Option<&'a PathBuf>,
    vrrp_pid: Option<&'a PathBuf>,
    umask: Option<&'a str>,
    dont_release_vrrp: bool,
    release_vips: bool,
    address_monitoring: bool,
    record_events: Option<&'a PathBuf>,
    control_socket: Option<&'a PathBuf>,
}

impl<'a> DaemonArgs<'a> {
    fn of(cli: &'a Cli) -> DaemonArgs<'a> {
        let Cli {
            use_file,
            dont_fork,
            log_console,
            log_detail,
            log_facility,
            no_syslog,
            pid,
            vrrp_pid,
            umask,
            dont_release_vrrp,
            release_vips,
            address_monitoring,
            record_events,
            control_socket,
            // The control subcommands: dispatched by `run` before here.
            command: _,
            // `--metrics-listen`: read into Options by `run_daemon`.
            metrics_listen: _,
            // `-P`: accepted; vrrpd only has the VRRP part.
            vrrp: _,
            // `-i`, `-e`: read by check_config::load / parse_options (config and reload).
            config_id: _,
            all_config: _,
            // Config-check mode, dump and `--signum`/`-v`: dispatched by `run` before here.
            config_test: _,
            check_config: _,
            check_interfaces: _,
            strict: _,
            format: _,
            dump_conf: _,
            signum: _,
            version: _,
            // keepalived's LVS/BFD/SNMP/respawn options: reported as ignored by `run`
            // (Cli::ignored_options).
            dont_respawn: _,
            lvs_check: _,
            no_bfd: _,
            all: _,
            checkers_pid: _,
            bfd_pid: _,
            dont_release_ipvs: _,
            snmp: _,
            snmp_agent_socket: _,
            core_dump: _,
            core_dump_pattern: _,
            namespace: _,
            genhash: _,
            // Stray words: printed by `run`.
            unexpected: _,
        } = cli;
        DaemonArgs {
            use_file,
            dont_fork: *dont_fork,
            log_console: *log_console,
            log_detail: *log_detail > 0,
            log_facility: log_facility.as_deref(),
            no_syslog: *no_syslog,
            pid: pid.as_ref(),
            vrrp_pid: vrrp_pid.as_ref(),
            umask: umask.as_deref(),
            dont_release_vrrp: *dont_release_vrrp,
            release_vips: *release_vips,
            address_monitoring: *address_monitoring,
            record_events: record_events.as_ref(),
            control_socket: control_socket.as_ref(),
        }
    }
}

/// The steps in order; `Err(code)` ends start-up with that status.
fn daemon_steps(cli: &Cli, names: &Names) -> Result<u8, u8> {
    // First: a SIGHUP/SIGTERM during start-up stays pending instead of killing the process;
    // shell::start delivers it once its handlers are installed (sys/signals.rs).
    if let Err(e) = vrrpd::sys::signals::block_handled() {
        return Err(fail(EXIT_FATAL, &e.to_string()));
    }
    let args = DaemonArgs::of(cli);
    vrrpd::daemon::held::keep_on_panic(args.dont_release_vrrp);
    let facility = early_options(&args)?;
    let (cfg, warnings) = load_config(cli, &args)?;
    let pid_paths = pid_paths(&args, names)?;
    let detached = fork(&args, &pid_paths)?;
    let log_opts = LogOptions {
        console: args.log_console && args.dont_fork,
        syslog: !args.no_syslog,
        facility,
        detail: args.log_detail,
        ident: names.syslog_ident(),
    };
    logging::init(&log_opts);
    let pid_files = write_pid_files(&pid_paths)?;
    // In place: the process that started us may return now (daemonize.rs).
    if let Some(d) = detached {
        d.ready();
    }
    log_start(&args, warnings);
    vrrpd::sys::kernel_floor::log_paths();
    let opts = Options {
        // The daemon changes directory to / when it forks; a reload must still find the file.
        config_path: std::path::absolute(args.use_file).unwrap_or_else(|_| args.use_file.clone()),
        parse: check_config::parse_options(cli),
        dont_release: args.dont_release_vrrp,
        release_vips: args.release_vips,
        address_monitoring: args.address_monitoring,
        record_events: args.record_events.cloned(),
        control_socket: vrrpd::control::socket_path(args.control_socket.map(PathBuf::as_path)),
        metrics_listen: cli.metrics_listen,
    };
    let code = run_runtime(opts, cfg, log_opts.console)?;
    drop(pid_files);
    info!(target: "vrrpd", "Stopped vrrpd v{}", env!("CARGO_PKG_VERSION"));
    Ok(code)
}

/// `-u` and `-S`: applied/checked before anything else; returns the syslog facility.
fn early_options(args: &DaemonArgs) -> Result<u8, u8> {
    if let Some(mask) = args.umask {
        match parse_umask(mask) {
            Some(m) => vrrpd::sys::umask::set_from_command_line(m),
            None => return Err(fail(EXIT_FATAL, &format!("invalid umask {mask}"))),
        }
    }
    match args.log_facility {
        None => Ok(logging::FACILITY_DAEMON),
        Some(f) => logging::parse_facility(f)
            .ok_or_else(|| fail(EXIT_FATAL, &format!("Invalid log facility '{f}'"))),
    }
}

/// Reads and checks the configuration, applies its umask and resolves its interfaces once,
/// so that errors show on the terminal. Returns the model, and the rest of the load (sources,
/// diagnostics and the warnings left for later) for [`log_start`] to log the warnings from and
/// free: it is not kept for the daemon's life (README "Memory").
fn load_config(cli: &Cli, args: &DaemonArgs) -> Result<(vrrpd::config::Config, Rest), u8> {
    test_start_delay();
    let (mut loaded, deferred) = check_config::load_for_start(cli).map_err(|e| {
        fail(
            EXIT_NO_CONFIG,
            &format!("cannot read configuration file {e}"),
        )
    })?;
    // Taken, not cloned: the daemon keeps one copy of the model, and only until it is planned
    // (README "Memory").
    let Some(cfg) = loaded.config.take() else {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprint!("{}", d.render(&loaded.sources));
        }
        return Err(fail(
            EXIT_CONFIG,
            &format!(
                "configuration {} has errors; not starting",
                args.use_file.display()
            ),
        ));
    };
    // docs/keepalived-compat.md#global_defs-keywords: global_defs umask, else 0177 (unless -u was given).
    vrrpd::sys::umask::apply_config(cfg.global.umask.as_ref().map(|m| m.value));
    // Interfaces and addresses: resolved again after start-up, but a typo is best seen here.
    if let Err(e) = vrrpd::plan::router_settings(&cfg, &vrrpd::host::gather()) {
        return Err(fail(EXIT_CONFIG, &e.to_string()));
    }
    Ok((cfg, (loaded, deferred)))
}

/// What the daemon logs from a load besides the model: its diagnostics, and the warnings it
/// left to be made once the instances run.
type Rest = (Loaded, vrrpd::config::Deferred);

/// Test-only (debug builds): `VRRPD_TEST_START_DELAY_MS=N` makes loading the configuration
/// take N ms longer, so tests can send signals inside the start-up window
/// (tests/daemon/hardening.rs). Release builds do not read it.
fn test_start_delay() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("VRRPD_TEST_START_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// The pid files to write, refusing to start when one names a running daemon.
fn pid_paths(args: &DaemonArgs, names: &Names) -> Result<Vec<PathBuf>, u8> {
    // keepalived's pid files under its name, /run/vrrpd.pid otherwise (README "Differences").
    let (default_pid, default_vrrp_pid) = names.default_pid_files();
    let pid_paths: Vec<PathBuf> = std::iter::once(
        args.pid
            .cloned()
            .unwrap_or_else(|| PathBuf::from(default_pid)),
    )
    .chain(
        args.vrrp_pid
            .cloned()
            .or_else(|| default_vrrp_pid.map(PathBuf::from)),
    )
    .collect();
    for p in &pid_paths {
        if let Some(other) = pidfile::running_pid(p) {
            return Err(fail(
                EXIT_FATAL,
                &format!("daemon is already running (pid {other} in {})", p.display()),
            ));
        }
    }
    Ok(pid_paths)
}

/// Forks to the background unless `-n`.
fn fork(
    args: &DaemonArgs,
    pid_paths: &[PathBuf],
) -> Result<Option<vrrpd::sys::daemonize::Detached>, u8> {
    if args.dont_fork {
        return Ok(None);
    }
    // Try the pid files before forking, so an unwritable one is reported on the terminal;
    // they are written again with the daemon's pid after the fork.
    for p in pid_paths {
        if let Err(e) = PidFile::create(p) {
            return Err(fail(EXIT_FATAL, &e.to_string()));
        }
    }
    match vrrpd::sys::daemonize::daemonize() {
        Ok(d) => Ok(Some(d)),
        Err(e) => Err(fail(EXIT_FATAL, &e.to_string())),
    }
}

/// The pid files with the daemon's own pid (after the fork).
fn write_pid_files(pid_paths: &[PathBuf]) -> Result<Vec<PidFile>, u8> {
    let mut pid_files = Vec::new();
    for p in pid_paths {
        match PidFile::create(p) {
            Ok(f) => pid_files.push(f),
            Err(e) => {
                error!(target: "vrrpd", "{e}");
                return Err(fail(EXIT_FATAL, &e.to_string()));
            }
        }
    }
    Ok(pid_files)
}

/// keepalived's start-up lines and the configuration's warnings (`rest`: the load without its
/// model).
fn log_start(args: &DaemonArgs, (mut rest, deferred): Rest) {
    info!(target: "vrrpd", "Starting vrrpd v{}", env!("CARGO_PKG_VERSION"));
    let argv: Vec<String> = std::env::args().map(|a| format!("'{a}'")).collect();
    info!(target: "vrrpd", "Command line: {}", argv.join(" "));
    info!(target: "vrrpd", "Configuration file {}", args.use_file.display());
    if warnings(&rest).count() + deferred.len() <= INLINE_WARNINGS {
        rest.add_deferred(deferred);
        return log_warnings(&rest);
    }
    // README "Reload at any size": a generated file's 40,000 `script ... is not used` lines
    // took 0.3 s to log, 15-20 ms to format and 10-15 ms to make, and the instances waited for
    // them. They are made, formatted, logged and freed beside the start-up instead, as a
    // reload's are by its loader.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Rest>(1);
    let spawned = std::thread::Builder::new()
        .name("vrrpd-warnings".into())
        .spawn(move || {
            // The instances start meanwhile and come first (sys/background.rs).
            let _bg = vrrpd::sys::background::enter();
            if let Ok((mut rest, deferred)) = rx.recv() {
                rest.add_deferred(deferred);
                log_warnings(&rest);
            }
        });
    let unsent = match spawned {
        Ok(_) => tx.send((rest, deferred)).err().map(|e| e.0),
        Err(_) => Some((rest, deferred)),
    };
    if let Some((mut rest, deferred)) = unsent {
        rest.add_deferred(deferred);
        log_warnings(&rest);
    }
}

fn warnings(loaded: &Loaded) -> impl Iterator<Item = &Diagnostic> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
}

fn log_warnings(loaded: &Loaded) {
    for d in warnings(loaded) {
        warn!(target: "vrrpd", "{}", vrrpd::plan::diagnostic_line(d, &loaded.sources));
    }
}

/// Up to this many warnings are logged in order before the instances start; more (a
/// generated file) are logged by a thread of their own while they start.
const INLINE_WARNINGS: usize = 64;

/// The async runtime and the daemon in it, until it stops; returns the exit status.
fn run_runtime(opts: Options, cfg: vrrpd::config::Config, console: bool) -> Result<u8, u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(EXIT_FATAL, &format!("cannot start the async runtime: {e}")))?;
    // The warnings were logged above; the daemon plans the configuration on this host.
    let checked = vrrpd::plan::Checked::new(cfg, Vec::new());
    let result = runtime.block_on(shell::start(opts, checked));
    drop(runtime);
    Ok(match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            error!(target: "vrrpd", "{e}");
            if !console {
                eprintln!("vrrpd: {e}");
            }
            match e {
                DaemonError::Other(_) => EXIT_CONFIG,
                _ => EXIT_FATAL,
            }
        }
    })
}

/// `-u MASK`: keepalived reads it with strtol base 0 (0177 octal, 0x7f hex, 127 decimal).
fn parse_umask(text: &str) -> Option<u32> {
    let v = if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()?
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()?
    } else {
        text.parse().ok()?
    };
    (v <= 0o777).then_some(v)
}
