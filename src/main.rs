//! The `vrrpd` binary: parses keepalived's command line and dispatches.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing::{error, info, warn};

use vrrpd::check_config;
use vrrpd::cli::{self, Cli};
use vrrpd::compat::Names;
use vrrpd::config::diag::Severity;
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
    // Last resort: one line, never a backtrace. A panic in any task
    // ends the process (exit 70) rather than leaving a daemon that half works; the next start
    // removes leftover VIPs (docs/keepalived-compat.md#start-up-cleanup).
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
    if !cli.unexpected.is_empty() {
        // keepalived prints stray words on stdout and carries on.
        println!("Unexpected argument(s): {}", cli.unexpected.join(" "));
    }
    for opt in cli.ignored_options() {
        eprintln!("vrrpd: option {opt} ignored: vrrpd manages VRRP only");
    }
    if cli.is_config_check() {
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
/// exit status.
fn run_daemon(cli: &Cli, names: Names) -> u8 {
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
        address_monitoring,
        record_events,
        release_vips: _,
        ..
    } = cli;
    if let Some(mask) = umask {
        match parse_umask(mask) {
            Some(m) => vrrpd::sys::umask::set_from_command_line(m),
            None => return fail(EXIT_FATAL, &format!("invalid umask {mask}")),
        }
    }
    let facility = match log_facility.as_deref() {
        None => logging::FACILITY_DAEMON,
        Some(f) => match logging::parse_facility(f) {
            Some(n) => n,
            None => return fail(EXIT_FATAL, &format!("Invalid log facility '{f}'")),
        },
    };
    let loaded = match check_config::load(cli) {
        Ok(l) => l,
        Err(e) => {
            return fail(
                EXIT_NO_CONFIG,
                &format!("cannot read configuration file {e}"),
            )
        }
    };
    let Some(cfg) = loaded.config.clone() else {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprint!("{}", d.render(&loaded.sources));
        }
        return fail(
            EXIT_CONFIG,
            &format!(
                "configuration {} has errors; not starting",
                use_file.display()
            ),
        );
    };
    // docs/keepalived-compat.md#global_defs-keywords: global_defs umask, else 0177 (unless -u was given).
    vrrpd::sys::umask::apply_config(cfg.global.umask.as_ref().map(|m| m.value));
    // Interfaces and addresses: resolved again after start-up, but a typo is best seen here.
    if let Err(e) = vrrpd::plan::router_settings(&cfg, &vrrpd::host::gather()) {
        return fail(EXIT_CONFIG, &e.to_string());
    }
    // keepalived's pid files under its name, /run/vrrpd.pid otherwise (README "Differences").
    let (default_pid, default_vrrp_pid) = names.default_pid_files();
    let pid_paths: Vec<PathBuf> =
        std::iter::once(pid.clone().unwrap_or_else(|| PathBuf::from(default_pid)))
            .chain(
                vrrp_pid
                    .clone()
                    .or_else(|| default_vrrp_pid.map(PathBuf::from)),
            )
            .collect();
    for p in &pid_paths {
        if let Some(other) = pidfile::running_pid(p) {
            return fail(
                EXIT_FATAL,
                &format!("daemon is already running (pid {other} in {})", p.display()),
            );
        }
    }
    let mut detached = None;
    if !dont_fork {
        // Try the pid files before forking, so an unwritable one is reported on the terminal;
        // they are written again with the daemon's pid after the fork.
        for p in &pid_paths {
            if let Err(e) = PidFile::create(p) {
                return fail(EXIT_FATAL, &e.to_string());
            }
        }
        match vrrpd::sys::daemonize::daemonize() {
            Ok(d) => detached = Some(d),
            Err(e) => return fail(EXIT_FATAL, &e.to_string()),
        }
    }
    let log_opts = LogOptions {
        console: *log_console && *dont_fork,
        syslog: !no_syslog,
        facility,
        detail: *log_detail > 0,
        ident: names.syslog_ident(),
    };
    logging::init(&log_opts);
    let mut pid_files = Vec::new();
    for p in &pid_paths {
        match PidFile::create(p) {
            Ok(f) => pid_files.push(f),
            Err(e) => {
                error!(target: "vrrpd", "{e}");
                return fail(EXIT_FATAL, &e.to_string());
            }
        }
    }
    // In place: the process that started us may return now (daemonize.rs).
    if let Some(d) = detached.take() {
        d.ready();
    }
    info!(target: "vrrpd", "Starting vrrpd v{}", env!("CARGO_PKG_VERSION"));
    let args: Vec<String> = std::env::args().map(|a| format!("'{a}'")).collect();
    info!(target: "vrrpd", "Command line: {}", args.join(" "));
    info!(target: "vrrpd", "Configuration file {}", use_file.display());
    for d in &loaded.diagnostics {
        if d.severity == Severity::Warning {
            warn!(target: "vrrpd", "{}", vrrpd::plan::diagnostic_line(d, &loaded.sources));
        }
    }
    let opts = Options {
        // The daemon changes directory to / when it forks; a reload must still find the file.
        config_path: std::path::absolute(use_file).unwrap_or_else(|_| use_file.clone()),
        parse: check_config::parse_options(cli),
        dont_release: *dont_release_vrrp,
        address_monitoring: *address_monitoring,
        record_events: record_events.clone(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(EXIT_FATAL, &format!("cannot start the async runtime: {e}")),
    };
    // The warnings were logged above; the daemon plans the configuration on this host.
    let checked = vrrpd::plan::Checked::new(cfg, Vec::new());
    let result = runtime.block_on(shell::start(opts, checked));
    drop(runtime);
    let code = match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            error!(target: "vrrpd", "{e}");
            if !log_opts.console {
                eprintln!("vrrpd: {e}");
            }
            match e {
                DaemonError::Other(_) => EXIT_CONFIG,
                _ => EXIT_FATAL,
            }
        }
    };
    drop(pid_files);
    info!(target: "vrrpd", "Stopped vrrpd v{}", env!("CARGO_PKG_VERSION"));
    code
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
